"""The stored facts: teams, members, customers, their sources and posts, interactions, and what the
scorer, the suggestion rules and the digest have decided over time.

Schema changes go through an Alembic revision in ``models/migrations/versions``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from config.identity import MAX_ADDRESS
from config.roster import MAX_CHANNEL, MAX_NAME, MAX_TARGET, name_key
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS, SOURCE_KINDS, SUGGESTION_STATUSES, TRACKS
from models.base import Base, UTCDateTime
from models.timeline import utcnow


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Team(Base):
    """A team of account managers: its digest channel, time zone and digest time, and how many
    customers it tracks (``top_n``).

    ``name_key`` is the name as names are compared (:func:`config.names.name_key`), kept in step
    with ``name`` whenever it is set, so a team is one team however its name is cased or written.
    ``in_roster`` goes false when the roster no longer lists the team (it keeps its history, and
    gets no digest)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    name_key: Mapped[str] = mapped_column(String(MAX_NAME), unique=True, index=True)
    in_roster: Mapped[bool] = mapped_column(Boolean, default=True)
    slack_channel: Mapped[str] = mapped_column(String(MAX_CHANNEL))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_time: Mapped[str] = mapped_column(String(5), default="09:00")
    top_n: Mapped[int] = mapped_column(Integer, default=20)
    workspace: Mapped[Optional[str]] = mapped_column(String(MAX_CHANNEL))  # Slack team id, for multi-workspace installs
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="team", order_by="Member.id")
    customers: Mapped[list[Customer]] = relationship(back_populates="team", order_by="Customer.id")

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = name_key(name)
        return name


class Member(Base):
    """An account manager: a Slack user who belongs to one team, with the addresses and handles
    their own mail, meetings and replies come from (how captured contact is attributed to them)."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("team_id", "slack_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    slack_user: Mapped[str] = mapped_column(String(MAX_CHANNEL), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[Optional[str]] = mapped_column(String(MAX_ADDRESS))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    bluesky: Mapped[Optional[str]] = mapped_column(String(MAX_ADDRESS))
    mastodon: Mapped[Optional[str]] = mapped_column(String(MAX_ADDRESS))

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address this member's own mail and meetings come from."""
        return ((self.email,) if self.email else ()) + tuple(self.aliases or ())

    team: Mapped[Team] = relationship(back_populates="members")


class Customer(Base):
    """A person at a customer account whose relationship the team tends.

    ``in_roster`` goes false when the roster no longer lists them (history is kept);
    ``tracked`` is true for the team's top ``top_n`` by revenue among those in the roster.
    """

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("team_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    name_key: Mapped[str] = mapped_column(String(MAX_NAME))  # casefolded name, for matching
    company: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    revenue: Mapped[float] = mapped_column(Float, default=0.0)
    revenue_rank: Mapped[Optional[int]] = mapped_column(Integer)
    tracked: Mapped[bool] = mapped_column(Boolean, default=True)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)  # addresses captured contact is matched on
    slack_users: Mapped[list[str]] = mapped_column(JSON, default=list)  # their ids in Slack Connect channels
    cadence_days: Mapped[Optional[int]] = mapped_column(Integer)  # keep-in-touch interval, when set
    # ``/tie cadence``: the interval set in Slack (0 = none), and the roster's cadence_days when it
    # was set; it holds until a roster import changes that field (see models/store/cadence.py)
    cadence_override_days: Mapped[Optional[int]] = mapped_column(Integer)
    cadence_override_base: Mapped[Optional[int]] = mapped_column(Integer)
    in_roster: Mapped[bool] = mapped_column(Boolean, default=True)
    snoozed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="customers")
    owner: Mapped[Optional[Member]] = relationship()
    sources: Mapped[list[Source]] = relationship(back_populates="customer", order_by="Source.id")


class Source(Base):
    """Where a customer publishes. The row is also the poller's cursor and health record."""

    __tablename__ = "sources"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "target"),
        CheckConstraint(_in("kind", sorted(SOURCE_KINDS)), name="kind"),
        Index("ix_sources_due", "enabled", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(MAX_TARGET))  # handle, URN or URL as given (normalised)
    url: Mapped[Optional[str]] = mapped_column(Text)  # feed URL to poll (updated on 301/308)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    in_roster: Mapped[bool] = mapped_column(Boolean, default=True)
    # cursor
    etag: Mapped[Optional[str]] = mapped_column(String(500))
    last_modified: Mapped[Optional[str]] = mapped_column(String(100))
    since_id: Mapped[Optional[str]] = mapped_column(String(100))
    external_user_id: Mapped[Optional[str]] = mapped_column(String(100))  # e.g. the X user id
    cursor_extra: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # scheduling and health
    next_check_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    check_interval_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    last_polled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_status: Mapped[Optional[str]] = mapped_column(String(40))  # ok, not_modified, error, disabled…
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="sources")


class Post(Base):
    """Something a customer published, as plain text; unique per source and external id."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_posts_customer_published", "customer_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(500))
    url: Mapped[Optional[str]] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[Optional[str]] = mapped_column(String(300))
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Source] = relationship()
    customer: Mapped[Customer] = relationship()


class Interaction(Base):
    """One touch between the team and a customer.

    ``dedupe_key`` makes retried writes (a Slack retry, a double click, a re-imported CSV row)
    land once.
    """

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint(_in("kind", INTERACTION_KINDS), name="kind"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        Index("ix_interactions_customer_occurred", "customer_id", "occurred_at"),
        Index("ix_interactions_logged_by_created", "logged_by", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10), default="mutual")
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user: Mapped[Optional[str]] = mapped_column(String(40))  # Slack user id of the member
    origin: Mapped[str] = mapped_column(String(20), default="cli")  # config.vocabulary.INTERACTION_ORIGINS
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the import that stored the row (printed by `interactions import`; `delete --batch` removes it)
    batch: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    # the Slack member who recorded the row in Slack (/tie log, the modal, a Done click): /tie undo's
    # "what I logged"; None for rows from the command line, a CSV or a connector
    logged_by: Mapped[Optional[str]] = mapped_column(String(40))

    customer: Mapped[Customer] = relationship()


class ScoreSnapshot(Base):
    """What the scorer said about one relationship at one moment."""

    __tablename__ = "score_snapshots"
    __table_args__ = (UniqueConstraint("customer_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[float] = mapped_column(Float)
    stage: Mapped[str] = mapped_column(String(20))
    hourglass: Mapped[str] = mapped_column(String(10))
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StageChange(Base):
    """A move of a relationship between tie stages (``track='tie'``) or hourglass stages."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        UniqueConstraint("customer_id", "track", "changed_at", "to_stage"),
        CheckConstraint(_in("track", TRACKS), name="track"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    track: Mapped[str] = mapped_column(String(10), default="tie")
    from_stage: Mapped[Optional[str]] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[Optional[float]] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suggestion(Base):
    """A small gesture proposed to a customer's owner; ``dedupe_key`` keeps one per post/occasion."""

    __tablename__ = "suggestions"
    __table_args__ = (CheckConstraint(_in("status", SUGGESTION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    owner_user: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    post_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    post_url: Mapped[Optional[str]] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    suggested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    slack_channel: Mapped[Optional[str]] = mapped_column(String(40))
    slack_ts: Mapped[Optional[str]] = mapped_column(String(40))
    # when a DM delivery claimed it (``sent`` with no ``slack_ts`` yet): a claim older than the
    # stale-claim timeout is recovered by looking for the DM in Slack
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    acted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    acted_by: Mapped[Optional[str]] = mapped_column(String(40))
    # why a manager said "Not relevant" (models.store.suggestions.DISMISS_REASONS), when they said
    dismiss_reason: Mapped[Optional[str]] = mapped_column(String(20))

    customer: Mapped[Customer] = relationship()


class FollowUp(Base):
    """A reminder a member set with ``/tie remind``: on ``due_on`` (a date on the team's calendar)
    it comes back as a ``follow_up`` suggestion, keyed by the follow-up's id."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    member_user: Mapped[str] = mapped_column(String(40))  # Slack user id of who set it (and gets it)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    what: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)  # the request that set it

    customer: Mapped[Customer] = relationship()


class DigestRun(Base):
    """The digest sent (or being sent) to one team for one local date: at most one per day."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("team_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="sent")  # sending, sent, failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    covered_from: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    covered_to: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    slack_ts: Mapped[Optional[str]] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[Optional[str]] = mapped_column(Text)


class Rating(Base):
    """A manager's own 0-10 judgment of a tie, used to calibrate the model."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("rating >= 0 AND rating <= 10", name="range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    by_user: Mapped[Optional[str]] = mapped_column(String(40))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)

    customer: Mapped[Customer] = relationship()


class ApiUsage(Base):
    """Units consumed from a metered API in a period (X bills per post read, per month)."""

    __tablename__ = "api_usage"
    __table_args__ = (UniqueConstraint("provider", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    units: Mapped[int] = mapped_column(Integer, default=0)


class SchedulerLease(Base):
    """Who runs the one scheduler of a deployment, and until when the claim holds."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandledRequest(Base):
    """A Slack request already handled, under a key that is the same for Slack's retries of it: a
    retry finds it and neither redoes the work nor posts a second reply. Kept for a day."""

    __tablename__ = "handled_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# The tables of captured contact (which connection holds which interaction, who was seen where, what
# a sync noticed besides interactions) live in their own module, on the same metadata.
from models.entities_capture import Capture, Connection, NewContact, SlackConnectSighting, UpcomingMeeting  # noqa: E402,F401,I001
from models.entities_scoring import ScoreInputChange  # noqa: E402,F401,I001
from models.entities_slack import slack_bots, slack_installations, slack_oauth_states  # noqa: E402,F401,I001
