"""Units consumed from metered APIs (X bills per post read), per provider and month."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.entities import ApiUsage


def api_units(provider: str, period: str, *, session: Session) -> int:
    """Units of a metered API used in ``period`` (``YYYY-MM``)."""
    return session.scalar(select(ApiUsage.units).where(ApiUsage.provider == provider, ApiUsage.period == period)) or 0


def add_api_units(provider: str, period: str, units: int, *, session: Session) -> None:
    """Count ``units`` more against ``provider`` in ``period`` (row created on first use)."""
    if units <= 0:
        return
    changed = session.execute(
        update(ApiUsage).where(ApiUsage.provider == provider, ApiUsage.period == period).values(units=ApiUsage.units + units)
    ).rowcount
    if not changed:
        session.add(ApiUsage(provider=provider, period=period, units=units))
        session.flush()
