"""``strongtie log``, ``strongtie interactions [import|delete]`` and ``strongtie rate``.

Every command that changes what a score is made of rescores the customers it touched and stores
their stage changes at once, as ``/tie log`` does, so the stored history (and the digest that
reports it) never waits for the next scheduled scoring run.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import click

from bot.cli.history_csv import CsvRow, RowChecker, member_of_team, read_csv
from bot.cli.kit import echo, emit_listing, parse_time_option, runtime
from bot.jobs.score import rescore_safely
from bot.timeutil import iso
from config.errors import InputError, UserError, quoted
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS
from models.store.customers import find_customer
from models.store.interactions import (
    interactions_by_id,
    interactions_for,
    interactions_in_batch,
    log_interaction,
    remove_interactions,
)
from models.store.ratings import record_rating
from models.store.teams import member_names, team_id_for
from models.timeline import utcnow

FUTURE_GRACE = timedelta(days=1)  # time-zone slips, not interactions that have not happened
DIRECTION_HELP = ("inbound: they reached out; outbound: we did; mutual: both took part. Default: the kind's own "
                  "(meeting, call, event: mutual; purchase, trial: inbound; any other kind: outbound).")


def _not_in_future(moment: datetime) -> datetime:
    """Refuse an interaction time that has not happened yet (a typo in the year, usually)."""
    if moment > utcnow() + FUTURE_GRACE:
        raise InputError(f"{iso(moment)} is in the future; an interaction is logged once it has happened")
    return moment


def register(cli: click.Group) -> None:
    """Add ``log``, ``interactions`` (and its ``import`` and ``delete``) and ``rate`` to the command group."""
    cli.add_command(log)
    cli.add_command(interactions)
    cli.add_command(rate)


@click.command(epilog=f"KIND is one of: {', '.join(INTERACTION_KINDS)}.")
@click.argument("customer")
@click.argument("kind")
@click.option("--note", default="", help="What happened, in a few words.")
@click.option("--at", "at", metavar="ISO8601", help="When it happened (default: now; no zone means UTC).")
@click.option("--by", "by", metavar="SLACK_USER", help="The member who had the interaction (a member of the "
                                                        "customer's team: Slack user id or name).")
@click.option("--direction", type=click.Choice(DIRECTIONS, case_sensitive=False), default=None, help=DIRECTION_HELP)
@click.option("--team", metavar="NAME", help="The customer's team, when the name is used in several.")
def log(customer: str, kind: str, note: str, at: str | None, by: str | None, direction: str | None,
        team: str | None) -> None:
    """Record an interaction with CUSTOMER of KIND (the kinds are listed below), rescore the
    relationship and store its stage changes."""
    now = utcnow()
    occurred_at = _not_in_future(parse_time_option("--at", at)) if at else now
    rt = runtime()
    with rt.session() as session:
        found = find_customer(customer, session=session, team_id=team_id_for(team, session=session))
        if by is not None:
            by = member_of_team(by, member_names(found.team_id, session=session), team=found.team.name)
        logged = log_interaction(found, kind, session=session, occurred_at=occurred_at, direction=direction,
                                 note=note, by_user=by, origin="cli", now=now)
        row = logged.interaction
        rescored = rescore_safely([found.id], session=session, as_of=now, params=rt.scoring)
        echo(f"Logged {row.kind} ({row.direction}) with {found.name} at {iso(occurred_at)}.")
        if rescored:
            status = rescored[0]
            echo(f"Now {status.score:.0f}/100, {status.stage.replace('_', ' ')}"
                       f"{', at risk' if status.at_risk else ''}.")


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
                "batch": i.batch,
            }
            for i in interactions_for(customer_ids, session=session, team_id=team_id)
        ]
    emit_listing(rows, as_json=as_json, noun="interaction",
                 line=lambda r: f"{r['occurred_at']}  {r['customer']:<24} {r['kind']:<9} {r['direction']:<8} {r['note']}")


@interactions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--team", metavar="NAME", help="Resolve customer names within this team.")
def interactions_import(path: str, team: str | None) -> None:
    """Bulk-load history from a CSV with columns customer, kind, occurred_at, direction, note, by.

    Every row is checked first; if any is wrong nothing is imported. Rows already imported are
    skipped, so the same file can be loaded twice safely. The rows stored are one batch, whose id
    is printed: `strongtie interactions delete --batch ID` takes the whole import back."""
    rows = read_csv(path)
    problems: list[str] = []
    checked: list[CsvRow] = []
    created = skipped = 0
    batch = _new_batch_id()
    rt = runtime()
    with rt.session() as session:
        checker = RowChecker(session=session, team_id=team_id_for(team, session=session),
                             not_in_future=_not_in_future)
        for line, row in rows:
            try:
                checked.append(checker.check(line, row))
            except UserError as exc:
                problems.append(f"line {line}: {exc}")
        if problems:
            listing = "\n".join(f"  - {p}" for p in problems)
            raise UserError(f"{path} has {len(problems)} bad row(s); nothing was imported:\n{listing}")
        changed: set[int] = set()
        for row in checked:
            logged = log_interaction(
                row.customer, row.kind, session=session, occurred_at=row.occurred_at, direction=row.direction,
                note=row.note, by_user=row.by, origin="csv", dedupe_key=row.dedupe_key, batch=batch,
            )
            created += logged.created
            skipped += not logged.created
            if logged.created:
                changed.add(row.customer.id)
        rescore_safely(changed, session=session, as_of=utcnow(), params=rt.scoring)
    if created:
        echo(f"Imported {_count(created, 'interaction')} from {path} as batch {batch}; "
                   f"{skipped} already present. To take this import back: "
                   f"strongtie interactions delete --batch {batch}")
    else:
        echo(f"Imported 0 interactions from {path}; {skipped} already present.")


@interactions.command("delete")
@click.argument("ids", nargs=-1, type=int, metavar="ID...")
@click.option("--batch", metavar="B", help="Every interaction of this import (its id is printed at import).")
def interactions_delete(ids: tuple[int, ...], batch: str | None) -> None:
    """Remove interactions (by ID, or a whole import with --batch) and rescore their customers.

    All or nothing: an id that does not exist removes nothing. The stage changes and snapshots
    stored for the customers follow what remains."""
    if bool(ids) == bool(batch):
        raise click.UsageError("give interaction IDs or --batch B (one of the two)")
    rt = runtime()
    with rt.session() as session:
        if batch:
            found = interactions_in_batch(batch, session=session)
            if not found:
                raise UserError(f"no interactions in batch {quoted(batch)} (an import prints its batch id; "
                                f"`strongtie interactions --json` shows each row's batch)")
        else:
            found = interactions_by_id(ids, session=session)
            missing = sorted(set(ids) - {i.id for i in found})
            if missing:
                raise UserError(f"no interaction with id {', '.join(map(str, missing))}; nothing was deleted")
        removed, customers = remove_interactions(found, session=session)
        rescore_safely(customers, session=session, as_of=utcnow(), params=rt.scoring)
    what = f" of batch {batch}" if batch else ""
    echo(f"Deleted {_count(removed, 'interaction')}{what}; rescored {_count(len(customers), 'customer')}.")


def _new_batch_id() -> str:
    """A short, typeable id for one import: when it ran (UTC) and a random tail."""
    return f"{utcnow():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@click.command()
@click.argument("customer")
@click.argument("rating", type=click.IntRange(0, 10))
@click.option("--by", "by", metavar="SLACK_USER", help="Who judges the tie.")
@click.option("--team", metavar="NAME", help="The customer's team, when the name is used in several.")
def rate(customer: str, rating: int, by: str | None, team: str | None) -> None:
    """Record your own 0-10 judgment of how strong the tie with CUSTOMER is."""
    rt = runtime()
    now = utcnow()
    with rt.session() as session:
        found = find_customer(customer, session=session, team_id=team_id_for(team, session=session))
        record_rating(found, rating, session=session, rated_at=now, by_user=by)
        rescore_safely([found.id], session=session, as_of=now, params=rt.scoring)
        echo(f"Recorded your rating of {rating}/10 for {found.name}.")
