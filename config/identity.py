"""How the roster says who is who outside strongtie: the addresses and ids that let captured
contact (a meeting, an email, a Slack Connect message, a reply on Bluesky or Mastodon) be
attributed to one customer and one member.

Every parser here checks one roster field and returns the value normalised for comparison
(addresses and handles in lower case), or adds a problem naming the field. :mod:`config.roster`
calls them and reports the problems with the team and customer, as for every other field.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from config.errors import quoted

MAX_ADDRESS = 254  # RFC 5321's limit on a forward path
MAX_HANDLES = 50  # of one kind, per customer or member: more is a pasted list, not a person
MAX_CADENCE_DAYS = 365

# Deliberately simple: one @, a local part without spaces or brackets, a dotted domain.
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.ASCII)
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$", re.ASCII)
_SLACK_TEAM = re.compile(r"^[TE][A-Z0-9]{2,}$", re.ASCII)
_BLUESKY = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^did:plc:[a-z2-7]{24}$", re.ASCII)
_MASTODON = re.compile(r"^@?[a-z0-9_]{1,30}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.ASCII)

# Webmail domains are never a company: only the addresses listed count for their customer.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
    "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com", "yandex.com", "yandex.ru", "zoho.com",
    "fastmail.com", "hey.com", "qq.com", "163.com", "126.com", "orange.fr", "free.fr", "libero.it",
})

Report = Callable[[str, str], None]  # (field, problem)


def normalise_address(value: object) -> str:
    """``value`` (a roster entry, a calendar's ``MAILTO:Jane@Acme.example``, a header's
    ``<jane@acme.example>``) as a bare lower-case address without ``mailto:``; "" when it holds no
    address. The one spelling every comparison of addresses uses."""
    text = str(value or "").strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    text = text.strip().strip("<>").strip()
    return text.lower() if "@" in text else ""


def is_free_mail(address: str) -> bool:
    """Whether ``address`` is at a webmail provider (its domain says nothing about a company)."""
    return address.rpartition("@")[2].lower() in FREE_MAIL_DOMAINS


def _one(value: Any, field_name: str, pattern: re.Pattern[str], example: str, report: Report) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str) or not value.strip():
        report(field_name, f"must be text like {example}, got {quoted(value)}")
        return None
    text = value.strip()
    normalised = text.lower() if pattern is not _SLACK_USER and pattern is not _SLACK_TEAM else text
    if len(normalised) > MAX_ADDRESS or not pattern.match(normalised):
        report(field_name, f"{quoted(text)} is not {example}")
        return None
    return normalised


def _many(raw: Any, field_name: str, pattern: re.Pattern[str], example: str, report: Report) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        report(field_name, f"must be a list like [{example}]")
        return ()
    if len(raw) > MAX_HANDLES:
        report(field_name, f"lists {len(raw)} values; at most {MAX_HANDLES} are allowed")
        return ()
    values: list[str] = []
    for index, item in enumerate(raw):
        value = _one(item, f"{field_name}[{index}]", pattern, example, report)
        if value is None:
            continue
        if value in values:
            report(f"{field_name}[{index}]", f"{quoted(value)} is listed twice")
            continue
        values.append(value)
    return tuple(values)


def parse_address(raw: Any, field_name: str, report: Report) -> str | None:
    """One email address (a member's ``email``), or ``None`` when absent or malformed."""
    return None if raw is None else _one(raw, field_name, _ADDRESS, "an email address like dana@ourco.example", report)


def parse_addresses(raw: Any, field_name: str, report: Report) -> tuple[str, ...]:
    """A list of email addresses (a customer's ``emails``, a member's ``aliases``)."""
    return _many(raw, field_name, _ADDRESS, "an email address like jane@acme.example", report)


def parse_slack_users(raw: Any, field_name: str, report: Report) -> tuple[str, ...]:
    """A customer's Slack user ids as seen in shared channels (``slack_users``)."""
    return _many(raw, field_name, _SLACK_USER, "a Slack user id like U0EXT123", report)


def parse_workspace(raw: Any, field_name: str, report: Report) -> str | None:
    """A team's Slack workspace id (``workspace``, e.g. ``T0123456``)."""
    return None if raw is None else _one(raw, field_name, _SLACK_TEAM, "a Slack workspace id like T0123456", report)


def parse_bluesky(raw: Any, field_name: str, report: Report) -> str | None:
    """A member's Bluesky handle (``dana.bsky.social``, a leading ``@`` allowed) or DID."""
    if isinstance(raw, str):
        raw = raw.strip().removeprefix("@")
    return None if raw is None else _one(raw, field_name, _BLUESKY, "a Bluesky handle like dana.bsky.social", report)


def parse_mastodon(raw: Any, field_name: str, report: Report) -> str | None:
    """A member's Mastodon account, normalised to ``@user@server``."""
    value = None if raw is None else _one(raw, field_name, _MASTODON, "a Mastodon account like @dana@mastodon.social", report)
    return None if value is None else "@" + value.lstrip("@")


def parse_cadence(raw: Any, field_name: str, report: Report) -> int | None:
    """A customer's keep-in-touch interval in days (``cadence_days``), 1 to a year."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_CADENCE_DAYS:
        report(field_name, f"must be a whole number of days from 1 to {MAX_CADENCE_DAYS}, got {quoted(raw)}")
        return None
    return raw


def shared_handles(members: list, customers: list) -> list[tuple[str, str, str]]:
    """``(customer, field, problem)`` for every address or Slack id of one team listed twice: for
    two customers, or for a customer and a member, captured contact could not be attributed."""
    owners: dict[tuple[str, str], str] = {}
    for member in members:
        for address in member.addresses:
            owners[("email", address)] = f"member {quoted(member.name)}"
    found = []
    for customer in customers:
        for field_name, kind, values in (("emails", "email", customer.emails), ("slack_users", "slack", customer.slack_users)):
            for value in values:
                other = owners.get((kind, value))
                if other is not None:
                    found.append((customer.name, field_name, f"{quoted(value)} is also listed for {other}"))
                    continue
                owners[(kind, value)] = f"customer {quoted(customer.name)}"
    return found
