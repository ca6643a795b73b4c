"""Engine, sessions and the declarative base shared by every entity.

Only jobs, commands and listeners open sessions (with :func:`session_scope`); store functions
receive the session as a keyword argument and never commit.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every entity, with constraint names that migrations can rely on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Store an aware datetime as naive UTC; refuse a naive one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; pass an aware one")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Read a stored naive UTC datetime back as an aware one."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)



# Query parameters of a database URL whose values are secrets (libpq's password, sslpassword, and
# what drivers and proxies call a pass, token, secret or key), masked wherever a URL is shown.
SECRET_QUERY_PARAMETERS = frozenset({"password", "pass", "passwd", "pwd", "sslpassword", "token", "secret", "key",
                                     "api_key", "apikey", "access_token", "auth_token"})
MASK = "***"


def _is_secret_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_QUERY_PARAMETERS or any(word in lowered for word in ("password", "secret", "token"))


def masked_url(url: str) -> str:
    """A database URL fit to show in a message or a log: the password of ``user:pass@`` and the
    value of every secret-looking query parameter (``?password=…``, ``sslpassword``, ``token``…)
    replaced by ``***``. A URL that cannot be read is not shown at all."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "(an unreadable URL)"
    pairs = []
    for name, values in parsed.query.items():
        for value in (values,) if isinstance(values, str) else values:
            shown = MASK if _is_secret_parameter(name) else quote(value, safe="/:,@-._~")
            pairs.append(f"{quote(name)}={shown}")
    base = parsed.set(query={}).render_as_string(hide_password=True)
    return base + ("?" + "&".join(pairs) if pairs else "")


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout so threads can share it."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # pysqlite emits no BEGIN of its own, which breaks SAVEPOINTs (a RELEASE would commit);
            # take over transaction control as SQLAlchemy's SQLite docs recommend.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in {"sqlite://", "sqlite:///"}:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:
            # IMMEDIATE takes the write lock up front, so concurrent writers wait on the busy
            # timeout instead of failing with SQLITE_BUSY when a read transaction turns into a write.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit, so commands can print what they stored."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
