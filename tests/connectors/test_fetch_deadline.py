"""One total deadline per fetch: a server trickling its headers, its body, or the body of a redirect
or an error page cannot hold a fetch past it. The limit here is a fraction of a second; each hostile
answer would take many seconds (or forever) to arrive in full, which the old per-read check let it."""

from __future__ import annotations

import time

import pytest
import requests
from fakes.feeds import FeedServer, Route, rss, sample_items

from connectors.base import Cursor, FatalError, RetriableError, SourceRef
from connectors.deadline import DeadlineAdapter
from connectors.feeds import FeedConnector
from connectors.http import HttpClient, HttpLimits

DEADLINE = 0.6
LIMITS = HttpLimits(connect_timeout=2, read_timeout=2, total_timeout=DEADLINE)
SLOW_BODY = b"x" * 600  # at one byte every 20 ms: 12 s to send in full
#: The fetch ends at the deadline; the margin covers a loaded machine, far below the hostile times.
WITHIN = DEADLINE + 2.0


@pytest.fixture
def server():
    """A loopback feed server for the test."""
    with FeedServer() as running:
        yield running


def fetch(url: str) -> tuple[type[Exception] | None, str, float]:
    """Read ``url`` with the short deadline: the error class raised (None: none), its message, seconds taken."""
    connector = FeedConnector(HttpClient(allow_private=True, limits=LIMITS))
    started = time.monotonic()
    try:
        connector.fetch(SourceRef("rss", url, url), Cursor(url=url))
    except (RetriableError, FatalError) as error:
        return type(error), error.message, time.monotonic() - started
    return None, "", time.monotonic() - started


@pytest.mark.parametrize(
    "route, expected",
    [
        pytest.param(Route(body=SLOW_BODY, trickle=0.02), RetriableError, id="body-one-byte-at-a-time"),
        pytest.param(Route(trickle=0.02, endless=True), RetriableError, id="body-that-never-ends"),
        pytest.param(Route(body=SLOW_BODY, trickle=0.02, trickle_headers=True), RetriableError, id="headers-one-byte-at-a-time"),
        pytest.param(Route(body=SLOW_BODY, status=404, trickle=0.02), FatalError, id="error-page-body-drained"),
        pytest.param(Route(body=SLOW_BODY, status=302, location="/elsewhere", trickle=0.02), RetriableError, id="redirect-body-drained"),
        pytest.param(Route(status=302, location="/elsewhere", trickle=0.02, endless=True), RetriableError, id="endless-redirect-body"),
    ],
)
def test_a_trickling_server_is_cut_at_the_deadline(server, route, expected):
    server.add("/elsewhere", Route(body=rss(sample_items("e", 1))))
    error, message, seconds = fetch(server.add("/slow", route))
    assert error is expected, message
    assert seconds < WITHIN
    if expected is RetriableError:
        assert message.startswith("timed out")


def test_short_redirect_and_error_bodies_are_drained_and_the_fetch_goes_on(server):
    target = server.add("/feed.xml", Route(body=rss(sample_items("a", 2))))
    server.add("/moved", Route(status=301, location=target, body=b"moved " * 10, validators=False))
    connector = FeedConnector(HttpClient(allow_private=True, limits=LIMITS))
    result = connector.fetch(SourceRef("rss", "x", server.url("/moved")), Cursor(url=server.url("/moved")))
    assert [r.external_id for r in result.records] == ["a-0", "a-1"]
    assert result.cursor.url == target


def test_the_api_connectors_transport_has_the_same_deadline(server):
    """X and LinkedIn go through requests: their adapter bounds the whole request as well."""
    url = server.add("/slow", Route(body=SLOW_BODY, trickle=0.02))
    session = requests.Session()
    session.mount("http://", DeadlineAdapter(total_timeout=DEADLINE, timeout=(2, 2), max_retries=0))
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        session.get(url)
    assert time.monotonic() - started < WITHIN


def test_the_deadline_setting_bounds_every_connector():
    from dataclasses import replace

    from config.settings import Settings
    from connectors.registry import build_connectors

    connectors = build_connectors(replace(Settings(), poll_fetch_timeout_seconds=2.5))
    assert connectors["rss"].http.limits.total_timeout == 2.5
    assert connectors["rss"].http.limits.read_timeout == 2.5
    for kind in ("twitter", "linkedin"):
        adapters = [a for a in _sessions_of(connectors[kind]) if isinstance(a, DeadlineAdapter)]
        assert adapters and all(a.total_timeout == 2.5 for a in adapters), kind


def _sessions_of(connector) -> list:
    session = connector.client.session if hasattr(connector, "client") else connector.application.session
    return list(session.adapters.values())
