"""A loopback HTTP server for feeds, and builders for the feeds it serves.

Each path is a :class:`Route`: a body with ETag/Last-Modified validators (a matching conditional
GET gets 304 and no body), or a status, a redirect, a delay, a huge body. The server counts
requests and body bytes per path, so tests and the bench can prove that a 304 re-sent nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from xml.sax.saxutils import escape

import urllib3.util.connection

from fakes.loopback import LoopbackServer


@dataclass
class Route:
    """How the fake answers one path: a feed body with validators, or a status, redirect, delay, huge body."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    validators: bool = True  # send ETag and Last-Modified, honour If-None-Match / If-Modified-Since
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    location: str | None = None  # redirect target (with a 3xx status)
    huge_bytes: int = 0  # stream this many bytes instead of ``body`` (no Content-Length)
    # Hostile slowness: send the answer one byte every ``trickle`` seconds (the body, with any
    # status; the status line and headers too with ``trickle_headers``); ``endless``: the body
    # never ends (no Content-Length; it goes on until the client hangs up or the server stops).
    trickle: float = 0.0
    trickle_headers: bool = False
    endless: bool = False
    # Requests wait here until the barrier's other parties arrive; a request left waiting for
    # ``barrier_timeout`` seconds (nobody came: requests do not overlap) is answered 500.
    barrier: threading.Barrier | None = None
    barrier_timeout: float = 10.0

    @property
    def etag(self) -> str:
        """A strong ETag derived from the body."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


LAST_MODIFIED = format_datetime(datetime(2026, 11, 1, tzinfo=timezone.utc), usegmt=True)


class FeedServer(LoopbackServer):
    """``with FeedServer() as server: server.add("/a.xml", Route(body=...)); server.url("/a.xml")``."""

    def __init__(self, host: str = "127.0.0.1", default_delay: float = 0.0) -> None:
        super().__init__(host)
        self.routes: dict[str, Route] = {}
        self.default_delay = default_delay
        self.hits: Counter[str] = Counter()
        self.body_bytes: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.hosts: list[str] = []  # the Host header of every request, in order

    def use_tls(self, context: ssl.SSLContext) -> None:
        """Speak HTTPS with ``context`` (its certificate and SNI callback); call before starting."""
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    def add(self, path: str, route: Route) -> str:
        """Serve ``route`` at ``path`` (replacing any route there); return its URL."""
        self.routes[path] = route
        return self.url(path)

    def _send(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes, path: str) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        # Counted before the bytes go out: a client that has read the answer must see it counted.
        with self._lock:
            self.body_bytes[path] += len(body)
            self.statuses[status] += 1
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (size limit, timeout)
            handler.close_connection = True

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one GET from the route table, counting hits, Host headers, statuses and body bytes."""
        path = handler.path.split("?")[0]
        with self._lock:
            self.hits[path] += 1
            self.hosts.append(handler.headers.get("Host", ""))
        route = self.routes.get(path)
        if route is None:
            self._send(handler, 404, {"Content-Type": "text/plain"}, b"not found", path)
            return
        if route.delay or self.default_delay:
            time.sleep(route.delay or self.default_delay)
        if route.barrier is not None:
            try:
                route.barrier.wait(route.barrier_timeout)
            except threading.BrokenBarrierError:
                self._send(handler, 500, {"Content-Type": "text/plain"}, b"", path)
                return
        headers = dict(route.headers)
        if route.location:
            headers["Location"] = route.location
        if route.huge_bytes:
            self._stream_huge(handler, route, path)
            return
        if route.trickle:
            self._trickle(handler, route, headers, path)
            return
        if route.status == 200 and route.validators:
            headers.update({"ETag": route.etag, "Last-Modified": LAST_MODIFIED})
            if handler.headers.get("If-None-Match") == route.etag or (
                handler.headers.get("If-None-Match") is None and handler.headers.get("If-Modified-Since") == LAST_MODIFIED
            ):
                self._send(handler, 304, headers, b"", path)
                return
        headers.setdefault("Content-Type", route.content_type)
        self._send(handler, route.status, headers, route.body if route.status == 200 else b"", path)

    def _trickle(self, handler: BaseHTTPRequestHandler, route: Route, headers: dict[str, str], path: str) -> None:
        """Answer one byte every ``route.trickle`` seconds (see :class:`Route`)."""
        lines = [f"HTTP/1.1 {route.status} Slow", f"Content-Type: {route.content_type}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        lines.append("Connection: close" if route.endless else f"Content-Length: {len(route.body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        with self._lock:
            self.statuses[route.status] += 1
        handler.close_connection = True
        sent = 0
        try:
            if not route.trickle_headers:
                handler.wfile.write(head)
                handler.wfile.flush()
                head = b""
            body = route.body or b"x"
            index = 0
            while not self.stopped.is_set():
                if head:
                    byte, head = head[:1], head[1:]
                elif route.endless or index < len(route.body):
                    byte, index = body[index % len(body) : index % len(body) + 1], index + 1
                    sent += 1
                else:
                    break
                handler.wfile.write(byte)
                handler.wfile.flush()
                time.sleep(route.trickle)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should
        with self._lock:
            self.body_bytes[path] += sent

    def _stream_huge(self, handler: BaseHTTPRequestHandler, route: Route, path: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", route.content_type)
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"<!-- " + b"x" * 65_000 + b" -->\n"
        sent = 0
        try:
            handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            while sent < route.huge_bytes:
                handler.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True
        with self._lock:
            self.body_bytes[path] += sent


@dataclass(frozen=True)
class Item:
    """One feed entry for :func:`rss`."""

    title: str
    link: str | None = None
    guid: str | None = None
    description: str = ""
    published: datetime | None = None


def rss(items: list[Item], *, title: str = "A feed", encoding: str = "utf-8", declare: str | None = None) -> bytes:
    """An RSS 2.0 document encoded as ``encoding`` (declared as ``declare``, default the same)."""
    parts = [f'<?xml version="1.0" encoding="{declare or encoding}"?>', '<rss version="2.0"><channel>', f"<title>{escape(title)}</title>"]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.description:
            parts.append(f"<description>{escape(item.description)}</description>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


def sample_items(prefix: str, count: int, *, now: datetime | None = None) -> list[Item]:
    """``count`` ordinary items with guids and links, published a day apart before ``now``."""
    from datetime import timedelta

    moment = now or datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    return [
        Item(
            title=f"{prefix} post {n}",
            link=f"https://blog.example/{prefix}/{n}",
            guid=f"{prefix}-{n}",
            description=f"<p>Post <b>{n}</b> of {prefix}.</p>",
            published=moment - timedelta(days=n),
        )
        for n in range(count)
    ]


class VirtualNetwork:
    """Stands in for the internet below urllib3, so tests can use "public" addresses safely.

    Installed over ``urllib3.util.connection.create_connection`` (what every urllib3 connection
    calls), it records each address connected to; a connection to an address in ``routes`` goes
    to the loopback address it maps to, a connection to a name goes to whatever ``dns`` answers
    at that moment (as the system resolver would), and anything else outside 127.0.0.0/8 is
    refused without a packet being sent.
    """

    def __init__(self, routes: dict[str, str] | None = None, dns: Callable[[str, int], list[str]] | None = None) -> None:
        self.routes = dict(routes or {})
        self.dns = dns
        self.attempts: list[tuple[str, int]] = []
        self._real = urllib3.util.connection.create_connection

    def install(self, monkeypatch: Any) -> "VirtualNetwork":
        """Put the virtual network under urllib3 for the test's duration (undone by monkeypatch)."""
        monkeypatch.setattr(urllib3.util.connection, "create_connection", self.create_connection)
        return self

    def create_connection(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        """urllib3's ``create_connection``, routed through the virtual network."""
        host, port = address
        self.attempts.append((host, port))
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if self.dns is None:
                raise socket.gaierror(f"the virtual network has no DNS for {host}") from None
            host = self.dns(host, port)[0]
        target = self.routes.get(host, host)
        if not ipaddress.ip_address(target).is_loopback:
            raise ConnectionRefusedError(f"the virtual network does not route {target}")
        return self._real((target, port), *args, **kwargs)
