"""Follow-ups (pure): when a reminder is due, read from the words a manager types ("friday", "in 3
days", "tomorrow", "2026-12-14"), spotting a reminder worth offering in a logged note, and the
``follow_up`` suggestion a due reminder becomes.

Dates are team-local calendar days: "friday" is the team's next Friday, and a reminder comes back
on its day in the team's time zone. Nothing here reads a clock; ``today`` is always given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.rules.gestures import Proposed
from bot.timeutil import WEEKDAYS, next_weekday
from config.errors import InputError

#: How far ahead a reminder may be set.
MAX_DAYS_AHEAD = 366
#: A reminder is explicit: it outranks the gestures the rules think of (priority is 0-100).
FOLLOW_UP_PRIORITY = 90.0
FOLLOW_UP_KIND = "follow_up"
USAGE = "`/tie remind <customer> <when> <what>` (when: today, tomorrow, friday, next friday, in 3 days, in 2 weeks, 2026-12-14)"

_DAY_ALIASES = {name[:3]: i for i, name in enumerate(WEEKDAYS)} | {name: i for i, name in enumerate(WEEKDAYS)}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10}
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}

# The phrases a "when" may take, anchored at the start of the text (the command) or found anywhere
# in it (a note); one pattern serves both so that what a note suggests is what the command accepts.
_WHEN = (
    r"(?P<iso>\d{4}-\d{2}-\d{2})"
    r"|(?P<rel>today|tomorrow|next week)"
    r"|in\s+(?P<count>\d{1,3}|" + "|".join(_NUMBERS) + r")\s+(?P<unit>" + "|".join(_UNITS) + r")"
    r"|(?:(?:next|on|this)\s+)?(?P<day>" + "|".join(sorted(_DAY_ALIASES, key=len, reverse=True)) + r")"
)
_LEADING_WHEN = re.compile(rf"^\s*(?:{_WHEN})(?=\s|$)", re.IGNORECASE)
_ANY_WHEN = re.compile(rf"\b(?:{_WHEN})\b", re.IGNORECASE)
_FOLLOW_UP_WORDS = re.compile(r"\bfollow[\s-]?up\b|\bget back to\b|\bcircle back\b|\bremind\b", re.IGNORECASE)


def parse_when(text: str, today: date) -> tuple[date, str]:
    """The day a reminder is for, read from the start of ``text``, and the rest of the text.

    ``"friday call about renewal"`` -> (the next Friday after ``today``, ``"call about renewal"``).
    A weekday is always a day to come (said on a Friday, "friday" is a week ahead). Raises an
    :class:`InputError` naming the accepted forms when there is no date, or when it is in the past
    or more than :data:`MAX_DAYS_AHEAD` days ahead.
    """
    match = _LEADING_WHEN.match(text)
    if match is None:
        first = text.split(maxsplit=1)[0] if text.split() else ""
        what = f"“{first}” is not a date I know" if first else "when should I remind you?"
        raise InputError(f"{what}. Usage: {USAGE}")
    day = _resolve(match, today)
    if day < today:
        raise InputError(f"{day.isoformat()} is in the past; a reminder needs a day from today on")
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InputError(f"{day.isoformat()} is more than {MAX_DAYS_AHEAD} days ahead; pick a nearer day")
    return day, text[match.end():].strip()


def _resolve(match: re.Match[str], today: date) -> date:
    if match["iso"]:
        try:
            return date.fromisoformat(match["iso"])
        except ValueError:
            raise InputError(f"“{match['iso']}” is not a real date (YYYY-MM-DD)") from None
    if match["rel"]:
        return today + timedelta(days={"today": 0, "tomorrow": 1, "next week": 7}[match["rel"].lower()])
    if match["count"]:
        count = match["count"].lower()
        number = _NUMBERS[count] if count in _NUMBERS else int(count)
        return today + timedelta(days=number * _UNITS[match["unit"].lower()])
    return next_weekday(today, _DAY_ALIASES[match["day"].lower()])


@dataclass(frozen=True)
class ReminderOffer:
    """A reminder worth offering after a logged note: the ``when`` words and the day they mean."""

    when: str
    day: date


def offer_for_note(note: str, today: date) -> ReminderOffer | None:
    """A reminder to offer for a logged note that says "follow up" or names a day to come, or None.

    The first day named in the note (from today on) is used; a note that only says "follow up" is
    offered a reminder a week ahead.
    """
    for match in _ANY_WHEN.finditer(note):
        try:
            day = _resolve(match, today)
        except InputError:
            continue
        if today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
            when = match["iso"] or " ".join(match.group(0).lower().split())
            if match["day"]:  # "on friday" / "this friday" -> the word the command reads
                when = match["day"].lower()
            return ReminderOffer(when, day)
    if _FOLLOW_UP_WORDS.search(note):
        return ReminderOffer("next week", today + timedelta(days=7))
    return None


@dataclass(frozen=True)
class FollowUpFact:
    """A stored reminder as the rule needs it."""

    follow_up_id: int
    customer_id: int
    customer: str
    team_id: int
    member: str
    due_on: date
    what: str
    created_on: date  # team-local day it was set


def follow_up_key(follow_up_id: int) -> str:
    """The dedupe key of the suggestion a reminder becomes: once per reminder, whatever happens to it."""
    return f"{FOLLOW_UP_KIND}:{follow_up_id}"


def due_follow_ups(facts: list[FollowUpFact], local_today: dict[int, date], used_keys: set[str]) -> list[Proposed]:
    """The ``follow_up`` suggestions to make now: each reminder whose day has come on its team's
    calendar (``local_today``: team id -> the team-local date now) and that was not proposed before.
    Reminders are explicit, so neither the daily cap nor the cool-down holds them back."""
    found = []
    for fact in facts:
        today = local_today.get(fact.team_id)
        key = follow_up_key(fact.follow_up_id)
        if today is None or fact.due_on > today or key in used_keys:
            continue
        text = reminder_text(fact.customer, fact.what)
        reason = f"you asked on {fact.created_on.isoformat()} to be reminded on {fact.due_on.isoformat()}"
        found.append(Proposed(
            kind=FOLLOW_UP_KIND, customer_id=fact.customer_id, customer=fact.customer, team_id=fact.team_id,
            owner=fact.member, text=text, post_url=None, post_id=None, reason=reason,
            priority=FOLLOW_UP_PRIORITY, dedupe_key=key,
        ))
    return found


def reminder_text(customer: str, what: str) -> str:
    """How a reminder reads: "Follow up with Jane Doe: send the pricing deck"."""
    return f"Follow up with {customer}: {what}" if what else f"Follow up with {customer}."

