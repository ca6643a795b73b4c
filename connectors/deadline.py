"""One total deadline per fetch, enforced on every receive from the network.

A read timeout alone bounds each wait for the next byte, not the fetch: a server sending one byte
every few seconds (in its headers, its body, or the body of a redirect being drained) would keep
a worker for as long as it likes. Here every connection's socket is wrapped so that each receive,
of any size, waits at most until the deadline of the fetch running on that thread
(:func:`fetch_deadline`), then fails as a timeout. Connection set-up is bounded by the callers
(a connect timeout no longer than what remains; CPython bounds a TLS handshake as a whole by the
socket's timeout).

Plugged into urllib3 through its own extension points (the pool classes a ``PoolManager`` builds
and the connection class a pool builds), for the feed client and for the requests adapters of the
API connectors alike; nothing of urllib3 or requests is patched.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


@contextmanager
def fetch_deadline(seconds: float) -> Iterator[float]:
    """Every receive on this thread inside the block ends at most ``seconds`` from now; yields
    the deadline (``time.monotonic()`` scale). Nested blocks keep the earlier deadline."""
    outer = getattr(_current, "deadline", None)
    deadline = time.monotonic() + seconds
    if outer is not None:
        deadline = min(deadline, outer)
    _current.deadline = deadline
    try:
        yield deadline
    finally:
        _current.deadline = outer


def remaining_seconds() -> float | None:
    """Seconds left before this thread's fetch deadline (never negative); None outside a fetch."""
    deadline = getattr(_current, "deadline", None)
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class DeadlineSocket:
    """A connected socket (plain or TLS) whose every receive waits no longer than the current
    fetch's deadline, nor than the timeout set on it; everything else goes to the socket itself."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def settimeout(self, value: float | None) -> None:
        """The per-receive timeout (the read timeout); the deadline may shorten each wait further."""
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        """The per-receive timeout last set."""
        return self._timeout

    def _bound(self) -> None:
        left = remaining_seconds()
        if left is None:
            self._sock.settimeout(self._timeout)
            return
        if left <= 0:
            raise socket.timeout("the fetch deadline passed")
        self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """``socket.recv``, bounded by the deadline."""
        self._bound()
        return self._sock.recv(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """``socket.recv_into``, bounded by the deadline (what ``makefile`` readers call)."""
        self._bound()
        return self._sock.recv_into(buffer, nbytes, flags)

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> io.BufferedReader:
        """A binary reader over this wrapper (http.client reads a response through ``makefile("rb")``),
        so its reads go through :meth:`recv_into`."""
        if mode != "rb":
            raise ValueError(f"DeadlineSocket.makefile supports mode 'rb' only, not {mode!r}")
        self._sock._io_refs += 1  # type: ignore[attr-defined]  # as socket.makefile counts its readers
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)


class _DeadlineHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = DeadlineSocket(self.sock)  # type: ignore[assignment]


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = DeadlineSocket(self.sock)  # type: ignore[assignment]


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


def enforce_deadlines(pool_manager: urllib3.PoolManager) -> urllib3.PoolManager:
    """Make every connection ``pool_manager`` opens from now on honour :func:`fetch_deadline`."""
    pool_manager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}
    return pool_manager


class DeadlineAdapter(HTTPAdapter):
    """A requests transport adapter giving every request one total deadline of ``total_timeout``
    seconds (connect, headers and body, which it reads before returning unless the caller streams)
    besides requests' own per-wait timeouts, and a timeout when the caller set none."""

    def __init__(self, *, total_timeout: float, timeout: tuple[float, float], **kwargs: Any) -> None:
        self.total_timeout = total_timeout
        self.timeout = timeout
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """requests' pool manager, with connections that honour the deadline."""
        super().init_poolmanager(*args, **kwargs)
        enforce_deadlines(self.poolmanager)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send ``request`` and read its body, all before the deadline."""
        timeout = kwargs.get("timeout") or self.timeout
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        kwargs["timeout"] = (min(connect, self.total_timeout), min(read, self.total_timeout))
        with fetch_deadline(self.total_timeout):
            response = super().send(request, **kwargs)
            if not kwargs.get("stream"):
                try:
                    response.content  # noqa: B018  # read here, inside the deadline
                except requests.ConnectionError as exc:
                    if any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in exc.args):
                        raise requests.ReadTimeout(f"no complete answer within {self.total_timeout:g} s") from None
                    raise
        return response
