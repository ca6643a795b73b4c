"""The Marketing Hourglass stage: the further of what the tie and the commercial events support.

The tie alone takes a relationship to ``know`` (unaware, awareness), ``like`` (weak_tie) or
``trust`` (building, strong_tie); a trial gives ``try``, a purchase ``buy``, purchases on two
different days ``repeat``, and a referral from them ``refer``. A referral we gave them is a service,
not a step in their hourglass. The stage names come from :mod:`config.vocabulary`; this module
says which events reach which of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from config.vocabulary import HOURGLASS_STAGES
from models.scoring.transitions import Transition
from models.timeline import Event, as_datetime

if TYPE_CHECKING:
    from models.scoring.replay import Replay

_RANK = {stage: rank for rank, stage in enumerate(HOURGLASS_STAGES)}
#: The hourglass rank each tie stage supports by itself.
_TIE_RANK = {"unaware": _RANK["know"], "awareness": _RANK["know"], "weak_tie": _RANK["like"],
             "building": _RANK["trust"], "strong_tie": _RANK["trust"]}
#: How each commercial rank reads in a reason.
_COMMERCE_WORDS = {_RANK["try"]: "trial", _RANK["buy"]: "purchase", _RANK["repeat"]: "repeat purchase",
                   _RANK["refer"]: "referral from them"}


def apply_commerce(replay: Replay, event: Event) -> bool:
    """Advance the commercial side of the hourglass (try, buy, repeat, refer) with ``event``;
    whether it was a commercial step at all."""
    t, kind, direction, _ = event
    if kind == "trial":
        rank = _RANK["try"]
    elif kind == "purchase":
        replay.purchase_days.add(math.floor(t))  # purchases on two different days make a repeat
        rank = _RANK["repeat"] if len(replay.purchase_days) >= 2 else _RANK["buy"]
    elif kind == "referral" and direction != "outbound":
        rank = _RANK["refer"]
    else:
        return False
    if rank > replay.commerce_rank:
        replay.commerce_rank, replay.commerce_event = rank, event
    return True


def update_hourglass(replay: Replay, at: datetime | int, score: float, cause: Callable[[], str]) -> None:
    """Move the hourglass to the further of what the tie and the commercial events support,
    recording why: the commercial event when it leads, else ``cause`` (worded only if kept)."""
    tie_rank = _TIE_RANK[replay.stage]
    commerce_rank = replay.commerce_rank
    target = HOURGLASS_STAGES[tie_rank if tie_rank > commerce_rank else commerce_rank]
    if target != replay.hourglass:
        if replay.record:
            reason = commerce_reason(replay) if commerce_rank >= tie_rank and commerce_rank else cause()
            replay.transitions.append(Transition("hourglass", as_datetime(at), replay.hourglass, target, score, reason))
        replay.hourglass = target


def commerce_reason(replay: Replay) -> str:
    """The commercial event that set the hourglass stage, in words ('purchase on 2026-03-02')."""
    return f"{_COMMERCE_WORDS[replay.commerce_rank]} on {as_datetime(replay.commerce_event[3]):%Y-%m-%d}"
