"""The one base for errors a person caused and can fix.

Every layer raises its own subclass (a bad setting, a bad roster, a name the store does not know,
an unreadable CSV); the command line catches :class:`UserError` alone and prints its message as one
line, never a traceback. Anything else is a bug or an outage and is allowed to show as one.
"""

import reprlib


class UserError(Exception):
    """Something the person running strongtie asked for cannot be done as asked; the message says
    what to change."""


class InputError(UserError, ValueError):
    """A value a person typed cannot be read (a time, a number, a word of a command); the message
    quotes it and says what form was expected."""


QUOTE_LIMIT = 60


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as an error message quotes it: its ``repr``, cut to a prefix of at most ``limit``
    characters of text and marked ``…`` when cut.

    A bad value can be anything a file or a person supplied (a megabyte of text, a list nested a
    thousand deep): a message shows enough to find it, never the whole of it, and never spends
    more than a bounded effort rendering it."""
    if isinstance(value, str):
        cut = value[:limit]
        return repr(cut) + ("…" if len(value) > limit else "")
    text = _bounded_repr.repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _make_bounded_repr() -> "reprlib.Repr":
    bounded = reprlib.Repr()
    bounded.maxlevel, bounded.maxlist, bounded.maxtuple, bounded.maxdict, bounded.maxset = 2, 4, 4, 4, 4
    bounded.maxstring = bounded.maxother = bounded.maxlong = QUOTE_LIMIT
    return bounded


_bounded_repr = _make_bounded_repr()
