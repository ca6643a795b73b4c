"""A customer's sources as the roster writes them, normalised.

The shorthands (``bluesky``, ``mastodon``, ``youtube``, ``substack``, ``rss``, ``twitter``,
``linkedin``) become a kind, a canonical target and, for feeds, the URL to poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from config.errors import quoted
from config.names import control_character
from config.vocabulary import SOURCE_KINDS

_TWITTER_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_LINKEDIN_ORG = re.compile(r"^urn:li:organization:\d+$", re.ASCII)
_MASTODON = re.compile(r"^@?(?P<user>[A-Za-z0-9_.]+)@(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,})$")
_BLUESKY = re.compile(r"^@?(?P<handle>[A-Za-z0-9.-]+\.[A-Za-z]{2,}|did:plc:[a-z0-9]+)$")
_YOUTUBE_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_SUBSTACK = re.compile(r"^[a-z0-9-]+$")


@dataclass(frozen=True)
class SourceSpec:
    """One source of a customer: its kind, the canonical target and, for feeds, the URL to poll."""

    kind: str
    target: str
    url: str | None  # the feed URL to poll; None for API sources



def normalise_source(kind: str, value: Any) -> SourceSpec:
    """Turn one roster shorthand into a :class:`SourceSpec`; raise ``ValueError`` saying why not."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    raw = value.strip()
    if kind == "rss":
        if any(ch.isspace() for ch in raw) or control_character(raw):
            raise ValueError(f"{quoted(raw)} is not a URL: it contains spaces or control characters")
        parts = urlsplit(raw)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"{quoted(raw)} is not an http(s) URL")
        return SourceSpec("rss", raw, raw)
    if kind == "bluesky":
        match = _BLUESKY.match(raw)
        if not match:
            raise ValueError(f"{quoted(raw)} is not a Bluesky handle like jane.bsky.social")
        handle = match["handle"].lower()
        return SourceSpec("bluesky", handle, f"https://bsky.app/profile/{handle}/rss")
    if kind == "mastodon":
        match = _MASTODON.match(raw)
        if not match:
            raise ValueError(f"{quoted(raw)} is not a Mastodon account like @jane@mastodon.social")
        user, host = match["user"], match["host"].lower()
        return SourceSpec("mastodon", f"@{user}@{host}", f"https://{host}/@{user}.rss")
    if kind == "youtube":
        if not _YOUTUBE_CHANNEL.match(raw):
            raise ValueError(f"{quoted(raw)} is not a YouTube channel id (UC followed by 22 characters)")
        return SourceSpec("youtube", raw, f"https://www.youtube.com/feeds/videos.xml?channel_id={raw}")
    if kind == "substack":
        name = raw.lower()
        if not _SUBSTACK.match(name):
            raise ValueError(f"{quoted(raw)} is not a Substack publication name like janedoe")
        return SourceSpec("substack", name, f"https://{name}.substack.com/feed")
    if kind == "twitter":
        handle = raw.lstrip("@")
        if not _TWITTER_HANDLE.match(handle):
            raise ValueError(f"{quoted(raw)} is not an X username (1-15 letters, digits or _)")
        return SourceSpec("twitter", handle.lower(), None)
    if kind == "linkedin":
        if not _LINKEDIN_ORG.match(raw):
            raise ValueError(
                f"{quoted(raw)} is not an organization URN like urn:li:organization:12345 "
                "(LinkedIn lets apps read posts of organization pages only)"
            )
        return SourceSpec("linkedin", raw, None)
    raise ValueError(f"unknown source kind {quoted(kind)}; use one of {', '.join(sorted(SOURCE_KINDS))}")
