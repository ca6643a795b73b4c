"""A fast reader for plain, well-formed RSS 2.0 and Atom 1.0 feeds, with feedparser as the fallback.

feedparser is thorough (it recovers broken feeds, guesses encodings, maps dozens of extensions),
and that thoroughness costs about a millisecond of one core per small feed: in a polling pass
over thousands of feeds, parsing is the wall. Most feeds are plain UTF-8 RSS 2.0 or Atom 1.0,
for which the C XML parser of the standard library builds the tree ten times faster.

:func:`fast_parse` reads such a feed into the same shape feedparser returns (``feed``,
``entries``, ``version``, ``bozo``), holding exactly the values feedparser's path would give the
fields :mod:`connectors.feeds` reads (id, link, title, summary, content, dates, author); its
entries are plain dictionaries, cheaper to read than feedparser's own. Anything
it is not sure to read the way feedparser does, it declines (returns None) and the caller asks
feedparser: a DOCTYPE (so no entity is ever declared, let alone expanded), an encoding other than
UTF-8, a media type feedparser would flag, ``xml:base``, markup in a title, an element or
attribute it does not know in the parts it reads, a field given twice, an empty content, an
author with an e-mail address, a non-ASCII link, C1 control characters. ``tests/connectors/test_feed_fastpath_corpus.py``
holds the two paths equal on feedparser's own test corpus.

Bounds: the body is already capped by the HTTP client (``HttpLimits.max_body_bytes``); the tree
of a capped body is a bounded multiple of it, and without a DOCTYPE nothing expands.
"""

from __future__ import annotations

import re
from typing import Any, Mapping
from xml.etree import ElementTree

from feedparser import FeedParserDict

# feedparser's own date reader and URI join: dates and resolved links and ids of both paths are
# then equal by construction (tests/connectors/test_feed_fastpath_corpus.py keeps them so).
from feedparser.datetimes import _parse_date as feedparser_date
from feedparser.urls import _urljoin as feedparser_urljoin

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC = "{http://purl.org/dc/elements/1.1/}"

#: RSS item children read, by what feedparser files them under.
_RSS_ITEM_FIELDS = {
    "title": "title",
    "link": "link",
    "guid": "id",
    "description": "summary",
    _CONTENT_ENCODED: "content",
    "pubDate": "published",
    _DC + "date": "updated",
    "author": "author",
    _DC + "creator": "author",
}
#: RSS item children feedparser files under fields not read here (comments, enclosures, tags).
_RSS_ITEM_IGNORED = frozenset({
    "category", "comments", "enclosure",
    "{http://wellformedweb.org/CommentAPI/}commentRss", "{http://wellformedweb.org/CommentAPI/}comment",
    "{http://purl.org/rss/1.0/modules/slash/}comments",
})
#: RSS channel children that touch no entry and not the feed's author.
_RSS_CHANNEL_IGNORED = frozenset({
    "title", "link", "description", "language", "copyright", "lastBuildDate", "pubDate", "generator",
    "docs", "ttl", "image", "category", "webMaster", "cloud", "rating", "skipHours", "skipDays",
    _ATOM + "link", "{http://purl.org/rss/1.0/modules/syndication/}updatePeriod",
    "{http://purl.org/rss/1.0/modules/syndication/}updateFrequency",
})
_ATOM_ENTRY_FIELDS = {
    _ATOM + "id": "id",
    _ATOM + "title": "title",
    _ATOM + "summary": "summary",
    _ATOM + "content": "content",
    _ATOM + "published": "published",
    _ATOM + "updated": "updated",
}
_ATOM_FEED_IGNORED = frozenset(_ATOM + name for name in (
    "title", "subtitle", "id", "updated", "link", "generator", "icon", "logo", "rights", "category",
))
#: Atom text constructs read as they are: plain text, or HTML escaped in the element's text.
_ATOM_TEXT_TYPES = frozenset({"text", "html"})
_FEED_MEDIA_TYPES = frozenset({"application/xml", "application/rss+xml", "application/atom+xml", "text/xml"})
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_UTF8_DECLARED = re.compile(rb"""encoding\s*=\s*["']utf-8["']""", re.IGNORECASE)
# feedparser's repair of `?a=1&amp;b=2` style links (mixin.py, "query variables in urls").
_BROKEN_REFERENCE = re.compile("&([A-Za-z0-9_]+);")
_C1_CONTROLS = re.compile("[\x80-\x9f]")


class Decline(Exception):
    """The feed holds something :func:`fast_parse` does not read exactly as feedparser does."""


def fast_parse(body: bytes, headers: Mapping[str, str], url: str) -> FeedParserDict | None:
    """The feed as feedparser would give it (the fields :mod:`connectors.feeds` reads), or None
    when the fast path is not sure and feedparser must read it. ``headers`` are the response's
    (any case); ``url`` the address that answered, against which feedparser resolves links."""
    try:
        _check_envelope(body, headers)
        root = ElementTree.fromstring(body)
        base = url  # feedparser's base is the Content-Location connectors.feeds gives it: the URL
        if root.tag == "rss":
            return _read_rss(root, base)
        if root.tag == _ATOM + "feed":
            return _read_atom(root, base)
        return None
    except (Decline, ElementTree.ParseError, ValueError):
        return None


def _check_envelope(body: bytes, headers: Mapping[str, str]) -> None:
    """Decline unless feedparser would decode ``body`` as UTF-8 without a remark and run no DTD."""
    content_type = ""
    for key, value in headers.items():
        if key.lower() == "content-type":
            content_type = value
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type not in _FEED_MEDIA_TYPES:
        raise Decline("media type")  # feedparser flags a non-XML type, or guesses the encoding
    charset = ""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    if charset not in ("", "utf-8") or (media_type == "text/xml" and charset != "utf-8"):
        raise Decline("charset")  # text/xml without a charset is US-ASCII to feedparser
    if not body.startswith(b"<"):
        raise Decline("prolog")  # a byte-order mark, whitespace, another encoding
    declaration = _XML_DECLARATION.match(body)
    if declaration and b"encoding" in declaration.group() and not _UTF8_DECLARED.search(declaration.group()):
        raise Decline("declared encoding")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body or b"xml:base" in body:
        raise Decline("DTD or xml:base")


def _text(element: ElementTree.Element) -> str:
    """An element's text as feedparser hands it on: no child elements, stripped, mis-decoded
    UTF-8 repaired as feedparser repairs it; C1 controls (which it remaps) are declined."""
    if len(element):
        raise Decline("markup in a text field")
    value = (element.text or "").strip()
    if not value.isascii():
        try:  # feedparser's repair of UTF-8 read as Latin-1 (mixin.py, pop)
            value = value.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        if _C1_CONTROLS.search(value):
            raise Decline("C1 control characters")
    return value


def _resolved(value: str, base: str) -> str:
    """A link or permalink id resolved against the feed's URL as feedparser resolves it (a
    non-ASCII one is declined: feedparser resolves before it repairs the text)."""
    if not value.isascii():
        raise Decline("non-ASCII link")
    return feedparser_urljoin(base, value)


def _web_link_text(value: str, base: str) -> str:
    """An RSS ``<link>``'s text as feedparser stores it (with its repair of ``&amp;`` in queries)."""
    if not value:
        return ""  # feedparser resolves only a link that says something
    resolved = _resolved(value, base)
    if "&" not in resolved:
        return resolved
    return _BROKEN_REFERENCE.sub(r"&\g<1>", resolved.replace("&amp;", "&"))


def _single_fields(children: list[ElementTree.Element], fields: Mapping[str, str],
                   ignored: frozenset[str]) -> dict[str, ElementTree.Element]:
    """The children that feed the read fields, each at most once; anything unknown declines."""
    found: dict[str, ElementTree.Element] = {}
    for child in children:
        field = fields.get(child.tag)
        if field is None:
            if child.tag in ignored and not len(child):  # what it nests could be read as the entry's
                continue
            raise Decline(f"unknown element {child.tag}")
        if field in found:
            raise Decline(f"{field} given twice")
        found[field] = child
    return found


def _dated(entry: dict[str, Any], field: str, element: ElementTree.Element | None) -> None:
    if element is not None:
        entry[field] = _text(element)
        entry[field + "_parsed"] = feedparser_date(entry[field])


def _author_name(value: str) -> str:
    if "@" in value or "<" in value or "&" in value:
        raise Decline("author with an address")  # feedparser splits name and e-mail apart
    return value


def _title(element: ElementTree.Element) -> str:
    value = _text(element)
    if "<" in value or "&" in value:
        raise Decline("markup in a title")
    return value


def _read_rss(root: ElementTree.Element, base: str) -> FeedParserDict:
    if root.get("version") != "2.0" or len(root) != 1 or root[0].tag != "channel":
        raise Decline("not a plain RSS 2.0 document")
    entries = []
    for child in root[0]:
        if child.tag == "item":
            entries.append(_rss_item(child, base))
        elif child.tag not in _RSS_CHANNEL_IGNORED:
            raise Decline(f"unknown channel element {child.tag}")  # an author, an extension
    return FeedParserDict(feed=FeedParserDict(), entries=entries, version="rss20", bozo=False)


def _rss_item(item: ElementTree.Element, base: str) -> dict[str, Any]:
    if item.attrib:
        raise Decline("item attributes")
    found = _single_fields(list(item), _RSS_ITEM_FIELDS, _RSS_ITEM_IGNORED)
    if any(element.attrib for field, element in found.items() if field != "id"):
        raise Decline("attributes on a field")  # feedparser reads a type, a mode="base64"...
    entry: dict[str, Any] = {}
    if "title" in found:
        entry["title"] = _title(found["title"])
    if "summary" in found:
        entry["summary"] = _text(found["summary"])
    if "content" in found:
        value = _text(found["content"])
        if not value:
            raise Decline("empty content")
        entry["content"] = [{"type": "text/html", "value": value}]
    if "author" in found:
        entry["author"] = _author_name(_text(found["author"]))
    _dated(entry, "published", found.get("published"))
    _dated(entry, "updated", found.get("updated"))
    guid = found.get("id")
    if guid is not None:
        permalink = guid.get("isPermaLink", "true")
        if set(guid.attrib) - {"isPermaLink"}:
            raise Decline("guid attributes")
        value = _text(guid)
        entry["id"] = _resolved(value, base) if permalink == "true" and value else value
        if permalink == "true" and "link" not in found:
            entry["link"] = entry["id"]
    if "link" in found:
        entry["link"] = _web_link_text(_text(found["link"]), base)
    return entry


def _read_atom(root: ElementTree.Element, base: str) -> FeedParserDict:
    feed = FeedParserDict()
    entries = []
    for child in root:
        if child.tag == _ATOM + "entry":
            entries.append(_atom_entry(child, base))
        elif child.tag == _ATOM + "author":
            if "author" in feed:
                raise Decline("two feed authors")
            feed["author"] = _atom_author(child)
        elif child.tag not in _ATOM_FEED_IGNORED:
            raise Decline(f"unknown feed element {child.tag}")
    return FeedParserDict(feed=feed, entries=entries, version="atom10", bozo=False)


def _atom_author(element: ElementTree.Element) -> str:
    names = [child for child in element if child.tag == _ATOM + "name"]
    if len(names) != 1 or any(child.tag not in (_ATOM + "name", _ATOM + "uri") for child in element):
        raise Decline("author without exactly one name, or with an e-mail")
    return _author_name(_text(names[0]))


def _atom_text(element: ElementTree.Element, *, title: bool = False) -> str:
    kind = element.get("type", "text")
    if kind not in _ATOM_TEXT_TYPES or set(element.attrib) - {"type"} or (title and kind != "text"):
        raise Decline("Atom text construct of another type")
    return _title(element) if title else _text(element)


def _atom_entry(element: ElementTree.Element, base: str) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    alternate: str | None = None
    fields: list[ElementTree.Element] = []
    for child in element:
        if child.tag == _ATOM + "link":
            href = child.get("href")
            if not href or set(child.attrib) - {"href", "rel", "type", "title", "hreflang", "length"}:
                raise Decline("link without href")
            rel = child.get("rel", "alternate")
            if rel == "alternate":
                if child.get("type", "text/html") != "text/html":
                    raise Decline("alternate link of another type")
                alternate = _resolved(href, base)  # the last one wins, as in feedparser
        elif child.tag == _ATOM + "author":
            if "author" in entry:
                raise Decline("two authors")
            entry["author"] = _atom_author(child)
        elif child.tag != _ATOM + "category":
            fields.append(child)
    found = _single_fields(fields, _ATOM_ENTRY_FIELDS, frozenset())
    if any(found[field].attrib for field in ("id", "published", "updated") if field in found):
        raise Decline("attributes on a field")
    if "title" in found:
        entry["title"] = _atom_text(found["title"], title=True)
    if "summary" in found:
        entry["summary"] = _atom_text(found["summary"])
    if "content" in found:
        value = _atom_text(found["content"])
        if not value:
            raise Decline("empty content")
        entry["content"] = [{"value": value}]
    _dated(entry, "published", found.get("published"))
    _dated(entry, "updated", found.get("updated"))
    if "id" in found:
        value = _text(found["id"])
        # feedparser reads an Atom id as a permalink guid: resolved, and the link when none is given
        entry["id"] = _resolved(value, base) if value else value
        entry["link"] = entry["id"]
    if alternate is not None:
        entry["link"] = alternate
    return entry
