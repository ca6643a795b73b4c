"""Reading and checking a CSV of past interactions for ``strongtie interactions import``.

Every cell is checked before anything is stored, and every problem is reported as ``line N: …``
(N the file's own line, where the row starts, quoted line breaks counted): an unknown customer
or kind, an unreadable time, a ``by`` that is not a member of the customer's team, a NUL byte, a
value longer than the store keeps. The database never sees a value it would refuse.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session

from bot.timeutil import iso, parse_instant
from config.errors import InputError, UserError
from config.names import name_key
from models.entities import Customer
from models.store.customers import find_customer
from models.store.interactions import check_direction, check_kind, check_member_id, check_text
from models.store.teams import member_names

CSV_COLUMNS = ("customer", "kind", "occurred_at", "direction", "note", "by")
REQUIRED_COLUMNS = ("customer", "kind", "occurred_at")
#: The longest cell read: a note longer than this is a mistake (a whole file pasted into a cell).
MAX_CELL = 4000


@dataclass(frozen=True)
class CsvRow:
    """One checked row, ready to store."""

    line: int
    customer: Customer
    kind: str
    occurred_at: datetime
    direction: str
    note: str
    by: str | None

    @property
    def dedupe_key(self) -> str:
        """The same interaction read twice (however its time or name was written) lands once."""
        material = "\x1f".join((str(self.customer.id), self.kind, iso(self.occurred_at), self.direction, self.note,
                                self.by or ""))
        return "csv:" + hashlib.sha256(material.encode()).hexdigest()[:40]


def read_csv(path: str) -> list[tuple[int, dict[str, str]]]:
    """The CSV's rows by column name, as text, each with the line it starts on; every column
    present (blank when the row was short)."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, restval="")
            columns = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise UserError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}")
            reader.fieldnames = columns
            rows = []
            start = reader.line_num + 1
            for row in reader:
                rows.append((start, {key: (value or "").strip() for key, value in row.items()
                                     if key is not None and isinstance(value, str)}))
                start = reader.line_num + 1
            return rows
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV") from None
    except csv.Error as exc:
        raise UserError(f"{path}: not a readable CSV ({exc})") from None


class RowChecker:
    """Checks rows one by one against the store, remembering each team's members."""

    def __init__(self, *, session: Session, team_id: int | None, not_in_future: Callable[[datetime], datetime]) -> None:
        self._session = session
        self._team_id = team_id
        self._not_in_future = not_in_future
        self._members: dict[int, dict[str, str]] = {}

    def check(self, line: int, row: dict[str, str]) -> CsvRow:
        """The row as it will be stored, or the first problem with it (an InputError or StoreError)."""
        for column, value in row.items():
            if "\x00" in value:
                raise InputError(f"the {column} column contains a NUL character (byte 0)")
            if len(value) > MAX_CELL:
                raise InputError(f"the {column} column is {len(value)} characters long; at most {MAX_CELL} are kept")
        if not row.get("customer"):
            raise InputError("the customer column is empty")
        customer = find_customer(row["customer"], session=self._session, team_id=self._team_id)
        kind = check_kind(row.get("kind", ""))
        return CsvRow(
            line=line,
            customer=customer,
            kind=kind,
            occurred_at=self._not_in_future(parse_instant(row.get("occurred_at", ""))),
            direction=check_direction(row.get("direction"), kind),
            note=check_text(row.get("note", ""), what="note"),
            by=self._member(customer, row.get("by") or None),
        )

    def _member(self, customer: Customer, by: str | None) -> str | None:
        """``by`` as a Slack user id of a member of the customer's team (given as the id or the
        member's name, case-insensitively), or an error naming the team's members."""
        if by is None:
            return None
        members = self._members.get(customer.team_id)
        if members is None:
            members = self._members[customer.team_id] = member_names(customer.team_id, session=self._session)
        return member_of_team(by, members, team=customer.team.name)


def member_of_team(by: str, members: dict[str, str], *, team: str) -> str:
    """The Slack user id of the member ``by`` names (their id or their name, any case) among
    ``members`` (Slack user -> name), or an error listing who the team's members are."""
    wanted = name_key(by)  # names compare as everywhere: case, width and invisible characters aside
    for slack_user, name in members.items():
        if wanted in (slack_user.casefold(), name_key(name or "")):
            return slack_user
    check_member_id(by, what="by value")
    listed = ", ".join(f"{user} ({name})" for user, name in sorted(members.items())) or "none"
    raise InputError(f"by {by!r} is not a member of team {team} (its members: {listed})")

