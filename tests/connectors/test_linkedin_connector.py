"""What only the LinkedIn connector does, against a loopback fake of the Posts API: the documented
request, the cursor kept by creation time, little-text commentary. What every API connector does
is in test_api_connector_contract.py."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from fakes.linkedin_api import FakeLinkedInAPI

from connectors.base import (
    Cursor,
    FatalError,
    SourceRef,
)
from connectors.linkedin import LinkedInConnector, commentary_text

TOKEN = "li-test-access-token"
ORG = "urn:li:organization:2414183"
SOURCE = SourceRef("linkedin", ORG)


@pytest.fixture
def fake():
    """The network's loopback fake for the test."""
    with FakeLinkedInAPI(token=TOKEN) as running:
        yield running


def connector_for(fake, token=TOKEN, cls=LinkedInConnector):
    """A connector of class ``cls`` reading the fake with ``token``."""
    return cls(access_token=token, api_url=fake.base_url)


class SmallPages(LinkedInConnector):
    """The connector with small pages, so a few posts span several."""

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
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert len(request.headers["LinkedIn-Version"]) == 6


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
