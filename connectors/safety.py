"""URL safety: a feed URL from a roster (or a redirect) must not reach into our own network.

Without this guard, anyone who can put a URL in the roster — or any feed that answers with a
redirect — could make the bot fetch ``http://169.254.169.254/`` (cloud credentials) or an admin
page on the LAN. Every hop is checked before any byte is sent to it.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Callable
from urllib.parse import urlsplit

from connectors.base import FatalError, RetriableError

ALLOWED_SCHEMES = frozenset({"http", "https"})
ALLOW_HINT = "set STRONGTIE_ALLOW_PRIVATE_NETWORKS=1 to allow it"

Resolver = Callable[[str, int], list[str]]


class UnsafeURLError(FatalError):
    """The URL was refused before any request was sent; the message says why."""

    status = "refused"


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (literal IPs resolve to themselves, without DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def address_problem(address: str) -> str | None:
    """Why connecting to ``address`` is refused, or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # Most specific first: is_private is also true of most of the other ranges.
    checks = (
        ("is_unspecified", "the unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address (cloud metadata lives there)"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private-network address"),
    )
    for attribute, description in checks:
        if getattr(ip, attribute):
            return description
    return None


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve_addresses) -> None:
    """Raise :class:`UnsafeURLError` unless ``url`` is http(s) and its host is public.

    With ``allow_private`` only the scheme is checked (the demo and tests serve feeds on loopback).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise UnsafeURLError(f"refused {url!r}: only http and https URLs are fetched, not {shown}")
    try:
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError(f"refused {url!r}: {exc}") from None
    if not host:
        raise UnsafeURLError(f"refused {url!r}: it names no host")
    if allow_private:
        return
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:  # DNS trouble is usually passing: retry, do not refuse
        raise RetriableError(f"could not resolve {host} for {url} ({exc})") from None
    for address in addresses:
        problem = address_problem(address)
        if problem:
            via = "" if address == host.strip("[]") else f" resolves to {address}, which"
            raise UnsafeURLError(f"refused {url!r}: {host}{via} is {problem}; {ALLOW_HINT}")
