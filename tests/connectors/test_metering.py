"""Metered APIs: the monthly budget paced over the month, the month a unit is counted in, spend."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config.settings import Settings
from connectors.metering import Metering, MonthlyBudget, month_bounds, month_period
from connectors.registry import build_connectors, metered_connectors

NOW = datetime(2026, 11, 16, 0, 0, tzinfo=timezone.utc)  # mid-month


def x_metering(**settings) -> Metering:
    """The metering the registry gives the X connector for these settings."""
    return metered_connectors(build_connectors(Settings(**settings)))["x"].metering


def test_only_x_is_metered_and_its_metering_comes_from_the_settings():
    connectors = build_connectors(Settings(x_monthly_budget_usd=2.5, x_price_per_post_usd=0.01))
    assert set(metered_connectors(connectors)) == {"x"}
    assert metered_connectors(connectors)["x"] is connectors["twitter"]
    assert connectors["twitter"].metering == Metering(price_per_unit_usd=0.01, monthly_budget_usd=2.5)
    assert {c.metered_provider for kind, c in connectors.items() if kind != "twitter"} == {None}


@pytest.mark.parametrize(
    "used, now, waits_until",
    [
        pytest.param(0, NOW, None, id="nothing-spent"),
        pytest.param(50, NOW, None, id="behind-pace"),
        pytest.param(80, NOW, datetime(2026, 11, 25, tzinfo=timezone.utc), id="ahead-of-pace-waits"),
        pytest.param(98, NOW, datetime(2026, 12, 1, tzinfo=timezone.utc), id="spent-waits-for-next-month"),
    ],
)
def test_x_budget_pacing(used, now, waits_until):
    metering = x_metering(x_monthly_budget_usd=1.0, x_price_per_post_usd=0.01)  # 100 posts a month
    budget = MonthlyBudget.plan(metering, used=used, due=2, now=now, min_page=5)
    assert budget.wait_until == waits_until
    if waits_until is None:
        assert budget.per_source == (100 - used) // 2 and budget.shares(2) == [(100 - used) // 2] * 2
    else:
        assert budget.shares(2) == [0, 0]


def test_no_budget_means_no_cap():
    assert MonthlyBudget.plan(x_metering(), used=10_000, due=3, now=NOW, min_page=5).per_source is None


@pytest.mark.parametrize(
    "metering",
    [
        pytest.param(Metering(price_per_unit_usd=0.005), id="no-budget"),
        pytest.param(Metering(monthly_budget_usd=10.0), id="no-price"),
    ],
)
def test_without_a_budget_and_a_price_nothing_is_capped(metering):
    budget = MonthlyBudget.plan(metering, used=10_000, due=3, now=NOW, min_page=5)
    assert budget.per_source is None and budget.shares(3) == [0, 0, 0]


def test_a_scarce_budget_serves_the_first_sources_a_minimal_read_each():
    metering = x_metering(x_monthly_budget_usd=1.0, x_price_per_post_usd=0.01)  # 100 posts a month
    budget = MonthlyBudget.plan(metering, used=88, due=3, now=datetime(2026, 11, 30, tzinfo=timezone.utc), min_page=5)
    assert budget.shares(3) == [5, 5, 2]  # the last share is under X's minimum page: it waits
    assert sum(budget.shares(3)) <= 100 - 88


@pytest.mark.parametrize(
    "now, start, end, period",
    [
        pytest.param(
            NOW, datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc), "2026-11", id="mid-month"
        ),
        pytest.param(
            datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc),
            datetime(2026, 12, 1, tzinfo=timezone.utc),
            datetime(2027, 1, 1, tzinfo=timezone.utc),
            "2026-12",
            id="december-rolls-into-january",
        ),
        pytest.param(
            datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 12, 1, tzinfo=timezone.utc),
            datetime(2027, 1, 1, tzinfo=timezone.utc),
            "2026-12",
            id="counted-in-utc-not-local-time",
        ),
    ],
)
def test_units_are_counted_per_utc_month(now, start, end, period):
    assert month_bounds(now) == (start, end)
    assert month_period(now) == period


def test_spend_is_units_times_price():
    assert Metering(price_per_unit_usd=0.005).spend_usd(12) == 0.06
    assert Metering().spend_usd(1_000) == 0
