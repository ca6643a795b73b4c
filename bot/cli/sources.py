"""``strongtie poll``, ``strongtie sources`` and ``strongtie posts``."""

from __future__ import annotations

import sys

import click

from bot.cli.kit import echo, emit_json, emit_listing, runtime
from bot.jobs.poll import poll_job
from bot.timeutil import iso
from bot.workers.backend import require_postgres
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
@click.option("--enqueue", is_flag=True, help="PostgreSQL only: queue a job per due source (every source with "
                                              "--force) for `strongtie worker` processes, then exit.")
def poll(force: bool, enqueue: bool) -> None:
    """One polling pass over due sources, then exit."""
    rt = runtime()
    if enqueue:
        echo(enqueue_polls_now(rt, force=force).line("poll job"))
        return
    if sys.stdout.isatty():
        with click.progressbar(length=0, label="Polling", file=sys.stderr) as bar:

            def show(done: int, total: int) -> None:
                """Advance the progress bar by the source just stored."""
                bar.length = total
                bar.update(1)

            summary = poll_job(rt, force=force, progress=show)
    else:
        summary = poll_job(rt, force=force)
    echo(summary.line())
    for problem in summary.problems:
        echo(f"  {problem}", err=True)


def enqueue_polls_now(rt, *, force: bool):
    """``poll --enqueue``: queue the polls for the workers (procrastinate is loaded only here)."""
    require_postgres(rt.settings.database_url, "strongtie poll --enqueue")
    from bot.workers.enqueue import enqueue_polls, with_queue

    return with_queue(rt, lambda app: enqueue_polls(app, rt, force=force))


def source_state(row: dict) -> str:
    """How a source stands, in words: removed from the roster, disabled (e.g. gone for good, 410),
    never polled, or its last status."""
    if not row["in_roster"]:
        return "removed from roster"
    if not row["enabled"]:
        return f"disabled ({row['last_status']})" if row["last_status"] not in (None, "disabled") else "disabled"
    return row["last_status"] or "never polled"


_COLUMNS = (("id", ">"), ("customer", "<"), ("kind", "<"), ("target", "<"), ("state", "<"), ("posts", ">"))


def sources_table(rows: list[dict]) -> list[str]:
    """The sources as aligned columns (each as wide as its longest value, however long a URL is),
    then each source's last error on its own indented line."""
    cells = [{"id": str(r["id"]), "customer": r["customer"], "kind": r["kind"], "target": r["target"],
              "state": source_state(r), "posts": str(r["posts"])} for r in rows]
    widths = {name: max([len(name)] + [len(c[name]) for c in cells]) for name, _ in _COLUMNS}
    lines = ["  ".join(f"{name:{align}{widths[name]}}" for name, align in _COLUMNS).rstrip()]
    for row, cell in zip(rows, cells):
        lines.append("  ".join(f"{cell[name]:{align}{widths[name]}}" for name, align in _COLUMNS).rstrip())
        if row["last_error"]:
            lines.append(f"{'':>{widths['id']}}  {row['last_error']}")
    return lines


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
    """Every source with its health: state (its last status, or disabled, or removed from the
    roster), post count and last error."""
    rt = runtime()
    connectors = build_connectors(rt.settings)
    metered = metered_connectors(connectors)
    with rt.session() as session:
        counts = post_counts(session=session)
        period = month_period(utcnow())
        spend = {p: c.metering.spend_usd(api_units(p, period, session=session)) for p, c in metered.items()}
        listed = all_sources(session=session)
        rows = [source_row(s, counts.get(s.id, 0), spend.get(connectors[s.kind].metered_provider or "")) for s in listed]
    if as_json:
        emit_json(rows)
        return
    for line in sources_table(rows) if rows else []:
        echo(line)
    echo(f"{len(rows)} source{'' if len(rows) == 1 else 's'}.")
    for provider, connector in metered.items():
        if any(connectors.get(row["kind"]) is connector for row in rows):
            budget = connector.metering.monthly_budget_usd
            cap = f" of a ${budget:.2f} budget" if budget > 0 else " (no budget cap set)"
            echo(f"{connector.network} spend this month: ${spend[provider]:.2f}{cap}.")


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
