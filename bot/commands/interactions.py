"""``strongtie log``, ``strongtie interactions [import]`` and ``strongtie rate``."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.clikit import ExpectedError, emit_json, parse_time_option, runtime
from bot.timeutil import iso, now_utc, parse_instant
from models.entities import DIRECTIONS, Interaction
from models.store import StoreError, find_customer, log_interaction, record_rating, team_by_name

CSV_COLUMNS = ("customer", "kind", "occurred_at", "direction", "note", "by")


def register(cli: click.Group) -> None:
    cli.add_command(log)
    cli.add_command(interactions)
    cli.add_command(rate)


def _team_id(session, team: str | None) -> int | None:
    return team_by_name(team, session=session).id if team else None


@click.command()
@click.argument("customer")
@click.argument("kind")
@click.option("--note", default="", help="What happened, in a few words.")
@click.option("--at", "at", metavar="ISO8601", help="When it happened (default: now; no zone means UTC).")
@click.option("--by", "by", metavar="SLACK_USER", help="The member who had the interaction.")
@click.option("--direction", type=click.Choice(DIRECTIONS), default="mutual", show_default=True,
              help="inbound: they reached out; outbound: we did; mutual: both took part.")
@click.option("--team", metavar="NAME", help="The customer's team, when the name is used in several.")
def log(customer: str, kind: str, note: str, at: str | None, by: str | None, direction: str, team: str | None) -> None:
    """Record an interaction with CUSTOMER of KIND.

    KIND is one of: meeting, call, email, message, comment, share, like, mention, gift, event,
    intro, referral, trial, purchase, note."""
    occurred_at = parse_time_option("--at", at) if at else now_utc()
    rt = runtime()
    with rt.session() as session:
        found = find_customer(customer, session=session, team_id=_team_id(session, team))
        logged = log_interaction(found, kind, session=session, occurred_at=occurred_at, direction=direction,
                                 note=note, by_user=by, origin="cli")
        click.echo(f"Logged {logged.interaction.kind} ({direction}) with {found.name} at {iso(occurred_at)}.")


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--customer", metavar="NAME", help="Only this customer's interactions.")
@click.pass_context
def interactions(ctx: click.Context, as_json: bool, customer: str | None) -> None:
    """List logged interactions (or load history with `interactions import CSV`)."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime()
    with rt.session() as session:
        query = select(Interaction).options(selectinload(Interaction.customer)).order_by(Interaction.occurred_at, Interaction.id)
        if customer:
            query = query.where(Interaction.customer_id == find_customer(customer, session=session).id)
        rows = [
            {
                "id": i.id,
                "customer": i.customer.name,
                "kind": i.kind,
                "direction": i.direction,
                "note": i.note,
                "occurred_at": iso(i.occurred_at),
                "by": i.by_user,
                "origin": i.origin,
            }
            for i in session.scalars(query)
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['occurred_at']}  {row['customer']:<24} {row['kind']:<9} {row['direction']:<8} {row['note']}")
    click.echo(f"{len(rows)} interaction(s).")


def _csv_dedupe_key(row: dict[str, str]) -> str:
    """Re-importing the same row must not record it twice."""
    material = "\x1f".join(row.get(column, "").strip() for column in CSV_COLUMNS)
    return "csv:" + hashlib.sha256(material.encode()).hexdigest()[:40]


@interactions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--team", metavar="NAME", help="Resolve customer names within this team.")
def interactions_import(path: str, team: str | None) -> None:
    """Bulk-load history from a CSV with columns customer, kind, occurred_at, direction, note, by.

    Every row is checked first; if any is wrong nothing is imported. Rows already imported are
    skipped, so the same file can be loaded twice safely."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("customer", "kind", "occurred_at") if c not in (reader.fieldnames or [])]
        if missing:
            raise ExpectedError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}")
        rows = list(reader)
    rt = runtime()
    problems: list[str] = []
    created = skipped = 0
    with rt.session() as session:
        team_id = _team_id(session, team)
        prepared = []
        for line, row in enumerate(rows, start=2):
            try:
                customer = find_customer(row["customer"], session=session, team_id=team_id)
                occurred_at = parse_instant(row["occurred_at"])
                prepared.append((line, row, customer, occurred_at))
            except (StoreError, ValueError) as exc:
                problems.append(f"line {line}: {exc}")
        for line, row, customer, occurred_at in prepared:
            try:
                logged = log_interaction(
                    customer, row["kind"], session=session, occurred_at=occurred_at,
                    direction=(row.get("direction") or "mutual"), note=row.get("note") or "",
                    by_user=row.get("by") or None, origin="import", dedupe_key=_csv_dedupe_key(row),
                )
            except StoreError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            created += logged.created
            skipped += not logged.created
        if problems:
            session.rollback()
            listing = "\n".join(f"  - {p}" for p in problems)
            raise ExpectedError(f"{path} has {len(problems)} bad row(s); nothing was imported:\n{listing}")
    click.echo(f"Imported {created} interaction(s) from {path}; {skipped} already present.")


@click.command()
@click.argument("customer")
@click.argument("rating", type=click.IntRange(0, 10))
@click.option("--by", "by", metavar="SLACK_USER", help="Who judges the tie.")
@click.option("--team", metavar="NAME", help="The customer's team, when the name is used in several.")
def rate(customer: str, rating: int, by: str | None, team: str | None) -> None:
    """Record your own 0-10 judgment of how strong the tie with CUSTOMER is."""
    rt = runtime()
    with rt.session() as session:
        found = find_customer(customer, session=session, team_id=_team_id(session, team))
        record_rating(found, rating, session=session, rated_at=now_utc(), by_user=by)
        click.echo(f"Recorded your rating of {rating}/10 for {found.name}.")

