"""The embedded demo: the real poll -> score -> suggest -> digest pipeline on bundled sample data.

No token and no network: a fresh SQLite database, the bundled roster, the bundled feeds served to
the real feed connector by a loopback HTTP server, and about 90 days of generated interaction
history whose shapes (weekly partners, ties gone quiet, one-way followers, buyers, referrers)
exercise every part of the model.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable, Iterator
from xml.sax.saxutils import escape

import yaml

from bot.cli.setup import import_summary
from bot.demo.loopback import serving
from bot.runtime import Runtime
from config.roster import parse_roster
from config.settings import Settings
from models.store.customers import find_customer
from models.store.interactions import log_interaction
from models.store.roster import apply_roster
from models.store.sources import all_sources

DATA = Path(__file__).resolve().parent / "data"
HISTORY_DAYS = 90


# --- bundled feeds ------------------------------------------------------------------------------

def _render_feed(slug: str, feed: dict, now: datetime, base_url: str) -> bytes:
    """One bundled feed as RSS 2.0 or Atom, its dates relative to ``now``."""
    items = []
    for index, post in enumerate(feed.get("posts", [])):
        published = now - timedelta(days=post["days_ago"], hours=index)
        link = f"{base_url}/posts/{slug}/{index}"
        if feed.get("format") == "atom":
            items.append(
                f"<entry><id>urn:demo:{slug}:{index}</id><title>{escape(post['title'])}</title>"
                f'<link href="{link}"/><updated>{published.isoformat()}</updated>'
                f'<content type="html">{escape(post["text"])}</content></entry>'
            )
        else:
            items.append(
                f"<item><guid>urn:demo:{slug}:{index}</guid><title>{escape(post['title'])}</title>"
                f"<link>{link}</link><pubDate>{format_datetime(published)}</pubDate>"
                f"<description>{escape(post['text'])}</description></item>"
            )
    title = escape(feed.get("title", slug))
    if feed.get("format") == "atom":
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>{title}</title><id>urn:demo:{slug}</id><updated>{now.isoformat()}</updated>"
                f"{''.join(items)}</feed>").encode()
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>{base_url}/{slug}</link><description>{title}</description>{''.join(items)}</channel></rss>").encode()


@contextmanager
def serve_bundled_feeds(now: datetime) -> Iterator[str]:
    """Serve the bundled feeds on 127.0.0.1 (a free port) while the block runs; yields the base URL."""
    feeds = yaml.safe_load((DATA / "posts.yaml").read_text(encoding="utf-8"))
    rendered: dict[str, bytes | None] = {}

    class FeedHandler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            slug = self.path.strip("/").removesuffix(".xml")
            if slug not in rendered:
                self.send_error(404, "no such feed")
                return
            body = rendered[slug]
            if body is None:
                self.send_error(500, "this sample feed is broken on purpose")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(FeedHandler) as base_url:
        for slug, feed in feeds.items():  # rendered before anything asks: links name the base URL
            rendered[slug] = None if feed.get("broken") else _render_feed(slug, feed, now, base_url)
        yield base_url


# --- generated history --------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonaTouch:
    """One interaction of a demo persona's scripted history, placed relative to the demo's now."""

    days_ago: float
    kind: str
    direction: str
    note: str = ""


def _rhythm(rng: random.Random, start: int, end: int, every: int, kinds: list[tuple[str, str]]) -> list[PersonaTouch]:
    """Contact every ``every`` days (with jitter) from ``start`` days ago until ``end`` days ago."""
    touches, day = [], float(start)
    while day >= end:
        kind, direction = rng.choice(kinds)
        touches.append(PersonaTouch(day, kind, direction))
        day -= every + rng.uniform(-1.5, 1.5)
    return touches


# exchanges in which both sides took part (a lone inbound email is one-way until it is answered)
TWO_WAY = [("meeting", "mutual"), ("call", "mutual"), ("email", "mutual"), ("message", "mutual")]
LIGHT = [("email", "outbound"), ("email", "inbound"), ("comment", "outbound")]

PERSONAS: dict[str, Callable[[random.Random], list[PersonaTouch]]] = {
    "weekly partner": lambda r: _rhythm(r, HISTORY_DAYS, 2, 7, TWO_WAY),
    "gone quiet": lambda r: _rhythm(r, HISTORY_DAYS, 55, 6, TWO_WAY),
    "repeat buyer": lambda r: _rhythm(r, HISTORY_DAYS, 3, 9, TWO_WAY) + [
        PersonaTouch(85, "trial", "mutual", "pilot"), PersonaTouch(70, "purchase", "inbound", "first order"),
        PersonaTouch(20, "purchase", "inbound", "renewal")],
    "building": lambda r: _rhythm(r, 75, 4, 14, TWO_WAY),
    "recent buyer": lambda r: _rhythm(r, 60, 5, 12, TWO_WAY) + [
        PersonaTouch(40, "trial", "mutual", "30-day trial"), PersonaTouch(9, "purchase", "inbound", "signed")],
    "on trial": lambda r: _rhythm(r, 45, 6, 15, LIGHT) + [PersonaTouch(12, "trial", "mutual", "trial started")],
    "light emails": lambda r: [PersonaTouch(80, "email", "outbound"), PersonaTouch(52, "email", "inbound"), PersonaTouch(24, "email", "outbound")],
    "one way": lambda r: [PersonaTouch(d, k, "outbound") for d, k in ((66, "like"), (41, "comment"), (20, "like"), (6, "share"))],
    "one old like": lambda r: [PersonaTouch(120, "like", "outbound")],
    "long silent": lambda r: _rhythm(r, 320, 215, 7, TWO_WAY),
    "new contact": lambda r: [PersonaTouch(14, "event", "mutual", "met at a conference"), PersonaTouch(9, "email", "inbound"), PersonaTouch(3, "call", "mutual")],
    "helper": lambda r: _rhythm(r, HISTORY_DAYS, 4, 8, TWO_WAY) + [PersonaTouch(33, "intro", "outbound", "introduced to a logistics lead")],
    "met once": lambda r: [PersonaTouch(30, "event", "mutual", "panel at a meetup")],
    "referrer": lambda r: _rhythm(r, HISTORY_DAYS, 5, 10, TWO_WAY) + [
        PersonaTouch(88, "purchase", "inbound"), PersonaTouch(45, "purchase", "inbound"), PersonaTouch(15, "referral", "inbound", "referred a friend")],
    "monthly": lambda r: _rhythm(r, HISTORY_DAYS, 8, 30, [("call", "mutual")]),
    "none": lambda r: [],
}

CUSTOMER_PERSONAS = {
    "Maya Lindqvist": "weekly partner", "Tomás Herrera": "gone quiet", "Aisha Bello": "repeat buyer",
    "Kenji Watanabe": "building", "Grace O'Connell": "recent buyer", "Daniel Okoro": "on trial",
    "Sofia Marchetti": "light emails", "Liam Novak": "one way", "Hannah Schmidt": "one old like",
    "Rahul Mehta": "long silent", "Olivia Chen": "new contact", "Marcus Johnson": "light emails",
    "Elena Petrova": "none", "Yusuf Demir": "building", "Chloé Dubois": "one way",
    "Ben Carter": "helper", "Nadia Rahman": "met once", "Lucas Silva": "none",
    "Ingrid Larsen": "referrer", "Peter Walsh": "monthly", "Zoe Kim": "light emails",
}


def generate_history(runtime: Runtime, now: datetime, seed: int = 7) -> int:
    """Log the personas' interactions as of ``now``; returns how many were recorded."""
    rng = random.Random(seed)
    count = 0
    with runtime.session() as session:
        for name, persona in CUSTOMER_PERSONAS.items():
            customer = find_customer(name, session=session)
            owner = customer.owner.slack_user if customer.owner else None
            for touch in PERSONAS[persona](rng):
                log_interaction(customer, touch.kind, session=session, occurred_at=now - timedelta(days=touch.days_ago),
                                direction=touch.direction, note=touch.note, by_user=owner, origin="csv")  # the sample history, as if imported
                count += 1
    return count


def load_demo_roster(runtime: Runtime, feeds_url: str) -> str:
    """Import the bundled roster, its feed URLs pointing at the loopback server."""
    text = (DATA / "roster.yaml").read_text(encoding="utf-8").replace("{feeds}", feeds_url)
    with runtime.session() as session:
        return import_summary(apply_roster(parse_roster(yaml.safe_load(text)), session=session))


def demo_runtime(database: Path) -> Runtime:
    """Settings for the demo: its own SQLite file, loopback feeds allowed, no tokens at all."""
    return Runtime(settings=Settings(database_url=f"sqlite:///{database}", allow_private_networks=True))


# --- the run ------------------------------------------------------------------------------------

def source_problems(runtime: Runtime) -> list[str]:
    """One line per source whose last poll failed, naming the customer and the error."""
    with runtime.session() as session:
        return [
            f"! {source.customer.name} ({source.kind}): {source.last_error}"
            for source in all_sources(session=session)
            if source.last_error and source.last_status not in {"ok", "not_modified"}
        ]
