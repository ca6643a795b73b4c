"""Helpers shared by the test suite: a roster builder and ``eventually``.

The roster builder makes the documents ``strongtie roster import`` reads, as plain data a test
can vary (``dict(JANE, revenue="ninety")``) instead of editing YAML text. ``team`` and
``customer`` take the roster's own field names; a field left out is absent from the document (so
the roster's defaults apply), and any other keyword is written as given, unknown fields included,
for tests of the roster's validation.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

ABSENT: Any = object()  # a field the document leaves out


def _present(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not ABSENT}


def member(slack_user: str, name: str) -> dict[str, Any]:
    """One roster member."""
    return {"slack_user": slack_user, "name": name}


def customer(name: str, *, company: str = ABSENT, owner: str = ABSENT, revenue: Any = ABSENT,
             sources: Iterable[dict[str, str]] = ABSENT, **fields: Any) -> dict[str, Any]:
    """One customer; ``sources`` as the roster writes them (``{"rss": URL}``, ``{"twitter": HANDLE}``…)."""
    if sources is not ABSENT:
        sources = [dict(source) for source in sources]
    return _present(name=name, company=company, owner=owner, revenue=revenue, sources=sources, **fields)


def team(name: str, *, slack_channel: str = ABSENT, timezone: str | None = ABSENT, digest_time: str | None = ABSENT,
         top_n: int = ABSENT, members: Iterable[dict[str, Any]] = (), customers: Iterable[dict[str, Any]] = (),
         **fields: Any) -> dict[str, Any]:
    """One team with its members and customers."""
    return _present(name=name, slack_channel=slack_channel, timezone=timezone, digest_time=digest_time, top_n=top_n,
                    members=[dict(m) for m in members], customers=[dict(c) for c in customers], **fields)


def roster(*teams: dict[str, Any]) -> dict[str, Any]:
    """The whole document: ``{"teams": [...]}``."""
    return {"teams": [dict(t) for t in teams]}


def roster_yaml(document: dict[str, Any]) -> str:
    """The document as the YAML file a user writes."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def write_roster(path: Path, document: dict[str, Any] | str) -> Path:
    """Write a roster file (a built document, or YAML text as it is) and return its path."""
    text = document if isinstance(document, str) else roster_yaml(document)
    path.write_text(text, encoding="utf-8")
    return path


def store_roster(session, document: dict[str, Any]) -> None:
    """Import a built document straight into the store, as ``strongtie roster import`` would."""
    from config.roster import parse_roster
    from models.store.roster import apply_roster

    apply_roster(parse_roster(copy.deepcopy(document)), session=session)


def eventually(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01) -> bool:
    """Whether ``condition()`` becomes true within ``timeout`` seconds, asked every ``interval``.

    Use as ``assert eventually(lambda: ...)``: for work other threads finish in their own time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
