"""Email contact out of message headers: who wrote to whom, and whether it counts.

Pure: it takes header bytes and who is who, and opens nothing (:mod:`connectors.imap` reads the
headers). Only From, To, Cc, Date, Message-ID, In-Reply-To, References and the headers that mark
bulk or automated mail are ever read; no subject, no body.

A message counts when it goes between a member and a customer:

- from a customer's address to one or more members (To or Cc): ``inbound``;
- from a member's address to one or more customers: ``outbound``;
- anything else (between members only, strangers, a customer writing to customers) does not.

With a shared ("BCC") mailbox the same rule attributes a message to every member and customer it
names. Bulk and automated mail never counts: a List-Unsubscribe or List-Id header, ``Precedence:
bulk|list|junk``, ``Auto-Submitted`` other than ``no``, or a no-reply or mailer-daemon sender.

Replies: the tie-strength model counts an email as two-way when it answers the other side within
its reply window. A reply in a thread the *other side* started is two-way whatever the delay, so
each record says whether it answers the other side (``replies_to_other_side``: True, False, or None
when the thread's first message is unknown) and :attr:`EmailContact.model_direction` gives the
direction to store for the model (``mutual`` for such a reply).
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from typing import Iterable, Mapping

from connectors.addresses import address_map, header_addresses

#: The header fields fetched (BODY.PEEK, so nothing is marked read).
HEADER_FIELDS = (
    "FROM", "TO", "CC", "DATE", "MESSAGE-ID", "IN-REPLY-TO", "REFERENCES",
    "LIST-UNSUBSCRIBE", "LIST-ID", "PRECEDENCE", "AUTO-SUBMITTED",
)
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
_AUTOMATED_SENDER = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster)(?:$|[-+_.])")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_PARSER = BytesHeaderParser(policy=email.policy.compat32)


@dataclass(frozen=True)
class MailPeople:
    """Who is who: ``address -> member key`` (one member, or a whole team for a shared mailbox)
    and ``address -> customer key``, normalised."""

    members: Mapping[str, str]
    customers: Mapping[str, str]

    @classmethod
    def of(cls, members: Mapping[str, str], customers: Mapping[str, str]) -> "MailPeople":
        """Build from roster spellings (any case)."""
        return cls(address_map(members), address_map(customers))


@dataclass(frozen=True)
class MailMessage:
    """The headers of one message that matter, normalised."""

    message_id: str
    date: datetime  # aware, UTC
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    in_reply_to: str | None
    references: tuple[str, ...]
    folder: str
    automated: str | None = None  # why it is bulk or automated mail, or None

    @property
    def thread_root(self) -> str | None:
        """The first message of the thread, as far as the headers tell."""
        return self.references[0] if self.references else self.in_reply_to


@dataclass(frozen=True)
class EmailContact:
    """One message between members and customers, as the poll job will store it."""

    message_id: str
    occurred_at: datetime  # aware, UTC
    direction: str  # inbound (customer wrote) or outbound (member wrote)
    members: tuple[str, ...]
    customers: tuple[str, ...]
    in_reply_to: str | None
    thread_root: str | None
    folder: str
    replies_to_other_side: bool | None = None
    kind: str = "email"
    origin: str = "email"

    @property
    def model_direction(self) -> str:
        """The direction to store: ``mutual`` for a reply in a thread the other side started
        (two-way whatever the delay), else the message's own direction."""
        return "mutual" if self.replies_to_other_side else self.direction


def message_ids(value: str | None) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    return tuple(_MESSAGE_ID.findall(value or ""))


def automated_reason(headers: Mapping[str, str], sender: str) -> str | None:
    """Why a message is bulk or automated mail (and so never counts), or None when it is not."""
    if headers.get("list-unsubscribe"):
        return "List-Unsubscribe"
    if headers.get("list-id"):
        return "List-Id"
    if headers.get("precedence", "").strip().lower() in _BULK_PRECEDENCE:
        return "Precedence"
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and auto != "no" and not auto.startswith("no;"):
        return "Auto-Submitted"
    if _AUTOMATED_SENDER.match(sender.split("@", 1)[0]):
        return "no-reply sender"
    return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_headers(raw: bytes, *, folder: str, received: datetime | None) -> MailMessage | None:
    """One message's header block as a :class:`MailMessage`; None when it names no sender.

    The Date header gives the time, else ``received`` (the server's INTERNALDATE). A message
    without a Message-ID gets a stable one made from its headers, so it is still stored once.
    """
    parsed = _PARSER.parsebytes(raw)
    headers = {key.lower(): str(value) for key, value in parsed.items()}
    senders = header_addresses([headers.get("from", "")])
    if not senders:
        return None
    sender = senders[0]
    to = tuple(header_addresses(parsed.get_all("to") or []))
    cc = tuple(header_addresses(parsed.get_all("cc") or []))
    moment: datetime | None = None
    try:
        moment = email.utils.parsedate_to_datetime(headers["date"]) if headers.get("date") else None
    except (TypeError, ValueError, IndexError, OverflowError):
        moment = None
    if moment is None:
        if received is None:
            return None
        moment = received
    ids = message_ids(headers.get("message-id"))
    if ids:
        message_id = ids[0]
    else:
        digest = hashlib.sha256("\n".join([sender, ",".join(to), ",".join(cc), headers.get("date", "")]).encode()).hexdigest()
        message_id = f"<sha256.{digest[:40]}@strongtie.invalid>"
    replied = message_ids(headers.get("in-reply-to"))
    return MailMessage(
        message_id=message_id,
        date=_utc(moment),
        sender=sender,
        to=to,
        cc=cc,
        in_reply_to=replied[0] if replied else None,
        references=message_ids(headers.get("references")),
        folder=folder,
        automated=automated_reason(headers, sender),
    )


def contact_of(message: MailMessage, people: MailPeople) -> EmailContact | None:
    """The contact one message is, or None when it is not between members and customers (or is
    bulk or automated)."""
    if message.automated:
        return None
    recipients = [a for a in (*message.to, *message.cc) if a != message.sender]
    if message.sender in people.members:
        members = (people.members[message.sender],)
        customers = tuple(sorted({people.customers[a] for a in recipients if a in people.customers}))
        direction = "outbound"
    elif message.sender in people.customers:
        members = tuple(sorted({people.members[a] for a in recipients if a in people.members}))
        customers = (people.customers[message.sender],)
        direction = "inbound"
    else:
        return None
    if not members or not customers:
        return None
    return EmailContact(
        message_id=message.message_id,
        occurred_at=message.date,
        direction=direction,
        members=members,
        customers=customers,
        in_reply_to=message.in_reply_to,
        thread_root=message.thread_root,
        folder=message.folder,
    )


def classify(
    messages: Iterable[MailMessage], people: MailPeople, *, known_threads: Mapping[str, str] | None = None
) -> list[EmailContact]:
    """The contacts among ``messages``, once per Message-ID (a message in INBOX and Sent, or in
    two members' mailboxes, is one exchange), oldest first.

    ``known_threads`` maps Message-IDs stored earlier to their direction, so a reply to a thread
    started in an earlier sync is still recognised as answering the other side.
    """
    seen: dict[str, EmailContact] = {}
    for message in messages:
        contact = contact_of(message, people)
        if contact is not None and contact.message_id not in seen:
            seen[contact.message_id] = contact
    directions = {**(known_threads or {}), **{c.message_id: c.direction for c in seen.values()}}
    result = []
    for contact in sorted(seen.values(), key=lambda c: (c.occurred_at, c.message_id)):
        root = contact.thread_root
        started = directions.get(root) if root and root != contact.message_id else None
        answers = None if started is None else started != contact.direction
        result.append(replace(contact, replies_to_other_side=answers))
    return result



def unlisted_parties(messages: Iterable[MailMessage], people: MailPeople) -> list[tuple[str, datetime]]:
    """``(address, date)`` of everyone in a message a member sent or received who is neither a
    member nor a listed customer (bulk and automated mail left out), earliest first: the people a
    member is in touch with who are not in the roster yet (new contacts at a known account)."""
    found: list[tuple[str, datetime]] = []
    for message in sorted(messages, key=lambda m: m.date):
        everyone = (message.sender, *message.to, *message.cc)
        if message.automated or not any(a in people.members for a in everyone):
            continue
        found += [(a, message.date) for a in dict.fromkeys(everyone)
                  if a not in people.members and a not in people.customers]
    return found
