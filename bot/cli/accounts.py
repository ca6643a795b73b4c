"""``strongtie accounts``: relationships grouped by company, the accounts a team sells to.

An account is as safe as its threads: one contact at building or better is a *single-threaded*
account, lost the day that champion leaves (the rule lives in :mod:`bot.rules.accounts`).
"""

from __future__ import annotations

import click

from bot.cli.kit import echo, emit_json, runtime
from bot.jobs.score import relationship_statuses
from bot.rules.accounts import Account, account_summary, accounts_of
from models.store.teams import team_id_for
from models.timeline import utcnow


def register(cli: click.Group) -> None:
    """Add ``accounts`` to the command group."""
    cli.add_command(accounts)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--team", metavar="NAME", help="Only this team.")
def accounts(as_json: bool, team: str | None) -> None:
    """Per company: its contacts and their ties, the strongest tie, coverage (contacts at weak tie
    or better) and whether it is single-threaded (only one contact at building or better).

    Companies come from the roster's `company` field; accounts are listed per team, heavy users
    first. A customer without a company belongs to no account."""
    rt = runtime()
    with rt.session() as session:
        statuses = relationship_statuses(session=session, as_of=utcnow(), params=rt.scoring,
                                         team_id=team_id_for(team, session=session))
    found = accounts_of(statuses)
    if as_json:
        emit_json([a.as_json() for a in found])
        return
    echo(accounts_text(found))


def accounts_text(found: list[Account]) -> str:
    """The accounts laid out for a terminal: a heading line each, then one line per contact."""
    if not found:
        return "No accounts: no tracked customer has a company in the roster."
    lines: list[str] = []
    team = None
    for account in found:
        if account.team != team:
            team = account.team
            lines += ["" if lines else None, team]
        flag = "  SINGLE-THREADED" if account.single_threaded else ""
        lines.append(f"  {account.account}{flag}: {account_summary(account)}")
        width = max(len(c.customer) for c in account.contacts)
        for contact in account.contacts:
            owner = f"  (owner {contact.owner_name})" if contact.owner_name else ""
            lines.append(f"    {contact.customer:<{width}}  {contact.score:5.1f}  {contact.stage.replace('_', ' ')}{owner}")
    single = sum(a.single_threaded for a in found)
    lines += ["", f"{len(found)} account{'s' if len(found) != 1 else ''}, {single} single-threaded."]
    return "\n".join(line for line in lines if line is not None)
