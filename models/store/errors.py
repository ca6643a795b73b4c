"""The store's errors: a request it cannot satisfy, and a name that matched nothing."""

from __future__ import annotations

import difflib

from config.errors import UserError, quoted


class StoreError(UserError, ValueError):
    """A request the store cannot satisfy, with a message meant for the person who made it."""


class UnknownNameError(StoreError):
    """A name matched nothing; ``suggestions`` holds the closest known names. With ``list_all`` (a
    fixed vocabulary such as the interaction kinds) the message also lists every valid word."""

    def __init__(self, what: str, name: str, known: list[str], *, list_all: bool = False) -> None:
        self.name = name
        self.suggestions = close_matches(name, known)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        if list_all:  # a fixed vocabulary (kinds, directions): say every valid word
            hint += f" Valid {what}s: {', '.join(known)}."
        super().__init__(f"unknown {what} {quoted(name)}.{hint}")


def close_matches(name: str, known: list[str], limit: int = 3) -> list[str]:
    """The known names closest to ``name`` (case-insensitive), best first."""
    by_key = {k.casefold(): k for k in known}
    hits = difflib.get_close_matches(name[:200].casefold(), list(by_key), n=limit, cutoff=0.5)
    contains = [k for k in by_key if name.casefold() in k and k not in hits]
    return [by_key[k] for k in (hits + contains)[:limit]]
