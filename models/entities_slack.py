"""The tables of workspaces installed through "Add to Slack" (OAuth v2): slack-sdk's SQLAlchemy
installation store (``slack_installations``, ``slack_bots``) and OAuth state store
(``slack_oauth_states``), with slack-sdk's own columns.

They are declared here, on the project's metadata, so that Alembic (migration 0011) creates them
and the schema check sees them; ``bot/slack/installations.py`` builds the store's own copies of
the same tables with :func:`installation_tables`, passing a column type that encrypts the tokens.
Token columns are ``Text`` rather than slack-sdk's ``String(200)``: an encrypted token is about
twice as long as the token.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text, func
from sqlalchemy.types import TypeEngine

from models.base import Base

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"


def installation_tables(metadata: MetaData, token_type: TypeEngine | type[TypeEngine] = Text) -> tuple[Table, Table]:
    """The ``slack_installations`` and ``slack_bots`` tables on ``metadata``, their token columns of
    ``token_type`` (plain ``Text`` in the schema; an encrypting type in the store)."""
    installations = Table(
        INSTALLATIONS_TABLE, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
        Column("enterprise_url", String(200)),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", token_type),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", token_type),
        Column("bot_token_expires_at", DateTime),
        Column("user_id", String(32), nullable=False),
        Column("user_token", token_type),
        Column("user_scopes", String(1000)),
        Column("user_refresh_token", token_type),
        Column("user_token_expires_at", DateTime),
        Column("incoming_webhook_url", token_type),  # a webhook URL is a credential too
        Column("incoming_webhook_channel", String(200)),
        Column("incoming_webhook_channel_id", String(200)),
        Column("incoming_webhook_configuration_url", String(200)),
        Column("is_enterprise_install", Boolean, default=False, nullable=False),
        Column("token_type", String(32)),
        Column("installed_at", DateTime, nullable=False, default=func.now()),
        Index(f"{INSTALLATIONS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
    )
    bots = Table(
        BOTS_TABLE, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", token_type),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", token_type),
        Column("bot_token_expires_at", DateTime),
        Column("is_enterprise_install", Boolean, default=False, nullable=False),
        Column("installed_at", DateTime, nullable=False, default=func.now()),
        Index(f"{BOTS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    )
    return installations, bots


def oauth_states_table(metadata: MetaData) -> Table:
    """``slack_oauth_states``: one row per install flow started and not yet finished (or expired)."""
    return Table(
        OAUTH_STATES_TABLE, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("state", String(200), nullable=False),
        Column("expire_at", DateTime, nullable=False),
    )


slack_installations, slack_bots = installation_tables(Base.metadata)
slack_oauth_states = oauth_states_table(Base.metadata)
