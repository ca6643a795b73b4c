"""Meetings out of an iCalendar file: which past occurrences were meetings with a customer.

Pure: it takes the file's bytes, who is who and ``as_of``, reads no clock and opens nothing.
``icalendar`` parses, ``recurring-ical-events`` expands (RRULE, RDATE, EXDATE, moved occurrences
with RECURRENCE-ID, Google's X-WR-TIMEZONE); this module decides what counts:

- an occurrence counts when a customer's address is an attendee or the organizer and one of the
  member's own addresses is among them too, neither having declined (``PARTSTAT=DECLINED``);
- cancelled events and cancelled occurrences (``STATUS:CANCELLED``) never count;
- an occurrence counts once it has started (``start <= as_of``); one starting within
  ``window.ahead`` is returned apart, as *upcoming*, for meeting prep.

Nothing else of an event is kept: no title unless the caller asks for it (capture_subjects), no
description, no location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

from connectors.addresses import address_map, normalise_address
from connectors.base import FatalError
from connectors.ics_bounds import bound_series
from connectors.text import TITLE_LIMIT, one_line

#: An occurrence of an event that does not repeat: its key does not change when the event moves,
#: so a moved one-off meeting updates its interaction rather than replacing it.
SINGLE_OCCURRENCE = "once"
#: Most occurrences expanded in one read (see :mod:`connectors.ics_bounds`); repeating events
#: past it are left out and the read is marked incomplete.
MAX_OCCURRENCES = 20_000
#: A calendar unchanged (304) is still read whole this often, to find the meetings coming up.
REREAD_AT_LEAST = timedelta(hours=24)
#: Properties whose damage makes an event unreadable; a broken DESCRIPTION does not.
_TIMING = frozenset({"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "UID"})


@dataclass(frozen=True)
class Identity:
    """Who is who: the member's own addresses and ``address -> customer key``, normalised."""

    member_addresses: frozenset[str]
    customers: Mapping[str, str]

    @classmethod
    def of(cls, member_addresses: Iterable[str], customers: Mapping[str, str]) -> "Identity":
        """Build from roster spellings (any case, ``mailto:`` or not)."""
        members = frozenset(a for a in (normalise_address(m) for m in member_addresses) if a)
        return cls(members, address_map(customers))


@dataclass(frozen=True)
class Window:
    """How far back occurrences are read, and how far ahead upcoming ones are looked for."""

    past: timedelta = timedelta(days=365)
    ahead: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Meeting:
    """One occurrence that was (or, when upcoming, will be) a meeting with customers.

    ``(uid, occurrence_key)`` names the occurrence for good: the key is the occurrence's
    RECURRENCE-ID in UTC ISO form (its original start, which stays when the occurrence is moved),
    or :data:`SINGLE_OCCURRENCE` for an event that does not repeat.
    """

    uid: str
    occurrence_key: str
    start: datetime  # aware, UTC
    customers: tuple[str, ...]  # customer keys, sorted
    title: str | None = None  # only when subjects are captured
    kind: str = "meeting"
    direction: str = "mutual"
    origin: str = "calendar"


@dataclass(frozen=True)
class Expansion:
    """What one read of a calendar found.

    ``live`` holds every occurrence in the window that is not cancelled, meeting or not.
    ``complete_from``..``complete_until`` is the span that was read whole: a captured meeting
    starting in that span, up to ``as_of``, that is not among ``meetings`` any more was cancelled,
    deleted, declined or moved away (see :func:`stale_captures`). ``refresh_after`` is when the
    next read must fetch the file even if unchanged: the first upcoming meeting starts then and
    becomes a past one.
    """

    meetings: list[Meeting]
    upcoming: list[Meeting]
    live: frozenset[tuple[str, str]]
    complete_from: datetime
    complete_until: datetime
    refresh_after: datetime
    skipped: int = 0  # events left out because they were unreadable
    truncated: bool = False  # repeating events were left out to bound the work
    notes: list[str] = field(default_factory=list)
    # ``(address, start)`` of each unlisted participant (not the member's, not a customer's) in a
    # past occurrence the member was in, earliest first: who else was there (new contacts)
    others: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        """One line on what was left out, or None when nothing was."""
        return "; ".join(self.notes) or None


def parse_calendar(body: bytes) -> icalendar.Calendar:
    """The calendar in ``body``, or :class:`FatalError` saying plainly what came instead."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if not head:
        raise FatalError("the calendar address returned an empty document, not an iCalendar file")
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        raise FatalError("the calendar address returned a web page, not an iCalendar file (is it the secret iCal address?)")
    if not head.startswith(b"begin:vcalendar"):
        raise FatalError("the calendar address did not return an iCalendar file (it does not start with BEGIN:VCALENDAR)")
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise FatalError(f"the iCalendar file is malformed: {one_line(str(exc), 160)}") from None
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise FatalError("the iCalendar file holds no VCALENDAR")
    return calendar


def drop_unreadable_events(calendar: icalendar.Calendar) -> int:
    """Remove the events that cannot be placed in time (no UID or DTSTART, or a damaged time
    property); return how many, so one bad event costs itself and not the whole calendar."""
    kept, dropped = [], 0
    for component in calendar.subcomponents:
        if component.name == "VEVENT":
            damaged = {str(name).upper() for name, _ in getattr(component, "errors", ())} & _TIMING
            if damaged or "DTSTART" not in component or not str(component.get("UID", "")).strip():
                dropped += 1
                continue
        kept.append(component)
    calendar.subcomponents[:] = kept
    return dropped


def calendar_zone(calendar: icalendar.Calendar, default: tzinfo) -> tzinfo:
    """The zone of floating times and all-day dates: the calendar's X-WR-TIMEZONE when it names
    a known zone, else ``default`` (the team's zone)."""
    name = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default


def to_utc(value: date | datetime, zone: tzinfo) -> datetime:
    """An iCalendar time as an aware UTC datetime; dates (all-day) start at midnight in ``zone``,
    floating times are read in ``zone``."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)


def _participants(component: Any) -> dict[str, bool]:
    """``address -> declined`` for the organizer and every attendee of an occurrence."""
    attendees = component.get("ATTENDEE") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    found: dict[str, bool] = {}
    organizer = normalise_address(component.get("ORGANIZER"))
    if organizer:
        found[organizer] = False
    for attendee in attendees:
        address = normalise_address(attendee)
        if address:
            declined = str(getattr(attendee, "params", {}).get("PARTSTAT", "")).upper() == "DECLINED"
            found[address] = found.get(address, False) or declined
    return found


def _matched_customers(component: Any, identity: Identity) -> tuple[str, ...]:
    """The customers in the occurrence, provided the member is in it too; () otherwise."""
    present = [address for address, declined in _participants(component).items() if not declined]
    if not any(address in identity.member_addresses for address in present):
        return ()
    return tuple(sorted({identity.customers[a] for a in present if a in identity.customers}))


def _unlisted(component: Any, identity: Identity, moment: datetime) -> list[tuple[str, datetime]]:
    """The participants of an occurrence the member was in who are neither the member nor a listed
    customer (none declined), each with the occurrence's start; [] when the member was not in it."""
    present = [address for address, declined in _participants(component).items() if not declined]
    if not any(address in identity.member_addresses for address in present):
        return []
    return [(a, moment) for a in present if a not in identity.member_addresses and a not in identity.customers]


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    """UIDs of events that repeat or have moved occurrences (their occurrences carry keys)."""
    return {
        str(c.get("UID"))
        for c in calendar.walk("VEVENT")
        if any(name in c for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }


def expand(
    body: bytes,
    identity: Identity,
    *,
    as_of: datetime,
    window: Window = Window(),
    capture_subjects: bool = False,
    default_zone: tzinfo = timezone.utc,
    max_occurrences: int = MAX_OCCURRENCES,
) -> Expansion:
    """Read the calendar in ``body`` for the window around ``as_of`` (an aware datetime).

    Raises :class:`FatalError` for a document that is no calendar; unreadable events are skipped
    and counted, and repeating events beyond the bounds of :mod:`connectors.ics_bounds` are left
    out (``truncated``), so a hostile rule costs neither minutes of CPU nor gigabytes.
    """
    calendar = parse_calendar(body)
    skipped = drop_unreadable_events(calendar)
    zone = calendar_zone(calendar, default_zone)
    recurring = _recurring_uids(calendar)
    start, end = as_of - window.past, as_of + window.ahead
    too_often, truncated = bound_series(calendar, zone, start, end, max_occurrences, to_utc)
    meetings: list[Meeting] = []
    upcoming: list[Meeting] = []
    live: set[tuple[str, str]] = set()
    others: list[tuple[str, datetime]] = []
    try:
        found = recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end)
        occurrences = sorted(((to_utc(c["DTSTART"].dt, zone), c) for c in found), key=lambda pair: pair[0])
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, icalendar.InvalidCalendar) as exc:
        raise FatalError(f"the iCalendar file cannot be expanded: {one_line(str(exc), 160)}") from None
    for moment, component in occurrences:
        if not start <= moment <= end:
            continue  # a long event that began before the window and is still running
        uid = str(component["UID"])
        key = SINGLE_OCCURRENCE
        if uid in recurring and component.get("RECURRENCE-ID") is not None:
            key = to_utc(component["RECURRENCE-ID"].dt, zone).isoformat()
        if str(component.get("STATUS", "")).upper() == "CANCELLED" or (uid, key) in live:
            continue
        live.add((uid, key))
        if moment <= as_of:
            others += _unlisted(component, identity, moment)
        customers = _matched_customers(component, identity)
        if not customers:
            continue
        title = (one_line(str(component.get("SUMMARY", "")), TITLE_LIMIT) or None) if capture_subjects else None
        meeting = Meeting(uid=uid, occurrence_key=key, start=moment, customers=customers, title=title)
        (meetings if moment <= as_of else upcoming).append(meeting)
    notes = []
    if skipped:
        notes.append(f"skipped {skipped} unreadable event{'s' if skipped != 1 else ''}")
    if too_often:
        notes.append(f"left out {too_often} event{'s' if too_often != 1 else ''} repeating too often to be meetings")
    if truncated:
        notes.append(f"left out repeating events past {max_occurrences:,} occurrences in the window")
    # A read that left events out cannot tell a cancelled meeting from one it did not look at.
    complete_until = start if (too_often or truncated) else end
    # read again at least daily, so a meeting entering the window ahead is seen a day before it
    refresh_after = min([m.start for m in upcoming] + [as_of + min(window.ahead, REREAD_AT_LEAST)])
    return Expansion(meetings, upcoming, frozenset(live), start, complete_until, refresh_after, skipped,
                     bool(too_often or truncated), notes, others)


def stale_captures(captured: Iterable[tuple[str, str, str, datetime]], expansion: Expansion, *, as_of: datetime) -> set[tuple[str, str, str]]:
    """Of the meetings captured earlier, as ``(uid, occurrence_key, customer, start)``, those to
    remove now: they start in the span read whole, up to ``as_of``, and this read no longer finds
    them for that customer (cancelled, deleted, declined, the customer taken off, moved away)."""
    counted = {(m.uid, m.occurrence_key, customer) for m in expansion.meetings for customer in m.customers}
    until = min(as_of, expansion.complete_until)
    return {
        (uid, key, customer)
        for uid, key, customer, start in captured
        if expansion.complete_from <= start <= until and (uid, key, customer) not in counted
    }
