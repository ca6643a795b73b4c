"""Milestone detection in a customer's post (pure).

A milestone (a funding round, a launch, a new role, an award…) is the best possible reason to
congratulate someone: it is about them, it is timely, and it asks nothing. Detection is a small set
of phrase patterns, tuned to miss rather than to invent: a wrong "congratulations on your new
role" is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.rules.tense import milestone_timing

# kind -> how the milestone is named in a sentence ("Congratulate Jane on the <label>").
MILESTONE_LABELS: dict[str, str] = {
    "funding": "funding round",
    "launch": "launch",
    "new_role": "new role",
    "award": "award",
    "anniversary": "anniversary",
    "hiring": "hiring news",
    "talk": "talk",
    "publication": "publication",
    "event": "event",
}

_PATTERNS: dict[str, tuple[str, ...]] = {
    "funding": (
        r"\braised? \$?\d[\d.,]*\s*(?:k|m|mm|million|b|billion|bn)\b",
        r"\bseries [a-f]\b",
        r"\bseed (?:round|funding)\b",
        r"\bfunding round\b",
        r"\b(?:closed|closes|announce[sd]?) (?:our|a|its|their) .{0,30}\bround\b",
        r"\bnew (?:funding|investment)\b",
    ),
    "launch": (
        r"\b(?:we|i|they|just|today|finally|officially) (?:have |has |just )?(?:launched|shipped|released)\b",
        r"\b(?:launching|introducing|unveiling)\b",
        r"\bis (?:now )?(?:live|generally available)\b",
        r"\bnow available\b",
        r"\b(?:will|(?:'|’)ll) (?:launch|ship|release)\b",
        r"\blaunch(?:ed)? (?:of )?(?:our|a|the) new\b",
    ),
    "new_role": (
        r"\bnew (?:role|position|job|chapter)\b",
        r"\b(?:been |got |was |been )?promoted to\b",
        r"\bpromotion\b",
        r"\b(?:excited|thrilled|happy|proud) to (?:join|be joining|start|announce (?:that )?i(?:'|’)?ve joined)\b",
        r"\b(?:joined|joining) .{1,40}? as (?:the |a |an |our )?(?:new )?[a-z]",
        r"\bstart(?:ing|ed)? (?:my|a) new\b",
        r"\bstepping into\b",
    ),
    "award": (
        r"\bawards?\b",
        r"\b(?:won|wins|winner of|winning) (?:the|a|an|best)\b",
        r"\brecogni[sz]ed (?:as|by|in)\b",
        r"\bnamed (?:to|one of|in) .{0,30}\blist\b",
        r"\bhonou?red to\b",
    ),
    "anniversary": (
        r"\banniversary\b",
        r"\b\d{1,3} years? (?:at|of|since|in business)\b",
        r"\bturns? \d{1,3}\b",
        r"\b(?:work|company) birthday\b",
    ),
    "hiring": (
        r"\b(?:we(?:'|’)?re|we are|is|are|now) hiring\b",
        r"\bjoin (?:our|the) team\b",
        r"\bopen (?:roles|positions)\b",
        r"\b(?:job|role) opening\b",
        r"\bwe(?:'|’)?re growing the team\b",
    ),
    "talk": (
        r"\b(?:speaking|keynote|keynoting|presenting) (?:at|on)\b",
        r"\b(?:spoke|presented|keynoted) at\b",
        r"\b(?:gave|give|giving|deliver(?:ed|ing)?) (?:a|my|our|the) (?:talk|keynote)\b",
        r"\b(?:my|our) (?:talk|keynote|session|panel) (?:at|on)\b",
        r"\b(?:guest on|episode of) .{0,30}\bpodcast\b",
        r"\bpodcast episode\b",
    ),
    "publication": (
        r"\b(?:published|wrote|co-?authored) (?:a|my|our|the) (?:new )?(?:paper|book|article|study|report|piece)\b",
        r"\b(?:my|our) (?:new )?(?:book|paper) is out\b",
    ),
    "event": (
        r"\b(?:hosting|host|hosted|running|ran) (?:a|an|our|the|my) (?:\w+ )?(?:webinar|meetup|summit|workshop|conference|roundtable)\b",
        r"\b(?:at|visit|find us at) (?:our )?booth\b",
        r"\bjoin us (?:at|for)\b",
    ),
}

_COMPILED: dict[str, tuple[re.Pattern[str], ...]] = {
    kind: tuple(re.compile(p, re.IGNORECASE) for p in patterns) for kind, patterns in _PATTERNS.items()
}
# A phrase like "we're not hiring" or "no new funding" must not read as the milestone itself.
_NEGATION = re.compile(r"\b(?:not|no|never|isn(?:'|’)?t|aren(?:'|’)?t|without)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


@dataclass(frozen=True)
class Milestone:
    """A milestone found in a post: its kind, how it is named, and the words that announced it."""

    kind: str  # a key of MILESTONE_LABELS
    label: str  # e.g. "funding round"
    evidence: str  # the phrase that matched, as written in the post
    timing: str = "past"  # "past" (happened: congratulate) or "upcoming" (to come: wish luck)
    on: date | None = None  # the day the text gives for it, when it gives one

    @property
    def upcoming(self) -> bool:
        """Whether the milestone is still to come (a talk next week, a launch on Thursday)."""
        return self.timing == "upcoming"


def find_milestones(text: str, published: date | None = None) -> list[Milestone]:
    """Every milestone the text announces, in order of first appearance, each kind at most once,
    each with its timing (:mod:`bot.rules.tense`): dates in the text are read relative to
    ``published``, the post's own date (without it, only the wording decides)."""
    found: list[tuple[int, Milestone]] = []
    for kind, patterns in _COMPILED.items():
        first = _first_unnegated_match(text, patterns)
        if first is not None:
            timing, on = milestone_timing(text, first.start(), first.end(), published)
            found.append((first.start(), Milestone(kind, MILESTONE_LABELS[kind], first.group(0), timing, on)))
    return [milestone for _, milestone in sorted(found, key=lambda pair: pair[0])]


def _first_unnegated_match(text: str, patterns: tuple[re.Pattern[str], ...]) -> re.Match[str] | None:
    best: re.Match[str] | None = None
    for pattern in patterns:
        for match in pattern.finditer(text):
            if _NEGATION.search(text[max(0, match.start() - 30): match.start()]):
                continue
            if best is None or match.start() < best.start():
                best = match
            break
    return best
