"""The roster file: which teams, members, customers and sources strongtie tracks.

:func:`load_roster` validates the whole YAML document before anything is imported, so an import
is all-or-nothing. Every problem is reported, each naming the team, the customer and the field.
Source shorthands (``bluesky``, ``mastodon``, ``youtube``, ``substack``, ``rss``, ``twitter``,
``linkedin``) are normalised here into a kind, a canonical target and, for feeds, the URL to poll.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from config.errors import UserError
from config.vocabulary import SOURCE_KINDS

DEFAULT_TOP_N = 20

_SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TWITTER_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_LINKEDIN_ORG = re.compile(r"^urn:li:organization:\d+$")
_MASTODON = re.compile(r"^@?(?P<user>[A-Za-z0-9_.]+)@(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,})$")
_BLUESKY = re.compile(r"^@?(?P<handle>[A-Za-z0-9.-]+\.[A-Za-z]{2,}|did:plc:[a-z0-9]+)$")
_YOUTUBE_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_SUBSTACK = re.compile(r"^[a-z0-9-]+$")
_DIGEST_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")


# Column sizes in the store; longer values are refused here rather than failing at insert.
MAX_NAME = 200
MAX_CHANNEL = 40
MAX_TARGET = 500

TEAM_FIELDS = frozenset({"name", "slack_channel", "timezone", "digest_time", "top_n", "members", "customers"})
MEMBER_FIELDS = frozenset({"slack_user", "name"})
CUSTOMER_FIELDS = frozenset({"name", "company", "owner", "revenue", "sources"})


def name_key(name: str) -> str:
    """How names are compared everywhere: surrounding quotes dropped, spaces folded, case ignored."""
    return " ".join(name.strip().strip("\"'“”‘’").split()).casefold()


class RosterError(UserError, ValueError):
    """The roster file is unusable; ``problems`` lists every issue found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"roster has {len(problems)} problem(s); nothing was imported:\n{listing}")


@dataclass(frozen=True)
class SourceSpec:
    """One source of a customer: its kind, the canonical target and, for feeds, the URL to poll."""

    kind: str
    target: str
    url: str | None  # the feed URL to poll; None for API sources


@dataclass(frozen=True)
class MemberSpec:
    """An account manager of a team, by Slack user id."""

    slack_user: str
    name: str


@dataclass(frozen=True)
class CustomerSpec:
    """A customer as the roster lists them, with the sources to read."""

    name: str
    company: str
    owner: str | None
    revenue: float
    sources: tuple[SourceSpec, ...] = ()


@dataclass(frozen=True)
class TeamSpec:
    """A team: its digest channel, time zone and time, how many customers it tracks, its members
    and customers."""

    name: str
    slack_channel: str
    timezone: str
    digest_time: str
    top_n: int
    members: tuple[MemberSpec, ...] = ()
    customers: tuple[CustomerSpec, ...] = ()


@dataclass(frozen=True)
class Roster:
    """A whole validated roster file."""

    teams: tuple[TeamSpec, ...] = field(default_factory=tuple)


def normalise_source(kind: str, value: Any) -> SourceSpec:
    """Turn one roster shorthand into a :class:`SourceSpec`; raise ``ValueError`` saying why not."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    raw = value.strip()
    if kind == "rss":
        parts = urlsplit(raw)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"{raw!r} is not an http(s) URL")
        return SourceSpec("rss", raw, raw)
    if kind == "bluesky":
        match = _BLUESKY.match(raw)
        if not match:
            raise ValueError(f"{raw!r} is not a Bluesky handle like jane.bsky.social")
        handle = match["handle"].lower()
        return SourceSpec("bluesky", handle, f"https://bsky.app/profile/{handle}/rss")
    if kind == "mastodon":
        match = _MASTODON.match(raw)
        if not match:
            raise ValueError(f"{raw!r} is not a Mastodon account like @jane@mastodon.social")
        user, host = match["user"], match["host"].lower()
        return SourceSpec("mastodon", f"@{user}@{host}", f"https://{host}/@{user}.rss")
    if kind == "youtube":
        if not _YOUTUBE_CHANNEL.match(raw):
            raise ValueError(f"{raw!r} is not a YouTube channel id (UC followed by 22 characters)")
        return SourceSpec("youtube", raw, f"https://www.youtube.com/feeds/videos.xml?channel_id={raw}")
    if kind == "substack":
        name = raw.lower()
        if not _SUBSTACK.match(name):
            raise ValueError(f"{raw!r} is not a Substack publication name like janedoe")
        return SourceSpec("substack", name, f"https://{name}.substack.com/feed")
    if kind == "twitter":
        handle = raw.lstrip("@")
        if not _TWITTER_HANDLE.match(handle):
            raise ValueError(f"{raw!r} is not an X username (1-15 letters, digits or _)")
        return SourceSpec("twitter", handle.lower(), None)
    if kind == "linkedin":
        if not _LINKEDIN_ORG.match(raw):
            raise ValueError(
                f"{raw!r} is not an organization URN like urn:li:organization:12345 "
                "(LinkedIn lets apps read posts of organization pages only)"
            )
        return SourceSpec("linkedin", raw, None)
    raise ValueError(f"unknown source kind {kind!r}; use one of {', '.join(sorted(SOURCE_KINDS))}")


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, field_name: str, message: str) -> None:
        self.items.append(f"{where}, field '{field_name}': {message}")


def _where(team: str, customer: str | None = None) -> str:
    return f"team {team!r}" + (f", customer {customer!r}" if customer is not None else "")


def _text(data: dict, key: str, where: str, problems: _Problems, required: bool = True,
          max_length: int = MAX_NAME, label: str | None = None) -> str:
    label = label or key
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(where, label, "is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.add(where, label, "must be text")
        return ""
    text = str(value).strip()
    if len(text) > max_length:
        problems.add(where, label, f"is longer than {max_length} characters")
        return ""
    return text


def _unknown_fields(data: dict, allowed: frozenset[str], where: str, problems: _Problems, prefix: str = "") -> None:
    for key in sorted(set(data) - allowed, key=str):
        close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(sorted(allowed))}"
        problems.add(where, f"{prefix}{key}", f"is not a known field{hint}")


def _parse_sources(raw: Any, where: str, problems: _Problems) -> tuple[SourceSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(where, "sources", "must be a list like [- rss: https://…]")
        return ()
    specs: list[SourceSpec] = []
    for index, entry in enumerate(raw):
        label = f"sources[{index}]"
        if not isinstance(entry, dict) or len(entry) != 1:
            problems.add(where, label, "must be one 'kind: value' pair, e.g. '- twitter: janedoe'")
            continue
        ((kind, value),) = entry.items()
        try:
            spec = normalise_source(str(kind), value)
        except ValueError as exc:
            problems.add(where, f"{label}.{kind}", str(exc))
            continue
        if len(spec.target) > MAX_TARGET or len(spec.url or "") > MAX_TARGET:
            problems.add(where, f"{label}.{kind}", f"is longer than {MAX_TARGET} characters")
            continue
        if any(s.kind == spec.kind and s.target == spec.target for s in specs):
            problems.add(where, f"{label}.{kind}", f"{spec.target!r} is listed twice")
            continue
        specs.append(spec)
    return tuple(specs)


def _parse_customer(raw: Any, team: str, members: set[str], problems: _Problems, index: int) -> CustomerSpec | None:
    if not isinstance(raw, dict):
        problems.add(_where(team, f"#{index + 1}"), "customers", "each customer must be a mapping")
        return None
    name = _text(raw, "name", _where(team, f"#{index + 1}"), problems)
    where = _where(team, name or f"#{index + 1}")
    company = _text(raw, "company", where, problems, required=False)
    owner = _text(raw, "owner", where, problems, required=False) or None
    if owner is not None and owner not in members:
        problems.add(where, "owner", f"{owner!r} is not a member of this team")
    revenue_raw = raw.get("revenue", 0)
    revenue = 0.0
    if isinstance(revenue_raw, bool) or not isinstance(revenue_raw, (int, float)) or not math.isfinite(revenue_raw):
        problems.add(where, "revenue", f"must be a number, got {revenue_raw!r}")
    elif revenue_raw < 0:
        problems.add(where, "revenue", "must not be negative")
    else:
        revenue = float(revenue_raw)
    _unknown_fields(raw, CUSTOMER_FIELDS, where, problems)
    sources = _parse_sources(raw.get("sources"), where, problems)
    if not name:
        return None
    return CustomerSpec(name=name, company=company, owner=owner, revenue=revenue, sources=sources)


def _parse_team(raw: Any, index: int, problems: _Problems) -> TeamSpec | None:
    if not isinstance(raw, dict):
        problems.add(f"team #{index + 1}", "teams", "each team must be a mapping")
        return None
    name = _text(raw, "name", f"team #{index + 1}", problems)
    where = _where(name or f"#{index + 1}")
    _unknown_fields(raw, TEAM_FIELDS, where, problems)
    channel = _text(raw, "slack_channel", where, problems, max_length=MAX_CHANNEL)
    if channel and not _SLACK_CHANNEL.match(channel):
        problems.add(where, "slack_channel", f"{channel!r} is not a Slack channel id like C0123456")
    timezone = _text(raw, "timezone", where, problems, required=False) or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.add(where, "timezone", f"{timezone!r} is not an IANA time zone like America/New_York")
    if isinstance(raw.get("digest_time"), int) and not isinstance(raw.get("digest_time"), bool):
        # YAML reads an unquoted 10:30 as the base-60 number 630
        problems.add(where, "digest_time", 'must be quoted, like "10:30" (unquoted, YAML reads it as a number)')
        digest_time = "09:00"
    else:
        digest_time = _text(raw, "digest_time", where, problems, required=False) or "09:00"
    try:
        parse_digest_time(digest_time)
    except ValueError as exc:
        problems.add(where, "digest_time", str(exc))
    top_n_raw = raw.get("top_n", DEFAULT_TOP_N)
    top_n = DEFAULT_TOP_N
    if isinstance(top_n_raw, bool) or not isinstance(top_n_raw, int) or top_n_raw < 1:
        problems.add(where, "top_n", f"must be a whole number of at least 1, got {top_n_raw!r}")
    else:
        top_n = top_n_raw

    members: list[MemberSpec] = []
    raw_members = raw.get("members") or []
    if not isinstance(raw_members, list):
        problems.add(where, "members", "must be a list")
        raw_members = []
    for m_index, member in enumerate(raw_members):
        label = f"members[{m_index}]"
        if not isinstance(member, dict):
            problems.add(where, label, "must be a mapping like {slack_user: U012ABC, name: Dana}")
            continue
        _unknown_fields(member, MEMBER_FIELDS, where, problems, prefix=f"{label}.")
        user = _text(member, "slack_user", where, problems, max_length=MAX_CHANNEL, label=f"{label}.slack_user")
        if user and not _SLACK_USER.match(user):
            problems.add(where, f"{label}.slack_user", f"{user!r} is not a Slack user id like U012ABC")
        if user and any(m.slack_user == user for m in members):
            problems.add(where, f"{label}.slack_user", f"{user!r} is listed twice")
            continue
        if user:
            members.append(MemberSpec(user, _text(member, "name", where, problems, required=False, label=f"{label}.name") or user))

    customers: list[CustomerSpec] = []
    raw_customers = raw.get("customers") or []
    if not isinstance(raw_customers, list):
        problems.add(where, "customers", "must be a list")
        raw_customers = []
    member_ids = {m.slack_user for m in members}
    for c_index, customer in enumerate(raw_customers):
        spec = _parse_customer(customer, name or f"#{index + 1}", member_ids, problems, c_index)
        if spec is None:
            continue
        if any(name_key(c.name) == name_key(spec.name) for c in customers):
            problems.add(_where(name, spec.name), "name", "is listed twice in this team")
            continue
        customers.append(spec)
    if not name:
        return None
    return TeamSpec(
        name=name,
        slack_channel=channel,
        timezone=timezone,
        digest_time=digest_time,
        top_n=top_n,
        members=tuple(members),
        customers=tuple(customers),
    )


def parse_roster(document: Any) -> Roster:
    """Validate an already-loaded YAML document; raise :class:`RosterError` listing every problem."""
    problems = _Problems()
    if not isinstance(document, dict) or not isinstance(document.get("teams"), list):
        raise RosterError(["the file must have a top-level 'teams:' list"])
    extra = sorted(set(document) - {"teams"}, key=str)
    if extra:
        problems.add("the file", ", ".join(map(str, extra)), "is not a known top-level field; only 'teams' is")
    teams: list[TeamSpec] = []
    for index, raw_team in enumerate(document["teams"]):
        team = _parse_team(raw_team, index, problems)
        if team is None:
            continue
        if any(name_key(t.name) == name_key(team.name) for t in teams):
            problems.add(_where(team.name), "name", "is listed twice")
            continue
        teams.append(team)
    if problems.items:
        raise RosterError(problems.items)
    return Roster(teams=tuple(teams))


def load_roster(path: str | Path) -> Roster:
    """Read and validate a roster YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RosterError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError([f"{path}: cannot be read ({exc})"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RosterError([f"{path}: not valid YAML ({exc})"]) from None
    return parse_roster(document)


def parse_digest_time(value: str) -> time:
    """``"09:00"`` -> ``time(9, 0)``: a team's digest time, as the roster writes it, read as a
    wall-clock time; ``ValueError`` saying why not."""
    match = _DIGEST_TIME.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a time like \"09:00\"")
    return time(int(match["h"]), int(match["m"]))
