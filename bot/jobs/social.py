"""Replies, reposts and mentions on Bluesky and Mastodon between customers and the team's members,
stored as interactions: conversation in public moves a relationship as a logged message would.

Two reads feed it:

- a customer's own feed (their source, read by the poll pass): their reply to, repost of, or
  mention of a member's post is a ``mention`` from them (inbound). Their own posts stay posts;
  their replies and reposts that concern no member are neither posts nor interactions.
- each member's own feed (``bluesky:``/``mastodon:`` in the roster), read once per poll pass (its
  newest page: no cursor is kept, the dedupe keys make a re-read harmless): their reply to a
  customer's post is a ``comment`` from us, their repost a ``share`` from us, and the open "share
  their post" suggestion for that post is closed as done.

Each interaction has ``origin`` ``bluesky`` or ``mastodon`` and a dedupe key made of the network,
the customer and the post (or repost), so however often a feed is read it is stored once.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import datetime
from typing import Iterable, Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.jobs.score import rescore_safely
from bot.runtime import Runtime
from connectors.base import Connector, ConnectorError, Cursor, RateLimitedError, Record, SourceRef
from connectors.mastodon import canonical
from connectors.social import POST, REPLY, REPOST, SocialRecord
from models.entities import Customer, Member, Post, Source, Suggestion
from models.store.interactions import log_interaction
from models.store.suggestions import ACTIONABLE_STATUSES, complete_suggestion

log = logging.getLogger(__name__)

NETWORKS = {"bluesky": "Bluesky", "mastodon": "Mastodon"}
_DEDUPE_LIMIT = 200  # the dedupe_key column's width


def handle_key(network: str, handle: str | None) -> str:
    """A handle as both sides compare it: ``dana.bsky.social``, ``@dana@mastodon.social``."""
    if not handle:
        return ""
    if network == "mastodon":
        _, _, host = handle.strip().lstrip("@").partition("@")
        return canonical(handle, host) if host else ""
    return handle.strip().lstrip("@").lower()


def dedupe_key(network: str, customer_id: int, record_id: str) -> str:
    """``bluesky:<customer>:<post or repost id>``, hashed when longer than the column."""
    key = f"{network}:{customer_id}:{record_id}"
    if len(key) <= _DEDUPE_LIMIT:
        return key
    return f"{network}:{customer_id}:sha256:{hashlib.sha256(record_id.encode()).hexdigest()}"


def _members(team_id: int, network: str, *, session: Session) -> dict[str, Member]:
    rows = session.scalars(select(Member).where(Member.team_id == team_id, Member.active.is_(True)))
    return {handle_key(network, getattr(m, network)): m for m in rows if getattr(m, network)}


def _note(network: str, what: str, member: Member) -> str:
    return f"on {NETWORKS[network]}, {what} {member.name}'s post" if what else f"on {NETWORKS[network]}, a mention of {member.name}"


def store_conversation(customer_id: int, kind: str, records: Sequence[Record], *, session: Session,
                       now: datetime, params: object | None = None) -> list[Record]:
    """Store the customer's replies to, reposts of and mentions of the team's members as inbound
    ``mention`` interactions (once each); return the records that are posts to store as such.
    ``params``: the scoring parameters to rescore with when something new was stored (None: the
    relationship is rescored by the next scoring run)."""
    if kind not in NETWORKS or not any(isinstance(r, SocialRecord) for r in records):
        return list(records)
    customer = session.get(Customer, customer_id)
    members = _members(customer.team_id, kind, session=session) if customer is not None else {}
    posts: list[Record] = []
    created = False
    for record in records:
        if not isinstance(record, SocialRecord):
            posts.append(record)
            continue
        member, what = None, ""
        if record.action in (REPLY, REPOST):
            member = members.get(handle_key(kind, record.target_author))
            what = "a reply to" if record.action == REPLY else "a repost of"
        if member is None:
            member = next((members[h] for h in map(lambda m: handle_key(kind, m), record.mentions) if h in members), None)
            what = ""
        if member is not None and customer is not None:
            logged = log_interaction(
                customer, "mention", session=session, occurred_at=record.published_at or now, direction="inbound",
                note=_note(kind, what, member), by_user=member.slack_user, origin=kind,
                dedupe_key=dedupe_key(kind, customer.id, record.external_id), now=now)
            created = created or logged.created
        elif record.action == POST:
            posts.append(record)
    if created and params is not None:
        rescore_safely([customer_id], session=session, as_of=now, params=params)  # type: ignore[arg-type]
    return posts


def _customers_by_handle(team_id: int, network: str, *, session: Session) -> dict[str, list[Customer]]:
    """The team's customers, by their handles (and Bluesky DIDs) on ``network``."""
    found: dict[str, list[Customer]] = defaultdict(list)
    query = (select(Source).join(Customer, Customer.id == Source.customer_id)
             .where(Customer.team_id == team_id, Source.kind == network))
    for source in session.scalars(query):
        for key in {handle_key(network, source.target), source.external_user_id if network == "bluesky" else None}:
            if key:
                found[key].append(source.customer)
    return found


def _close_share_suggestion(customer: Customer, record: SocialRecord, member: Member, *, session: Session, now: datetime) -> None:
    """The member shared the customer's post: its open "share" suggestion is done (no second touch)."""
    matches = [Post.external_id == record.target_id] + ([Post.url == record.target_url] if record.target_url else [])
    post_ids = select(Post.id).where(Post.customer_id == customer.id, or_(*matches))
    query = select(Suggestion).where(Suggestion.customer_id == customer.id, Suggestion.kind == "share",
                                     Suggestion.status.in_(ACTIONABLE_STATUSES), Suggestion.post_id.in_(post_ids))
    for suggestion in session.scalars(query):
        complete_suggestion(suggestion, session=session, by_user=member.slack_user, now=now, interaction_kind="share",
                            log_touch=False)


def store_member_actions(member: Member, kind: str, records: Iterable[Record], *, session: Session,
                         now: datetime) -> set[int]:
    """Store a member's replies to and reposts of the team's customers' posts as outbound
    ``comment``/``share`` interactions (once each); return the customers given a new one."""
    customers = _customers_by_handle(member.team_id, kind, session=session)
    touched: set[int] = set()
    for record in records:
        if not isinstance(record, SocialRecord) or record.action not in (REPLY, REPOST):
            continue
        targets = customers.get(handle_key(kind, record.target_author)) or customers.get(record.target_author_id) or []
        for customer in targets:
            interaction = "comment" if record.action == REPLY else "share"
            what = "a reply to" if record.action == REPLY else "a repost of"
            logged = log_interaction(
                customer, interaction, session=session, occurred_at=record.published_at or now, direction="outbound",
                note=f"on {NETWORKS[kind]}, {what} their post by {member.name}", by_user=member.slack_user, origin=kind,
                dedupe_key=dedupe_key(kind, customer.id, record.external_id), now=now)
            if record.action == REPOST:
                _close_share_suggestion(customer, record, member, session=session, now=now)
            if logged.created:
                touched.add(customer.id)
    return touched


def read_member_feeds(runtime: Runtime, connectors: Mapping[str, Connector], *, now: datetime) -> int:
    """Read the newest page of every active member's Bluesky and Mastodon feed and store their
    replies to and reposts of customers' posts; return how many customers got a new touch. A
    failure is logged and skips that member (a rate limit: the rest of that network, this pass)."""
    with runtime.session() as session:
        members = [(m.id, network, getattr(m, network)) for m in session.scalars(select(Member).where(Member.active.is_(True)))
                   for network in NETWORKS if getattr(m, network)]
    limited: set[str] = set()
    touched: set[int] = set()
    for member_id, network, handle in members:
        if network in limited or network not in connectors:
            continue
        target = handle_key(network, handle)
        try:
            result = connectors[network].fetch(SourceRef(network, target), Cursor())
        except RateLimitedError as error:
            limited.add(network)
            log.warning("member feed %s:%s: %s", network, target, error.message)
            continue
        except ConnectorError as error:
            log.warning("member feed %s:%s: %s", network, target, error.message)
            continue
        try:
            with runtime.session() as session:
                member = session.get(Member, member_id)
                new = store_member_actions(member, network, result.records, session=session, now=now) if member else set()
                if new:
                    rescore_safely(new, session=session, as_of=now, params=runtime.scoring)
        except Exception:  # one member's feed must not end the pass
            log.exception("could not store what the member feed %s:%s holds", network, target)
            continue
        touched |= new
    return len(touched)
