"""Runtime settings: the environment, optionally layered over a TOML file.

Precedence: environment variable > TOML file (``STRONGTIE_CONFIG`` or ``./strongtie.toml``)
> documented default. Every validation error names the variable it came from. Secrets are
wrapped in :class:`Secret` so they never show up in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from config.errors import UserError
from config.templates import template_overrides


class SettingsError(UserError, ValueError):
    """A setting is present but unusable; the message names the variable."""


class Secret:
    """A string that refuses to print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret itself, for the one call that needs it (never for printing)."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def _parse_number(name: str, raw: str, minimum: float, kind: type[int] | type[float]) -> float:
    try:
        value = kind(str(raw).strip())
    except ValueError:
        wanted = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name} must be {wanted}, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _parse_url(name: str, raw: str) -> str:
    value = str(raw).strip()
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _parse_database_url(name: str, raw: str) -> str:
    """A SQLAlchemy URL for SQLite or PostgreSQL, the two stores strongtie supports."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    value = str(raw).strip()
    try:
        url = make_url(value)
    except ArgumentError:
        raise SettingsError(f"{name} is not a database URL (e.g. sqlite:///strongtie.db or "
                            "postgresql+psycopg://user@host/db)") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise SettingsError(f"{name} names a {url.get_backend_name()!r} database; strongtie supports sqlite and postgresql")
    return value


#: ``STRONGTIE_WORKERS``: the scheduler does the work itself, or queues it for ``strongtie worker``
WORKER_MODES = ("inprocess", "external")


def _parse_choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    value = str(raw).strip().lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


@dataclass(frozen=True)
class _Var:
    env: str
    toml_key: str
    kind: str  # str | secret | bool | int | float | url | database_url
    minimum: float = 0


def _setting(env: str, toml_key: str, kind: str, default: Any, minimum: float = 0) -> Any:
    """A field of :class:`Settings` together with where it is read from: each setting is declared
    once, with its environment variable, its key in the TOML file, its kind and its default."""
    variable = _Var(env, toml_key, kind, minimum)
    if kind == "secret":
        return field(default_factory=lambda: Secret(""), metadata={"variable": variable})
    return field(default=default, metadata={"variable": variable})


@dataclass(frozen=True)
class Settings:
    """Everything strongtie reads from its environment, validated once."""

    database_url: str = _setting("STRONGTIE_DATABASE_URL", "database_url", "database_url", "sqlite:///strongtie.db")
    slack_bot_token: Secret = _setting("SLACK_BOT_TOKEN", "slack.bot_token", "secret", "")
    slack_signing_secret: Secret = _setting("SLACK_SIGNING_SECRET", "slack.signing_secret", "secret", "")
    slack_app_token: Secret = _setting("SLACK_APP_TOKEN", "slack.app_token", "secret", "")
    slack_api_url: str = _setting("SLACK_API_URL", "slack.api_url", "url", "https://slack.com/api/")
    #: "Add to Slack" (OAuth v2, many workspaces): both set, each workspace's installation gives its token
    slack_client_id: Secret = _setting("SLACK_CLIENT_ID", "slack.client_id", "secret", "")
    slack_client_secret: Secret = _setting("SLACK_CLIENT_SECRET", "slack.client_secret", "secret", "")
    x_bearer_token: Secret = _setting("X_BEARER_TOKEN", "x.bearer_token", "secret", "")
    twitter_api_url: str = _setting("STRONGTIE_TWITTER_API_URL", "x.api_url", "url", "https://api.twitter.com")
    x_monthly_budget_usd: float = _setting("STRONGTIE_X_MONTHLY_BUDGET_USD", "x.monthly_budget_usd", "float", 0.0)
    x_price_per_post_usd: float = _setting("STRONGTIE_X_PRICE_PER_POST_USD", "x.price_per_post_usd", "float", 0.005)
    linkedin_access_token: Secret = _setting("LINKEDIN_ACCESS_TOKEN", "linkedin.access_token", "secret", "")
    linkedin_api_url: str = _setting("STRONGTIE_LINKEDIN_API_URL", "linkedin.api_url", "url", "https://api.linkedin.com")
    #: the Bluesky AppView read without a login (getAuthorFeed)
    bluesky_api_url: str = _setting("STRONGTIE_BLUESKY_API_URL", "bluesky.api_url", "url", "https://public.api.bsky.app")
    #: one base URL for every Mastodon request ("" : each account's own server)
    mastodon_api_url: str = _setting("STRONGTIE_MASTODON_API_URL", "mastodon.api_url", "url", "")
    #: Fernet key that encrypts stored credentials (calendar addresses, mailbox logins, workspace tokens)
    secret_key: Secret = _setting("STRONGTIE_SECRET_KEY", "secret_key", "secret", "")
    #: store meeting titles and mail subjects with captured contact (off: only time, people and kind)
    capture_subjects: bool = _setting("STRONGTIE_CAPTURE_SUBJECTS", "capture.subjects", "bool", False)
    allow_private_networks: bool = _setting("STRONGTIE_ALLOW_PRIVATE_NETWORKS", "poll.allow_private_networks", "bool",
                                            False)
    poll_concurrency: int = _setting("STRONGTIE_POLL_CONCURRENCY", "poll.concurrency", "int", 16, 1)
    poll_per_host: int = _setting("STRONGTIE_POLL_PER_HOST", "poll.per_host", "int", 4, 1)
    poll_interval_minutes: int = _setting("STRONGTIE_POLL_INTERVAL_MINUTES", "poll.interval_minutes", "int", 30, 1)
    #: the longest a healthy source that publishes rarely waits between two checks (models/next_check.py)
    poll_max_interval_hours: int = _setting("STRONGTIE_POLL_MAX_INTERVAL_HOURS", "poll.max_interval_hours", "int", 3, 1)
    #: one total deadline per fetch of a source (connect, headers, body, redirects)
    poll_fetch_timeout_seconds: float = _setting("STRONGTIE_POLL_FETCH_TIMEOUT_SECONDS", "poll.fetch_timeout_seconds",
                                                 "float", 30.0, 1)
    #: new suggestions per manager per day
    suggest_daily_cap: int = _setting("STRONGTIE_SUGGEST_DAILY_CAP", "suggest.daily_cap", "int", 5, 1)
    #: no two gestures to one customer within this many days
    suggest_cooldown_days: float = _setting("STRONGTIE_SUGGEST_COOLDOWN_DAYS", "suggest.cooldown_days", "float", 3.0)
    #: who does the scheduled work: ``inprocess`` (``strongtie run`` itself) or ``external``
    #: (``strongtie run`` only queues it for ``strongtie worker`` processes; PostgreSQL only)
    workers: str = _setting("STRONGTIE_WORKERS", "workers.mode", "workers", "inprocess")
    #: a worker whose heartbeat is older than this is taken for dead and its jobs are run again
    worker_stalled_seconds: float = _setting("STRONGTIE_WORKER_STALLED_SECONDS", "workers.stalled_seconds", "float",
                                             30.0, 1)
    #: the ``[scoring]`` table of the TOML file (validated by :func:`config.scoring.scoring_params`)
    scoring: Mapping[str, Any] = field(default_factory=dict)
    #: the ``[suggest.templates]`` table of the TOML file: draft template overrides (config/templates.py)
    suggest_templates: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.workers == "external" and not self.database_url.startswith("postgresql"):
            raise SettingsError("STRONGTIE_WORKERS=external needs a PostgreSQL STRONGTIE_DATABASE_URL: the embedded "
                                "SQLite store runs in one process (leave STRONGTIE_WORKERS unset)")

    @property
    def slack_oauth_enabled(self) -> bool:
        """Whether workspaces are installed through OAuth (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set)."""
        return bool(self.slack_client_id) and bool(self.slack_client_secret)

    def require_slack_tokens(self) -> None:
        """Fail naming the variables when Slack can be reached neither with one bot token nor
        through installations."""
        if not self.slack_bot_token and not self.slack_oauth_enabled:
            raise SettingsError("SLACK_BOT_TOKEN is not set (nor SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for "
                                "workspaces installed through OAuth); this command needs it")

    def require(self, name: str) -> None:
        """Fail with the variable's name when a setting a command needs is empty."""
        if not getattr(self, name):
            raise SettingsError(f"{_VARIABLES[name].env} is not set; this command needs it")


#: Setting name -> where it is read from, in declaration order.
_VARIABLES: dict[str, _Var] = {f.name: f.metadata["variable"] for f in fields(Settings) if "variable" in f.metadata}

#: The documented defaults, for code that needs one without reading the environment.
DEFAULTS = Settings()


def _lookup_toml(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _convert(name: str, var: _Var, raw: Any, source: str) -> Any:
    label = var.env if source == "env" else f"{var.toml_key} in the config file"
    if var.kind == "secret":
        return Secret(str(raw))
    if var.kind == "bool":
        return raw if isinstance(raw, bool) else _parse_bool(label, str(raw))
    if var.kind == "int":
        return _parse_number(label, raw, int(var.minimum), int)
    if var.kind == "float":
        return _parse_number(label, raw, var.minimum, float)
    if var.kind == "url":
        return _parse_url(label, raw)
    if var.kind == "database_url":
        return _parse_database_url(label, raw)
    if var.kind == "workers":
        return _parse_choice(label, raw, WORKER_MODES)
    value = str(raw).strip()
    if not value:
        raise SettingsError(f"{label} is empty")
    return value


def _read_toml(environ: Mapping[str, str]) -> dict[str, Any]:
    explicit = environ.get("STRONGTIE_CONFIG")
    path = Path(explicit) if explicit else Path("strongtie.toml")
    if not path.exists():
        if explicit:
            raise SettingsError(f"STRONGTIE_CONFIG points to {explicit}, which does not exist")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"STRONGTIE_CONFIG file {path} is not valid TOML: {exc}") from None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``) and the TOML file."""
    environ = os.environ if environ is None else environ
    toml_data = _read_toml(environ)
    values: dict[str, Any] = {}
    for name, var in _VARIABLES.items():
        if var.env in environ:
            values[name] = _convert(name, var, environ[var.env], "env")
            continue
        from_file = _lookup_toml(toml_data, var.toml_key)
        if from_file is not None and var.kind == "secret":
            raise SettingsError(
                f"{var.toml_key} must not be in the config file: secrets come only from the environment ({var.env})"
            )
        if from_file is not None:
            values[name] = _convert(name, var, from_file, "toml")
    scoring = toml_data.get("scoring", {})
    if not isinstance(scoring, Mapping):
        raise SettingsError("[scoring] in the config file must be a table")
    values["scoring"] = dict(scoring)
    values["suggest_templates"] = template_overrides(_lookup_toml(toml_data, "suggest.templates"))
    return Settings(**values)


def variable_names() -> dict[str, str]:
    """Setting name -> environment variable, for docs and error messages."""
    return {name: var.env for name, var in _VARIABLES.items()}
