"""The demo's sample calendar: Dana's bundled ICS file (``data/calendar.ics``), served on loopback
to the real capture sync, so ``strongtie demo`` shows meetings captured by themselves.

Its meetings repeat without end from 2025 on, so whatever day the demo runs, the last year holds
past occurrences to capture; it also holds what must not count (a declined meeting, a cancelled
one, an all-day event with no customer). The demo's own temporary database gets a throwaway
``STRONGTIE_SECRET_KEY``, made afresh each run: no token, no network.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Iterator

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.demo.loopback import serving
from bot.runtime import Runtime
from config.settings import Secret
from models.crypto import SecretBox
from models.entities import Interaction, Member
from models.store.connections import add_connection

CALENDAR = Path(__file__).parent / "data" / "calendar.ics"
#: The member whose calendar it is (in ``data/roster.yaml``).
CALENDAR_OWNER = "U0DEMO0001"
_PATH = "/calendar/dana/private-demo/basic.ics"


def with_throwaway_key(runtime: Runtime) -> Runtime:
    """``runtime`` with a key made for this run, to seal the sample calendar's address."""
    return replace(runtime, settings=replace(runtime.settings, secret_key=Secret(Fernet.generate_key().decode("ascii"))))


@contextmanager
def serve_sample_calendar() -> Iterator[str]:
    """Serve the bundled calendar on 127.0.0.1 (a free port) while the block runs; yields its address."""
    body = CALENDAR.read_bytes()

    class CalendarHandler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != _PATH:
                self.send_error(404, "no such calendar")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(CalendarHandler) as base_url:
        yield f"{base_url}{_PATH}"


def connect_sample_calendar(runtime: Runtime, url: str) -> str:
    """Connect the sample calendar as Dana's, as ``strongtie connect calendar`` would; one line."""
    box = SecretBox(runtime.settings.secret_key)
    with runtime.session() as session:
        member = session.scalar(select(Member).where(Member.slack_user == CALENDAR_OWNER))
        add_connection(member, "calendar", sealed_secret=box.seal(url), options={"host": "127.0.0.1"}, session=session)
        return f"{member.name}'s sample calendar connected (its meetings are captured by the poll)"


def captured_meetings(runtime: Runtime) -> int:
    """How many meetings the sync captured from calendars."""
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(Interaction).where(Interaction.origin == "calendar")) or 0
