"""What a request to ``/slack/events`` must be before Bolt sees it (HTTP mode).

Bolt trusts what it is handed: it reads a body whole whatever its size, turns a non-numeric
``X-Slack-Request-Timestamp`` or a malformed payload into an HTTP 500, and logs the whole body of a
request whose signature does not match. So the WSGI app (``bot/slack/server.py``) checks each request
here first, in this order, and answers a :class:`Refusal` with its 4xx status and one log line that
gives the reason (never the body, nor a header's value):

1. size (413): a declared ``Content-Length`` over the limit is refused before a byte is read; without
   a usable one (missing, not a number) at most limit + 1 bytes are read, and more is refused;
2. authenticity (401): a whole-number ``X-Slack-Request-Timestamp`` within five minutes of now, and
   an ``X-Slack-Signature`` equal to ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` under the
   signing secret, exactly as Slack signs;
3. form (400): UTF-8 text that parses as a Slack payload of a shape the app can route
   (:mod:`bot.slack.shapes`), which Bolt then reads into a request without error.

Bolt verifies the signature again when it dispatches (a second line of defence, and the only one for
callers of ``App.dispatch``).
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from typing import Any, BinaryIO, Mapping
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import extract_content_type, parse_body

from bot.slack.shapes import payload_problem

# The largest requests Slack sends this app (a click on a three-block suggestion DM, a submitted
# /tie log modal, an event) are a few kilobytes; 1 MiB leaves room for any payload Slack documents.
MAX_BODY_BYTES = 1024 * 1024
TIMESTAMP_WINDOW_SECONDS = 5 * 60  # Slack's own rule, and Bolt's: older (or newer) requests are refused
MAX_TIMESTAMP_DIGITS = 12  # seconds since the epoch; 12 digits last until the year 33658
_READ_CHUNK = 64 * 1024


class Refusal(Exception):
    """A request refused at the boundary: the HTTP ``status`` to answer and a ``reason`` for the log
    (it never quotes the body or a header's value)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def read_body(environ: Mapping[str, Any], *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, at most ``limit`` bytes, read from ``wsgi.input`` without ever reading more
    than ``limit + 1`` bytes; a :class:`Refusal` (413) for a longer one."""
    declared = declared_length(environ.get("CONTENT_LENGTH"))
    if declared is not None and declared > limit:
        raise Refusal(413, f"Content-Length {_bytes(declared)} is over the limit of {limit} bytes; nothing was read")
    stream: BinaryIO | None = environ.get("wsgi.input")
    if stream is None:
        return b""
    body = _read_at_most(stream, declared if declared is not None else limit + 1)
    if len(body) > limit:
        raise Refusal(413, f"body over the limit of {limit} bytes (no usable Content-Length); stopped reading")
    return body


def declared_length(value: str | None) -> int | None:
    """``Content-Length`` as a number of bytes, or None when missing or not a whole number."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 18 else sys.maxsize  # int() of a 5000-digit string would raise


def _read_at_most(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = stream.read(min(left, _READ_CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def request_headers(environ: Mapping[str, Any], body: bytes) -> dict[str, str]:
    """The request's headers by lower-case name, as Bolt reads them, with the length actually read."""
    headers = {name: str(value) for name, value in WsgiHttpRequest(dict(environ)).get_headers().items()}
    headers["content-length"] = str(len(body))
    return headers


def authenticate(body: bytes, headers: Mapping[str, str], *, signing_secret: str, now: float) -> None:
    """Return if ``body`` was signed by Slack with ``signing_secret`` within the window around ``now``
    (seconds since the epoch); a :class:`Refusal` (401) otherwise."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not timestamp or not signature:
        raise Refusal(401, "unsigned: no X-Slack-Request-Timestamp or X-Slack-Signature header")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        raise Refusal(401, "X-Slack-Request-Timestamp is not a whole number of seconds")
    skew = now - int(timestamp)
    if abs(skew) > TIMESTAMP_WINDOW_SECONDS:
        raise Refusal(401, f"signed {skew:+.0f} s from now, outside the {TIMESTAMP_WINDOW_SECONDS} s window "
                           "(a replay, or a clock that is off)")
    basestring = b"v0:" + timestamp.encode() + b":" + body
    expected = b"v0=" + hmac.new(signing_secret.encode(), basestring, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, signature.encode("latin-1", "replace")):
        raise Refusal(401, "the signature does not match the body (a forgery, or the wrong SLACK_SIGNING_SECRET)")


def bolt_request(body: bytes, headers: Mapping[str, str], *, query: str = "", signing_secret: str | None = None) -> BoltRequest:
    """The Bolt request for an authenticated ``body``; a :class:`Refusal` (400) when it is not UTF-8,
    does not parse, or is not of a shape the app can route.

    With ``signing_secret``, a slash command whose text contains the word ``payload`` (which Bolt's
    parser would read as an empty form) is handed to Bolt in an equivalent encoding, re-signed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(400, f"the body is not UTF-8 text (byte {exc.start})") from None
    content_type = extract_content_type({k: [v] for k, v in headers.items()})
    try:
        payload = parse_body(text, content_type)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError; nesting too deep recurses
        raise Refusal(400, "the payload is not JSON") from None
    if not payload and _command_misread(text):
        if signing_secret is None:
            raise Refusal(400, "a slash command whose text contains the word 'payload', which slack_bolt reads "
                               "as an empty form (the user can rephrase it)")
        text, headers = _reencode_command(text, headers, signing_secret=signing_secret)
        payload = parse_body(text, content_type)
    problem = payload_problem(payload)
    if problem:
        raise Refusal(400, f"malformed payload: {problem}")
    try:
        return BoltRequest(body=text, query=query, headers=dict(headers))
    except Exception as exc:  # a shape the checks above let through but Bolt cannot read
        raise Refusal(400, f"malformed payload: Bolt could not read it ({type(exc).__name__})") from None


def _reencode_command(text: str, headers: Mapping[str, str], *, signing_secret: str) -> tuple[str, dict[str, str]]:
    """The same form with every ``payload`` in its values written ``%70ayload`` (which decodes to the
    same text, but no longer trips Bolt's parser), signed again as Slack signed the original: the
    original's signature was checked by :func:`authenticate` before this is called."""
    rewritten = text.replace("payload", "%70ayload")
    timestamp = headers.get("x-slack-request-timestamp") or ""
    basestring = f"v0:{timestamp}:{rewritten}".encode()
    signature = "v0=" + hmac.new(signing_secret.encode(), basestring, hashlib.sha256).hexdigest()
    return rewritten, {**headers, "x-slack-signature": signature, "content-length": str(len(rewritten.encode()))}


def _command_misread(text: str) -> bool:
    """Whether ``text`` is a slash command that Bolt's parser reads as nothing: it takes any form
    whose raw text contains ``payload`` for an interactivity form and, finding no ``payload`` field,
    returns an empty payload."""
    fields = dict(parse_qsl(text, keep_blank_values=True))
    return "command" in fields and "payload" not in fields


def _bytes(count: int) -> str:
    return "too many" if count == sys.maxsize else str(count)
