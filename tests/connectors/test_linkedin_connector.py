"""The LinkedIn connector against a loopback fake of the Posts API."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from fakes.linkedin_api import FakeLinkedInAPI

from connectors.base import (
    Cursor,
    FatalError,
    NotConfiguredError,
    RetriableError,
    SourceRef,
)
from connectors.linkedin import LinkedInConnector, commentary_text

TOKEN = "li-test-access-token"
ORG = "urn:li:organization:2414183"
SOURCE = SourceRef("linkedin", ORG)


@pytest.fixture
def fake():
    with FakeLinkedInAPI(token=TOKEN) as running:
        yield running


def connector_for(fake, token=TOKEN, cls=LinkedInConnector):
    return cls(access_token=token, api_url=fake.base_url)


class SmallPages(LinkedInConnector):
    max_page_size = 3


def test_posts_are_read_with_the_documented_request(fake):
    fake.publish(ORG, 4)
    result = connector_for(fake).fetch(SOURCE, Cursor())
    assert [r.external_id for r in result.records] == [p["id"] for p in fake.posts[ORG]]
    record = result.records[0]
    assert record.text == "Proud of our team (again)! Thanks Acme Corp #growth"
    assert record.url == f"https://www.linkedin.com/feed/update/{record.external_id}/"
    assert record.author == ORG and record.published_at is not None

    request = fake.requests[0]
    assert "author=urn%3Ali%3Aorganization%3A2414183" in request.query  # the URN is URL-encoded
    assert parse_qs(request.query)["q"] == ["author"]
    assert parse_qs(request.query)["sortBy"] == ["CREATED"]  # the default, LAST_MODIFIED, puts edited posts first
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert len(request.headers["LinkedIn-Version"]) == 6
    assert TOKEN not in request.query  # the token never travels in the URL


def test_later_reads_page_until_they_reach_what_was_seen(fake):
    fake.publish(ORG, 2)
    connector = connector_for(fake, cls=SmallPages)
    first = connector.fetch(SOURCE, Cursor())
    fake.publish(ORG, 7)
    second = connector.fetch(SOURCE, first.cursor)
    assert len(second.records) == 7
    assert [parse_qs(r.query)["start"][0] for r in fake.requests[1:]] == ["0", "3", "6"]
    third = connector.fetch(SOURCE, second.cursor)
    assert third.records == []


def test_an_edited_old_post_does_not_hide_new_ones(fake):
    fake.publish(ORG, 3)
    connector = connector_for(fake, cls=SmallPages)
    first = connector.fetch(SOURCE, Cursor())
    fake.publish(ORG, 5)
    fake.edit(ORG, 7, at=datetime(2026, 12, 1, tzinfo=timezone.utc))  # the oldest post, edited after all of them
    second = connector.fetch(SOURCE, first.cursor)
    assert [r.external_id for r in second.records] == [p["id"] for p in fake.posts[ORG][:5]]


def test_a_post_sharing_the_cursors_millisecond_is_not_dropped(fake):
    moment = datetime(2026, 11, 21, 8, 30, 0, 123000, tzinfo=timezone.utc)
    fake.publish(ORG, 1, at=moment)
    connector = connector_for(fake)
    first = connector.fetch(SOURCE, Cursor())
    fake.publish(ORG, 1, at=moment)  # created in the same millisecond, seen only now
    second = connector.fetch(SOURCE, first.cursor)
    assert [r.external_id for r in second.records] == [fake.posts[ORG][0]["id"]]
    third = connector.fetch(SOURCE, second.cursor)
    assert third.records == []  # neither post is read again


def test_a_403_names_the_missing_access(fake):
    fake.publish(ORG, 1)
    fake.deny_access()
    with pytest.raises(FatalError) as raised:
        connector_for(fake).fetch(SOURCE, Cursor())
    message = raised.value.message
    assert "Community Management API" in message and "r_organization_social" in message
    assert "ACCESS_DENIED" in message and "serviceErrorCode 100" in message


def test_a_bad_token_is_fatal_and_never_quoted(fake):
    with pytest.raises(FatalError) as raised:
        connector_for(fake, token="expired-secret").fetch(SOURCE, Cursor())
    assert "401" in raised.value.message and "LINKEDIN_ACCESS_TOKEN" in raised.value.message
    assert "expired-secret" not in raised.value.message


def test_throttling_is_retriable(fake):
    fake.rate_limit()
    with pytest.raises(RetriableError, match="rate limited"):
        connector_for(fake).fetch(SOURCE, Cursor())


def test_without_a_token_linkedin_is_skipped_without_any_request(fake):
    with pytest.raises(NotConfiguredError, match="LINKEDIN_ACCESS_TOKEN is not set"):
        connector_for(fake, token="").fetch(SOURCE, Cursor())
    assert fake.requests == []


@pytest.mark.parametrize(
    "commentary, expected",
    [
        pytest.param("Hello @[Jane Doe](urn:li:person:abc)", "Hello Jane Doe", id="mention"),
        pytest.param("{hashtag|\\#|launch} day", "#launch day", id="hashtag"),
        pytest.param("50\\% off \\(today\\)", "50\\% off (today)", id="escapes"),
    ],
)
def test_little_text_commentary_becomes_plain(commentary, expected):
    assert commentary_text(commentary) == expected
