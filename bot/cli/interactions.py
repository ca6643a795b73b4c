"""``strongtie log``, ``strongtie interactions [import]`` and ``strongtie rate``."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import click

from bot.cli.kit import emit_listing, parse_time_option, runtime
from bot.timeutil import iso, parse_instant
from config.errors import InputError, UserError
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS
from models.entities import Customer
from models.store.customers import find_customer
from models.store.interactions import check_direction, check_kind, interactions_for, log_interaction
from models.store.ratings import record_rating
from models.store.teams import team_id_for
from models.timeline import utcnow

CSV_COLUMNS = ("customer", "kind", "occurred_at", "direction", "note", "by")
FUTURE_GRACE = timedelta(days=1)  # time-zone slips, not interactions that have not happened


def _not_in_future(moment: datetime) -> datetime:
    """Refuse an interaction time that has not happened yet (a typo in the year, usually)."""
    if moment > utcnow() + FUTURE_GRACE:
        raise InputError(f"{iso(moment)} is in the future; an interaction is logged once it has happened")
    return moment


def register(cli: click.Group) -> None:
    """Add ``log``, ``interactions`` (and its ``import``) and ``rate`` to the command group."""
    cli.add_command(log)
    cli.add_command(interactions)
    cli.add_command(rate)


@click.command(epilog=f"KIND is one of: {', '.join(INTERACTION_KINDS)}.")
@click.argument("customer")
@click.argument("kind")
@click.option("--note", default="", help="What happened, in a few words.")
@click.option("--at", "at", metavar="ISO8601", help="When it happened (default: now; no zone means UTC).")
@click.option("--by", "by", metavar="SLACK_USER", help="The member who had the interaction.")
@click.option("--direction", type=click.Choice(DIRECTIONS, case_sensitive=False), default="mutual", show_default=True,
              help="inbound: they reached out; outbound: we did; mutual: both took part.")
@click.option("--team", metavar="NAME", help="The customer's team, when the name is used in several.")
def log(customer: str, kind: str, note: str, at: str | None, by: str | None, direction: str, team: str | None) -> None:
    """Record an interaction with CUSTOMER of KIND (the kinds are listed below)."""
    occurred_at = _not_in_future(parse_time_option("--at", at)) if at else utcnow()
    rt = runtime()
    with rt.session() as session:
        found = find_customer(customer, session=session, team_id=team_id_for(team, session=session))
        logged = log_interaction(found, kind, session=session, occurred_at=occurred_at, direction=direction,
                                 note=note, by_user=by, origin="cli")
        click.echo(f"Logged {logged.interaction.kind} ({direction}) with {found.name} at {iso(occurred_at)}.")


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--customer", metavar="NAME", help="Only this customer's interactions.")
@click.option("--team", metavar="NAME", help="Only this team's interactions (and its customer, when a --customer "
                                             "name is used in several teams).")
@click.pass_context
def interactions(ctx: click.Context, as_json: bool, customer: str | None, team: str | None) -> None:
    """List logged interactions (or load history with `interactions import CSV`)."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime()
    with rt.session() as session:
        team_id = team_id_for(team, session=session)
        customer_ids = [find_customer(customer, session=session, team_id=team_id).id] if customer else None
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
            for i in interactions_for(customer_ids, session=session, team_id=team_id)
        ]
    emit_listing(rows, as_json=as_json, noun="interaction",
                 line=lambda r: f"{r['occurred_at']}  {r['customer']:<24} {r['kind']:<9} {r['direction']:<8} {r['note']}")


@dataclass(frozen=True)
class _CsvRow:
    line: int
    customer: Customer
    kind: str
    occurred_at: datetime
    direction: str
    note: str
    by: str | None

    @property
    def dedupe_key(self) -> str:
        """The same interaction read twice (however its time or name was written) lands once."""
        material = "\x1f".join((str(self.customer.id), self.kind, iso(self.occurred_at), self.direction, self.note, self.by or ""))
        return "csv:" + hashlib.sha256(material.encode()).hexdigest()[:40]


def _read_csv(path: str) -> list[dict[str, str]]:
    """The CSV's rows as text; every cell present (blank when the row was short)."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, restval="")
            missing = [c for c in ("customer", "kind", "occurred_at") if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}")
            return [{key: (value or "").strip() for key, value in row.items() if key is not None} for row in reader]
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV") from None
    except csv.Error as exc:
        raise UserError(f"{path}: not a readable CSV ({exc})") from None


def _check_row(line: int, row: dict[str, str], *, session, team_id: int | None) -> _CsvRow:
    if not row.get("customer"):
        raise InputError("the customer column is empty")
    return _CsvRow(
        line=line,
        customer=find_customer(row["customer"], session=session, team_id=team_id),
        kind=check_kind(row.get("kind", "")),
        occurred_at=_not_in_future(parse_instant(row.get("occurred_at", ""))),
        direction=check_direction(row.get("direction") or "mutual"),
        note=row.get("note", ""),
        by=row.get("by") or None,
    )


@interactions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--team", metavar="NAME", help="Resolve customer names within this team.")
def interactions_import(path: str, team: str | None) -> None:
    """Bulk-load history from a CSV with columns customer, kind, occurred_at, direction, note, by.

    Every row is checked first; if any is wrong nothing is imported. Rows already imported are
    skipped, so the same file can be loaded twice safely."""
    rows = _read_csv(path)
    problems: list[str] = []
    checked: list[_CsvRow] = []
    created = skipped = 0
    with runtime().session() as session:
        team_id = team_id_for(team, session=session)
        for line, row in enumerate(rows, start=2):
            try:
                checked.append(_check_row(line, row, session=session, team_id=team_id))
            except UserError as exc:
                problems.append(f"line {line}: {exc}")
        if problems:
            listing = "\n".join(f"  - {p}" for p in problems)
            raise UserError(f"{path} has {len(problems)} bad row(s); nothing was imported:\n{listing}")
        for row in checked:
            logged = log_interaction(
                row.customer, row.kind, session=session, occurred_at=row.occurred_at, direction=row.direction,
                note=row.note, by_user=row.by, origin="import", dedupe_key=row.dedupe_key,
            )
            created += logged.created
            skipped += not logged.created
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
        found = find_customer(customer, session=session, team_id=team_id_for(team, session=session))
        record_rating(found, rating, session=session, rated_at=utcnow(), by_user=by)
        click.echo(f"Recorded your rating of {rating}/10 for {found.name}.")

