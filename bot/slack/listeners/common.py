"""What the listeners share: the acting member, scoped lookups and idempotency keys.

Every lookup a listener makes goes through this module and is limited to the acting member's
teams, so a customer or suggestion of another team is simply not found.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Iterable, Mapping

from slack_bolt import Ack, BoltContext
from sqlalchemy.orm import Session

from bot.jobs.suggest import OPEN_SUGGESTION_MAX_AGE
from bot.slack.middleware import MEMBER_KEY, MemberScope
from config.errors import InputError
from models.entities import Customer, Suggestion
from models.store.customers import find_customer, lookup_names, match_customer_prefix
from models.store.errors import UnknownNameError
from models.store.suggestions import actionable_suggestions, suggestion_in_teams

# Opening quote -> the quotes that may close it. A name ends only at its own closing quote followed by
# a space or the end, so an apostrophe inside it ("Grace O'Connell", 'Grace O'Connell') is kept.
_QUOTE_PAIRS = {'"': '"', "“": "”", "„": "“”", "'": "'", "‘": "’"}
_QUOTED = re.compile(
    r"^\s*(?:"
    + "|".join(
        rf"{re.escape(opener)}(?P<name{n}>.+?)[{re.escape(closers)}](?=\s|$)"
        for n, (opener, closers) in enumerate(_QUOTE_PAIRS.items())
    )
    + r")\s*(?P<rest>.*)$",
    re.S,
)


def acknowledge(ack: Ack) -> None:
    """The ack of a listener whose work all happens after it, in a lazy listener."""
    ack()


def member_of(context: BoltContext) -> MemberScope:
    """The member the membership middleware admitted for this request."""
    return context[MEMBER_KEY]


def request_key(action: str, body: Mapping[str, Any]) -> str:
    """A key identical for a request and Slack's retries of it, and different for a new request.

    ``trigger_id`` (and the ``response_url``) are unique per invocation or click, and a retry
    resends the same payload, so together with the workspace and the user they name one request.
    """
    user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or ""
    invocation = body.get("trigger_id") or body.get("response_url") or ""
    if not invocation:
        raise InputError("this Slack request carries no trigger id, so it cannot be recorded safely")
    digest = hashlib.sha256("\x1f".join((action, team, user, invocation)).encode()).hexdigest()[:40]
    return f"slack:{action}:{digest}"


def resolve_customer(text: str, *, session: Session, member: MemberScope, by_company: bool = True) -> tuple[Customer, str]:
    """Split ``text`` into one of the member's customers and the words after the name.

    The name may be quoted (``"Jane Doe" call``) or unquoted, in which case the longest known
    name the text starts with wins (``Jane Doe call`` finds "Jane Doe", not "Jane").
    A member of several teams gets the longest match over all of them (team 1's "Jane" does not
    shadow team 2's "Jane Doe"); on equal lengths the first team in roster order wins. A company's
    name stands for its only contact (see :func:`models.store.customers.find_customer`) unless
    ``by_company`` is off.
    """
    if not text.strip():
        raise InputError("which customer? Give their name first (quote it if it has spaces).")
    quoted = quoted_name(text)
    known: list[str] = []
    guess = ""
    best: tuple[Customer, str] | None = None
    for team_id in member.team_ids:
        try:
            if quoted:
                return find_customer(quoted[0], session=session, team_id=team_id, by_company=by_company), quoted[1]
            found = match_customer_prefix(text, session=session, team_id=team_id, by_company=by_company)
        except UnknownNameError as exc:
            guess = guess or exc.name
            known.extend(lookup_names(session=session, team_id=team_id))
            continue
        if best is None or len(found[1].split()) < len(best[1].split()):
            best = found
    if best is not None:
        return best
    raise UnknownNameError("customer", quoted[0] if quoted else guess, known)


def quoted_name(text: str) -> tuple[str, str] | None:
    """``'"Grace O'Connell" call hi'`` -> ``("Grace O'Connell", "call hi")``; None when unquoted.

    Straight and curly quotes both work, each closed only by its own partner.
    """
    match = _QUOTED.match(text)
    if match is None:
        return None
    name = next(value for key, value in match.groupdict().items() if key.startswith("name") and value is not None)
    return name, match["rest"].strip()


def scoped_suggestion(suggestion_id: str | int, *, session: Session, member: MemberScope) -> Suggestion | None:
    """The suggestion with this id if it concerns one of the member's teams' customers."""
    try:
        wanted = int(suggestion_id)
    except (TypeError, ValueError):
        return None
    return suggestion_in_teams(wanted, session=session, team_ids=member.team_ids)


def pending_suggestions(*, session: Session, as_of: datetime, team_ids: Iterable[int]) -> list[Suggestion]:
    """The suggestions of these teams a manager can still act on at ``as_of``, highest priority first:
    exactly those the digest lists and delivery sends (``actionable_suggestions``), nothing stale,
    future-dated, snoozed, closed or about an untracked customer."""
    found: list[Suggestion] = []
    for team_id in team_ids:
        found += actionable_suggestions(session=session, as_of=as_of, max_age=OPEN_SUGGESTION_MAX_AGE, team_id=team_id)
    return sorted(found, key=lambda s: (-s.priority, s.id))


def parse_whole_number(text: str, *, what: str, low: int, high: int) -> int:
    """A whole number in ``[low, high]`` typed by a user, or an InputError saying what was expected."""
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(f"{what} must be a whole number from {low} to {high}, got “{text.strip()}”") from None
    if not low <= value <= high:
        raise InputError(f"{what} must be from {low} to {high}, got {value}")
    return value
