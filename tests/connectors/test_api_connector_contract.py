"""The contract every paged API connector keeps, run against each network's loopback fake.

Each test here runs once per network (X, LinkedIn): a cursor goes in, records and the next cursor
come out; no token means skipped without a request; 5xx and 429 are retriable and never retried
before the API's own wait; other 4xx are fatal and checked again daily; the token never shows in
a URL or an error. What only one network does (X's user lookup and billing, LinkedIn's
same-millisecond posts) is tested in that network's own file.
"""

from __future__ import annotations

import logging
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from fakes.linkedin_api import FakeLinkedInAPI
from fakes.x_api import FakeXAPI

from connectors.base import (
    DAY_SECONDS,
    Cursor,
    FatalError,
    GoneError,
    NotConfiguredError,
    PagedConnector,
    RateLimitedError,
    RetriableError,
    SourceRef,
)
from connectors.linkedin import LinkedInConnector
from connectors.twitter import XConnector

FROZEN_CLOCK = 1_800_000_000.0  # X's reset moments and the connector's clock agree on "now"


@dataclass(frozen=True)
class SentRequest:
    """One request a fake received, as the contract looks at it."""

    target: str  # path and query string
    authorization: str | None


class XNetwork:
    """How the contract drives the X connector and its fake."""

    name = "X"
    token = "x-test-bearer-token"
    source = SourceRef("twitter", "janedoe")
    rate_limit_error = RateLimitedError  # X names its reset moment: the rate-limit class says so
    rate_limit_words = r"X rate limit reached \(429\)"
    positions_of_12_in_pages_of_5 = [None, "5", "10"]  # pagination_token of each timeline request

    def __init__(self, fake: FakeXAPI) -> None:
        self.fake = fake
        fake.clock = lambda: FROZEN_CLOCK

    @staticmethod
    @contextmanager
    def running() -> Iterator[FakeXAPI]:
        """The fake, serving on loopback."""
        with FakeXAPI(token=XNetwork.token) as fake:
            yield fake

    def connector(self, token: str | None = None, *, page_size: int | None = None, api_url: str | None = None,
                  timeout: tuple[float, float] = (5.0, 20.0)) -> PagedConnector:
        """An X connector on the fake whose clock is the fake's, with smaller pages if asked."""
        declared: dict[str, Any] = {"clock": staticmethod(lambda: FROZEN_CLOCK)}
        if page_size:
            declared["max_page_size"] = page_size
        cls = type("ContractX", (XConnector,), declared)
        return cls(bearer_token=self.token if token is None else token, api_url=api_url or self.fake.base_url, timeout=timeout)

    def publish(self, count: int) -> None:
        """``count`` new posts by the source's account."""
        if self.source.target not in self.fake.users:
            self.fake.add_user(self.source.target, tweets=count)
        else:
            self.fake.post(self.source.target, count)

    def post_ids(self) -> list[str]:
        """The ids of every post published, newest first."""
        return [tweet["id"] for tweet in self.fake.users[self.source.target].tweets]

    def newest_mark(self) -> str:
        """What the cursor's ``since_id`` holds once the newest post is read: its id."""
        return self.post_ids()[0]

    def fail_reads(self, status: int, headers: dict[str, str] | None = None, *, echo_authorization: bool = False) -> None:
        """The next read of posts answers ``status``."""
        self.fake.fail_timelines(1, status=status, headers=headers, echo_authorization=echo_authorization)

    def rate_limit(self, wait: int | None) -> None:
        """The next request answers 429, naming the moment ``wait`` seconds ahead (None: no moment)."""
        self.fake.rate_limit(1, with_reset=wait is not None, reset_in=wait or 0)

    def requests(self) -> list[SentRequest]:
        """Every request the fake received."""
        return [SentRequest(r.path + "?" + "&".join(f"{k}={v}" for k, v in r.params.items()), r.authorization) for r in self.fake.requests]

    def page_positions(self, since: int = 0) -> list[str | None]:
        """The paging position of each read of posts, from request number ``since`` on."""
        return [r.params.get("pagination_token") for r in self.fake.requests[since:] if r.path.endswith("/tweets")]


class LinkedInNetwork:
    """How the contract drives the LinkedIn connector and its fake."""

    name = "LinkedIn"
    token = "li-test-access-token"
    source = SourceRef("linkedin", "urn:li:organization:2414183")
    rate_limit_error = RetriableError  # LinkedIn's wait, when it sends one, is a plain Retry-After
    rate_limit_words = r"rate limited"
    positions_of_12_in_pages_of_5 = ["0", "5", "10"]  # start of each request

    def __init__(self, fake: FakeLinkedInAPI) -> None:
        self.fake = fake

    @staticmethod
    @contextmanager
    def running() -> Iterator[FakeLinkedInAPI]:
        """The fake, serving on loopback."""
        with FakeLinkedInAPI(token=LinkedInNetwork.token) as fake:
            yield fake

    def connector(self, token: str | None = None, *, page_size: int | None = None, api_url: str | None = None,
                  timeout: tuple[float, float] = (5.0, 20.0)) -> PagedConnector:
        """A LinkedIn connector on the fake, with smaller pages if asked."""
        cls = type("ContractLinkedIn", (LinkedInConnector,), {"max_page_size": page_size} if page_size else {})
        return cls(access_token=self.token if token is None else token, api_url=api_url or self.fake.base_url, timeout=timeout)

    def publish(self, count: int) -> None:
        """``count`` new posts by the source's organization."""
        self.fake.publish(self.source.target, count)

    def post_ids(self) -> list[str]:
        """The ids of every post published, newest first."""
        return [post["id"] for post in self.fake.posts[self.source.target]]

    def newest_mark(self) -> str:
        """What the cursor's ``since_id`` holds once the newest post is read: its creation time (ms)."""
        return str(self.fake.posts[self.source.target][0]["createdAt"])

    def fail_reads(self, status: int, headers: dict[str, str] | None = None, *, echo_authorization: bool = False) -> None:
        """The next read of posts answers ``status``."""
        self.fake.fail(1, status=status, headers=headers, echo_authorization=echo_authorization)

    def rate_limit(self, wait: int | None) -> None:
        """The next request answers 429, with ``Retry-After: wait`` (None: without it)."""
        self.fake.rate_limit(1, retry_after=wait)

    def requests(self) -> list[SentRequest]:
        """Every request the fake received."""
        return [SentRequest(f"{r.path}?{r.query}", r.headers.get("Authorization")) for r in self.fake.requests]

    def page_positions(self, since: int = 0) -> list[str | None]:
        """The paging position of each read of posts, from request number ``since`` on."""
        return [re.search(r"(?:^|&)start=(\d+)", r.query).group(1) for r in self.fake.requests[since:]]


@pytest.fixture(params=[XNetwork, LinkedInNetwork], ids=["x", "linkedin"])
def network(request):
    """Each API network in turn, its fake running."""
    with request.param.running() as fake:
        yield request.param(fake)


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# cursor in, records and the next cursor out ---------------------------------------------------


def test_a_first_read_returns_the_posts_newest_first_and_a_cursor_at_the_newest(network):
    network.publish(4)
    result = network.connector().fetch(network.source, Cursor())
    assert [r.external_id for r in result.records] == network.post_ids()
    assert all(r.text and r.url and r.published_at and r.published_at.tzinfo for r in result.records)
    assert result.cursor.since_id == network.newest_mark()
    assert not result.not_modified and result.warning is None


def test_a_later_read_returns_only_what_is_new_and_nothing_new_keeps_the_cursor(network):
    network.publish(3)
    connector = network.connector()
    first = connector.fetch(network.source, Cursor())
    network.publish(2)
    second = connector.fetch(network.source, first.cursor)
    assert [r.external_id for r in second.records] == network.post_ids()[:2]
    assert second.cursor.since_id == network.newest_mark()

    third = connector.fetch(network.source, second.cursor)
    assert third.records == [] and third.units == 0
    assert third.cursor.since_id == second.cursor.since_id


def test_a_first_read_takes_one_page_only(network):
    network.publish(12)  # a back catalogue is not news (and on a metered API it would be billed)
    result = network.connector(page_size=5).fetch(network.source, Cursor())
    assert [r.external_id for r in result.records] == network.post_ids()[:5]
    assert len(network.page_positions()) == 1
    assert result.cursor.since_id == network.newest_mark()


def test_later_reads_page_until_they_reach_what_was_seen(network):
    network.publish(2)
    connector = network.connector(page_size=5)
    first = connector.fetch(network.source, Cursor())
    network.publish(12)
    before = len(network.requests())
    second = connector.fetch(network.source, first.cursor)
    assert [r.external_id for r in second.records] == network.post_ids()[:12]
    assert second.cursor.since_id == network.newest_mark()
    assert network.page_positions(before) == network.positions_of_12_in_pages_of_5
    assert connector.fetch(network.source, second.cursor).records == []


def test_only_a_metered_network_counts_billed_units(network):
    network.publish(3)
    connector = network.connector()
    result = connector.fetch(network.source, Cursor())
    assert result.units == (3 if connector.metered_provider else 0)


# configuration, host and the token ------------------------------------------------------------


def test_without_a_token_the_source_is_skipped_without_any_request(network):
    connector = network.connector(token="")
    assert not connector.configured
    with pytest.raises(NotConfiguredError, match=f"{connector.token_setting} is not set"):
        connector.fetch(network.source, Cursor())
    assert network.requests() == []


def test_the_token_travels_only_in_the_authorization_header_to_the_configured_host(network):
    network.publish(1)
    network.connector().fetch(network.source, Cursor())
    sent = network.requests()
    assert sent  # had the client gone to the network's real host, the fake would have seen nothing
    assert all(r.authorization == f"Bearer {network.token}" for r in sent)
    assert all(network.token not in r.target for r in sent)


def test_every_source_of_the_network_shares_the_api_host(network):
    connector = network.connector()
    other = SourceRef(network.source.kind, "someone-else")
    assert connector.host(network.source) == connector.host(other) == "127.0.0.1"


def test_a_wrong_token_is_fatal_names_the_setting_and_is_never_quoted(network, caplog):
    caplog.set_level(logging.DEBUG)
    network.publish(1)
    connector = network.connector(token="wrong-secret-token")
    with pytest.raises(FatalError) as raised:
        connector.fetch(network.source, Cursor())
    assert "401" in raised.value.message and connector.token_setting in raised.value.message
    assert "wrong-secret-token" not in raised.value.message
    assert "wrong-secret-token" not in caplog.text


def test_a_token_echoed_back_by_the_api_is_redacted_from_the_error(network):
    network.publish(1)
    connector = network.connector()
    first = connector.fetch(network.source, Cursor())
    network.fail_reads(500, echo_authorization=True)
    with pytest.raises(RetriableError) as raised:
        connector.fetch(network.source, first.cursor)
    assert network.token not in raised.value.message and network.token not in str(raised.value)
    assert "***" in raised.value.message


# failures: what is retried, when, and what waits for a person ---------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retriable_and_never_retried_before_retry_after(network, status):
    network.publish(1)
    connector = network.connector()
    first = connector.fetch(network.source, Cursor())
    network.fail_reads(status, {"Retry-After": "120"})
    before = len(network.requests())
    with pytest.raises(RetriableError) as raised:
        connector.fetch(network.source, first.cursor)
    assert not isinstance(raised.value, RateLimitedError)
    assert f"server error (HTTP {status})" in raised.value.message
    assert raised.value.retry_after == 120
    assert len(network.requests()) == before + 1  # no retry loop in the connector


def test_a_rate_limit_naming_its_wait_is_retried_then_and_not_at_once(network):
    network.publish(1)
    network.rate_limit(900)
    with pytest.raises(network.rate_limit_error) as raised:
        network.connector().fetch(network.source, Cursor())
    assert isinstance(raised.value, RetriableError)
    assert raised.value.retry_after == 900
    assert len(network.requests()) == 1  # no retry loop, no sleeping


def test_a_rate_limit_without_a_wait_is_retried_later_not_at_once(network):
    network.publish(1)
    network.rate_limit(None)
    with pytest.raises(RetriableError, match=network.rate_limit_words) as raised:
        network.connector().fetch(network.source, Cursor())
    assert not isinstance(raised.value, RateLimitedError)
    assert raised.value.retry_after is None
    assert len(network.requests()) == 1


@pytest.mark.parametrize(
    "status, error_class",
    [
        pytest.param(400, FatalError, id="400-bad-request"),
        pytest.param(403, FatalError, id="403-forbidden"),
        pytest.param(404, FatalError, id="404-not-found"),
        pytest.param(410, GoneError, id="410-gone"),
    ],
)
def test_client_errors_are_fatal_and_checked_again_daily(network, status, error_class):
    network.publish(1)
    connector = network.connector()
    first = connector.fetch(network.source, Cursor())
    network.fail_reads(status)
    with pytest.raises(FatalError) as raised:
        connector.fetch(network.source, first.cursor)
    assert type(raised.value) is error_class
    assert str(status) in raised.value.message
    if error_class is GoneError:
        assert raised.value.status == "disabled"
    else:
        assert raised.value.retry_after == DAY_SECONDS


def test_a_failed_read_keeps_the_cursor_it_started_from(network):
    network.publish(2)
    connector = network.connector()
    first = connector.fetch(network.source, Cursor())
    network.publish(3)
    network.fail_reads(503)
    with pytest.raises(RetriableError) as raised:
        connector.fetch(network.source, first.cursor)
    assert raised.value.cursor is not None and raised.value.cursor.since_id == first.cursor.since_id
    again = connector.fetch(network.source, raised.value.cursor)
    assert [r.external_id for r in again.records] == network.post_ids()[:3]


def test_an_unreachable_api_is_retriable(network):
    connector = network.connector(api_url=closed_port_url())
    with pytest.raises(RetriableError, match=f"could not reach {connector.network}: ConnectionError"):
        connector.fetch(network.source, Cursor())


def test_an_api_that_never_answers_is_retriable(network):
    network.publish(1)
    network.fake.hang(0.5)
    connector = network.connector(timeout=(2.0, 0.1))
    with pytest.raises(RetriableError, match=f"{connector.network} did not answer in time"):
        connector.fetch(network.source, Cursor())
