"""Serving the Bolt app: HTTP on waitress (a production WSGI server) or Socket Mode.

HTTP mode answers Slack at ``/slack/events`` (events, slash commands and interactivity share the
one URL) and ``/healthz`` for load balancers; anything else is 404. Bolt's development server is
never used.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DEFAULT_THREADS = 16  # waitress worker threads: each holds a request only until its ack

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(app: App) -> WSGIApp:
    """The WSGI application: Bolt at ``/slack/events`` plus a health check."""
    slack = SlackRequestHandler(app, path=SLACK_EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


class SlackHTTPServer:
    """waitress serving :func:`wsgi_app`; bound on construction, so port 0 picks a free port."""

    def __init__(self, app: App, *, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
        self._server = waitress.create_server(wsgi_app(app), host=host, port=port, threads=threads, ident="strongtie")
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
                dispatcher.handle_close()


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
