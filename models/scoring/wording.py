"""The model's numbers in words: scores, dates, risk reasons and the explanation of a score.

The replay keeps numbers (a :class:`~models.scoring.risk.Risk`, the events that moved a component)
and this module words them only when a reader will see them, so scoring a million interactions
formats no text it does not show. The wording is held to the numbers: a score next to a threshold
is cut rather than rounded, and the recency line counts the very days its points use, so no
reason ever contradicts the figure beside it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from models.scoring.combine import component_points
from models.scoring.kinds import CONVERSATIONAL, GESTURES
from models.timeline import Event, as_datetime

if TYPE_CHECKING:
    from models.scoring.replay import Replay
    from models.scoring.risk import Risk

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
INTENSITY_WINDOW_DAYS = 90  # the explanation counts recent contact over this many days
_REASONS_SHOWN = 5


def short_date(moment: datetime, as_of: datetime) -> str:
    """'3 Nov', with the year when it differs from the as-of year."""
    text = f"{moment.day} {_MONTHS[moment.month - 1]}"
    return text if moment.year == as_of.year else f"{text} {moment.year}"


def signed(points: float) -> str:
    """'+18' or '−9' (a true minus sign, as the explanation reads)."""
    value = round(points)
    return f"+{value}" if value >= 0 else f"\u2212{-value}"


def figure(points: float) -> str:
    """A score as a reader can compare it with a threshold: cut (not rounded) to one decimal, so
    17.96 reads '17.9' and never '18' next to the 18 it fell under."""
    return f"{math.floor(points * 10 + 1e-9) / 10:g}"


def promotion_words(score: float, threshold: float, stage: str) -> str:
    """Why a tie was promoted: 'score 67.2 reached 65, the building threshold', or, when the score
    reads as the threshold itself, 'score reached 65, the building threshold' (never 'score 65
    reached 65')."""
    shown = figure(score)
    head = "score reached" if shown == f"{threshold:g}" else f"score {shown} reached"
    return f"{head} {threshold:g}, the {stage} threshold"


def with_article(word: str) -> str:
    """'an email', 'a call': a word with the article it reads with."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def describe(event: Event) -> str:
    """An interaction as a stage change names its cause: 'call on 2026-05-20'."""
    _, kind, _, at = event
    return f"{kind} on {as_datetime(at):%Y-%m-%d}"


def _one_way_touch(kind: str, direction: str) -> str:
    """'an email we sent', 'a like from them'…: a one-way touch, named by who made it."""
    if direction == "outbound" or (direction == "mutual" and kind in GESTURES):
        return f"{with_article(kind)} we sent" if kind in CONVERSATIONAL else f"{with_article(kind)} from us"
    return f"{with_article(kind)} from them"


def risk_words(risk: Risk | None) -> str:
    """The reason a relationship is at risk, in words ('' when it is not)."""
    if risk is None:
        return ""
    if risk.code == "silent":
        usual = f", past {risk.value:.0f} days for a usual gap of {risk.extra:.0f}" if risk.extra else ""
        text = f"no two-way contact for {risk.silent_days:.0f} days{usual}"
        if risk.posts:
            text += f", while they are active publicly ({risk.posts} posts meanwhile)"
    elif risk.code == "cadence":
        text = f"keep-in-touch cadence of {risk.value:g} days passed: no two-way contact for {risk.silent_days:.0f} days"
        if risk.posts:
            text += f", while they are active publicly ({risk.posts} posts meanwhile)"
    elif risk.code == "active":
        posts = f"{risk.value:.0f} post{'' if risk.value == 1 else 's'}"
        since = "two-way contact" if risk.extra else "contact"
        text = f"active publicly \u2014 {posts} in the {risk.silent_days:.0f} days since the last {since}"
    elif risk.code == "drop":
        text = f"score fell {risk.value:.0f} points in {risk.silent_days:.0f} days without two-way contact"
    elif risk.value < risk.extra:  # under the threshold already, held by the minimum dwell
        text = f"score {figure(risk.value)} is already under the {risk.extra:g} that {risk.stage} needs to hold"
    else:
        shown = f"{risk.value:.0f}" if round(risk.value) != risk.extra else f"{risk.value:.1f}"
        text = f"score {shown} is close to {risk.extra:g}, where {risk.stage} is lost"
    if risk.last_touch is not None:
        days, kind, direction = risk.last_touch
        text += f"; the last touch, {days:.0f} days ago, was one-way ({_one_way_touch(kind, direction)})"
    return text


def recency_words(replay: Replay, end: float) -> str:
    """The recency penalty in the terms its points use: days since the recency reference, which is
    the last two-way contact, or a little later when a one-way touch softened it (then said so)."""
    if replay.last_two_way is None:
        return f"no two-way contact in the {end - replay.first:.0f} days since the first contact"
    silent = f"{end - replay.last_two_way:.0f} days since the last two-way contact"
    if replay.recency_event is None:
        return silent
    t, kind, direction, _ = replay.recency_event
    return (f"{silent}, counted as {end - replay.recency_reference:.0f} "
            f"(softened by {_one_way_touch(kind, direction)} {end - t:.0f} days ago)")


def activity_words(recent_posts: int, window_days: float) -> str:
    """The customer's recent posts as an explanation line that says they add no points."""
    times = "once" if recent_posts == 1 else f"{recent_posts} times"
    return (f"\u00b10: they posted {times} in the last {window_days:g} days "
            "(public activity adds no points by itself)")


def explain_components(replay: Replay, contacts: int, recent: int, end: float, as_of: datetime,
                       features: tuple[float, ...], score: float, *, words: bool = True
                       ) -> tuple[dict[str, float], list[str]]:
    """Each component's points (plus ``cap``, what the clamp or the one-way cap took away, so they
    add up to ``score``) and the top reasons in words, largest first. ``contacts`` is how many
    interactions were replayed, ``recent`` how many of them in the last
    :data:`INTENSITY_WINDOW_DAYS` days. ``words=False``: the points only, no reasons."""
    points = component_points(features, replay.w)
    cap = score - sum(points.values())
    points["cap"] = 0.0 if abs(cap) < 1e-9 else cap  # float noise (or -0.0) when nothing was taken away
    if not words:
        return points, []
    if replay.first is None:
        return points, ["no interaction yet"]
    fade = replay.fade(end)

    def fading() -> str:
        """Why duration, reciprocity or services count less than they did (see Replay.fade)."""
        if fade > 0.99 or replay.last_two_way is None:
            return ""
        return f" ({fade:.0%} of it still counts after the silence)"

    def words(name: str) -> str:  # worded only for the reasons shown
        if name == "recency":
            return recency_words(replay, end)
        if name == "duration":
            return f"in touch for {replay.last_contact - replay.first:.0f} days{fading()}"
        if name == "intensity":
            return f"{contacts} contact(s), {recent} in the last {INTENSITY_WINDOW_DAYS} days"
        if name == "intimacy":
            _, kind, _, at = replay.intimacy_event
            return f"{kind} on {short_date(as_datetime(at), as_of)}"
        if name == "reciprocity":
            return f"{replay.in_count} contact(s) from them, {replay.out_count} from us{fading()}"
        if name == "services":
            latest = ", ".join(f"{kind} on {short_date(as_datetime(at), as_of)}"
                               for _, kind, _, at in replay.services[-2:][::-1])
            return f"{len(replay.services)} service(s): {latest}{fading()}"
        if replay.last_two_way is None:
            return f"capped at {replay.p.one_way_score_cap:.0f}: contact has only gone one way"
        return "a score cannot exceed 100"

    # The clamp at 0 only undoes what the penalties took beyond the score: not a reason by itself.
    ranked = sorted((name for name in points if abs(points[name]) >= 0.5 and not (name == "cap" and points[name] > 0)),
                    key=lambda n: (-abs(points[n]), n))
    return points, [f"{signed(points[name])}: {words(name)}" for name in ranked[:_REASONS_SHOWN]]
