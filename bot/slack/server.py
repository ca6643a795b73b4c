"""Serving the Bolt app: HTTP on waitress (a production WSGI server) or Socket Mode.

HTTP mode answers Slack at ``/slack/events`` (events, slash commands and interactivity share the
one URL) and ``/healthz`` for load balancers; with "Add to Slack" configured (SLACK_CLIENT_ID,
SLACK_CLIENT_SECRET) also ``GET /slack/install`` and ``GET /slack/oauth_redirect``, the OAuth v2
install flow (``bot/slack/oauth.py``); anything else is 404. Every request to
``/slack/events`` passes :mod:`bot.slack.boundary` (size, signature, payload shape) before Bolt sees
it. Bolt's development server is never used.
"""

from __future__ import annotations

import errno
import json
import logging
import threading
import time
from typing import Any, Callable, Iterable

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.request import BoltRequest
from waitress import wasyncore

from bot.slack.priority import ACK_GATE
from bot.slack.boundary import MAX_BODY_BYTES, Refusal, authenticate, bolt_request, read_body, request_headers
from config.errors import UserError

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DEFAULT_THREADS = 16  # waitress worker threads: each holds a request only until its ack
_REFUSAL_TEXT = {400: "malformed request", 401: "invalid request", 413: "request body too large"}

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PortUnavailableError(UserError):
    """The address to serve on cannot be bound (the port is in use, reserved, or not on this host)."""


def wsgi_app(app: App, *, signing_secret: str, max_body_bytes: int = MAX_BODY_BYTES,
             clock: Callable[[], float] = time.time, health: Callable[[], dict[str, Any]] | None = None) -> WSGIApp:
    """The WSGI application: Bolt at ``/slack/events`` behind the boundary checks, plus a health check.

    ``clock`` gives seconds since the epoch, for the signature's five-minute window. ``/healthz``
    answers JSON, ``{"ok": true}`` merged with what ``health()`` reports (``strongtie run``: whether
    this process's scheduler is the ``leader`` or on ``standby``); 200 while ok, 503 when not.
    """

    flow = app.oauth_flow  # "Add to Slack" configured, or None

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            report = {"ok": True, **(health() if health is not None else {})}
            return _answer(start_response, WsgiHttpResponse(200 if report["ok"] else 503, {"content-type": ["application/json"]},
                                                            json.dumps(report) + "\n"))
        if flow is not None and method == "GET" and path in (flow.install_path, flow.redirect_uri_path):
            return _answer(start_response, _install_flow(flow, path, environ))
        if path != SLACK_EVENTS_PATH or method != "POST":
            return _answer(start_response, WsgiHttpResponse(404, {"content-type": ["text/plain; charset=utf-8"]}, "Not Found"))
        try:
            body = read_body(environ, limit=max_body_bytes)
            headers = request_headers(environ, body)
            authenticate(body, headers, signing_secret=signing_secret, now=clock())
            request = bolt_request(body, headers, query=environ.get("QUERY_STRING", ""), signing_secret=signing_secret)
        except Refusal as refusal:
            log.log(logging.WARNING if refusal.status == 400 else logging.INFO,
                    "refused a request to %s from %s (HTTP %d): %s", SLACK_EVENTS_PATH,
                    environ.get("REMOTE_ADDR") or "an unknown address", refusal.status, refusal.reason)
            text = _REFUSAL_TEXT.get(refusal.status, "refused")
            return _answer(start_response, WsgiHttpResponse(refusal.status, {"content-type": ["text/plain; charset=utf-8"]},
                                                            text + "\n"))
        with ACK_GATE.acking():  # the app's background work waits for a gap (bot/slack/priority.py)
            response = app.dispatch(request)
        return _answer(start_response, WsgiHttpResponse(response.status, response.headers, response.body))

    return application


def _install_flow(flow: OAuthFlow, path: str, environ: dict[str, Any]) -> WsgiHttpResponse:
    """A step of the OAuth install: the start (a state cookie, then Slack's authorize page) or the
    return (the code exchanged for the workspace's token). Carries no body, only query and cookie."""
    headers = {"cookie": environ.get("HTTP_COOKIE", "")} if environ.get("HTTP_COOKIE") else {}
    request = BoltRequest(body="", query=environ.get("QUERY_STRING", ""), headers=headers)
    response = flow.handle_installation(request) if path == flow.install_path else flow.handle_callback(request)
    return WsgiHttpResponse(response.status, response.headers, response.body)


def _answer(start_response: Callable[..., Any], response: WsgiHttpResponse) -> Iterable[bytes]:
    start_response(response.status, response.get_headers())
    return response.get_body()


class SlackHTTPServer:
    """waitress serving :func:`wsgi_app`; bound on construction, so port 0 picks a free port.

    waitress itself refuses (413) a body over ``max_body_bytes`` as it arrives, declared or chunked,
    so no more than that is ever buffered. An address that cannot be bound raises
    :class:`PortUnavailableError`, whose message names it.
    """

    def __init__(self, app: App, *, signing_secret: str, host: str, port: int, threads: int = DEFAULT_THREADS,
                 max_body_bytes: int = MAX_BODY_BYTES, health: Callable[[], dict[str, Any]] | None = None) -> None:
        application = wsgi_app(app, signing_secret=signing_secret, max_body_bytes=max_body_bytes, health=health)
        try:
            self._server = waitress.create_server(application, host=host, port=port, threads=threads,
                                                  ident="strongtie", max_request_body_size=max_body_bytes + 1)
        except OSError as exc:
            raise PortUnavailableError(_bind_problem(host, port, exc)) from None
        self._serving = threading.Event()

    @property
    def host(self) -> str:
        """The address actually bound."""
        return self._server.effective_host

    @property
    def port(self) -> int:
        """The port actually bound (the free one picked when asked for port 0)."""
        return self._server.effective_port

    @property
    def url(self) -> str:
        """Where Slack's requests go: events, slash commands and interactivity share it."""
        return f"http://{self.host}:{self.port}{SLACK_EVENTS_PATH}"

    def serve(self) -> None:
        """Serve until :meth:`stop` (from another thread) or SystemExit/KeyboardInterrupt (a signal)."""
        log.info("serving Slack requests at %s with %d threads", self.url, self._server.adj.threads)
        self._serving.set()
        try:
            self._server.run()  # on SystemExit/KeyboardInterrupt waitress lets running requests finish
        finally:
            self._serving.clear()
            self._close_sockets()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: close the listening socket and connections, then let the workers finish.

        The sockets are closed by the event loop's own thread (through waitress's trigger): closing
        them from another thread while it waits in select() would pull descriptors from under it.
        """
        closed = threading.Event()

        def close_from_loop() -> None:
            self._close_sockets()
            closed.set()

        if self._serving.is_set():
            self._server.trigger.pull_trigger(close_from_loop)
            closed.wait(timeout)
        if not closed.is_set():
            self._close_sockets()
        self._server.task_dispatcher.shutdown()

    def _close_sockets(self) -> None:
        # Closing every dispatcher empties waitress's socket map, which ends its event loop.
        while self._server._map:
            for dispatcher in list(self._server._map.values()):
                # The listening socket has no close handler of its own: waitress's default one only
                # warns "unhandled close event" before closing, so it is closed directly.
                own = type(dispatcher).handle_close is not wasyncore.dispatcher.handle_close
                if own:
                    dispatcher.handle_close()
                else:
                    dispatcher.close()


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    where = f"port {port} on {host}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is already in use; stop what holds it or choose another with --port"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges); choose another with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: {host} is not an address of this machine; check --host"
    return f"cannot listen on {where}: {exc.strerror or exc}"


class SocketModeServer:
    """Bolt over Socket Mode (an outbound WebSocket; no public URL needed)."""

    def __init__(self, app: App, *, app_token: str) -> None:
        self._handler = SocketModeHandler(app, app_token=app_token)
        self._stopped = threading.Event()

    def serve(self) -> None:
        """Connect and block until :meth:`stop`."""
        self._handler.connect()
        log.info("connected to Slack in Socket Mode")
        try:
            self._stopped.wait()
        finally:
            self._handler.close()

    def stop(self) -> None:
        """Make :meth:`serve` return, closing the WebSocket (safe from any thread or a signal handler)."""
        self._stopped.set()
