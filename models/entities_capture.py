"""The tables of captured contact: members' calendars and mailboxes (:class:`Connection`), which connection captured which interaction (:class:`Capture`),
who of a customer's Slack users was seen in which shared channel (:class:`SlackConnectSighting`),
and what a capture sync notices besides interactions: the meetings with customers coming up (for
meeting prep) and the unlisted people first seen at a tracked customer's company (for the digest).
Imported by :mod:`models.entities`, so these tables are on the metadata wherever the others are.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.identity import MAX_ADDRESS
from config.roster import MAX_CHANNEL, MAX_NAME
from models.base import Base, UTCDateTime
from models.timeline import utcnow

if TYPE_CHECKING:  # the relationship names Member by string; SQLAlchemy resolves it
    from models.entities import Member


class Connection(Base):
    """A member's calendar or mailbox that strongtie reads to capture contact by itself.

    ``secret`` is the credential sealed by :class:`models.crypto.SecretBox` (a calendar's secret
    address, a mailbox password or OAuth2 token) and is never shown; ``options`` holds what is not
    secret (IMAP host, port, user, security, folders). Like a source, the row is also the sync's
    cursor and health record."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # calendar, imap
    secret: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_check_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_synced_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(40), default="new")  # new, ok, not_modified, error, disabled
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()


class UpcomingMeeting(Base):
    """A meeting with a customer starting soon, as a connection's latest sync saw it (replaced
    whole at each sync of that connection). ``uid`` and ``occurrence`` name the occurrence for good
    (see :class:`connectors.ics.Meeting`), so a meeting-prep suggestion is made once per meeting."""

    __tablename__ = "upcoming_meetings"
    __table_args__ = (UniqueConstraint("connection_id", "customer_id", "uid", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(Text)
    occurrence: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class NewContact(Base):
    """An unlisted address at a tracked customer's company domain, first seen in a member's
    calendar or mailbox: the digest reports it once ("new contact at Acme"); nothing is scored."""

    __tablename__ = "new_contacts"
    __table_args__ = (UniqueConstraint("team_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(MAX_ADDRESS))
    company: Mapped[str] = mapped_column(String(MAX_NAME))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class Capture(Base):
    """Which connection captured which interaction, and as what: a meeting's event UID and
    occurrence key, or an email's Message-ID and its own direction (``occurrence``). One captured
    interaction may have several (two members in one meeting with one customer); a sync that no
    longer finds it drops only its own, and the interaction goes with the last of them."""

    __tablename__ = "captures"
    __table_args__ = (UniqueConstraint("connection_id", "interaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(Text, index=True)  # event UID or Message-ID
    occurrence: Mapped[str] = mapped_column(String(64))  # occurrence key, or the email's direction


class SlackConnectSighting(Base):
    """A customer's listed Slack user seen posting in a channel the bot is in (issue 12): who is on
    the other side of a shared channel, so a member's message there counts as outbound contact with
    them. Never the message; only who, where and when last."""

    __tablename__ = "slack_connect_sightings"
    __table_args__ = (UniqueConstraint("channel", "slack_user", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(MAX_CHANNEL), index=True)
    slack_user: Mapped[str] = mapped_column(String(MAX_CHANNEL))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
