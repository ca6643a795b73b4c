"""Fixtures for the worker tests: a PostgreSQL schema of the test's own (skipped, with the reason,
when the run has no PostgreSQL), sources on loopback feeds, and ``strongtie`` run in-process or as
real subprocesses against it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.base import make_engine, make_sessionmaker
from models.entities import Customer, Source, Team

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("STRONGTIE_TEST_POSTGRES_URL")


@pytest.fixture
def pg_url(request):
    """A migrated PostgreSQL schema of this test's own (its URL puts it on the search path)."""
    if not POSTGRES_URL:
        pytest.skip("workers need PostgreSQL: STRONGTIE_TEST_POSTGRES_URL is not set")
    schemas = request.getfixturevalue("postgres_schemas")
    url = schemas.create()
    try:
        yield url
    finally:
        schemas.drop(url)


@pytest.fixture
def pg_sessions(pg_url):
    engine = make_engine(pg_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def feed_sources(pg_sessions):
    """``add(urls)``: one team and customer with an RSS source per URL; returns the sources' ids."""

    def add(urls: list[str]) -> list[int]:
        with pg_sessions.begin() as session:
            team = Team(name="Enterprise", slack_channel="C0TEAM")
            session.add(team)
            session.flush()
            person = Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme")
            session.add(person)
            session.flush()
            rows = [Source(customer_id=person.id, kind="rss", target=url, url=url) for url in urls]
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]

    return add


def clean_environment(**settings: str) -> dict[str, str]:
    """The process environment without a developer's own strongtie settings, plus ``settings``."""
    from config.settings import variable_names

    env = {k: v for k, v in os.environ.items() if k not in set(variable_names().values()) | {"STRONGTIE_CONFIG"}}
    env.update(settings)
    return env


@pytest.fixture
def worker_env(pg_url):
    """What every worker test sets: the test's database, loopback feeds allowed, a short stalled timeout."""
    return {"STRONGTIE_DATABASE_URL": pg_url, "STRONGTIE_ALLOW_PRIVATE_NETWORKS": "1",
            "STRONGTIE_WORKER_STALLED_SECONDS": "1"}


@pytest.fixture
def st(worker_env, monkeypatch, tmp_path):
    """Run ``strongtie`` in-process against the test's PostgreSQL schema."""
    from bot.cli.main import main

    from config.settings import variable_names

    for name in [*variable_names().values(), "STRONGTIE_CONFIG"]:  # a developer's own settings must not count
        monkeypatch.delenv(name, raising=False)
    for name, value in worker_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def spawn(worker_env, tmp_path):
    """Start ``strongtie ARGS…`` as a real process on the test's database; every one is ended after the test."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        env = clean_environment(**worker_env, PYTHONPATH=str(ROOT))
        process = subprocess.Popen([sys.executable, "-c", "from bot.cli.main import main; main()", *args],
                                   cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
