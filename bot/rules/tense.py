"""Whether a milestone a post names has happened or is still to come (pure).

"I'm speaking at re:Invent next week" is a talk that has not happened: it calls for "good luck",
not "congratulations". The reading looks at the sentence that names the milestone, near the words
that matched, and at the post's own date (a date in the text is read relative to when the post was
published, never to today). Rules, strongest first:

1. a date in the sentence (``2026-12-14``, ``Dec 12``, ``12 December``, ``tomorrow``, ``on
   Thursday``) decides: after the post's date it is upcoming (and dated), on or before it, past;
2. past-tense evidence ("launched", "raised", "spoke at", "slides from my talk") or a past cue
   ("yesterday", "last week") means it happened;
3. a future cue ("next week", "will be", "I'll", "going to", "upcoming", "coming soon", "join us",
   "save the date") or a talk in the present progressive ("I'm speaking at") means it is to come;
4. otherwise it happened: a present-tense headline ("Acme raises $20M") reports a done thing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.timeutil import WEEKDAYS, next_weekday, previous_weekday

_MONTHS = {name: index for index, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH})\b\.?(?:,? (\d{{4}}))?", re.IGNORECASE)
_WEEKDAY = re.compile(rf"\b(last|this|next|on|this coming)? ?({'|'.join(WEEKDAYS)})\b", re.IGNORECASE)
_TOMORROW = re.compile(r"\btomorrow\b", re.IGNORECASE)
_YESTERDAY = re.compile(r"\byesterday\b", re.IGNORECASE)

_PAST_CUES = re.compile(
    r"\b(?:last (?:week|month|year|night|quarter)|earlier (?:this|today)|\w+ ago|recap|recording|slides from|"
    r"thanks (?:to )?(?:everyone|all) who|was (?:a|an|the|great|honou?red)|(?:gave|delivered|did) (?:a|my|our|the)|"
    r"spoke|presented|keynoted|hosted|went live|wrapped)\b",
    re.IGNORECASE,
)
_FUTURE_CUES = re.compile(
    r"(?:\bnext (?:week|month|year|quarter|spring|summer|fall|autumn|winter)\b|\bwill\b|(?:'|’)ll\b|"
    r"\b(?:going|about|set) to\b|\bupcoming\b|\bcoming (?:soon|up)\b|\bsoon\b|\blater (?:this|today)\b|"
    r"\bjoin (?:us|me)\b|\bsave the date\b|\bsee you (?:at|there)\b|\bcome (?:see|say)\b|\bregister\b|"
    r"\brsvp\b|\bdon(?:'|’)?t miss\b|\bcountdown\b|\bin \d+ (?:days|weeks)\b)",
    re.IGNORECASE,
)
# Evidence whose own verb is in the past tense: the thing is done, whatever else the sentence says.
_PAST_EVIDENCE = re.compile(
    r"\b(?:raised|closed|launched|shipped|released|promoted|joined|won|published|wrote|co-?authored|"
    r"named|recogni[sz]ed|honou?red|started)\b",
    re.IGNORECASE,
)
# A talk announced in the present progressive ("I'm speaking at …") is an arrangement to come.
_PROGRESSIVE_TALK = re.compile(r"\b(?:speaking|keynoting|presenting) (?:at|on)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?\n]")
_WINDOW = 80  # characters either side of the evidence that may carry its timing
_PAST_SEARCH_DAYS = 183  # a date without a year lies within half a year before the post or after it


def milestone_timing(text: str, start: int, end: int, published: date | None) -> tuple[str, date | None]:
    """``("upcoming", day)`` or ``("past", day)`` for the milestone matched at ``text[start:end]``;
    ``day`` is the date the text gives for it, if any (read relative to ``published``)."""
    scope = _scope(text, start, end)
    evidence = text[start:end]
    when = _date_in(scope, published) if published is not None else None
    if when is not None:
        return ("upcoming" if when > published else "past"), when  # type: ignore[operator]
    if _PAST_EVIDENCE.search(evidence) or _PAST_CUES.search(scope) or _YESTERDAY.search(scope):
        return "past", None
    if _FUTURE_CUES.search(scope) or _PROGRESSIVE_TALK.search(evidence):
        return "upcoming", None
    return "past", None


def _scope(text: str, start: int, end: int) -> str:
    """The words around the evidence that belong to its sentence (at most :data:`_WINDOW` either side)."""
    left = max(0, start - _WINDOW)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, left, start)]
    left = ends[-1] if ends else left
    right_end = _SENTENCE_END.search(text, end, min(len(text), end + _WINDOW))
    right = right_end.start() if right_end else min(len(text), end + _WINDOW)
    return text[left:right]


def _date_in(scope: str, published: date) -> date | None:
    """The first date the words name, resolved against the post's date."""
    if (match := _ISO_DATE.search(scope)) is not None:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    for pattern, month_group, day_group in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        if (match := pattern.search(scope)) is not None:
            month, day = _MONTHS[match.group(month_group).lower()], int(match.group(day_group))
            if match.group(3):
                return _safe_date(int(match.group(3)), month, day)
            return _nearest_year(published, month, day)
    if _TOMORROW.search(scope):
        return published + timedelta(days=1)
    if _YESTERDAY.search(scope):
        return published - timedelta(days=1)
    if (match := _WEEKDAY.search(scope)) is not None:
        return _weekday(published, (match.group(1) or "").lower(), WEEKDAYS.index(match.group(2).lower()))
    return None


def _nearest_year(published: date, month: int, day: int) -> date | None:
    """A month and day without a year: the one within half a year of the post's date."""
    for year in (published.year, published.year + 1, published.year - 1):
        candidate = _safe_date(year, month, day)
        if candidate is not None and abs((candidate - published).days) <= _PAST_SEARCH_DAYS:
            return candidate
    return None


def _weekday(published: date, qualifier: str, weekday: int) -> date | None:
    """``on Thursday`` / ``next Thursday`` -> the coming one (readers disagree on which "next"
    means; both are to come); ``last Thursday`` -> the one before; a bare weekday says nothing."""
    if qualifier == "last":
        return previous_weekday(published, weekday)
    if qualifier in ("on", "this", "next", "this coming"):
        return next_weekday(published, weekday)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
