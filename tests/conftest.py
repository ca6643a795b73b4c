"""Shared fixtures. Every test that takes ``db_url`` (or a fixture built on it) runs twice:
on SQLite and on PostgreSQL (``STRONGTIE_TEST_POSTGRES_URL``; skipped with a reason when unset).
Each PostgreSQL test gets a schema of its own, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from models.base import make_engine, make_sessionmaker
from models.schema import migrate

POSTGRES_URL = os.environ.get("STRONGTIE_TEST_POSTGRES_URL")
FIXTURES = Path(__file__).parent / "fixtures"


def pytest_report_header(config):
    if POSTGRES_URL:
        return "strongtie: store tests run on SQLite and PostgreSQL"
    return "strongtie: store tests run on SQLite only (set STRONGTIE_TEST_POSTGRES_URL for PostgreSQL)"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'strongtie-test.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL half skipped: STRONGTIE_TEST_POSTGRES_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    migrate(engine)
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
    """Write a roster YAML document to a file and return its path."""

    def write(text: str, name: str = "roster.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
