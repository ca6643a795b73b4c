"""Migrations create exactly the schema the models describe, idempotently, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from models.base import Base, make_engine
from models.schema import head_revision, migrate


@pytest.mark.empty_database
def test_migrate_is_idempotent_and_matches_models(db_url):
    engine = make_engine(db_url)
    first = migrate(engine)
    second = migrate(engine)
    assert first == (None, head_revision())
    assert second == (head_revision(), head_revision())
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


@pytest.mark.empty_database
def test_init_reports_state(cli):
    first = cli("init")
    assert first.exit_code == 0 and "migrated from empty" in first.output
    assert "up to date" in cli("init").output


def test_unique_constraints_forbid_duplicate_posts_and_digest_runs(session):
    from datetime import date, datetime, timezone

    from sqlalchemy.exc import IntegrityError

    from models.entities import Customer, DigestRun, Post, Source, Team

    team = Team(name="T", slack_channel="C1", timezone="UTC", digest_time="09:00", top_n=20)
    session.add(team)
    session.flush()
    customer = Customer(team_id=team.id, name="A", name_key="a")
    session.add(customer)
    session.flush()
    source = Source(customer_id=customer.id, kind="rss", target="https://a.example/f", url="https://a.example/f")
    session.add(source)
    session.flush()
    now = datetime.now(timezone.utc)
    session.add(Post(source_id=source.id, customer_id=customer.id, external_id="x", published_at=now))
    session.flush()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(Post(source_id=source.id, customer_id=customer.id, external_id="x", published_at=now))
    session.add(DigestRun(team_id=team.id, local_date=date(2026, 11, 23)))
    session.flush()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(DigestRun(team_id=team.id, local_date=date(2026, 11, 23)))



def test_foreign_tables_are_not_ours_to_drop(engine):
    """APScheduler keeps its job store in our database; autogenerate must not propose dropping it."""
    from sqlalchemy import text

    from models.schema import include_object

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY)"))
    with engine.connect() as connection:
        unfiltered = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        filtered = compare_metadata(MigrationContext.configure(connection, opts={"include_object": include_object}), Base.metadata)
    assert [diff[0] for diff in unfiltered] == ["remove_table"]
    assert filtered == []


def test_each_test_gets_a_migrated_empty_store_of_its_own(db_url):
    """What the suite's template copies hand every test: the newest revision, exactly the models'
    schema, and no rows."""
    from sqlalchemy import func, select

    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        counts = {table.name: connection.scalar(select(func.count()).select_from(table))
                  for table in Base.metadata.sorted_tables}
    engine.dispose()
    assert counts and set(counts.values()) == {0}
