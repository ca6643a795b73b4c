"""What reading a metered API costs, and how a monthly budget is paced over the month.

A connector whose reads are billed declares ``metered_provider`` (X bills per post read) and is
given a :class:`Metering`; the poll job counts the units each read consumed per provider and month
and asks :class:`MonthlyBudget` how many units each due source may read in a pass. Pure: no
network, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class Metering:
    """The price of one billed unit and the monthly budget in US dollars (0: no cap)."""

    price_per_unit_usd: float = 0.0
    monthly_budget_usd: float = 0.0

    def spend_usd(self, units: int) -> float:
        """What ``units`` cost, rounded to a hundredth of a cent."""
        return round(units * self.price_per_unit_usd, 4)


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of ``now``'s UTC month and start of the next."""
    start = now.astimezone(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def month_period(now: datetime) -> str:
    """``now``'s UTC month as ``YYYY-MM``, the period metered API use is counted in."""
    return now.astimezone(timezone.utc).strftime("%Y-%m")


@dataclass(frozen=True)
class MonthlyBudget:
    """How many units each due source of a metered API may read this pass, or until when it must wait.

    Spending is paced evenly over the month: after spending a fraction f of the month's units,
    the API is read again only once a fraction f of the month has passed. A read never asks for
    more units than remain, so the cap is never passed.
    """

    per_source: int | None  # None: no cap configured
    remaining: int = 0  # units left this month
    wait_until: datetime | None = None

    @classmethod
    def plan(cls, metering: Metering, *, used: int, due: int, now: datetime, min_page: int) -> "MonthlyBudget":
        """The pass's allowance from the monthly budget, ``used`` units so far and ``due`` sources;
        ``min_page`` is the smallest read the API accepts."""
        if metering.monthly_budget_usd <= 0 or metering.price_per_unit_usd <= 0:
            return cls(per_source=None)
        allowed = int(metering.monthly_budget_usd / metering.price_per_unit_usd)
        start, end = month_bounds(now)
        remaining = allowed - used
        if remaining < min_page:
            return cls(per_source=0, wait_until=end)
        paced_until = start + (end - start) * (used / allowed)
        if now < paced_until:
            return cls(per_source=0, remaining=remaining, wait_until=paced_until)
        # Too little left for everyone this pass: the first sources get a minimal read each.
        return cls(per_source=max(min_page, remaining // max(1, due)), remaining=remaining)

    def shares(self, count: int) -> list[int]:
        """Units each of ``count`` sources may read this pass, in order (0: wait)."""
        if self.wait_until is not None or self.per_source is None:
            return [0] * count
        left, result = self.remaining, []
        for _ in range(count):
            share = min(self.per_source, left)
            result.append(share if share >= 1 else 0)
            left -= result[-1]
        return result
