"""``/tie help``: what each subcommand does. Answered in the ack itself: it needs no data."""

from __future__ import annotations

from bot.slack.blocks import escape_mrkdwn
from config.vocabulary import INTERACTION_KINDS

USAGE = {
    "log": (f"`/tie log <customer> <kind> [from|to|with] [note]`: record a touch (kinds: {', '.join(INTERACTION_KINDS)}); "
            "`from`: they reached out, `to`: we did, `with`: both (default: meeting, call, event both; purchase, trial "
            "from them; anything else from us). `/tie log` alone opens a form"),
    "undo": "`/tie undo`: remove the last touch you logged in the last 24 hours",
    "status": "`/tie status <customer or company>`: score, stage, trend, why, last touches and open suggestions; "
              "for a company, its account: contacts, coverage and whether it is single-threaded",
    "top": "`/tie top`: your team's board, heavy users first, with owners",
    "rate": "`/tie rate <customer> <0-10>`: your own judgment of the tie (it calibrates the model)",
    "snooze": "`/tie snooze <customer> <days>`: no suggestions about this customer for a while",
    "cadence": "`/tie cadence <customer> <days|off>`: keep in touch at least this often; past it without two-way "
               "contact, a check-in is suggested and App Home shows them as due (`/tie cadence <customer>` shows it)",
    "remind": "`/tie remind <customer> <when> <what>`: a follow-up that comes back as a suggestion that day (when: "
              "today, tomorrow, friday, in 3 days, in 2 weeks, 2026-12-14)",
    "help": "`/tie help`: this list",
}


def help_text(unknown: str | None = None) -> str:
    """The list of subcommands, after a note about an unknown one if there was one."""
    lines = [f"I don't know `/tie {escape_mrkdwn(unknown)}`. " if unknown else "", "*strongtie commands*"]
    lines += [f"• {escape_mrkdwn(usage)}" for usage in USAGE.values()]
    lines.append("Quote a customer's name if it is ambiguous, e.g. `/tie log \"Jane Doe\" call coffee in Lisbon`.")
    return "\n".join(line for line in lines if line)
