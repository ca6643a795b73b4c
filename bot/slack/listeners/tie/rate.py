"""``/tie rate <customer> <0-10>``: a manager's own judgment of a tie, for calibration."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import parse_whole_number, resolve_customer
from bot.slack.listeners.tie.request import TieRequest
from models.store.ratings import record_rating


def handle(request: TieRequest, session: Session) -> str:
    """Record the manager's 0-10 judgment of the tie once per invocation (the model is calibrated
    against these); a retry finds the first rating by the request's key."""
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    rating = parse_whole_number(rest, what="the rating", low=0, high=10)
    record_rating(customer, rating, session=session, rated_at=request.now, by_user=request.user_id,
                  dedupe_key=request.dedupe_key())
    return f"Noted: you rate your tie with *{escape_mrkdwn(customer.name)}* {rating}/10. Thank you, it keeps the model honest."
