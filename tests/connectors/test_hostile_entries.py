"""One odd entry is dropped or cleaned alone: an unusable date, nested CDATA, a post without an id
or with a garbage timestamp never fails the whole read (and so every later read) of its source."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connectors.base import SourceRef
from connectors.feeds import FeedConnector
from connectors.linkedin import LinkedInConnector
from connectors.text import plain_text
from connectors.twitter import XConnector

DATED = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def atom(*entries: tuple[str, str]) -> bytes:
    """An Atom feed of ``(id, updated)`` entries."""
    body = "".join(f"<entry><title>{i}</title><id>urn:x:{i}</id><updated>{u}</updated></entry>" for i, u in entries)
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{body}</feed>'.encode()


def records(body: bytes):
    """The records a feed body gives, and its warning."""
    return FeedConnector.records_of(FeedConnector.parse(body, {}, "http://feed.example/"), "http://feed.example/")


@pytest.mark.parametrize(
    "updated",
    [
        pytest.param("9999-12-31T23:59:59-01:00", id="year-10000-in-utc"),
        pytest.param("0001-01-01T00:00:00+01:00", id="year-0-in-utc"),
        pytest.param("not a date at all", id="garbage"),
    ],
)
def test_an_unusable_date_leaves_its_entry_undated_and_the_rest_read(updated):
    found, _ = records(atom(("odd", updated), ("fine", "2026-11-20T12:00:00Z")))
    by_id = {r.external_id.removeprefix("urn:x:"): r for r in found}
    assert set(by_id) == {"odd", "fine"}
    assert by_id["odd"].published_at is None
    assert by_id["fine"].published_at == DATED


@pytest.mark.parametrize(
    "markup, expected",
    [
        pytest.param("&lt;p&gt;Hello &lt;![CDATA[&lt;script&gt;alert(1)</p>]]&gt;", "Hello", id="nested-cdata-left-escaped"),
        pytest.param("<![CDATA[<b>bold</b>]]> tail", "bold tail", id="cdata-section-read-as-markup"),
        pytest.param("before ]]> after", "before after", id="stray-cdata-end"),
        pytest.param("&lt;!channel&gt; all hands", "<!channel> all hands", id="escaped-text-stays-text"),
    ],
)
def test_plain_text_keeps_no_cdata_remnant(markup, expected):
    assert plain_text(markup) == expected


def test_a_nested_cdata_section_in_content_encoded_leaves_no_markup():
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        b"<title>t</title><item><title>a</title><guid>g1</guid>"
        b"<content:encoded><![CDATA[<p>Hello <![CDATA[<script>]]>world</p>]]></content:encoded></item></channel></rss>"
    )
    (record,), _ = records(body)
    assert "CDATA" not in record.text and "<" not in record.text and "]]>" not in record.text
    assert record.text.startswith("Hello")


def test_an_x_post_without_an_id_or_with_a_garbage_time_is_handled_alone():
    source = SourceRef("twitter", "janedoe")
    assert XConnector._record(source, {"text": "no id"}) is None
    record = XConnector._record(source, {"id": "1", "text": "hi", "created_at": "9999-99-99T99:99"})
    assert record is not None and record.published_at is None and record.text == "hi"


def test_a_linkedin_post_without_an_id_or_with_a_garbage_time_is_handled_alone():
    assert LinkedInConnector._record({"commentary": "no id"}) is None
    for created in ("soon", 10**20, -5, None):
        record = LinkedInConnector._record({"id": "urn:li:share:1", "commentary": "hi", "createdAt": created})
        assert record is not None and record.published_at is None, created
