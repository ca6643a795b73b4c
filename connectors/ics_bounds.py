"""Bounds on expanding recurrences, worked out from the rules before anything is expanded.

A repeating event costs in two ways: dateutil steps through every period of its rule from its
first occurrence (``FREQ=SECONDLY`` since 1990 is a billion steps), and the expansion keeps every
occurrence in the window in memory. Both are estimated here from the rule alone, as upper bounds:
periods = span / (FREQ × INTERVAL), occurrences per period = the product of the BY lists finer
than FREQ (BYSETPOS caps it), COUNT caps occurrences. An event whose rule would take more than
:data:`MAX_RULE_PERIODS` steps is dropped (no meeting repeats every minute), and once the window's
occurrences add up to the budget, the remaining repeating events are left out and the read is
marked incomplete.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

import icalendar

#: Most steps one rule may cost dateutil (an hourly rule over eleven years, a daily one over
#: two centuries); more takes seconds of CPU for a rule no calendar of meetings has.
MAX_RULE_PERIODS = 100_000
_FREQUENCIES = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
            "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}
#: BY part -> the frequency it subdivides, and how many occurrences each listed value can give
#: per period at most (BYDAY=MO is up to 5 Mondays a month, 53 a year).
_EXPANSIONS = {"BYSECOND": "SECONDLY", "BYMINUTE": "MINUTELY", "BYHOUR": "HOURLY", "BYDAY": "DAILY",
               "BYMONTHDAY": "DAILY", "BYYEARDAY": "DAILY", "BYWEEKNO": "WEEKLY", "BYMONTH": "MONTHLY"}
_PER_VALUE = {("BYDAY", "MONTHLY"): 5, ("BYDAY", "YEARLY"): 53, ("BYMONTHDAY", "YEARLY"): 12, ("BYWEEKNO", "YEARLY"): 7}


def _first(rule: Any, key: str, default: Any = None) -> Any:
    values = rule.get(key)
    if isinstance(values, list):
        return values[0] if values else default
    return default if values is None else values


def rule_cost(rule: Any, first: datetime, until_window: datetime, window_start: datetime, to_utc) -> tuple[float, float]:
    """(steps dateutil takes up to the window's end, most occurrences inside the window) for one
    RRULE of an event first occurring at ``first`` (UTC); ``to_utc`` reads the rule's UNTIL."""
    frequency = str(_first(rule, "FREQ", "")).upper()
    if frequency not in _SECONDS:
        return float("inf"), float("inf")
    interval = max(1, int(_first(rule, "INTERVAL", 1) or 1))
    rank = _FREQUENCIES.index(frequency)
    per_period = 1.0
    for part, subdivides in _EXPANSIONS.items():
        values = rule.get(part)
        if values and _FREQUENCIES.index(subdivides) < rank:
            per_period *= len(values) * _PER_VALUE.get((part, frequency), 1)
    if rule.get("BYSETPOS"):
        per_period = min(per_period, len(rule["BYSETPOS"]))
    end = until_window
    until = _first(rule, "UNTIL")
    if until is not None:
        end = min(end, to_utc(until))
    step = timedelta(seconds=_SECONDS[frequency] * interval)
    periods = max(0.0, (end - first) / step) + 1
    inside = max(0.0, (end - max(first, window_start)) / step) + 1 if end >= window_start else 0.0
    occurrences = inside * per_period
    count = _first(rule, "COUNT")
    if count is not None:
        occurrences = min(occurrences, max(0, int(count)))
        if not any(str(key).upper().startswith("BY") for key in rule):  # every period is an occurrence
            periods = min(periods, max(0, int(count)))
    return periods, occurrences


def bound_series(
    calendar: icalendar.Calendar, zone: tzinfo, window_start: datetime, window_end: datetime, budget: int, to_utc,
) -> tuple[int, bool]:
    """Remove from ``calendar`` the repeating events that cost too much; return how many were
    dropped for repeating too often, and whether any was left out for the occurrence budget."""
    dropped: set[str] = set()
    too_often, over_budget, used = 0, False, 0.0
    for component in calendar.walk("VEVENT"):
        rules = component.get("RRULE")
        if rules is None:
            continue
        first = to_utc(component["DTSTART"].dt, zone)
        costs = [rule_cost(rule, first, window_end, window_start, lambda v: to_utc(v, zone))
                 for rule in (rules if isinstance(rules, list) else [rules])]
        steps, occurrences = sum(c[0] for c in costs), sum(c[1] for c in costs)
        if steps > MAX_RULE_PERIODS:
            too_often += 1
            dropped.add(str(component["UID"]))
        elif used + occurrences > budget:
            over_budget = True
            dropped.add(str(component["UID"]))
        else:
            used += occurrences
    if dropped:  # the whole series goes, its moved occurrences with it
        calendar.subcomponents[:] = [
            c for c in calendar.subcomponents if not (c.name == "VEVENT" and str(c.get("UID")) in dropped)]
    return too_often, over_budget
