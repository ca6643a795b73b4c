"""Workspaces installed through "Add to Slack": where their tokens are kept (encrypted) and which
Web API client speaks to each.

:class:`SealedInstallationStore` is slack-sdk's SQLAlchemy installation store on the tables of
``models/entities_slack.py`` (created by Alembic), whose token columns encrypt on the way in and
decrypt on the way out with :class:`models.crypto.SecretBox`: a copy of the database shows no
token. :class:`WorkspaceClients` gives the jobs that post on their own (suggestion DMs, digests)
the client of a team's workspace: its installation's bot token when OAuth is configured and the
team names a ``workspace``, SLACK_BOT_TOKEN otherwise, and nothing for a workspace that
uninstalled the app (the caller skips it, saying so).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Optional

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, Text, desc
from sqlalchemy.types import TypeDecorator

from bot.runtime import Runtime
from bot.slack.client import make_web_client
from models.crypto import SecretBox
from models.entities_slack import installation_tables, oauth_states_table

log = logging.getLogger(__name__)

#: how long an install flow started at /slack/install may take before its state expires
STATE_EXPIRATION_SECONDS = 600


class SealedText(TypeDecorator):
    """A text column whose values are stored encrypted with ``box`` (None stays None)."""

    impl = Text
    cache_ok = True

    def __init__(self, box: SecretBox) -> None:
        super().__init__()
        self.box = box

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Encrypt on the way into the database."""
        return None if value is None else self.box.seal(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        """Decrypt on the way out."""
        return None if value is None else self.box.open(value)


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's SQLAlchemy installation store with every token encrypted at rest.

    Saving, finding and deleting are slack-sdk's own; only the tables differ (Alembic made them,
    so :meth:`create_tables` is never called), their token columns being :class:`SealedText`.
    """

    def __init__(self, client_id: str, engine: Engine, box: SecretBox) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.metadata = MetaData()
        self.installations, self.bots = installation_tables(self.metadata, SealedText(box))

    def find_workspace_bot(self, team_id: str) -> Optional[Bot]:
        """The newest bot installed in workspace ``team_id``, whether or not the workspace is part of
        an Enterprise Grid org: :meth:`find_bot` matches the org's id too, which a roster team,
        naming only its workspace, cannot give."""
        c = self.bots.c
        query = (self.bots.select().where(c.client_id == self.client_id, c.team_id == team_id, c.bot_token.is_not(None))
                 .order_by(desc(c.installed_at)).limit(1))
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return self.build_bot_entity(row) if row is not None else None


class CachedBotStore(SealedInstallationStore):
    """The installation store Bolt authorizes each request with: :meth:`find_bot` answers from a
    copy at most ``ttl_seconds`` old, so a request costs no query and no decryption.

    Only found bots are kept (a workspace installed through another server process is seen at its
    first request). Saving or deleting through this store (an install, an uninstall event) drops
    the workspace's copy at once; an uninstall handled by another server process reaches this one within
    ``ttl_seconds``, and Slack sends no more requests from a workspace that removed the app anyway.
    """

    def __init__(self, client_id: str, engine: Engine, box: SecretBox, *, ttl_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(client_id, engine, box)
        self._ttl = ttl_seconds
        self._clock = clock
        self._bots: dict[tuple[str | None, str | None], tuple[float, Bot]] = {}
        self._cache_lock = threading.Lock()

    def find_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                 is_enterprise_install: Optional[bool] = False) -> Optional[Bot]:
        """The workspace's bot (its token decrypted), from a copy younger than the TTL when there is one."""
        key = (enterprise_id, None if is_enterprise_install else team_id)
        now = self._clock()
        with self._cache_lock:
            cached = self._bots.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        bot = super().find_bot(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)
        if bot is not None:  # a workspace not (yet) installed is asked again next time
            with self._cache_lock:
                self._bots[key] = (now, bot)
        return bot

    def forget(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        """Drop the cached copy of one workspace (and of its org-wide install)."""
        with self._cache_lock:
            self._bots.pop((enterprise_id, team_id), None)
            self._bots.pop((enterprise_id, None), None)

    def save_bot(self, bot: Bot) -> None:
        """Save, then read afresh next time."""
        super().save_bot(bot)
        self.forget(enterprise_id=bot.enterprise_id, team_id=bot.team_id)

    def delete_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        """Delete, and stop answering from the copy at once."""
        super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                            user_id: Optional[str] = None) -> None:
        """Delete, and stop answering from the copy at once."""
        super().delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        self.forget(enterprise_id=enterprise_id, team_id=team_id)


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """slack-sdk's SQLAlchemy OAuth state store on the ``slack_oauth_states`` table Alembic made."""
    store = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, logger=log)
    store.metadata = MetaData()
    store.oauth_states = oauth_states_table(store.metadata)
    return store


def installation_store(runtime: Runtime, *, cached: bool = False) -> SealedInstallationStore:
    """The deployment's installation store (needs SLACK_CLIENT_ID and STRONGTIE_SECRET_KEY);
    ``cached``: the one that authorizes requests (:class:`CachedBotStore`)."""
    settings = runtime.settings
    kind = CachedBotStore if cached else SealedInstallationStore
    return kind(settings.slack_client_id.get(), runtime.engine, SecretBox(settings.secret_key))


class WorkspaceClients:
    """The Web API client for each team's workspace, looked up once per job run.

    ``client`` given: that one client for every team (one workspace; tests). Otherwise, with OAuth
    configured, a team naming its ``workspace`` gets a client for that installation's bot token
    (None when the workspace has none: never installed, or uninstalled); a team without a
    workspace, or any team when OAuth is not configured, gets SLACK_BOT_TOKEN's client.
    """

    def __init__(self, runtime: Runtime, *, client: WebClient | None = None) -> None:
        self._runtime = runtime
        self._fixed = client
        self._by_workspace: dict[str | None, WebClient | None] = {}
        self._store: SealedInstallationStore | None = None
        self._lock = threading.Lock()

    def for_workspace(self, workspace: str | None) -> WebClient | None:
        """The client that posts to ``workspace`` (a Slack team id, or None), or None if none can."""
        if self._fixed is not None:
            return self._fixed
        settings = self._runtime.settings
        key = workspace if settings.slack_oauth_enabled and workspace else None
        with self._lock:
            if key not in self._by_workspace:
                self._by_workspace[key] = self._build(key)
            return self._by_workspace[key]

    def _build(self, workspace: str | None) -> WebClient | None:
        settings = self._runtime.settings
        if workspace is None:
            return make_web_client(settings) if settings.slack_bot_token else None
        if self._store is None:
            self._store = installation_store(self._runtime)
        bot = self._store.find_workspace_bot(workspace)
        if bot is None or not bot.bot_token:
            return None
        return make_web_client(settings, token=bot.bot_token)


def not_installed_notice(workspace: str | None) -> str:
    """The log line's reason when a workspace has no client (uninstalled, or never installed)."""
    if workspace:
        return (f"Slack workspace {workspace} has no installation of strongtie (not installed through "
                "/slack/install, or uninstalled)")
    return "no SLACK_BOT_TOKEN for teams without a workspace"
