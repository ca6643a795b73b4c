"""``strongtie suggest``, ``strongtie digest`` and ``strongtie report``."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from bot.cli.kit import (
    as_of_option,
    echo,
    emit_json,
    resolve_local_as_of,
    runtime,
)
from bot.rules.gestures import kind_label
from config.errors import UserError
from models.timeline import utcnow


def register(cli: click.Group) -> None:
    """Add ``suggest``, ``digest`` and ``report`` to the ``strongtie`` command group."""
    cli.add_command(suggest)
    cli.add_command(digest)
    cli.add_command(report)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@as_of_option(help="Preview only: print what the rules would propose at this ISO 8601 date-time, or at the end "
                   "of this date in each team's zone, and store nothing. Default: now (stores).")
@click.option("--stats", is_flag=True, help="Per suggestion kind: how many were made, done, snoozed and dismissed "
                                            "(with the reasons managers picked), instead of the list.")
def suggest(as_json: bool, as_of: str | None, stats: bool) -> None:
    """Today's suggested gestures: kind, customer, owner, text, post_url, reason, priority, in
    board order: by team, heavy users first (best revenue rank), then the best gesture first.

    Without --as-of, new suggestions are worked out and stored (re-running adds nothing), then every
    one a manager can still act on is listed, best first, then the reminders still to come
    (``follow_up``, with ``due_on``). With --as-of it is a pure preview: the gestures the rules
    would propose at that moment, stored nowhere (so nothing back-dated or future is ever
    delivered). With --stats it reports what managers did with each kind instead."""
    from bot.jobs.reminders import upcoming_records
    from bot.jobs.suggest import open_suggestions, preview_records, suggest_job

    app = runtime()
    if stats:
        if as_of is not None:
            raise click.UsageError("--stats counts every suggestion made; it takes no --as-of")
        show_stats(app, as_json=as_json)
        return
    when = resolve_local_as_of(as_of)
    if when is not None:
        records = preview_records(app, as_of=when)
    else:
        moment = utcnow()
        suggest_job(app, as_of=moment)
        with app.session() as session:
            records = open_suggestions(session=session, as_of=moment)
            records += upcoming_records(session=session, as_of=moment)
    if as_json:  # the contract's fields: the owner as a Slack id
        emit_json([{key: value for key, value in r.items() if key != "owner_name"} for r in records])
        return
    if when is not None:
        echo(f"Preview as of {as_of} (nothing stored):")
    echo(format_suggestions(records))


def show_stats(app: Any, *, as_json: bool) -> None:
    """Print ``strongtie suggest --stats``: per kind, made / done / snoozed / dismissed (why)."""
    from models.store.suggestions import DISMISS_REASONS, suggestion_stats

    with app.session() as session:
        stats = suggestion_stats(session=session)
    if as_json:
        emit_json([s.as_json() for s in stats])
        return
    if not stats:
        echo("No suggestions made yet.")
        return
    echo(f"{'kind':<18} {'made':>5} {'done':>5} {'snoozed':>8} {'dismissed':>10} {'open':>5}  done rate")
    for s in stats:
        record = s.as_json()
        rate = f"{record['done_rate']:.0%}" if record["done_rate"] is not None else "-"
        echo(f"{kind_label(s.kind):<18} {s.made:>5} {s.done:>5} {s.snoozed:>8} {s.dismissed:>10} {s.open:>5}  {rate}")
        if s.reasons:
            why = ", ".join(f"{DISMISS_REASONS.get(reason, reason.replace('_', ' '))} {count}"
                            for reason, count in s.reasons.items())
            echo(f"{'':<18} dismissed because: {why}")


def format_suggestions(records: list[dict[str, Any]]) -> str:
    """Suggestion records laid out for a terminal, one block per gesture, owners by name; a
    reminder still to come shows its day instead of a priority."""
    if not records:
        return "No suggestions right now: nothing new, or every gesture is on cool-down."
    lines = []
    for number, record in enumerate(records, 1):
        name = record.get("owner_name") or record["owner"]
        owner = f" (owner {name})" if name else ""
        if record.get("due_on"):
            lines.append(f"{number}. [{record['due_on']}] Reminder: {record['customer']}{owner}")
            lines.append(f"   {record['text']}")
            continue
        lines.append(f"{number}. [{record['priority']:.0f}] {kind_label(record['kind'])}: {record['customer']}{owner}")
        lines.append(f"   {record['text']}")
        if record["post_url"]:
            lines.append(f"   {record['post_url']}")
        lines.append(f"   why: {record['reason']}")
    return "\n".join(lines)


@click.command()
@click.option("--team", metavar="NAME", help="Only this team (default: every team).")
@as_of_option(help="The digest of this team-local date (as of the team's digest time that day), or as of "
                   "this ISO 8601 date-time (the team-local date at that instant). Default: now.")
@click.option("--dry-run", is_flag=True, help="Print the digest instead of sending it.")
@click.option("--force", is_flag=True, help="Send even if today's digest was already sent.")
def digest(team: str | None, as_of: str | None, dry_run: bool, force: bool) -> None:
    """Build the daily digest and send it to the team channel once per local day."""
    from bot.jobs.digest import digest_job

    when = resolve_local_as_of(as_of)
    moment = when if isinstance(when, datetime) else None
    day = when if isinstance(when, date) and not isinstance(when, datetime) else None
    outcomes = digest_job(runtime(), team=team, as_of=moment, local_date=day, dry_run=dry_run, force=force)
    if not outcomes:
        raise UserError("no teams: import a roster first (strongtie roster import PATH)")
    for outcome in outcomes:
        if outcome.status == "dry_run":
            echo(outcome.text + "\n")
            continue
        detail = f": {outcome.detail}" if outcome.detail else ""
        chart = " with the hourglass chart" if outcome.chart_attached else ""
        echo(f"{outcome.team} {outcome.local_date}: {outcome.status}{chart}{detail}")
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


@click.command()
@click.option("--png", "png", required=True, type=click.Path(dir_okay=False), help="Where to write the chart.")
@click.option("--team", metavar="NAME", help="Only this team.")
def report(png: str, team: str | None) -> None:
    """The hourglass picture: relationships per stage and how long they dwell there."""
    from bot.report import render_hourglass_png, report_title, team_hourglass
    from models.store.teams import team_by_name

    moment = utcnow()
    rt = runtime()
    with rt.session() as session:
        team_row = team_by_name(team, session=session) if team else None
        counts = team_hourglass(session=session, as_of=moment, params=rt.scoring,
                                team_id=team_row.id if team_row else None)
        title = report_title(session=session, team=team_row, as_of=moment)
    Path(png).write_bytes(render_hourglass_png(counts, title=title))
    summary = ", ".join(f"{c.stage} {c.count}" for c in counts)
    echo(f"Wrote {png} ({summary})")
