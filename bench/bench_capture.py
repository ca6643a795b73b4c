"""Benchmark: the capture sync of many connections on loopback, first pass and second pass.

Calendars: ``--calendars`` members, each with a calendar holding a year of weekly meetings with two
customers of the team, served by the loopback feed fake (ETag, 304). Mailboxes: ``--mailboxes``
members, each with ``--messages`` messages (half from customers in INBOX, half to them in Sent)
in a real dovecot started on loopback (tests/fakes/dovecot.py; the mail part is left out, and the
output says why, where dovecot cannot start). One SQLite database in a temporary directory.

The second pass is forced (every connection read again): calendars answer 304 or are read and
found unchanged, mailboxes are asked only for UIDs above the last one, and nothing new is stored.
Peak memory is the process's peak resident set (``ru_maxrss``), fixtures included.

Run: ``.venv/bin/python bench/bench_capture.py [--calendars 50] [--mailboxes 50] [--messages 5000]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import imapclient  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from fakes.dovecot import start_dovecot  # noqa: E402
from fakes.feeds import FeedServer, Route  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench._record import record  # noqa: E402
from bot.jobs.capture import sync_connections  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from config.settings import Secret, Settings  # noqa: E402
from models.crypto import SecretBox  # noqa: E402
from models.entities import Customer, Interaction, Member, Team  # noqa: E402
from models.store.connections import add_connection  # noqa: E402

NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
PASSWORD = "bench-pass"
SCALE_NOTE = ("Smaller than the goal's scale (50 calendars, 50 mailboxes of 5,000 messages): filling "
              "250,000 messages into dovecot alone takes about 20 minutes here; the defaults run the full scale.")


def ics(member: int) -> bytes:
    """A year of weekly meetings of member ``member`` with two customers."""
    start = (NOW - timedelta(days=364)).strftime("%Y%m%dT%H%M%SZ")
    event = (f"BEGIN:VEVENT\r\nUID:weekly-{member}@bench\r\nDTSTART:{start}\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\n"
             f"ORGANIZER:mailto:m{member}@ourco.example\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:c{member}a@acme.example\r\n"
             f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:c{member}b@acme.example\r\nEND:VEVENT\r\n")
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n{event}END:VCALENDAR\r\n".encode()


def message(member: int, n: int) -> tuple[str, bytes]:
    """Message ``n`` of member ``member``'s mailbox: (folder, raw headers and a line of body)."""
    customer = f"c{member}{'ab'[n % 2]}@acme.example"
    me = f"m{member}@ourco.example"
    sender, to, folder = (customer, me, "INBOX") if n % 2 == 0 else (me, customer, "Sent")
    date = (NOW - timedelta(minutes=90 * n)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    raw = f"From: {sender}\r\nTo: {to}\r\nDate: {date}\r\nMessage-ID: <{member}.{n}@bench>\r\nSubject: s\r\n\r\nbody\r\n"
    return folder, raw.encode()


def fill_mailbox(server, user: str, member: int, messages: int) -> None:
    client = imapclient.IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
    client.login(user, PASSWORD)
    by_folder: dict[str, list[bytes]] = {"INBOX": [], "Sent": []}
    for n in range(messages):
        folder, raw = message(member, n)
        by_folder[folder].append(raw)
    for folder, raws in by_folder.items():
        for start in range(0, len(raws), 500):
            client.multiappend(folder, raws[start:start + 500])
    client.logout()


def build(runtime: Runtime, calendars: int, mailboxes: int, feeds: FeedServer, mail_server) -> None:
    box = SecretBox(runtime.settings.secret_key)
    members = max(calendars, mailboxes)
    with runtime.session() as session:
        team = Team(name="Bench", slack_channel="C0BENCH", timezone="UTC", top_n=10_000)
        session.add(team)
        session.flush()
        rows = []
        for m in range(members):
            member = Member(team_id=team.id, slack_user=f"U{m:05d}", name=f"Member {m}", email=f"m{m}@ourco.example")
            session.add(member)
            rows.append(member)
            for side in "ab":
                session.add(Customer(team_id=team.id, name=f"C{m}{side}", name_key=f"c{m}{side}", company="Acme",
                                     emails=[f"c{m}{side}@acme.example"], revenue=1000, revenue_rank=2 * m + (side == "b") + 1))
        session.flush()
        for m in range(calendars):
            url = feeds.add(f"/cal/{m}/private.ics", Route(body=ics(m), content_type="text/calendar"))
            add_connection(rows[m], "calendar", sealed_secret=box.seal(url), options={}, session=session)
        for m in range(mailboxes if mail_server else 0):
            add_connection(rows[m], "imap", sealed_secret=box.seal(PASSWORD), session=session, options={
                "host": mail_server.host, "port": mail_server.port, "user": f"m{m}@ourco.example", "security": "plain"})


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.session() as session:
        return dict(session.execute(select(Interaction.origin, func.count()).group_by(Interaction.origin)).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calendars", type=int, default=50)
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--no-record", action="store_true", help="print, do not write docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="strongtie-bench-capture-") as scratch, FeedServer() as feeds:
        scratch_path = Path(scratch)
        scratch_path.chmod(0o755)
        users = {f"m{m}@ourco.example": PASSWORD for m in range(args.mailboxes)}
        mail_server = start_dovecot(scratch_path / "dovecot", users) if args.mailboxes else "no mailboxes asked for"
        why_no_mail = mail_server if isinstance(mail_server, str) else None
        mail_server = None if why_no_mail else mail_server
        try:
            filled = time.monotonic()
            if mail_server:
                for m in range(args.mailboxes):
                    fill_mailbox(mail_server, f"m{m}@ourco.example", m, args.messages)
            filled = time.monotonic() - filled
            settings = replace(Settings(database_url=f"sqlite:///{scratch_path / 'bench.db'}"), allow_private_networks=True,
                               secret_key=Secret(Fernet.generate_key().decode()), poll_fetch_timeout_seconds=120.0)
            runtime = Runtime(settings=settings)
            build(runtime, args.calendars, args.mailboxes, feeds, mail_server)
            passes = []
            for force in (False, True):
                started = time.perf_counter()
                summary = sync_connections(runtime, force=force, now=NOW + timedelta(minutes=5 * force))
                passes.append((time.perf_counter() - started, summary, counts(runtime)))
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            runtime.engine.dispose()
        finally:
            if mail_server:
                mail_server.stop()
    (first_s, first, first_counts), (second_s, second, second_counts) = passes
    mail_line = (f"{args.mailboxes} mailboxes of {args.messages:,} messages each in a real dovecot on loopback"
                 if not why_no_mail else f"no mailboxes ({why_no_mail})")
    text = f"""## Capture sync ({args.calendars} calendars, {args.mailboxes if not why_no_mail else 0} mailboxes)

`bench/bench_capture.py`: {args.calendars} calendars of a year of weekly meetings with two customers each,
served by the loopback feed fake; {mail_line} (filled in {filled:.0f} s, not counted). One SQLite
database; the sync reads up to STRONGTIE_POLL_CONCURRENCY connections at once and stores one at a time.

| measure | first pass | second pass (forced) |
|---|---|---|
| time | {first_s:.1f} s | {second_s:.1f} s |
| meetings / emails created | {first.meetings:,} / {first.emails:,} | {second.meetings:,} / {second.emails:,} |
| calendars not modified (304) | {first.not_modified} | {second.not_modified} |
| errors | {first.errors} | {second.errors} |
| interactions stored (calendar / email) | {first_counts.get('calendar', 0):,} / {first_counts.get('email', 0):,} | {second_counts.get('calendar', 0):,} / {second_counts.get('email', 0):,} |

Peak resident memory of the process (fixtures and both passes): {peak_mb:.0f} MB.
{"" if (args.calendars, args.mailboxes, args.messages) == (50, 50, 5000) else SCALE_NOTE}"""
    print(text)
    for problem in first.problems + second.problems:
        print("problem:", problem)
    if not args.no_record:
        record("capture", text)


if __name__ == "__main__":
    main()
