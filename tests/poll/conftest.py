"""Fixtures for poll-job tests: a Runtime on the test database and a roster of sources."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.runtime import Runtime
from config.settings import Settings
from models.entities import Customer, Source, Team


@pytest.fixture
def make_runtime(engine, db_url):
    """A Runtime on the test database (its own engine, as the command line has; disposed after the
    test); loopback feeds need allow_private_networks=True."""
    built: list[Runtime] = []

    def build(**overrides) -> Runtime:
        """A Runtime with these settings over the defaults."""
        settings = replace(Settings(database_url=db_url), **{"allow_private_networks": True, "poll_concurrency": 8, **overrides})
        built.append(Runtime(settings=settings))
        return built[-1]

    yield build
    for runtime in built:
        runtime.engine.dispose()


@pytest.fixture
def add_sources(sessions):
    """Create one team and customer with sources ``(kind, target, url)``; returns their ids."""

    def add(*specs: tuple[str, str, str | None], customer: str = "Jane Doe") -> list[int]:
        """Add the customer and its sources; return the sources' ids."""
        with sessions.begin() as session:
            team = session.query(Team).filter_by(name="Enterprise").one_or_none()
            if team is None:
                team = Team(name="Enterprise", slack_channel="C0TEAM")
                session.add(team)
                session.flush()
            person = Customer(team_id=team.id, name=customer, name_key=customer.casefold(), company="Acme")
            session.add(person)
            session.flush()
            rows = [Source(customer_id=person.id, kind=kind, target=target, url=url) for kind, target, url in specs]
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]

    return add
