"""Shared fixtures. Every test that takes ``db_url`` (or a fixture built on it) runs twice:
on SQLite and on PostgreSQL (``STRONGTIE_TEST_POSTGRES_URL``; skipped with a reason when unset).

The migrations run once per session, into a template; each test gets a copy of its own, already at
the newest revision, and the copy is dropped afterwards. On SQLite the template is a file, copied
per test; on PostgreSQL it is the SQL the migrations sent to a template schema, replayed into a
schema per test (see ``PostgresSchemas``). Tests of migrating itself mark themselves
``empty_database`` and get an empty database instead."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import write_roster
from sqlalchemy import create_engine, event

from models.base import make_engine, make_sessionmaker
from models.schema import migrate

POSTGRES_URL = os.environ.get("STRONGTIE_TEST_POSTGRES_URL")
FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "empty_database: db_url is an empty database, not a migrated copy (for tests of migrating itself)")


def pytest_report_header(config):
    if POSTGRES_URL:
        return "strongtie: store tests run on SQLite and PostgreSQL"
    return "strongtie: store tests run on SQLite only (set STRONGTIE_TEST_POSTGRES_URL for PostgreSQL)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated to the newest revision, copied by each test that wants a database."""
    path = tmp_path_factory.mktemp("template") / "strongtie-template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection to close folds the WAL into the file
    assert not path.with_name(path.name + "-wal").exists(), "the template's WAL was not checkpointed"
    return path


class PostgresSchemas:
    """Schemas of one test session in the database of ``STRONGTIE_TEST_POSTGRES_URL``: the migrations
    run once, into a template schema, recording every statement they send; each test then gets a
    schema of its own with those statements replayed into it (or left empty), dropped after the test.

    Replaying was measured (per test: create, first use, drop; medians of runs interleaved on a busy
    2-core machine) at 0.08-0.15 s, against 0.20-0.22 s for running the migrations and 0.26-0.44 s
    for ``CREATE DATABASE … TEMPLATE``, which writes and syncs the whole catalog of a new database
    and so swings with disk load. Schema names are random: sessions running at the same time on one
    server never meet."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.builder = create_engine(url)  # copies are built in one transaction each
        self.statements = self._record_migrations()

    def _schema_url(self, schema: str) -> str:
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}options=-csearch_path%3D{schema}"

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(statement)

    def _record_migrations(self) -> list[tuple[str, Any]]:
        template = self._new_schema()
        engine = make_engine(self._schema_url(template))
        recorded: list[tuple[str, Any]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def record(connection, cursor, statement, parameters, context, executemany) -> None:
            recorded.append((statement, parameters))

        try:
            migrate(engine)
        finally:
            engine.dispose()
            self._execute(f'DROP SCHEMA "{template}" CASCADE')
        # Replayed in another schema, the statements must not name this one.
        assert not any(template in repr(each) for each in recorded), "a migration names its schema"
        batches: list[tuple[str, Any]] = []  # runs of statements without parameters go as one script
        for statement, parameters in recorded:
            if not parameters and batches and not batches[-1][1]:
                batches[-1] = (f"{batches[-1][0]};\n{statement}", None)
            else:
                batches.append((statement, parameters or None))
        return batches

    def _new_schema(self) -> str:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        self._execute(f'CREATE SCHEMA "{schema}"')
        return schema

    def create(self, *, empty: bool = False) -> str:
        """A new schema (migrated, or empty) and the URL that puts it first on the search path."""
        if empty:
            return self._schema_url(self._new_schema())
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with self.builder.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            connection.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
            for statement, parameters in self.statements:
                connection.exec_driver_sql(statement, parameters)
        return self._schema_url(schema)

    def drop(self, url: str) -> None:
        """Drop a test's schema with everything in it."""
        schema = url.rsplit("search_path%3D", 1)[1]
        self._execute(f'DROP SCHEMA "{schema}" CASCADE')

    def close(self) -> None:
        self.admin.dispose()
        self.builder.dispose()


@pytest.fixture(scope="session")
def postgres_schemas():
    schemas = PostgresSchemas(POSTGRES_URL)
    yield schemas
    schemas.close()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")])
def db_url(request, tmp_path):
    """A database of this test's own on each backend, migrated to the newest revision (empty for a
    test marked ``empty_database``)."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "strongtie-test.db"
        if not empty:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL half skipped: STRONGTIE_TEST_POSTGRES_URL is not set")
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    url = schemas.create(empty=empty)
    try:
        yield url
    finally:
        schemas.drop(url)


@pytest.fixture
def engine(db_url):
    """An engine on the test's (already migrated) database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def session(sessions):
    with sessions() as session:
        yield session


@pytest.fixture
def cli(db_url, monkeypatch, tmp_path):
    """Run ``strongtie`` in-process against the test database; returns a callable."""
    from bot.cli.main import main
    from config.settings import variable_names

    for name in variable_names().values():  # a developer's own settings must not change results
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("STRONGTIE_CONFIG", raising=False)
    monkeypatch.setenv("STRONGTIE_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def roster_file(tmp_path):
    """Write a roster to a file and return its path: a document built with ``helpers.roster``, or
    YAML text as it is."""

    def write(document: dict | str, name: str = "roster.yaml") -> Path:
        return write_roster(tmp_path / name, document)

    return write


class RetryWaits:
    """What slack-sdk's retry handlers asked to sleep, in seconds; nothing is really slept."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def __getattr__(self, name: str):
        return getattr(time, name)


@pytest.fixture
def slack_retry_waits(monkeypatch) -> RetryWaits:
    """Record the waits slack-sdk's rate-limit retries take (Retry-After plus up to a second of
    jitter) instead of sleeping them, so a retry test neither sleeps nor loses sight of the wait."""
    from slack_sdk.http_retry import builtin_handlers

    waits = RetryWaits()
    monkeypatch.setattr(builtin_handlers, "time", waits)
    return waits
