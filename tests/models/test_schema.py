"""Migrations create exactly the schema the models describe, idempotently, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from models.base import Base, make_engine
from models.schema import head_revision, migrate


def test_migrate_is_idempotent_and_matches_models(db_url):
    engine = make_engine(db_url)
    first = migrate(engine)
    second = migrate(engine)
    assert first == (None, head_revision())
    assert second == (head_revision(), head_revision())
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_init_reports_state(cli):
    first = cli("init")
    assert first.exit_code == 0 and "migrated from empty" in first.output
    assert "up to date" in cli("init").output


def test_unique_constraints_forbid_duplicate_posts_and_digest_runs(session):
    from datetime import date, datetime, timezone

    import pytest
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
