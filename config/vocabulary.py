"""The words strongtie's data is made of, each defined once: relationship stages, interaction
kinds and directions, source kinds, suggestion statuses.

Everything else (the schema's CHECK constraints, the model, the rules, the command line, the
Slack surface) imports them from here, so adding a kind or a stage is a one-line change that every
layer sees.
"""

from __future__ import annotations

#: Tie stages, weakest first: the relationship funnel.
TIE_STAGES = ("unaware", "awareness", "weak_tie", "building", "strong_tie")
#: Marketing Hourglass stages, in order: every person in one is a lead for the next.
HOURGLASS_STAGES = ("know", "like", "trust", "try", "buy", "repeat", "refer")
#: Whether a relationship's usual rhythm of contact has broken.
RISK_STATES = ("ok", "at_risk")
#: The tracks a relationship moves on, each a stage change of its own kind.
TRACKS = ("tie", "hourglass", "risk")
#: Each track with an order of stages (being at risk is a state, not a stage to climb).
STAGE_ORDERS: dict[str, tuple[str, ...]] = {"tie": TIE_STAGES, "hourglass": HOURGLASS_STAGES}

#: Every kind of interaction a touch can be.
INTERACTION_KINDS = (
    "meeting", "call", "email", "message", "comment", "share", "like", "mention",
    "gift", "event", "intro", "referral", "trial", "purchase", "note",
)
#: Where an interaction came from: typed (slack, button, cli, csv) or captured by strongtie itself.
INTERACTION_ORIGINS = ("slack", "button", "cli", "csv", "calendar", "email", "slack_connect", "bluesky", "mastodon")
#: Kinds that are no contact with the customer (an internal note): stored, never scored.
NOT_CONTACT = frozenset({"note"})
#: Who took part: they reached out, we did, or both.
DIRECTIONS = ("inbound", "outbound", "mutual")
#: The words a person types for a direction (``/tie log Jane email to``): ``from`` them, ``to``
#: them, ``with`` them.
DIRECTION_WORDS = {"from": "inbound", "to": "outbound", "with": "mutual"}
#: The direction a touch of each kind has when nobody says (the command line, CSV import and Slack
#: alike): a conversation takes both sides, a purchase or a trial is the customer's own move, and
#: everything else (an email, a share, a gift, a referral, a note…) is something we did.
_MUTUAL_KINDS = frozenset({"meeting", "call", "event"})
_INBOUND_KINDS = frozenset({"purchase", "trial"})
DEFAULT_DIRECTIONS: dict[str, str] = {
    kind: "mutual" if kind in _MUTUAL_KINDS else "inbound" if kind in _INBOUND_KINDS else "outbound"
    for kind in INTERACTION_KINDS
}

#: Sources read as RSS/Atom feeds, and every source kind the roster accepts.
FEED_KINDS = frozenset({"rss", "bluesky", "mastodon", "youtube", "substack"})
SOURCE_KINDS = FEED_KINDS | {"twitter", "linkedin"}
#: what a member can connect for strongtie to capture contact by itself
CONNECTION_KINDS = ("calendar", "imap")

#: What became of a suggestion.
SUGGESTION_STATUSES = ("open", "sent", "done", "snoozed", "dismissed")
