"""The scheduler lease: which process runs the one scheduler of a deployment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.entities import SchedulerLease
from models.store.sql import insert_once


@dataclass(frozen=True)
class LeaseState:
    """Who holds a lease after an attempt to take or renew it."""

    acquired: bool
    holder: str
    expires_at: datetime


def acquire_lease(name: str, holder: str, *, session: Session, now: datetime, ttl: timedelta) -> LeaseState:
    """Take (or renew) the lease ``name`` for ``holder`` unless someone else holds an unexpired one.

    The row is read for update, so two processes racing for it are serialised by the database;
    an expired lease (its holder died without releasing it) is taken over.
    """
    lease, created = insert_once(
        SchedulerLease(name=name, holder=holder, expires_at=now + ttl), session=session,
        existing=lambda: session.scalar(select(SchedulerLease).where(SchedulerLease.name == name).with_for_update()))
    if created:
        return LeaseState(True, holder, lease.expires_at)
    if lease.holder != holder and lease.expires_at > now:
        return LeaseState(False, lease.holder, lease.expires_at)
    lease.holder = holder
    lease.expires_at = now + ttl
    return LeaseState(True, holder, lease.expires_at)


def release_lease(name: str, holder: str, *, session: Session) -> None:
    """Give the lease up, if ``holder`` still has it, so the next process need not wait for expiry."""
    session.execute(delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder))
