"""Bodies over the limit are refused (413) without being read whole, whatever Content-Length says,
and a refused body never reaches the log: at the WSGI app itself and on waitress over loopback."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
import requests
from fakes.slack_requests import SIGNING_SECRET, SlackRequest, slash_command, wsgi_environ
from fakes.slack_world import DANA
from helpers import eventually

from bot.slack.boundary import declared_length
from bot.slack.server import SlackHTTPServer, wsgi_app

LIMIT = 64 * 1024  # the servers under test get a small limit, so filling it is quick
MARKER = b"BODY-MARKER-"


class Endless:
    """A ``wsgi.input`` that never runs dry, counting the bytes taken from it."""

    def __init__(self) -> None:
        self.taken = 0

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "the app asked to read an endless body to its end"
        self.taken += size
        return (MARKER * (size // len(MARKER) + 1))[:size]


class NoDispatch:
    """Stands in for the Bolt app where a request must be refused before reaching it."""

    oauth_flow = None  # one workspace: no install routes

    def dispatch(self, request):
        raise AssertionError("a refused request reached Bolt")


def call(application, environ) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(application(environ, lambda s, headers: status.append(s)))
    return status[0], body


@pytest.mark.parametrize("content_length", [
    pytest.param("300000000", id="declared-300MB"),
    pytest.param(str(LIMIT + 1), id="declared-one-over"),
    pytest.param("9" * 5000, id="declared-5000-digits"),
])
def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(content_length, caplog):
    caplog.set_level(logging.DEBUG)
    stream = Endless()
    application = wsgi_app(NoDispatch(), signing_secret=SIGNING_SECRET, max_body_bytes=LIMIT)
    status, body = call(application, wsgi_environ(b"", {}, stream=stream, content_length=content_length))
    assert status.startswith("413") and stream.taken == 0
    assert [r.getMessage() for r in caplog.records if "HTTP 413" in r.getMessage()], "the refusal was not logged"


@pytest.mark.parametrize("content_length", [
    pytest.param(None, id="missing"),
    pytest.param("lots", id="not-a-number"),
    pytest.param("-5", id="negative"),
    pytest.param("1e9", id="exponent"),
])
def test_without_a_usable_length_at_most_limit_plus_one_bytes_are_read(content_length, caplog):
    caplog.set_level(logging.DEBUG)
    stream = Endless()
    application = wsgi_app(NoDispatch(), signing_secret=SIGNING_SECRET, max_body_bytes=LIMIT)
    status, _ = call(application, wsgi_environ(b"", {}, stream=stream, content_length=content_length))
    assert status.startswith("413")
    assert LIMIT < stream.taken <= LIMIT + 1
    assert MARKER.decode() not in caplog.text  # the refused body is never logged


@pytest.mark.parametrize("value, expected", [
    pytest.param("1024", 1024, id="plain"),
    pytest.param(" 17 ", 17, id="padded"),
    pytest.param("", None, id="empty"),
    pytest.param("0x10", None, id="hex"),
    pytest.param("\u0661\u0662", None, id="non-ascii-digits"),
])
def test_declared_length(value, expected):
    assert declared_length(value) == expected


# --- on waitress, over loopback ---------------------------------------------------------------------


@pytest.fixture
def server(app):
    srv = SlackHTTPServer(app, signing_secret=SIGNING_SECRET, host="127.0.0.1", port=0, threads=2,
                          max_body_bytes=LIMIT)
    thread = threading.Thread(target=srv.serve, daemon=True)
    thread.start()
    yield srv
    srv.stop()
    thread.join(10)


def raw_exchange(server, head: bytes, chunks=()) -> bytes:
    """Send ``head`` (request line and headers) and then ``chunks`` while the server still reads;
    return what it answered."""
    with socket.create_connection((server.host, server.port), timeout=10) as conn:
        conn.sendall(head)
        try:
            for chunk in chunks:
                conn.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what it answered is what matters
        answer = b""
        try:
            while part := conn.recv(65536):
                answer += part
        except ConnectionResetError:
            pass
    return answer


def test_waitress_refuses_a_300MB_declaration_without_waiting_for_the_body(server, caplog):
    caplog.set_level(logging.DEBUG)
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 300000000\r\n\r\n" + MARKER * 10)
    answer = raw_exchange(server, head)  # 300 MB are announced, 120 bytes are sent
    assert answer.startswith(b"HTTP/1.1 413")
    assert MARKER.decode() not in caplog.text


def test_waitress_refuses_a_chunked_body_over_the_limit(server, caplog):
    caplog.set_level(logging.DEBUG)
    chunk = MARKER * 1000
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    answer = raw_exchange(server, head, [framed] * (4 * LIMIT // len(chunk)) + [b"0\r\n\r\n"])
    assert answer.startswith(b"HTTP/1.1 413")
    assert MARKER.decode() not in caplog.text


def test_a_signed_command_exactly_at_the_limit_is_served(server, fake_slack):
    base = slash_command("log Jane Doe call", user_id=DANA, response_base=fake_slack.base_url).body
    padding = "&pad="
    body = base + padding + "x" * (LIMIT - len(base) - len(padding))
    request = SlackRequest(body, "application/x-www-form-urlencoded")
    assert len(body.encode()) == LIMIT
    response = requests.post(server.url, data=body.encode(), headers=request.signed(), timeout=10)
    assert response.status_code == 200
    assert eventually(lambda: len(fake_slack.calls_to("respond")) == 1)
    over = SlackRequest(body + "x", request.content_type)
    assert requests.post(server.url, data=over.body.encode(), headers=over.signed(), timeout=10).status_code == 413

