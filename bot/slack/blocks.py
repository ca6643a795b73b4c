"""Block Kit rendering and mrkdwn escaping (pure functions).

Everything that came from a user or a customer's post goes through :func:`escape_mrkdwn` before
it is shown, so it can never mention @channel/@here/@everyone or a user, nor forge a link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bot.rules.digest import Digest, StageMove
from bot.rules.gestures import kind_label
from bot.rules.hourglass import StageCount
from bot.timeutil import local_date

# action_id of the buttons on a suggestion message; the button's value is the suggestion id.
ACTION_DONE = "suggestion_done"
ACTION_SNOOZE = "suggestion_snooze"
ACTION_DISMISS = "suggestion_dismiss"

_OUTCOME_LABELS = {"done": "Done", "snoozed": "Snoozed", "dismissed": "Not relevant"}
MAX_SECTION_TEXT = 2900  # Slack refuses section text over 3000 characters; the rest is headroom
MAX_HEADER_TEXT = 150  # Slack refuses a header whose plain text is longer
MAX_BLOCKS = 50  # Slack refuses a message with more blocks
MAX_VIEW_BLOCKS = 100  # Slack refuses a Home tab view with more blocks
_FALLBACK_LIMIT = 3900  # the notification text; Slack truncates ``text`` beyond 4000 characters
_MORE = "\u2026and more than one Slack message holds"
_LIST_LIMIT = 10


def escape_mrkdwn(text: str | None) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack requires; ``<!channel>`` and ``<@U…>`` become inert."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Units a cut must never split: a Slack link or mention ``<…>``, an escaped entity ``&amp;``.
_MRKDWN_UNIT = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);|.", re.DOTALL)


def truncate_mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    """``text`` (already escaped mrkdwn) cut to at most ``limit`` characters, ending in ``…`` when
    cut, never inside an entity like ``&amp;`` or a ``<url|label>`` link: half of either would show
    as garbage or, worse, as a broken link. A link that does not fit is left out whole."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    length = 0
    for match in _MRKDWN_UNIT.finditer(text):
        unit = match.group(0)
        if length + len(unit) > limit - 1:
            break
        kept.append(unit)
        length += len(unit)
    return "".join(kept) + "\u2026"


@dataclass(frozen=True)
class _Style:
    """How text is marked up: Slack mrkdwn (escaped) or a plain terminal. ``escape`` and ``link``
    take raw text (``link`` escapes its label itself) and ``bold`` wraps text already escaped, so
    every text is escaped exactly once."""

    escape: Callable[[str | None], str]
    bold: Callable[[str], str]
    link: Callable[[str | None, str], str]


def _slack_link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return escape_mrkdwn(label)
    safe_url = escape_mrkdwn(url).replace("|", "%7C")
    return f"<{safe_url}|{escape_mrkdwn(label).replace('|', '¦')}>"


def _plain_link(url: str | None, label: str) -> str:
    return f"{label} ({url})" if url else label


SLACK = _Style(escape=escape_mrkdwn, bold=lambda s: f"*{s}*", link=_slack_link)
TERMINAL = _Style(escape=lambda s: s or "", bold=lambda s: s, link=_plain_link)


def section_block(text: str) -> dict[str, Any]:
    """A Block Kit section of mrkdwn ``text`` (already escaped and within Slack's size limit)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def fitted_section_block(text: str) -> dict[str, Any]:
    """A Block Kit section of mrkdwn ``text`` (already escaped), cut to Slack's size limit by
    :func:`truncate_mrkdwn` if it is longer."""
    return section_block(truncate_mrkdwn(text))


def header_block(text: str) -> dict[str, Any]:
    """A Block Kit header of plain ``text``, cut to Slack's size limit. Plain text is never parsed for
    mentions or links, so names in it need no escaping."""
    return {"type": "header", "text": {"type": "plain_text", "text": text[:MAX_HEADER_TEXT]}}


def context_block(text: str) -> dict[str, Any]:
    """A Block Kit context line of mrkdwn ``text`` (already escaped)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


# --- suggestion messages (DMs to the owner) -----------------------------------------------------


def _suggestion_lines(kind: str, customer: str, text: str, post_url: str | None, style: _Style) -> list[str]:
    lines = [f"{style.bold(style.escape(kind_label(kind)))}: {style.escape(customer)}", style.escape(text)]
    if post_url:
        lines.append(style.link(post_url, "Open the post"))
    return lines


def suggestion_message(
    *,
    suggestion_id: int,
    kind: str,
    customer: str,
    text: str,
    post_url: str | None = None,
    reason: str = "",
) -> tuple[str, list[dict[str, Any]]]:
    """The DM that proposes one gesture: fallback text and blocks with Done / Snooze / Not relevant.

    Each button's value is the suggestion id, so the click handler needs nothing else.
    """
    lines = _suggestion_lines(kind, customer, text, post_url, SLACK)
    blocks: list[dict[str, Any]] = [fitted_section_block("\n".join(lines))]
    if reason:
        blocks.append(context_block(truncate_mrkdwn(f"Why: {escape_mrkdwn(reason)}")))
    value = str(suggestion_id)
    blocks.append({
        "type": "actions",
        "block_id": f"suggestion:{value}",
        "elements": [
            {"type": "button", "action_id": ACTION_DONE, "value": value, "style": "primary",
             "text": {"type": "plain_text", "text": "Done"}},
            {"type": "button", "action_id": ACTION_SNOOZE, "value": value,
             "text": {"type": "plain_text", "text": "Snooze"}},
            {"type": "button", "action_id": ACTION_DISMISS, "value": value,
             "text": {"type": "plain_text", "text": "Not relevant"}},
        ],
    })
    return " ".join(lines[:2]), blocks


def suggestion_done_message(
    *,
    kind: str,
    customer: str,
    text: str,
    outcome: str,
    post_url: str | None = None,
    by: str | None = None,
    until: datetime | None = None,
    tz: str = "UTC",
) -> tuple[str, list[dict[str, Any]]]:
    """The same message after a click: the buttons give way to what happened.

    ``outcome`` is ``done``, ``snoozed`` (with ``until``) or ``dismissed``; ``by`` is the Slack user
    id of whoever clicked (shown as a mention, since it is an id Slack gave us, not free text).
    ``tz`` is the team's IANA zone: "Snoozed until" names the date the team will see it again on
    its own calendar (UTC when not given).
    """
    lines = _suggestion_lines(kind, customer, text, post_url, SLACK)
    status = _OUTCOME_LABELS.get(outcome, escape_mrkdwn(outcome))
    if outcome == "snoozed" and until is not None:
        status += f" until {local_date(until, tz).isoformat()}"
    if by and by.isalnum():
        status += f" by <@{by}>"
    blocks = [fitted_section_block("\n".join(lines)), context_block(f"\u2714 {status}")]
    return f"{status}: {' '.join(lines[:2])}", blocks


# --- the daily digest ---------------------------------------------------------------------------


def _when(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _digest_sections(digest: Digest, style: _Style) -> list[tuple[str, list[str]]]:
    esc = style.escape
    sections: list[tuple[str, list[str]]] = []

    def moves(title: str, items: list[StageMove]) -> None:
        groups = _moves_by_customer(items)
        lines = []
        for group in groups[:_LIST_LIMIT]:
            first = group[0]
            owner = f" ({esc(first.owner)})" if first.owner else ""
            steps = " \u00b7 ".join(f"{m.track} {m.from_stage} \u2192 {m.to_stage}" for m in group)
            reasons = _distinct_reasons(group)
            why = f": {esc('; '.join(reasons))}" if reasons else ""
            lines.append(f"\u2022 {style.bold(esc(first.customer))}{owner} {steps}{why}")
        if len(groups) > _LIST_LIMIT:
            lines.append(f"\u2026and {len(groups) - _LIST_LIMIT} more")
        sections.append((title, lines or ["none"]))

    moves("Promotions", digest.promotions)
    moves("Demotions", digest.demotions)

    risk = [
        f"\u2022 {style.bold(esc(item.customer))}" + (f" ({esc(item.owner)})" if item.owner else "")
        + (f": {esc(item.reason)}" if item.reason else "")
        for item in digest.newly_at_risk[:_LIST_LIMIT]
    ]
    sections.append(("Newly at risk", risk or ["none"]))

    posts = []
    for post in digest.notable_posts[:_LIST_LIMIT]:
        milestone = f" [{esc(post.milestone)}]" if post.milestone else ""
        posts.append(f"\u2022 {style.bold(esc(post.customer))}{milestone}: {style.link(post.url, post.title or 'a post')}")
    sections.append(("Notable posts", posts or ["none"]))

    suggestions = []
    for owner, items in digest.suggestions_by_owner[:_LIST_LIMIT]:
        suggestions.append(style.bold(esc(owner)))
        for item in items:
            link = f" {style.link(item.post_url, 'post')}" if item.post_url else ""
            suggestions.append(f"  \u2022 {esc(item.text)}{link}")
    sections.append(("Today's top suggestions", suggestions or ["none"]))

    if digest.single_threaded:
        sections.append(("Single-threaded accounts", _single_threaded_lines(digest, style)))

    if digest.new_contacts:
        lines = [f"\u2022 new contact at {style.bold(esc(c.company))}: {esc(c.address)}" for c in digest.new_contacts[:_LIST_LIMIT]]
        if len(digest.new_contacts) > _LIST_LIMIT:
            lines.append(f"\u2026and {len(digest.new_contacts) - _LIST_LIMIT} more")
        sections.append(("New contacts at your accounts", lines))

    sections.append(("Hourglass", _hourglass_lines(digest.hourglass, digest.stall, style)))
    return sections


def _single_threaded_lines(digest: Digest, style: _Style) -> list[str]:
    """Accounts among the heavy users with only one contact at building or better, heavy first."""
    lines = []
    for account in digest.single_threaded[:_LIST_LIMIT]:
        champion = account.contacts[0]
        owner = f" ({style.escape(champion.owner_name)})" if champion.owner_name else ""
        count = len(account.contacts)
        lines.append(f"\u2022 {style.bold(style.escape(account.account))}: only {style.escape(champion.customer)}{owner} "
                     f"at {champion.stage.replace('_', ' ')} of {count} contact{'s' if count != 1 else ''}")
    if len(digest.single_threaded) > _LIST_LIMIT:
        lines.append(f"\u2026and {len(digest.single_threaded) - _LIST_LIMIT} more")
    return lines


def _moves_by_customer(moves: list[StageMove]) -> list[list[StageMove]]:
    """One line's worth per relationship: its tie move first, then the hourglass move it caused."""
    groups: dict[str, list[StageMove]] = {}
    for move in moves:
        groups.setdefault(move.customer, []).append(move)
    return [sorted(group, key=lambda m: m.track != "tie") for group in groups.values()]


def _distinct_reasons(moves: list[StageMove]) -> list[str]:
    """The reasons worth reading: an hourglass move that only echoes the tie move says nothing new."""
    reasons = list(dict.fromkeys(m.reason for m in moves if m.reason))
    informative = [r for r in reasons if not r.startswith("tie became")]
    return informative or reasons


def _hourglass_lines(counts: list[StageCount], stall: StageCount | None, style: _Style) -> list[str]:
    widest = max([c.count for c in counts] + [1])
    rows = []
    for row in counts:
        bar = "\u2588" * round(12 * row.count / widest) if row.count else "\u00b7"
        dwell = f"median stay {row.dwell_label}" if row.dwell_label else ""  # the chart's own label
        rows.append(f"{row.stage:<7} {bar:<12} {row.count:>3}  {dwell}".rstrip())
    lines = ["```" + "\n".join(rows) + "```"] if style is SLACK else rows
    if stall is not None:
        lines.append(
            f"Stalling at {style.bold(stall.stage)}: {stall.count} relationship{'s' if stall.count != 1 else ''}, "
            f"there a median {stall.median_current_days:.0f} days so far"
            + (f" (longest: {style.escape(', '.join(f'{n} {d:.0f} d' for n, d in stall.longest))})" if stall.longest else "")
        )
    return lines


def _digest_title(digest: Digest) -> str:
    return f"Daily digest \u00b7 {digest.team} \u00b7 {digest.local_date.strftime('%a %d %b %Y')}"


def _digest_covers(digest: Digest) -> str:
    return (f"Since the last digest: {_when(digest.covered_from, digest.timezone)} \u2192 "
            f"{_when(digest.covered_to, digest.timezone)} ({digest.timezone})")


def digest_blocks(digest: Digest) -> tuple[str, list[dict[str, Any]]]:
    """The digest as Slack sends it: an escaped mrkdwn fallback text and Block Kit blocks."""
    sections = _digest_sections(digest, SLACK)
    blocks: list[dict[str, Any]] = [
        header_block(_digest_title(digest)),
        context_block(escape_mrkdwn(_digest_covers(digest))),
    ]
    chunked = _within_block_limit([_chunked_sections(f"*{title}*", lines) for title, lines in sections],
                                  room=MAX_BLOCKS - len(blocks) - len(sections))
    for chunks in chunked:
        blocks.append({"type": "divider"})
        blocks.extend(section_block(chunk) for chunk in chunks)
    fallback = "\n".join(
        [escape_mrkdwn(_digest_title(digest))]
        + [f"*{title}*\n" + "\n".join(lines) for title, lines in sections]
    )
    return truncate_mrkdwn(fallback, _FALLBACK_LIMIT), blocks


def _within_block_limit(sections: list[list[str]], *, room: int) -> list[list[str]]:
    """Each section's chunks, trimmed so that all of them together take at most ``room`` blocks.

    However large the team, every section keeps at least its first chunk (so the hourglass at the
    end is never pushed out); the longest sections give up their last chunks first, and a trimmed
    section says that there is more (the terminal digest, ``--dry-run``, has it all)."""
    kept = [list(chunks) for chunks in sections]
    trimmed = [False] * len(kept)
    while sum(len(chunks) for chunks in kept) > room:
        longest = max(range(len(kept)), key=lambda i: len(kept[i]))
        if len(kept[longest]) <= 1:
            break  # one chunk each already: room is below one block per section
        kept[longest].pop()
        trimmed[longest] = True
    for chunks, cut in zip(kept, trimmed):
        if cut:
            chunks[-1] = f"{chunks[-1]}\n{_MORE}"
    return kept


def _chunked_sections(heading: str, lines: list[str]) -> list[str]:
    """The texts of the section blocks holding ``lines`` under ``heading``, each within Slack's size
    limit (with room left for :data:`_MORE`)."""
    chunks: list[str] = []
    current = heading
    for line in lines:
        line = truncate_mrkdwn(line, MAX_SECTION_TEXT - len(heading) - 1)
        if len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}"
    chunks.append(current)
    return chunks


def digest_text(digest: Digest) -> str:
    """The digest laid out for a terminal (``strongtie digest --dry-run``): plain, unescaped."""
    out = [_digest_title(digest), _digest_covers(digest)]
    for title, lines in _digest_sections(digest, TERMINAL):
        out.append("")
        out.append(title)
        out.extend(f"  {line}" for line in lines)
    return "\n".join(out)
