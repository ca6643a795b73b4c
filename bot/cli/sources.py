"""``strongtie poll``, ``strongtie sources`` and ``strongtie posts``."""

from __future__ import annotations

import sys

import click

from bot.cli.kit import emit_listing, runtime
from bot.jobs.poll import poll_job
from bot.timeutil import iso
from connectors.metering import month_period
from connectors.registry import build_connectors, metered_connectors
from models.entities import Source
from models.store.customers import find_customer
from models.store.posts import newest_posts, post_counts
from models.store.sources import all_sources
from models.store.teams import team_id_for
from models.store.usage import api_units
from models.timeline import utcnow


def register(cli: click.Group) -> None:
    """Add ``poll``, ``sources`` and ``posts`` to the ``strongtie`` command group."""
    cli.add_command(poll)
    cli.add_command(sources)
    cli.add_command(posts)


@click.command()
@click.option("--force", is_flag=True, help="Poll every enabled source now, not only those due.")
def poll(force: bool) -> None:
    """One polling pass over due sources, then exit."""
    rt = runtime()
    if sys.stdout.isatty():
        with click.progressbar(length=0, label="Polling", file=sys.stderr) as bar:

            def show(done: int, total: int) -> None:
                """Advance the progress bar by the source just stored."""
                bar.length = total
                bar.update(1)

            summary = poll_job(rt, force=force, progress=show)
    else:
        summary = poll_job(rt, force=force)
    click.echo(summary.line())
    for problem in summary.problems:
        click.echo(f"  {problem}", err=True)


def _source_line(row: dict) -> str:
    status = row["last_status"] or "never polled"
    error = f"  ({row['last_error']})" if row["last_error"] else ""
    return f"{row['id']:>4} {row['customer']:<24} {row['kind']:<9} {row['target']:<40} {status}, {row['posts']} posts{error}"


def source_row(source: Source, posts: int, month_spend: float | None = None) -> dict:
    """The ``sources --json`` record of one source.

    ``month_spend`` (``api_month_spend_usd``) is this month's spend on the source's metered API
    (X bills per post read; the figure covers all X sources), or None for free sources.
    """
    return {
        "id": source.id,
        "customer": source.customer.name,
        "team": source.customer.team.name,
        "kind": source.kind,
        "target": source.target,
        "url": source.url,
        "enabled": source.enabled and source.in_roster,
        "in_roster": source.in_roster,
        "last_polled_at": iso(source.last_polled_at),
        "last_status": source.last_status,
        "last_error": source.last_error,
        "error_count": source.error_count,
        "next_check_at": iso(source.next_check_at),
        "posts": posts,
        "api_month_spend_usd": month_spend,
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def sources(as_json: bool) -> None:
    """Every source with its health: last poll, status, error and post count."""
    rt = runtime()
    connectors = build_connectors(rt.settings)
    metered = metered_connectors(connectors)
    with rt.session() as session:
        counts = post_counts(session=session)
        period = month_period(utcnow())
        spend = {p: c.metering.spend_usd(api_units(p, period, session=session)) for p, c in metered.items()}
        listed = all_sources(session=session)
        rows = [source_row(s, counts.get(s.id, 0), spend.get(connectors[s.kind].metered_provider or "")) for s in listed]
    emit_listing(rows, as_json=as_json, noun="source", line=_source_line)
    if as_json:
        return
    for provider, connector in metered.items():
        if any(connectors.get(row["kind"]) is connector for row in rows):
            budget = connector.metering.monthly_budget_usd
            cap = f" of a ${budget:.2f} budget" if budget > 0 else " (no budget cap set)"
            click.echo(f"{connector.network} spend this month: ${spend[provider]:.2f}{cap}.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--customer", metavar="NAME", help="Only this customer's posts.")
@click.option("--team", metavar="NAME", help="Only this team's posts (and its customer, when a --customer name "
                                             "is used in several teams).")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many, newest first.")
def posts(as_json: bool, customer: str | None, team: str | None, limit: int | None) -> None:
    """Posts brought in from customers' sources, newest first (text is plain text)."""
    rt = runtime()
    with rt.session() as session:
        team_id = team_id_for(team, session=session)
        customer_id = find_customer(customer, session=session, team_id=team_id).id if customer else None
        rows = [
            {
                "id": p.id,
                "customer": p.customer.name,
                "source_kind": p.source.kind,
                "url": p.url,
                "title": p.title,
                "text": p.text,
                "published_at": iso(p.published_at),
            }
            for p in newest_posts(session=session, customer_id=customer_id, team_id=team_id, limit=limit)
        ]
    emit_listing(rows, as_json=as_json, noun="post",
                 line=lambda r: f"{r['published_at'] or '?':<21} {r['customer']:<24} {r['title'][:60]}  {r['url'] or ''}")
