"""What only the X connector does, against a loopback fake speaking X API v2's documented shapes:
the user lookup, billing and the access-level refusal. What every API connector does is in
test_api_connector_contract.py."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest
from fakes.x_api import FakeXAPI

from connectors.base import (
    DAY_SECONDS,
    Cursor,
    FatalError,
    RetriableError,
    SourceRef,
)
from connectors.twitter import XConnector

TOKEN = "x-test-bearer-token"
SOURCE = SourceRef("twitter", "janedoe")


@pytest.fixture
def fake():
    """The network's loopback fake for the test."""
    with FakeXAPI(token=TOKEN) as running:
        yield running


def connector_for(fake, token=TOKEN, cls=XConnector):
    """A connector of class ``cls`` reading the fake with ``token``."""
    return cls(bearer_token=token, api_url=fake.base_url)


class SmallPages(XConnector):
    """The connector with small pages, so a few posts span several."""

    max_page_size = 5


def test_first_read_resolves_the_user_once_and_keeps_the_newest_id(fake):
    user = fake.add_user("janedoe", tweets=12)
    connector = connector_for(fake)
    result = connector.fetch(SOURCE, Cursor())
    assert result.cursor.external_user_id == user.id
    assert result.cursor.since_id == user.tweets[0]["id"]
    assert len(result.records) == 12 and result.units == 12
    record = result.records[0]
    assert record.external_id == user.tweets[0]["id"]
    assert record.url == f"https://x.com/janedoe/status/{record.external_id}"
    assert record.text.startswith("Shipping & learning")  # X escapes &, < and > in text
    assert record.published_at == datetime(2026, 11, 20, 11, tzinfo=timezone.utc)

    fake.post("janedoe", 2)
    again = connector.fetch(SOURCE, result.cursor)
    assert [r.external_id for r in again.records] == [t["id"] for t in user.tweets[:2]]
    lookups = [r for r in fake.requests if "/by/username/" in r.path]
    assert len(lookups) == 1
    assert fake.timeline_calls()[-1].params["since_id"] == result.cursor.since_id


def test_a_failed_first_read_keeps_the_resolved_user_id(fake):
    user = fake.add_user("janedoe", tweets=3)
    fake.fail_timelines(1)
    connector = connector_for(fake)
    with pytest.raises(RetriableError) as raised:
        connector.fetch(SOURCE, Cursor())
    assert raised.value.cursor is not None and raised.value.cursor.external_user_id == user.id
    assert raised.value.cursor.since_id is None  # nothing was read: the cursor did not move
    connector.fetch(SOURCE, raised.value.cursor)
    assert len([r for r in fake.requests if "/by/username/" in r.path]) == 1


def test_a_limit_is_never_exceeded(fake):
    fake.add_user("janedoe", tweets=2)
    connector = connector_for(fake, cls=SmallPages)
    first = connector.fetch(SOURCE, Cursor())
    fake.post("janedoe", 20)
    served_before = fake.posts_served
    result = connector.fetch(SOURCE, first.cursor, limit=8)
    assert result.units == len(result.records) == 5  # a second page of 3 is under X's minimum of 5
    assert fake.posts_served - served_before == 5


def test_access_level_refusal_is_a_clear_error_retried_daily(fake):
    fake.add_user("janedoe", tweets=1)
    fake.refuse_access_level()
    with pytest.raises(FatalError) as raised:
        connector_for(fake).fetch(SOURCE, Cursor(external_user_id="1000"))
    assert "access level" in raised.value.message and "453" in raised.value.message
    assert raised.value.retry_after == DAY_SECONDS


def test_tweepys_debug_log_of_the_headers_never_shows_the_token(fake, caplog):
    # tweepy logs request headers at DEBUG; the contract checks error messages, this the log.
    fake.add_user("janedoe", tweets=1)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FatalError):
        connector_for(fake, token="wrong-secret-token").fetch(SOURCE, Cursor())
    assert "Authorization" in caplog.text and "wrong-secret-token" not in caplog.text


def test_an_unknown_user_is_a_fatal_error(fake):
    with pytest.raises(FatalError, match="no user @nobody"):
        connector_for(fake).fetch(SourceRef("twitter", "nobody"), Cursor())
