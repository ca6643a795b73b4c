"""Bounded HTTP GETs for feeds: conditional, time-limited, size-limited, redirects checked hop by hop.

A GET has one total deadline (``HttpLimits.total_timeout``) covering every hop's connection,
headers, body and the drain of a redirect's or an error's body: every receive from the network
waits at most until it (see :mod:`connectors.deadline`), so a server trickling bytes cannot hold
a worker, and with it a polling pass, any longer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urljoin, urlsplit

import urllib3

from connectors.base import FatalError, RetriableError
from connectors.deadline import enforce_deadlines, fetch_deadline
from connectors.safety import Destination, Resolver, check_url, resolve_addresses

USER_AGENT = "strongtie/0.1 (feed poller; +https://github.com/strongtie/strongtie)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True)
class HttpLimits:
    """Bounds on one GET: timeouts (seconds), body size (bytes) and redirect hops."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0  # the whole GET, redirects and drains included; a trickling server is cut here
    max_body_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    #: refuse a redirect from https to http (a URL that is itself a secret must never travel in clear)
    https_only_redirects: bool = False
    #: Most bytes read from a redirect's or an error's body to keep its connection for reuse;
    #: a longer body is not read: the connection is closed instead.
    max_drain_bytes: int = 64 * 1024

    @classmethod
    def within(cls, total_timeout: float) -> "HttpLimits":
        """The default limits with a total deadline of ``total_timeout`` seconds (the connect and
        read timeouts never longer than it)."""
        base = cls()
        return cls(
            connect_timeout=min(base.connect_timeout, total_timeout),
            read_timeout=min(base.read_timeout, total_timeout),
            total_timeout=total_timeout,
        )


@dataclass(frozen=True)
class HttpResponse:
    """What a GET returned, after redirects: status, final and permanent URLs, headers, body."""

    status: int
    url: str  # the URL that finally answered
    permanent_url: str  # the URL to poll from now on (moves only along 301/308 hops)
    headers: Mapping[str, str]  # case-insensitive, as HTTP header names are
    body: bytes


class HttpClient:
    """GETs one URL at a time from any number of threads (one shared connection pool).

    urllib3 directly rather than requests: a polling pass is CPU-bound on its single interpreter
    lock, and requests' per-request machinery (environment, cookies, hooks) costs more CPU than
    the request itself. Feeds are fetched directly; proxy variables are not consulted, which also
    keeps the URL-safety check meaningful (it judges the address actually connected to).

    The connection goes to an address the safety check vetted, never to the name (which could
    resolve differently a moment later): one pool per (scheme, address, port, name), with the
    name in the ``Host`` header and, for HTTPS, in SNI and the certificate check. Pools are kept,
    so keep-alive connections are reused across requests and passes.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        limits: HttpLimits = HttpLimits(),
        pool_size: int = 16,
        resolver: Resolver = resolve_addresses,
        ca_certs: str | None = None,
    ) -> None:
        """``resolver`` answers the URL guard's lookups; ``ca_certs`` is a CA bundle to trust for
        HTTPS instead of the system's (None: the system's)."""
        self.allow_private = allow_private
        self.limits = limits
        self.resolver = resolver
        self.pool = enforce_deadlines(urllib3.PoolManager(
            num_pools=max(64, pool_size * 4), maxsize=pool_size, retries=False, headers={"User-Agent": USER_AGENT}, ca_certs=ca_certs
        ))

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
        """GET ``url`` following at most ``max_redirects`` redirects, each hop checked for safety.

        Raises :class:`RetriableError` on timeouts (the total deadline included) and connection
        failures and :class:`FatalError` for unsafe URLs, redirect loops and bodies over the size
        limit. Any HTTP status is returned, not raised: the caller classifies it.
        """
        with fetch_deadline(self.limits.total_timeout) as deadline:
            return self._get(url, headers, deadline)

    def _get(self, url: str, headers: Mapping[str, str] | None, deadline: float) -> HttpResponse:
        current = permanent = url
        still_permanent = True
        for _hop in range(self.limits.max_redirects + 1):
            if time.monotonic() >= deadline:
                raise RetriableError(f"timed out following redirects from {url} (at most {self.limits.total_timeout:g} s per fetch)")
            destination = check_url(current, allow_private=self.allow_private, resolver=self.resolver)
            response = self._send(current, destination, headers, deadline)
            location = response.headers.get("Location")
            if response.status not in REDIRECT_STATUSES or not location:
                body = self._read_body(response, current) if response.status == 200 else self._discard(response)
                return HttpResponse(response.status, current, permanent, response.headers, body)
            self._discard(response)
            target = urljoin(current, location)
            if self.limits.https_only_redirects and urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                raise FatalError(f"{urlsplit(current).hostname} redirected to an unencrypted http address; refused, since the address itself is secret")
            still_permanent = still_permanent and response.status in PERMANENT_REDIRECTS
            if still_permanent:
                permanent = target
            current = target
        raise FatalError(f"more than {self.limits.max_redirects} redirects, starting at {url}")

    def _pool(self, destination: Destination, address: str | None) -> urllib3.HTTPConnectionPool:
        """The pool connecting to ``address`` (None: to the name itself) for ``destination``."""
        if address is None:
            return self.pool.connection_from_host(destination.host, destination.port, destination.scheme)
        tls = {"server_hostname": destination.host, "assert_hostname": destination.host} if destination.scheme == "https" else None
        return self.pool.connection_from_host(address, destination.port, destination.scheme, pool_kwargs=tls)

    def _send(self, url: str, destination: Destination, headers: Mapping[str, str] | None, deadline: float) -> urllib3.BaseHTTPResponse:
        read_timeout = max(0.01, min(self.limits.read_timeout, deadline - time.monotonic()))
        request_headers = {
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip, deflate",
            **(headers or {}),
            "Host": destination.host_header,
        }
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        addresses: tuple[str | None, ...] = destination.addresses or (None,)
        for index, address in enumerate(addresses):
            connect_timeout = max(0.01, min(self.limits.connect_timeout, deadline - time.monotonic()))
            try:
                return self._pool(destination, address).urlopen(
                    "GET",
                    target,
                    headers=request_headers,
                    timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                    preload_content=False,
                )
            except urllib3.exceptions.NewConnectionError as exc:  # (a subclass of ConnectTimeoutError)
                if index + 1 < len(addresses):
                    continue  # the name has other vetted addresses: try the next one
                reason = str(exc).rsplit("Failed to establish a new connection: ", 1)[-1]
                raise RetriableError(f"could not connect to {url}: {reason}") from None
            except urllib3.exceptions.ConnectTimeoutError:
                raise RetriableError(f"timed out after {connect_timeout:.3g} s connecting to {url}") from None
            except urllib3.exceptions.TimeoutError:
                raise RetriableError(f"timed out waiting for {url} to answer (at most {self.limits.total_timeout:g} s per fetch)") from None
            except urllib3.exceptions.HTTPError as exc:
                raise RetriableError(f"could not connect to {url}: {type(exc).__name__}") from None
        raise AssertionError("unreachable: addresses is never empty")

    def _discard(self, response: urllib3.BaseHTTPResponse) -> bytes:
        """Skip a body nobody reads (a redirect's, an error page's), within the fetch's deadline:
        a short one is read so its connection can be reused, a long or slow one closes it."""
        drained = 0
        try:
            for chunk in response.stream(16 * 1024, decode_content=False):
                drained += len(chunk)
                if drained > self.limits.max_drain_bytes:
                    break
            else:
                response.release_conn()
                return b""
        except (urllib3.exceptions.HTTPError, OSError):
            pass  # timed out or broken: the connection is not reused
        _abandon(response)
        return b""

    def _read_body(self, response: urllib3.BaseHTTPResponse, url: str) -> bytes:
        limit = self.limits.max_body_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            _abandon(response)
            raise FatalError(f"{url} is {int(declared):,} bytes, over the {limit:,}-byte limit for a feed")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.stream(64 * 1024):
                size += len(chunk)
                if size > limit:
                    _abandon(response)
                    raise FatalError(f"{url} sent more than the {limit:,}-byte limit for a feed")
                chunks.append(chunk)
        except urllib3.exceptions.TimeoutError:
            _abandon(response)
            raise RetriableError(f"timed out reading {url}: its body did not arrive within {self.limits.total_timeout:g} s") from None
        except urllib3.exceptions.HTTPError as exc:
            _abandon(response)
            raise RetriableError(f"reading {url} failed: {type(exc).__name__}") from None
        response.release_conn()
        return b"".join(chunks)


def _abandon(response: urllib3.BaseHTTPResponse) -> None:
    """Close a response's connection (its unread rest must not reach the next request) and give
    the emptied slot back to its pool."""
    response.close()
    response.release_conn()
