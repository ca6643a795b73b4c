"""URL safety: a feed URL from a roster (or a redirect) must not reach into our own network.

Without this guard, anyone who can put a URL in the roster — or any feed that answers with a
redirect — could make the bot fetch ``http://169.254.169.254/`` (cloud credentials) or an admin
page on the LAN. Every hop is checked before any byte is sent to it, and the check returns the
addresses it vetted: the HTTP client connects to one of those, never resolving the name again,
so a name that changes its answer between check and connect (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from connectors.base import FatalError, RetriableError
from connectors.deadline import remaining_seconds

ALLOWED_SCHEMES = frozenset({"http", "https"})
ALLOW_HINT = "set STRONGTIE_ALLOW_PRIVATE_NETWORKS=1 to allow it"

Resolver = Callable[[str, int], list[str]]


class UnsafeURLError(FatalError):
    """The URL was refused before any request was sent; the message says why."""

    status = "refused"


#: How long a lookup may take outside a fetch (inside one, the fetch's own deadline bounds it).
DNS_TIMEOUT_SECONDS = 15.0
# The system resolver cannot be interrupted, so lookups run on these threads and the caller stops
# waiting at its deadline; a resolver that never answers holds at most this many threads.
_LOOKUPS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="strongtie-dns")


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order of preference, without
    duplicates (literal IPs resolve to themselves, without DNS).

    Bounded in time: by what is left of the current fetch's deadline, or
    :data:`DNS_TIMEOUT_SECONDS`; a slower answer raises :class:`TimeoutError` (an ``OSError``)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    left = remaining_seconds()
    timeout = DNS_TIMEOUT_SECONDS if left is None else left
    lookup = _LOOKUPS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=timeout)
    except FutureTimeout:
        lookup.cancel()
        raise TimeoutError(f"the DNS lookup of {host} took longer than {timeout:.1f} s") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: IPAddress) -> tuple[str, list[ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries and how (IPv4-mapped, 6to4, Teredo, NAT64,
    IPv4-compatible), so a tunnel cannot smuggle a private IPv4 address past the check.

    Returns ``("", [])`` for an address that wraps none (IPv4 addresses included).
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return "", []
    if ip.ipv4_mapped is not None:
        return "an IPv4-mapped address", [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return "a 6to4 address", [ip.sixtofour]
    if ip.teredo is not None:
        return "a Teredo address", list(ip.teredo)
    last32 = ipaddress.IPv4Address(ip.packed[-4:])
    if ip in _NAT64:
        return "a NAT64 address", [last32]
    if ip.packed[:12] == bytes(12) and int(ip) > 1:  # ::a.b.c.d, deprecated but still routed by some stacks
        return "an IPv4-compatible address", [last32]
    return "", []


def _plain_problem(ip: IPAddress) -> str | None:
    # Most specific first: is_private is also true of most of the other ranges. Python counts
    # multicast as global, so it is refused by name; anything else not global (shared
    # carrier-grade NAT 100.64.0.0/10, where Alibaba's metadata service lives, documentation and
    # benchmarking ranges, ...) is refused by the final check.
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
    if not ip.is_global:
        return "not a publicly routable address (e.g. shared carrier-grade NAT space, where some cloud metadata lives)"
    return None


def address_problem(address: str) -> str | None:
    """Why connecting to ``address`` is refused, or None when it is a public address.

    An IPv6 address wrapping an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by what it
    wraps as well as by itself.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    how, wrapped = embedded_ipv4(ip)
    for inner in wrapped:
        problem = _plain_problem(inner)
        if problem:
            return f"{how} wrapping {inner}, which is {problem}"
    return _plain_problem(ip)


@dataclass(frozen=True)
class Destination:
    """A URL that passed the check: where to connect and the addresses vetted for its host.

    ``addresses`` is empty when private networks are allowed (nothing was resolved, nothing needs
    pinning): the client then connects by name.
    """

    scheme: str
    host: str  # as in the URL, lower case, IPv6 literals without brackets
    port: int
    addresses: tuple[str, ...] = ()

    @property
    def host_header(self) -> str:
        """The ``Host`` header a request to this destination carries (the name, not the address)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve_addresses) -> Destination:
    """Raise :class:`UnsafeURLError` unless ``url`` is http(s) and its host is public; return the
    :class:`Destination` with the vetted addresses, which are the only ones to connect to.

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
        return Destination(scheme, host, port)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:  # DNS trouble is usually passing: retry, do not refuse
        raise RetriableError(f"could not resolve {host} for {url} ({exc})") from None
    if not addresses:
        raise RetriableError(f"could not resolve {host} for {url} (no addresses)")
    for address in addresses:
        problem = address_problem(address)
        if problem:
            via = "" if address == host else f" resolves to {address}, which"
            raise UnsafeURLError(f"refused {url!r}: {host}{via} is {problem}; {ALLOW_HINT}")
    return Destination(scheme, host, port, tuple(addresses))
