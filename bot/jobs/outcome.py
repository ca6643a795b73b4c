"""One log line per job run: what ``strongtie run`` writes at INFO for each scheduled job.

The jobs return their own summaries (a :class:`~bot.jobs.poll.PollSummary`, a
:class:`~bot.jobs.score.ScoreSummary`, the suggestions stored, a
:class:`~bot.jobs.deliver.DeliverySummary`, the digest outcomes); this module words any of them as
one line, so an operator reading the log of a running bot sees every job that ran and what it did.
"""

from __future__ import annotations

from typing import Any


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def job_line(step: str, result: Any) -> str:
    """``step`` (``module:function`` or a short name) and its result as one log line."""
    name = step.rsplit(".", 1)[-1].split(":")[0]
    if hasattr(result, "new_posts"):  # PollSummary
        text = (f"{_plural(result.sources, 'source')}, {_plural(result.new_posts, 'new post')}, "
                f"{result.not_modified} not modified (304), {_plural(result.errors, 'error')}")
        if result.skipped:
            text += f", {result.skipped} skipped"
        return f"{name}: {text} in {result.seconds:.1f} s"
    if hasattr(result, "stage_changes_added"):  # ScoreSummary
        return (f"{name}: {_plural(result.scored, 'relationship')} scored, {result.at_risk} at risk, "
                f"{_plural(result.stage_changes_added, 'stage change')} stored")
    if hasattr(result, "sent") and hasattr(result, "failed"):  # DeliverySummary
        return f"{name}: {_plural(result.sent, 'suggestion')} sent, {result.failed} failed"
    if name == "digest" and isinstance(result, list):  # digest outcomes
        return f"{name}: " + ("; ".join(f"{o.team} {o.local_date}: {o.status}" for o in result) or "no teams")
    if isinstance(result, list):  # the suggestions newly stored
        return f"{name}: {_plural(len(result), 'new suggestion')}"
    return f"{name}: done"
