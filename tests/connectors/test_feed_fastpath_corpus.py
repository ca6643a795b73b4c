"""The fast feed path reads every file of feedparser's own corpus as feedparser does, or declines it.

For each file, under each feed media type, either :func:`connectors.feed_fastpath.fast_parse`
declines (the connector then asks feedparser) or the records the connector makes of its result
equal the records it makes of feedparser's. The corpus must also prove something: a good share
of it takes the fast path, RSS and Atom alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.feed_fastpath import fast_parse
from connectors.feeds import FeedConnector

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "feedparser_corpus"
FILES = sorted(path for path in CORPUS.rglob("*.xml"))
CONTENT_TYPES = ("application/xml", "application/rss+xml; charset=utf-8", "text/xml; charset=UTF-8")
BASE = "http://feed.example/corpus/feed.xml"


def outcome(parsed, url: str):
    """What the connector makes of a parse: its records and warning, or the error it raises."""
    try:
        return FeedConnector.records_of(parsed, url)
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return (type(error).__name__, str(error))


def both(body: bytes, content_type: str):
    headers = {"Content-Type": content_type}
    fast = fast_parse(body, headers, BASE)
    slow = outcome(FeedConnector.parse_with_feedparser(body, headers, BASE), BASE)
    return (None if fast is None else outcome(fast, BASE)), slow


def test_the_corpus_is_there():
    assert len(FILES) > 1_500


@pytest.mark.parametrize("content_type", [pytest.param(t, id=t.split(";")[0]) for t in CONTENT_TYPES])
def test_every_corpus_file_is_declined_or_read_as_feedparser_reads_it(content_type):
    taken = {"rss": 0, "atom": 0}
    mismatches = []
    for path in FILES:
        fast, slow = both(path.read_bytes(), content_type)
        if fast is None:
            continue
        taken["atom" if b"http://www.w3.org/2005/Atom" in path.read_bytes()[:2000] else "rss"] += 1
        if fast != slow:
            mismatches.append(f"{path.relative_to(CORPUS)}: fast {fast!r} != feedparser {slow!r}")
    assert mismatches == []
    assert taken["rss"] >= 50 and taken["atom"] >= 50, taken
