"""Slack requests already handled, so a retry neither redoes the work nor replies twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from models.entities import HandledRequest
from models.store.sql import insert_once

# How long a handled request's key is remembered: far beyond Slack's retries (within minutes).
HANDLED_REQUEST_MEMORY = timedelta(days=1)


def first_handling(key: str, *, session: Session, now: datetime) -> bool:
    """Record, in the caller's transaction, that the request ``key`` is being handled; False when it
    already was (Slack's retry of it, or a concurrent copy that got there first).

    Commit it with the work the request does: if that work fails and rolls back, the key goes too,
    and a retry does the work. Keys older than ``HANDLED_REQUEST_MEMORY`` are forgotten here.
    """
    session.execute(delete(HandledRequest).where(HandledRequest.handled_at < now - HANDLED_REQUEST_MEMORY))
    _, created = insert_once(HandledRequest(key=key, handled_at=now), session=session,
                             existing=lambda: session.get(HandledRequest, key))
    return created
