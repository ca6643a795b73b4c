"""``strongtie serve``, ``strongtie socket`` and ``strongtie run``.

Each fails with one clear line naming the missing variable (SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET for "Add to Slack"; SLACK_SIGNING_SECRET, SLACK_APP_TOKEN), or the port it
cannot listen on, and never prints a secret. SIGTERM and Ctrl-C stop them cleanly: requests in flight
finish, the scheduler waits a few seconds at most for running jobs and gives its lease back.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable

import click

from bot.cli.kit import echo, runtime

if TYPE_CHECKING:  # the Slack stack is imported only by the commands that run it, so --help stays fast
    from bot.slack.server import SlackHTTPServer, SocketModeServer

MODES = ("auto", "http", "socket")
# The interpreter hands the GIL to another thread every 5 ms by default; background work (lazy
# listeners, scheduled jobs) would then make each step of an ack wait that long. A 1 ms interval
# keeps acks fast under load (see bench/bench_slack.py) at a negligible throughput cost.
GIL_SWITCH_INTERVAL_SECONDS = 0.001


def register(cli: click.Group) -> None:
    """Add ``serve``, ``socket`` and ``run`` to the command group."""
    cli.add_command(serve)
    cli.add_command(socket)
    cli.add_command(run)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit in the main thread, so ``finally`` blocks do the clean-up."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def _http_server(host: str, port: int, threads: int, health: Callable[[], dict[str, Any]] | None = None) -> SlackHTTPServer:
    from bot.slack.app import build_app
    from bot.slack.server import SlackHTTPServer

    app = build_app(runtime())  # first, so a missing SLACK_SIGNING_SECRET is named before it is read
    return SlackHTTPServer(app, signing_secret=runtime().settings.slack_signing_secret.get(), host=host, port=port,
                           threads=threads, health=health)


def _socket_server() -> SocketModeServer:
    from bot.slack.app import build_app
    from bot.slack.server import SocketModeServer

    settings = runtime().settings
    settings.require("slack_app_token")
    return SocketModeServer(build_app(runtime(), verify_requests=False), app_token=settings.slack_app_token.get())


def _serve_until_stopped(server: SlackHTTPServer | SocketModeServer) -> None:
    _exit_on_sigterm()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass


host_option = click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on (HTTP mode).")
port_option = click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535),
                           help="Port to listen on (HTTP mode).")
threads_option = click.option("--threads", default=16, show_default=True, type=click.IntRange(1),
                              help="Worker threads of the HTTP server.")


@click.command()
@host_option
@port_option
@threads_option
def serve(host: str, port: int, threads: int) -> None:
    """Slack HTTP mode: events, commands and actions at /slack/events (on waitress).

    Needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for
    "Add to Slack" (then also /slack/install and /slack/oauth_redirect). Put it behind an HTTPS
    proxy; every request is verified by its signature and refused if older than five minutes."""
    server = _http_server(host, port, threads)
    echo(f"strongtie: serving Slack at {server.url}", err=True)
    _serve_until_stopped(server)


@click.command()
def socket() -> None:
    """Slack Socket Mode (needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN), for teams without a public URL."""
    server = _socket_server()
    echo("strongtie: connecting to Slack in Socket Mode", err=True)
    _serve_until_stopped(server)


@click.command()
@click.option("--mode", type=click.Choice(MODES), default="auto", show_default=True,
              help="How Slack reaches the bot: http, socket, or auto (socket when SLACK_APP_TOKEN is set).")
@host_option
@port_option
@threads_option
def run(mode: str, host: str, port: int, threads: int) -> None:
    """The production entry point: the scheduler and Slack in one process.

    Polls every STRONGTIE_POLL_INTERVAL_MINUTES, then scores, suggests and delivers; sends each
    team's digest at its local digest time. Run exactly one per deployment (a second one refuses)."""
    from bot.scheduler import StrongtieScheduler

    rt = runtime()
    if mode == "auto":
        mode = "socket" if rt.settings.slack_app_token else "http"
    # /healthz reports the scheduler's role; it is asked only once serving starts, after the start below
    server = _socket_server() if mode == "socket" else _http_server(host, port, threads, lambda: scheduler.health())
    scheduler = StrongtieScheduler(rt)
    try:
        scheduler.start()
    except BaseException:
        server.stop()
        raise
    where = "Socket Mode" if mode == "socket" else server.url
    echo(f"strongtie: scheduler running ({', '.join(scheduler.job_ids())}); serving Slack via {where}", err=True)
    try:
        _serve_until_stopped(server)
    finally:
        if not scheduler.shutdown(wait=True):  # waits for a running job only a few seconds
            # A job still running (a slow feed mid-poll) is crash-safe; waiting for it, or letting the
            # interpreter join its threads at exit, would keep a stopping process alive for minutes.
            echo("strongtie: stopped, leaving a running job unfinished", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        echo("strongtie: stopped", err=True)
