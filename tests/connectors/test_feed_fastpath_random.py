"""Random feeds made of what the fast path accepts, and of what it should decline: whatever it
reads, it reads as feedparser's path does (records, warning or error alike)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.feed_fastpath import fast_parse
from connectors.feeds import FeedConnector

URL = "http://feed.example/blog/feed.xml"
HEADERS = {"Content-Type": "application/xml"}

text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x3000, exclude_categories=("Cs",)) | st.sampled_from("<&>\"' \t\n"), max_size=30)
links = st.sampled_from([
    "https://blog.example/a", "/relative/path", "post/2?x=1&amp;y=2", "HTTPS://Blog.Example:443/p?utm_source=x#f", "javascript:alert(1)",
    "  https://blog.example/padded  ", "", "tag:blog.example,2026:1", "urn:uuid:1234", "http:////blog.example/slashes",
])
dates = st.sampled_from([
    "Fri, 20 Nov 2026 12:00:00 GMT", "20 Nov 2026 12:00:00 +0200", "Fri, 20 Nov 26 12:00 EST", "2026-11-20T12:00:00Z",
    "2026-11-20T12:00:00.75+02:00", "2026-11-20", "9999-12-31T23:59:59-01:00", "not a date", "",
])
markup = st.sampled_from(["", "<p>Hi <b>there</b></p>", "<script>x()</script>Real", "a &amp; b", "&lt;b&gt;escaped&lt;/b&gt;"])


def cdata_or_escaped(value: str, as_cdata: bool) -> str:
    return f"<![CDATA[{value}]]>" if as_cdata and "]]>" not in value else escape(value)


@st.composite
def rss_item(draw) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(f"<title>{escape(draw(text))}</title>")
    if draw(st.booleans()):
        parts.append(f"<link>{escape(draw(links))}</link>")
    if draw(st.booleans()):
        permalink = draw(st.sampled_from(["", " isPermaLink='false'", " isPermaLink='true'", " isPermaLink='False'"]))
        parts.append(f"<guid{permalink}>{escape(draw(st.sampled_from(['g-1', ' spaced ', 'https://blog.example/g', ''])))}</guid>")
    if draw(st.booleans()):
        parts.append(f"<description>{cdata_or_escaped(draw(markup) + draw(text), draw(st.booleans()))}</description>")
    if draw(st.booleans()):
        parts.append(f"<content:encoded>{cdata_or_escaped(draw(markup), draw(st.booleans()))}</content:encoded>")
    if draw(st.booleans()):
        parts.append(f"<pubDate>{escape(draw(dates))}</pubDate>")
    if draw(st.booleans()):
        parts.append(f"<dc:date>{escape(draw(dates))}</dc:date>")
    if draw(st.booleans()):
        parts.append(f"<dc:creator>{escape(draw(st.sampled_from(['Ann Lee', 'ann@example.com (Ann)', ' Bo '])))}</dc:creator>")
    if draw(st.booleans()):
        parts.append("<category>c</category><comments>https://blog.example/c</comments>")
    return "<item>" + "".join(draw(st.permutations(parts))) + "</item>"


@st.composite
def atom_entry(draw) -> str:
    parts = []
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["", " type='text'", " type='html'"]))
        parts.append(f"<title{kind}>{escape(draw(text))}</title>")
    if draw(st.booleans()):
        parts.append(f"<id>{escape(draw(links))}</id>")
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["", " rel='alternate'", " rel='self'", " rel='enclosure'"]))
        parts.append(f"<link{rel} href={quoteattr(draw(links))}/>")
    for name in ("summary", "content"):
        if draw(st.booleans()):
            kind = draw(st.sampled_from(["", " type='text'", " type='html'"]))
            parts.append(f"<{name}{kind}>{cdata_or_escaped(draw(markup) + draw(text), draw(st.booleans()))}</{name}>")
    for name in ("published", "updated"):
        if draw(st.booleans()):
            parts.append(f"<{name}>{escape(draw(dates))}</{name}>")
    if draw(st.booleans()):
        parts.append(f"<author><name>{escape(draw(st.sampled_from(['Ann Lee', 'Bo'])))}</name></author>")
    return "<entry>" + "".join(draw(st.permutations(parts))) + "</entry>"


feeds = st.one_of(
    st.lists(rss_item(), max_size=4).map(lambda items: (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>' + "".join(items) + "</channel></rss>")),
    st.lists(atom_entry(), max_size=4).map(lambda entries: (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>' + "".join(entries) + "</feed>")),
)


def outcome(parsed):
    try:
        return FeedConnector.records_of(parsed, URL)
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return (type(error).__name__, str(error))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds)
def test_a_random_feed_is_declined_or_read_as_feedparser_reads_it(document):
    body = document.encode("utf-8")
    fast = fast_parse(body, HEADERS, URL)
    if fast is not None:
        assert outcome(fast) == outcome(FeedConnector.parse_with_feedparser(body, HEADERS, URL))


def test_the_random_feeds_mostly_take_the_fast_path():
    taken = []

    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(feeds)
    def count(document):
        taken.append(fast_parse(document.encode("utf-8"), HEADERS, URL) is not None)

    count()
    assert sum(taken) >= len(taken) // 10, f"{sum(taken)} of {len(taken)}"  # the property above is not vacuous
