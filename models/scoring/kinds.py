"""What each kind of interaction, logged in each direction, means to the model.

The vocabulary (which kinds and directions exist) lives in :mod:`config.vocabulary`; this module
says how the model reads them: which contact is two-way by its nature, which becomes two-way when
it answers the other side, which are one-sided gestures, reciprocal services or commercial steps,
and which are no contact at all. Those answers are worked out once per intimacy table into
:class:`KindFacts`, so replaying a million interactions costs one lookup each rather than a dozen
set membership tests.
"""

from __future__ import annotations

from typing import NamedTuple

from config.scoring import ScoringParams
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS

#: Contact that is two-way by its nature, whatever direction was logged.
INHERENTLY_TWO_WAY = frozenset({"meeting", "call", "event"})
#: Contact that is two-way when both took part (``mutual``) or when it answers the other side.
CONVERSATIONAL = frozenset({"email", "message"})
#: One-sided gestures: a ``mutual`` one still only counts as ours.
GESTURES = frozenset({"comment", "share", "like", "mention", "gift"})
#: Granovetter's reciprocal services.
SERVICES = frozenset({"intro", "referral", "purchase"})
#: The customer's own acts: they took part whatever direction was logged, so they are two-way.
THEIR_ACTS = frozenset({"purchase", "trial"})
#: Services that are two-way when they come from the customer (inbound or mutual); ours are one-way.
SERVICES_FROM_THEM = frozenset({"referral", "intro"})
#: Steps on the commercial side of the hourglass (try, buy, repeat, refer).
COMMERCIAL = frozenset({"trial", "purchase", "referral"})


class KindFacts(NamedTuple):
    """What one (kind, direction) means to the model, read once per interaction in the replay."""

    weight: float  # intimacy weight
    inbound: bool  # adds to their side of reciprocity
    outbound: bool  # adds to ours
    two_way: bool  # two-way whatever else happened
    conversational: bool  # two-way when it answers the other side in time
    service: bool
    commercial: bool


def facts_of(kind: str, direction: str, intimacy: float) -> KindFacts:
    """What an interaction of ``kind`` logged as ``direction`` means, with ``intimacy`` its weight."""
    return KindFacts(
        weight=intimacy,
        inbound=direction == "inbound" or (direction == "mutual" and kind not in GESTURES),
        outbound=direction != "inbound",
        two_way=kind in INHERENTLY_TWO_WAY or kind in THEIR_ACTS or (
            kind in SERVICES_FROM_THEM and direction != "outbound"),
        conversational=kind in CONVERSATIONAL,
        service=kind in SERVICES,
        commercial=kind in COMMERCIAL)


def kind_facts(params: ScoringParams) -> dict[str, dict[str, KindFacts]]:
    """Kind -> direction -> :class:`KindFacts` for every kind of the vocabulary (and of the intimacy
    table), built once per intimacy table rather than once per relationship."""
    key = tuple(sorted(params.intimacy.items()))
    facts = _KIND_FACTS.get(key)
    if facts is None:
        kinds = set(INTERACTION_KINDS) | set(params.intimacy)
        facts = _KIND_FACTS[key] = {
            kind: {direction: facts_of(kind, direction, params.intimacy.get(kind, 0.0)) for direction in DIRECTIONS}
            for kind in kinds}
    return facts


_KIND_FACTS: dict[tuple, dict[str, dict[str, KindFacts]]] = {}
