"""Draft templates: the sentences a suggestion offers to send, and a team's overrides of them.

Each draft is a short template with ``{placeholders}`` filled from the post and the relationship
(:mod:`bot.rules.drafts` chooses the template and fills it). A team may replace any of them in the
``[suggest.templates]`` table of the TOML config file::

    [suggest.templates]
    share_early = "Thanks for “{title}”, {first}. The part on {topic} was new to me."

:func:`template_overrides` validates that table once, when the settings are read, so a typo fails
with a clear message at start-up rather than as a broken draft in Slack.
"""

from __future__ import annotations

import string
from typing import Any, Mapping

from config.errors import UserError

#: The longest a template may be: a draft is a message to edit and send, not an essay.
MAX_TEMPLATE_CHARS = 240

#: Every placeholder a template may use, and what it is filled with.
PLACEHOLDERS: dict[str, str] = {
    "first": "the customer's first name",
    "name": "the customer's full name",
    "company": "their company (or 'your team' when unknown)",
    "title": "the post's title, shortened",
    "topic": "a topic word from the post (its most telling word)",
    "milestone": "the milestone, named ('new role', 'Chief Operating Officer role', 'talk')",
    "bought": "what they bought (the note of their latest purchase, or 'the purchase')",
    "bought_on": "when they bought it ('12 Oct', or 'recently')",
    "who": "the customer and their company, for a shout-out",
}

#: The default drafts, by template name. ``share_early`` goes before trust, ``share_trusted`` after
#: (only then may a draft suggest talking shop); ``congratulate_<kind>`` and ``good_luck_<kind>``
#: cover each milestone kind, with ``congratulate`` / ``good_luck`` for the rest.
DEFAULT_TEMPLATES: dict[str, str] = {
    "share_early": "Thanks for sharing \u201c{title}\u201d, {first}. The part on {topic} stuck with me.",
    "share_trusted": "Enjoyed \u201c{title}\u201d, {first}. Curious how {topic} is playing out at {company}; "
                     "happy to compare notes.",
    "congratulate": "Congratulations on the {milestone}, {first}! Well deserved.",
    "congratulate_funding": "Congratulations on the new funding, {first}! A well-earned vote of confidence.",
    "congratulate_launch": "Congratulations on the launch, {first}! \u201c{title}\u201d looks great; rooting for it.",
    "congratulate_new_role": "Congratulations on the {milestone}, {first}! They are lucky to have you.",
    "congratulate_award": "Congratulations on the award, {first}! Well deserved.",
    "congratulate_anniversary": "Happy anniversary to everyone at {company}, {first}! Quite a milestone.",
    "congratulate_hiring": "Great to see {company} growing, {first}! Happy to pass the openings around.",
    "congratulate_talk": "Congratulations on the talk, {first}! Passing \u201c{title}\u201d along to people who should see it.",
    "congratulate_publication": "Congratulations on getting this published, {first}! Passing it along.",
    "congratulate_event": "Looked like a great event, {first}! Congratulations to the whole team.",
    "good_luck": "Good luck with the {milestone}, {first}! Looking forward to hearing how it goes.",
    "good_luck_talk": "Good luck with the talk, {first}! Looking forward to hearing how it lands.",
    "good_luck_launch": "Good luck with the launch, {first}! Looking forward to seeing it live.",
    "good_luck_new_role": "Exciting news about the {milestone}, {first}! Wishing you a great start.",
    "good_luck_event": "Good luck with the event, {first}! Looking forward to hearing how it goes.",
    "after_event": "How did the {milestone} go, {first}? Hope it went as well as it deserved.",
    "follow_friday": "#FollowFriday {who}: always worth reading. Thanks for sharing what you learn, {first}!",
    "check_in": "Hi {first}, you came to mind today. How are things going at {company}?",
    "check_in_milestone": "Congratulations on the {milestone}, {first}! How is it all going?",
    "check_in_new_role": "Congratulations on the {milestone}, {first}! How is the new job treating you?",
    "check_in_upcoming": "Hi {first}, saw the {milestone} is coming up: good luck! How are things otherwise?",
    "check_in_post": "Hi {first}, I read \u201c{title}\u201d and it made me think of you. How are things at {company}?",
    "invite_trial": "Hi {first}, if it would help with what you told me about, happy to set you up with a short "
                    "pilot. No strings.",
    "results_review": "Hi {first}, it has been a while since your purchase ({bought_on}). Worth 20 minutes to look "
                      "at what it has delivered so far?",
    "referral_ask": "Hi {first}, glad it has been working out for you. Is there anyone at {company} or in your "
                    "network who would get the same out of it?",
}


class TemplateError(UserError, ValueError):
    """A ``[suggest.templates]`` entry that cannot be used as written."""


def template_overrides(table: Any) -> dict[str, str]:
    """The validated ``[suggest.templates]`` table: template name -> template.

    Fails with a :class:`TemplateError` naming the entry for an unknown template name, a value that
    is not text, an unknown or malformed placeholder, or a template over :data:`MAX_TEMPLATE_CHARS`.
    """
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise TemplateError("[suggest.templates] in the config file must be a table of name = \"template\"")
    overrides: dict[str, str] = {}
    for name, template in table.items():
        where = f"suggest.templates.{name} in the config file"
        if name not in DEFAULT_TEMPLATES:
            raise TemplateError(f"{where}: unknown template name; known names: {', '.join(sorted(DEFAULT_TEMPLATES))}")
        if not isinstance(template, str) or not template.strip():
            raise TemplateError(f"{where} must be a non-empty string")
        if len(template) > MAX_TEMPLATE_CHARS:
            raise TemplateError(f"{where} is {len(template)} characters; a draft template may have at most "
                                f"{MAX_TEMPLATE_CHARS}")
        for placeholder in _placeholders(where, template):
            if placeholder not in PLACEHOLDERS:
                raise TemplateError(f"{where} uses {{{placeholder}}}, which is not a placeholder; use one of "
                                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
        overrides[name] = template
    return overrides


def _placeholders(where: str, template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"{where} is not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None
    names = []
    for _, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if not field_name or spec or conversion:
            raise TemplateError(f"{where}: write placeholders as {{name}}, without positions, formats or conversions")
        names.append(field_name)
    return names
