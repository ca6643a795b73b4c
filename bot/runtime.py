"""What every command, job and listener needs at run time: settings, an engine, sessions.

Built lazily so that ``--help`` never touches the database or demands a token.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, load_settings
from models.base import make_engine, make_sessionmaker, session_scope
from models.schema import migrate


@dataclass
class Runtime:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)
    schema_revisions: tuple[str | None, str] | None = None

    @classmethod
    def from_environment(cls) -> "Runtime":
        return cls(settings=load_settings())

    @property
    def engine(self) -> Engine:
        """The database engine; the schema is brought up to date on first use."""
        if self._engine is None:
            engine = make_engine(self.settings.database_url)
            self.schema_revisions = migrate(engine)
            self._engine = engine
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = make_sessionmaker(self.engine)
        return self._factory

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One committed unit of work."""
        with session_scope(self.sessions) as session:
            yield session
