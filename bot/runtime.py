"""What every command, job and listener needs at run time: settings, an engine, sessions.

Built lazily so that ``--help`` never touches the database or demands a token.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, NoReturn

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from config.scoring import ScoringParams, scoring_params
from config.settings import Settings, SettingsError, load_settings
from models.base import make_engine, make_sessionmaker, masked_url, session_scope
from models.schema import migrate


@dataclass
class Runtime:
    """What a command, job or listener runs with: settings, the database and the scoring
    parameters, each built on first use and then shared."""

    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)
    schema_revisions: tuple[str | None, str] | None = None
    _scoring: ScoringParams | None = field(default=None, repr=False)

    @classmethod
    def from_environment(cls) -> "Runtime":
        """A runtime configured from the environment (and the optional TOML file)."""
        return cls(settings=load_settings())

    @property
    def engine(self) -> Engine:
        """The database engine; the schema is brought up to date on first use."""
        if self._engine is None:
            engine = make_engine(self.settings.database_url)
            try:
                with engine.connect():  # any failure to connect, a bad URL option too, is the setting's
                    pass
            except DBAPIError as exc:
                self._refuse(engine, exc)
            try:
                self.schema_revisions = migrate(engine)
            except (OperationalError, InterfaceError) as exc:
                self._refuse(engine, exc)
            self._engine = engine
        return self._engine

    def _refuse(self, engine: Engine, exc: DBAPIError) -> NoReturn:
        engine.dispose()
        shown = masked_url(self.settings.database_url)
        raise SettingsError(f"STRONGTIE_DATABASE_URL ({shown}): cannot open the database: {exc.orig}") from None

    @property
    def scoring(self) -> ScoringParams:
        """The model's parameters (``[scoring]`` of the TOML file over the defaults), built and
        validated once per runtime and passed to everything that scores."""
        if self._scoring is None:
            self._scoring = scoring_params(self.settings.scoring)
        return self._scoring

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory bound to :attr:`engine`."""
        if self._factory is None:
            self._factory = make_sessionmaker(self.engine)
        return self._factory

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One committed unit of work."""
        with session_scope(self.sessions) as session:
            yield session
