"""How names of teams, customers and companies are read and compared, in one place.

:func:`name_key` is the one comparison key: the roster's duplicate checks, the import's matching of
rows already stored, and every look-up by a typed name go through it, so ``Team A`` and
``team a``, ``Ａｃｍｅ`` (full-width) and ``Acme``, or ``Jane\u200bDoe`` (a zero-width space
inside) and ``JaneDoe`` are one name everywhere.

Two names can also look the same and still be different text: ``Асme`` with a Cyrillic ``А`` and
``с`` reads as ``Acme`` but is not. :func:`name_problem` refuses a word mixing Latin with Cyrillic
or Greek letters, and :func:`look_alike_key` lets the roster refuse two names of one team that
differ only in such look-alike letters, so neither is stored as a second customer silently.
"""

from __future__ import annotations

import unicodedata

_QUOTES = "\"'“”‘’"

# Cyrillic and Greek letters (lower case, as name_key leaves them) drawn like a Latin letter.
_LOOK_ALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d",
    "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ζ": "z",
})
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _is_format(char: str) -> bool:
    """Invisible characters that change no letter: zero-width spaces and joiners, soft hyphens,
    byte-order marks, direction marks (Unicode category Cf)."""
    return unicodedata.category(char) == "Cf"


def clean_name(text: str) -> str:
    """A name as it is stored and shown: NFC-composed, invisible format characters removed and
    runs of white space folded to one space. The letters and their case are the writer's."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", text) if not _is_format(ch))
    return " ".join(text.split())


def name_key(name: str) -> str:
    """How names are compared everywhere: compatibility forms folded (NFKC: full-width letters,
    ligatures, non-breaking spaces), invisible format characters removed, surrounding quotes
    dropped, white space folded and case ignored."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if not _is_format(ch))
    text = " ".join(text.strip().strip(_QUOTES).split()).casefold()
    return unicodedata.normalize("NFKC", text)


def look_alike_key(name: str) -> str:
    """:func:`name_key` with Cyrillic and Greek letters that look Latin read as those Latin
    letters: two names with the same look-alike key and different keys differ only in letters no
    reader can tell apart."""
    return name_key(name).translate(_LOOK_ALIKES)


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return next((script for script in _SCRIPTS if name.startswith(script)), "OTHER")


def control_character(text: str) -> str | None:
    """Why ``text`` cannot be stored, or ``None``: a control character in it other than white space
    (invisible in every listing, and refused by PostgreSQL when it is a NUL)."""
    for char in text:
        if unicodedata.category(char) == "Cc" and not char.isspace():
            return f"contains the control character U+{ord(char):04X}; remove it"
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a name, or ``None``: a control character (see
    :func:`control_character`), or a word mixing Latin with Cyrillic or Greek letters (``Асme``:
    it reads as ``Acme`` but would never match it)."""
    problem = control_character(name)
    if problem:
        return problem
    for word in clean_name(unicodedata.normalize("NFKC", name)).split():
        scripts = {s for s in map(_script, word) if s in _SCRIPTS}
        if "LATIN" in scripts and len(scripts) > 1:
            other = " and ".join(sorted(s.title() for s in scripts - {"LATIN"}))
            return (f"mixes Latin and {other} letters in the word {word[:40]!r}, which looks like a Latin "
                    "name but would not match one; type it in one alphabet")
    return None
