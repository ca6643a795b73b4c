"""What the scoring pass keeps to replay only what changed (see docs/scoring.md).

:class:`ScoreInputChange` logs, per customer, every change to the facts the model reads of them:
an interaction or a post added, edited or removed. Database triggers (migration 0012) write the
log, so every path that writes those tables is seen, including bulk imports and cascading
deletes, without the writers knowing. A customer's count of changes (the sum of its rows'
``weight``) only grows; a scoring process that kept a relationship's replay compares the count it
replayed with the stored one, and replays from the first interaction only when they differ.

A log rather than one counter row per customer: writers only ever insert, so two transactions
writing interactions of the same customers never wait on one another nor deadlock (a counter
row would be locked by each writer until it commits), and a count taken in any snapshot counts
exactly the committed changes. :func:`models.store.score_inputs.compact_score_inputs` folds the
log into a row per customer, keeping every count. Imported by :mod:`models.entities`, so the
table is on the metadata wherever the others are.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ScoreInputChange(Base):
    """``weight`` changes to a customer's interactions or posts (1 as a trigger writes it; more
    once compacted). No foreign key: a deleted customer's interactions go by cascade, and their
    triggers still write here."""

    __tablename__ = "score_input_changes"
    __table_args__ = (Index("ix_score_input_changes_customer", "customer_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
