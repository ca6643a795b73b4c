"""Which Slack workspace a stored thing belongs to, for posting with that workspace's token.

A team names its workspace (``Team.workspace``, a Slack team id) when strongtie is installed in
several; everything of the team (its customers' suggestions, its digest) goes out through that
workspace's installation. The installations themselves are slack-sdk's tables
(``models/entities_slack.py``), read and written by its installation store.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Customer, Suggestion, Team


def suggestion_workspaces(suggestion_ids: Iterable[int], *, session: Session) -> dict[int, str | None]:
    """Suggestion id -> the workspace of its customer's team (None: the team names none)."""
    ids = list(suggestion_ids)
    if not ids:
        return {}
    query = (select(Suggestion.id, Team.workspace)
             .join(Customer, Customer.id == Suggestion.customer_id)
             .join(Team, Team.id == Customer.team_id)
             .where(Suggestion.id.in_(ids)))
    return {sid: workspace or None for sid, workspace in session.execute(query)}
