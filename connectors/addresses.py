"""Email addresses as captured contact compares them: one spelling per address.

Calendars write ``MAILTO:Jane@Acme.example``, mail headers ``"Jane Doe" <jane@acme.example>``; the
roster lists ``jane@acme.example``. All are reduced to the bare, lower-case address before any
comparison, so a capital letter or a ``mailto:`` never decides whether contact counts.
"""

from __future__ import annotations

from email.utils import getaddresses
from typing import Iterable, Mapping

from config.identity import normalise_address

__all__ = ["address_map", "header_addresses", "normalise_address"]


def header_addresses(values: Iterable[str]) -> list[str]:
    """Every address in address headers (``To``, ``Cc``…), normalised, in order, without repeats."""
    found = (normalise_address(address) for _name, address in getaddresses([v for v in values if v]))
    return list(dict.fromkeys(a for a in found if a))


def address_map(mapping: Mapping[str, str]) -> dict[str, str]:
    """``address -> key`` with every address normalised (entries without an address dropped)."""
    return {address: key for raw, key in mapping.items() if (address := normalise_address(raw))}
