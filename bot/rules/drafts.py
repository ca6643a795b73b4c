"""The draft a suggestion offers to send: short, specific, and fitting the stage (pure).

A draft worth editing names something from the post (its title or a topic word) or the moment (the
milestone, what they bought), and asks for nothing before the relationship has reached ``trust``.
The sentences are templates (:data:`config.templates.DEFAULT_TEMPLATES`, overridable per
installation in ``[suggest.templates]``); this module picks the template for the kind, stage and
milestone and fills it in.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Mapping

from bot.rules.milestones import Milestone
from config.templates import DEFAULT_TEMPLATES
from config.vocabulary import HOURGLASS_STAGES
from connectors.text import one_line

MAX_DRAFT_CHARS = 280  # a draft is a message someone edits and sends, not an essay
TITLE_CHARS = 60  # a title quoted in a draft is shortened to this many characters
_TRUSTED_FROM = HOURGLASS_STAGES.index("trust")  # from this stage on, a draft may talk shop

# Words that say nothing about what a post is about.
_STOPWORDS = frozenset("""
a about after again against all also am an and any are as at be because been before being between both but by
can could did do does doing down during each few for from further had has have having he her here hers him his
how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these they this those through
to too under until up very was we were what when where which while who whom why will with would you your yours
new news notes thoughts thought lessons learned learning moving year years today week weeks month months
things thing ways way really every great first last next still one two three four five million billion
announce announcing announced excited thrilled proud happy share sharing post read here's what's we're
""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{3,}")
_ROLE = re.compile(
    r"\b(?i:promoted to|as)\s+(?:the\s+|a\s+|an\s+|our\s+|their\s+|new\s+)*"
    r"((?:[A-Z][\w&/.-]*)(?:\s+(?:of\s+|and\s+|&\s+)?[A-Z][\w&/.-]*){0,5})"
)


@dataclass(frozen=True)
class DraftContext:
    """What a template may say: the values of its placeholders (see config.templates.PLACEHOLDERS)."""

    first: str
    name: str
    company: str = ""
    title: str = ""
    topic: str = ""
    milestone: str = ""
    bought: str = ""
    bought_on: str = ""
    who: str = ""


def render(template_name: str, context: DraftContext, templates: Mapping[str, str] | None = None) -> str:
    """The filled draft: the team's override of ``template_name`` if any, else the default; never
    longer than :data:`MAX_DRAFT_CHARS`."""
    template = (templates or {}).get(template_name) or DEFAULT_TEMPLATES[template_name]
    values = asdict(context)
    values["company"] = context.company or "your team"
    values["title"] = one_line(context.title, TITLE_CHARS) or "your post"
    values["topic"] = context.topic or "this"
    values["bought"] = context.bought or "the purchase"
    values["bought_on"] = context.bought_on or "recently"
    values["who"] = context.who or context.name
    return one_line(template.format(**values), MAX_DRAFT_CHARS)


def share_template(hourglass: str) -> str:
    """``share_trusted`` once the relationship has reached trust, ``share_early`` before it."""
    trusted = hourglass in HOURGLASS_STAGES and HOURGLASS_STAGES.index(hourglass) >= _TRUSTED_FROM
    return "share_trusted" if trusted else "share_early"


def milestone_template(milestone: Milestone) -> str:
    """``congratulate_<kind>`` for a milestone that happened, ``good_luck_<kind>`` (or the generic
    ``good_luck``) for one still to come."""
    name = f"{'good_luck' if milestone.upcoming else 'congratulate'}_{milestone.kind}"
    return name if name in DEFAULT_TEMPLATES else ("good_luck" if milestone.upcoming else "congratulate")


def check_in_template(milestone: Milestone | None, has_post: bool) -> str:
    """The check-in that mentions what they last shared: a new role, a milestone coming up or past,
    a post; the plain check-in when there is nothing."""
    if milestone is not None:
        if milestone.upcoming:
            return "check_in_upcoming"
        return "check_in_new_role" if milestone.kind == "new_role" else "check_in_milestone"
    return "check_in_post" if has_post else "check_in"


def milestone_phrase(milestone: Milestone, text: str) -> str:
    """How a draft names the milestone: a new role by its title when the post gives one
    ("Chief Operating Officer role"), anything else by its label ("launch", "funding round")."""
    if milestone.kind == "new_role" and (match := _ROLE.search(text)) is not None:
        return f"{match.group(1).rstrip('.')} role"
    return milestone.label


def topic_word(title: str, text: str = "", ignore: str = "") -> str:
    """The post's most telling word: the longest word of its title (else its text) that is not a
    stop word nor part of ``ignore`` (their name and company); ties go to the first. Empty when
    nothing qualifies."""
    ignored = {w.casefold() for w in _WORD.findall(ignore)}
    for source in (title, text):
        words = [w.strip("'’-") for w in _WORD.findall(source)]
        candidates = [w for w in words if w.casefold() not in _STOPWORDS and w.casefold() not in ignored and len(w) >= 4]
        if candidates:
            best = max(candidates, key=len)
            return best if best.isupper() or best[1:] != best[1:].lower() else best.lower()
    return ""
