"""A small two-team world for the Slack tests: the roster, who is who, and store helpers."""

from __future__ import annotations

from concurrent.futures import Executor, Future
from datetime import datetime, timezone
from typing import Any, Callable

from helpers import customer, member, roster, team
from sqlalchemy import func, select

DANA, LEE, WES, STRANGER = "U0DANA", "U0LEE", "U0WEST", "U0NOBODY"

ROSTER = roster(
    team("Enterprise East", slack_channel="C0EAST", timezone="America/New_York", digest_time="09:00",
         members=[member(DANA, "Dana Reyes"), member(LEE, "Lee Park")],
         customers=[customer("Jane Doe", company="Acme Corp", owner=DANA, revenue=120000),
                    customer("Jane", company="Solo Ltd", owner=LEE, revenue=50000),
                    customer("Omar Haddad", company="Globex", owner=DANA, revenue=90000)]),
    team("West", slack_channel="C0WEST", timezone="America/Los_Angeles", digest_time="08:30",
         members=[member(WES, "Wes Tran")],
         customers=[customer("Wanda West", company="Initech", owner=WES, revenue=70000)]),
)


class InlineExecutor(Executor):
    """Runs submitted work on the caller's thread, so lazy listeners finish before dispatch returns."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` now and return its already-settled future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # surfaced through the future, as a pool would
            future.set_exception(exc)
        return future



def count(runtime, entity) -> int:
    """How many rows of ``entity`` are stored."""
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(entity))


def customer_id(runtime, name: str) -> int:
    """The id of the customer called exactly ``name``."""
    from models.entities import Customer

    with runtime.session() as session:
        return session.scalar(select(Customer.id).where(Customer.name == name))


def add_suggestion(runtime, customer: str, *, owner: str = DANA, kind: str = "share", text: str = "Share Jane's post",
                   status: str = "sent", key: str | None = None, suggested_at: datetime | None = None,
                   **extra: Any) -> int:
    """Store one suggestion (delivered, by default, to a DM) and return its id."""
    from models.entities import Suggestion

    values = dict(slack_channel="D0DANA", slack_ts="1700000000.000100") if status == "sent" else {}
    values.update(extra)
    with runtime.session() as session:
        suggestion = Suggestion(
            customer_id=customer_id(runtime, customer), owner_user=owner, kind=kind, text=text,
            dedupe_key=key or f"test:{customer}:{kind}:{text}", status=status,
            suggested_at=suggested_at or datetime.now(timezone.utc), priority=50.0, **values,
        )
        session.add(suggestion)
        session.flush()
        return suggestion.id


def team_id(runtime, name: str) -> int:
    """The id of the team called exactly ``name``."""
    from models.entities import Team

    with runtime.session() as session:
        return session.scalar(select(Team.id).where(Team.name == name))


def add_customer(runtime, team: str, name: str, *, owner: str = DANA, company: str = "", revenue: float = 10_000.0) -> int:
    """Add a tracked customer to ``team`` outside the shared roster (names the roster cannot hold)."""
    from models.entities import Customer, Member

    tid = team_id(runtime, team)
    with runtime.session() as session:
        member = session.scalar(select(Member).where(Member.team_id == tid, Member.slack_user == owner))
        key = " ".join(name.split()).casefold()  # the store's matching key for an unquoted name
        customer = Customer(team_id=tid, name=name, name_key=key, company=company,
                            owner_id=member.id if member else None, revenue=revenue, tracked=True)
        session.add(customer)
        session.flush()
        return customer.id


def add_member(runtime, team: str, slack_user: str, name: str = "Extra Member") -> None:
    """Put ``slack_user`` in one more team (a member of several teams)."""
    from models.entities import Member

    with runtime.session() as session:
        session.add(Member(team_id=team_id(runtime, team), slack_user=slack_user, name=name))
