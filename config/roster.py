"""The roster file: which teams, members, customers and sources strongtie tracks.

:func:`load_roster` validates the whole YAML document before anything is imported, so an import
is all-or-nothing. Every problem is reported, each naming the team, the customer and the field.
Source shorthands are normalised by :mod:`config.sources`; names are cleaned and compared by
:mod:`config.names`; the file is read within the bounds of :mod:`config.yamlsafe`.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config import identity
from config.errors import UserError, quoted
from config.names import clean_name, control_character, look_alike_key, name_key, name_problem
from config.sources import SourceSpec, normalise_source
from config.yamlsafe import YamlLimitError, load_bounded

DEFAULT_TOP_N = 20

_SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_DIGEST_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$", re.ASCII)


# Column sizes in the store; longer values are refused here rather than failing at insert.
MAX_NAME = 200
MAX_CHANNEL = 40
MAX_TARGET = 500
MAX_NUMBER = 10**15  # of revenue: beyond this a figure is a typo (and an integer this long overflows a float)
MAX_TOP_N = 10_000  # customers tracked per team (the store's integer column holds far more)
MAX_LABEL = 40  # of a field name or source kind the file made up, as a message repeats it

TEAM_FIELDS = frozenset({"name", "slack_channel", "timezone", "digest_time", "top_n", "workspace", "members", "customers"})
MEMBER_FIELDS = frozenset({"slack_user", "name", "email", "aliases", "bluesky", "mastodon"})
CUSTOMER_FIELDS = frozenset({"name", "company", "owner", "revenue", "emails", "slack_users", "cadence_days", "sources"})


MAX_PROBLEMS_SHOWN = 100


class RosterError(UserError, ValueError):
    """The roster file is unusable; ``problems`` lists every issue found (the message shows the
    first :data:`MAX_PROBLEMS_SHOWN`)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems[:MAX_PROBLEMS_SHOWN])
        if len(problems) > MAX_PROBLEMS_SHOWN:
            listing += f"\n  - … and {len(problems) - MAX_PROBLEMS_SHOWN} more"
        super().__init__(f"roster has {len(problems)} problem(s); nothing was imported:\n{listing}")


@dataclass(frozen=True)
class MemberSpec:
    """An account manager of a team, by Slack user id."""

    slack_user: str
    name: str
    email: str | None = None
    aliases: tuple[str, ...] = ()
    bluesky: str | None = None
    mastodon: str | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address this member's own mail and meetings come from."""
        return ((self.email,) if self.email else ()) + self.aliases


@dataclass(frozen=True)
class CustomerSpec:
    """A customer as the roster lists them, with the sources to read."""

    name: str
    company: str
    owner: str | None
    revenue: float
    sources: tuple[SourceSpec, ...] = ()
    emails: tuple[str, ...] = ()
    slack_users: tuple[str, ...] = ()
    cadence_days: int | None = None


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
    workspace: str | None = None


@dataclass(frozen=True)
class Roster:
    """A whole validated roster file."""

    teams: tuple[TeamSpec, ...] = field(default_factory=tuple)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, field_name: str, message: str) -> None:
        self.items.append(f"{where}, field '{field_name}': {message}")


def _where(team: str, customer: str | None = None) -> str:
    return f"team {quoted(team)}" + (f", customer {quoted(customer)}" if customer is not None else "")


def _label(name: Any, fallback: str) -> str:
    """How messages name a team or customer: its name as written (cleaned), or its place in the file."""
    return clean_name(name) or fallback if isinstance(name, str) else fallback


def _text(data: dict, key: str, where: str, problems: _Problems, required: bool = True,
          max_length: int = MAX_NAME, label: str | None = None, is_name: bool = False) -> str:
    """The text of a field, stripped; a name (``is_name``) also cleaned of invisible characters
    and refused when it would not compare as it reads (see :mod:`config.names`)."""
    label = label or key
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(where, label, "is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.add(where, label, "must be text")
        return ""
    text = clean_name(str(value)) if is_name else str(value).strip()
    if len(text) > max_length or is_name and len(name_key(text)) > max_length:  # NFKC can lengthen: ﷺ is 18 letters
        problems.add(where, label, f"is longer than {max_length} characters")
        return ""
    problem = name_problem(text) if is_name else control_character(text)
    if problem:
        problems.add(where, label, problem)
    return text


def _unknown_fields(data: dict, allowed: frozenset[str], where: str, problems: _Problems, prefix: str = "") -> None:
    for key in sorted(set(data) - allowed, key=str):
        close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(sorted(allowed))}"
        problems.add(where, f"{prefix}{str(key)[:MAX_LABEL]}", f"is not a known field{hint}")


class _Names:
    """The names listed so far in one scope (the file's teams, or one team's customers)."""

    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}
        self.by_look: dict[str, str] = {}

    def clash(self, name: str) -> str | None:
        """Why ``name`` clashes with one listed before, or ``None`` (and then it is listed): the same
        name by :func:`name_key` (case, width and invisible characters aside), or one that looks
        the same and differs only in Cyrillic or Greek letters drawn like Latin ones."""
        key, look = name_key(name), look_alike_key(name)
        other = self.by_key.get(key)
        if other is not None:
            return "is listed twice" + (f" (also as {quoted(other)})" if other != name else "")
        other = self.by_look.get(look)
        if other is not None:
            return (f"looks the same as {quoted(other)} but differs in Cyrillic or Greek letters that look Latin; "
                    "type both in one alphabet")
        self.by_key[key], self.by_look[look] = name, name
        return None


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
        kind = str(kind)[:MAX_LABEL]
        try:
            spec = normalise_source(str(kind), value)
        except ValueError as exc:
            problems.add(where, f"{label}.{kind}", str(exc))
            continue
        if len(spec.target) > MAX_TARGET or len(spec.url or "") > MAX_TARGET:
            problems.add(where, f"{label}.{kind}", f"is longer than {MAX_TARGET} characters")
            continue
        if any(s.kind == spec.kind and s.target == spec.target for s in specs):
            problems.add(where, f"{label}.{kind}", f"{quoted(spec.target)} is listed twice")
            continue
        specs.append(spec)
    return tuple(specs)


def _parse_customer(raw: Any, team: str, members: set[str], problems: _Problems, index: int) -> CustomerSpec | None:
    if not isinstance(raw, dict):
        problems.add(_where(team, f"#{index + 1}"), "customers", "each customer must be a mapping")
        return None
    where = _where(team, _label(raw.get("name"), f"#{index + 1}"))
    name = _text(raw, "name", where, problems, is_name=True)
    company = _text(raw, "company", where, problems, required=False, is_name=True)
    owner = _text(raw, "owner", where, problems, required=False) or None
    if owner is not None and owner not in members:
        problems.add(where, "owner", f"{quoted(owner)} is not a member of this team")
    revenue_raw = raw.get("revenue", 0)
    revenue = 0.0
    if isinstance(revenue_raw, bool) or not isinstance(revenue_raw, (int, float)):
        problems.add(where, "revenue", f"must be a number, got {quoted(revenue_raw)}")
    elif isinstance(revenue_raw, int) and abs(revenue_raw) > MAX_NUMBER or not math.isfinite(revenue_raw):
        problems.add(where, "revenue", f"must be a finite number no larger than {MAX_NUMBER:.0e}, got {quoted(revenue_raw)}")
    elif revenue_raw < 0:
        problems.add(where, "revenue", "must not be negative")
    else:
        revenue = float(revenue_raw)
    _unknown_fields(raw, CUSTOMER_FIELDS, where, problems)
    sources = _parse_sources(raw.get("sources"), where, problems)

    def report(field_name: str, message: str) -> None:
        problems.add(where, field_name, message)

    emails = identity.parse_addresses(raw.get("emails"), "emails", report)
    slack_users = identity.parse_slack_users(raw.get("slack_users"), "slack_users", report)
    cadence = identity.parse_cadence(raw.get("cadence_days"), "cadence_days", report)
    if not name:
        return None
    return CustomerSpec(name=name, company=company, owner=owner, revenue=revenue, sources=sources,
                        emails=emails, slack_users=slack_users, cadence_days=cadence)


def _parse_team(raw: Any, index: int, problems: _Problems) -> TeamSpec | None:
    if not isinstance(raw, dict):
        problems.add(f"team #{index + 1}", "teams", "each team must be a mapping")
        return None
    where = _where(_label(raw.get("name"), f"#{index + 1}"))
    name = _text(raw, "name", where, problems, is_name=True)
    _unknown_fields(raw, TEAM_FIELDS, where, problems)
    channel = _text(raw, "slack_channel", where, problems, max_length=MAX_CHANNEL)
    if channel and not _SLACK_CHANNEL.match(channel):
        problems.add(where, "slack_channel", f"{quoted(channel)} is not a Slack channel id like C0123456")
    timezone = _text(raw, "timezone", where, problems, required=False) or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.add(where, "timezone", f"{quoted(timezone)} is not an IANA time zone like America/New_York")
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
    if isinstance(top_n_raw, bool) or not isinstance(top_n_raw, int) or not 1 <= top_n_raw <= MAX_TOP_N:
        problems.add(where, "top_n", f"must be a whole number from 1 to {MAX_TOP_N}, got {quoted(top_n_raw)}")
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
            problems.add(where, f"{label}.slack_user", f"{quoted(user)} is not a Slack user id like U012ABC")
        if user and any(m.slack_user == user for m in members):
            problems.add(where, f"{label}.slack_user", f"{quoted(user)} is listed twice")
            continue
        if user:
            members.append(_member(member, user, label, where, problems))

    customers: list[CustomerSpec] = []
    raw_customers = raw.get("customers") or []
    if not isinstance(raw_customers, list):
        problems.add(where, "customers", "must be a list")
        raw_customers = []
    member_ids = {m.slack_user for m in members}
    listed = _Names()
    for c_index, customer in enumerate(raw_customers):
        spec = _parse_customer(customer, name or f"#{index + 1}", member_ids, problems, c_index)
        if spec is None:
            continue
        clash = listed.clash(spec.name)
        if clash:
            problems.add(_where(name, spec.name), "name", f"{clash} in this team")
            continue
        customers.append(spec)
    for customer_name, field_name, message in identity.shared_handles(members, customers):
        problems.add(_where(name or f"#{index + 1}", customer_name), field_name, message)
    workspace = identity.parse_workspace(raw.get("workspace"), "workspace", lambda f, m: problems.add(where, f, m))
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
        workspace=workspace,
    )


def _member(raw: dict, user: str, label: str, where: str, problems: _Problems) -> MemberSpec:
    def report(field_name: str, message: str) -> None:
        problems.add(where, f"{label}.{field_name}", message)

    return MemberSpec(
        slack_user=user,
        name=_text(raw, "name", where, problems, required=False, label=f"{label}.name", is_name=True) or user,
        email=identity.parse_address(raw.get("email"), "email", report),
        aliases=identity.parse_addresses(raw.get("aliases"), "aliases", report),
        bluesky=identity.parse_bluesky(raw.get("bluesky"), "bluesky", report),
        mastodon=identity.parse_mastodon(raw.get("mastodon"), "mastodon", report),
    )


def parse_roster(document: Any) -> Roster:
    """Validate an already-loaded YAML document; raise :class:`RosterError` listing every problem."""
    problems = _Problems()
    if not isinstance(document, dict) or not isinstance(document.get("teams"), list):
        raise RosterError(["the file must have a top-level 'teams:' list"])
    extra = sorted(set(document) - {"teams"}, key=str)
    if extra:
        problems.add("the file", ", ".join(str(key)[:MAX_LABEL] for key in extra[:5]), "is not a known top-level field; only 'teams' is")
    teams: list[TeamSpec] = []
    listed = _Names()
    for index, raw_team in enumerate(document["teams"]):
        team = _parse_team(raw_team, index, problems)
        if team is None:
            continue
        clash = listed.clash(team.name)
        if clash:
            problems.add(_where(team.name), "name", clash)
            continue
        teams.append(team)
    if problems.items:
        raise RosterError(problems.items)
    return Roster(teams=tuple(teams))


def load_roster(path: str | Path) -> Roster:
    """Read and validate a roster YAML file, within the bounds of :mod:`config.yamlsafe`."""
    path = Path(path)
    try:
        document = load_bounded(path)
    except FileNotFoundError:
        raise RosterError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError([f"{path}: cannot be read ({exc})"]) from None
    except YamlLimitError as exc:
        raise RosterError([f"{path}: {exc}"]) from None
    return parse_roster(document)


def parse_digest_time(value: str) -> time:
    """``"09:00"`` -> ``time(9, 0)``: a team's digest time, as the roster writes it, read as a
    wall-clock time; ``ValueError`` saying why not."""
    match = _DIGEST_TIME.match(value)
    if not match:
        raise ValueError(f"{quoted(value)} is not a time like \"09:00\"")
    return time(int(match["h"]), int(match["m"]))
