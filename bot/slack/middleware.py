"""Cross-cutting checks every Slack request goes through before any listener sees it.

Bolt's own middleware runs first and verifies each HTTP request's signature and 5-minute timestamp
window (401 otherwise). This module adds team membership: a Slack user acts only as a member of the
team(s) the roster puts them in. Listeners find the result in ``context["member"]`` and scope every
lookup to its ``team_ids``; strangers are answered here and no listener runs.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.blocks import escape_mrkdwn, section_block
from models.store.teams import teams_by_member

log = logging.getLogger(__name__)

MEMBER_KEY = "member"
STRANGER_TEXT = (
    "strongtie only works for members of a team in its roster, and the roster does not list you "
    "(Slack user {user}). Nothing was changed. Ask whoever runs strongtie to add you to your team."
)


@dataclass(frozen=True)
class MemberScope:
    """Who is acting and which teams' customers they may see and change (in roster order)."""

    slack_user: str
    team_ids: tuple[int, ...]
    team_names: tuple[str, ...]
    team_timezones: tuple[str, ...]

    @property
    def timezone(self) -> ZoneInfo:
        """The member's time zone for dates shown to them: that of their first team."""
        return ZoneInfo(self.team_timezones[0])


class RosterDirectory:
    """Slack user -> teams, read from the store and kept for ``ttl_seconds``.

    The membership check runs on the ack path of every request; a short-lived copy keeps that path
    free of database work while roster changes still take effect within a minute. Only the very
    first load is waited for; afterwards a stale copy is refreshed on a background thread (one at a
    time) and requests keep being answered from the previous copy meanwhile. A failed refresh keeps
    the previous copy and is retried by the next request.
    """

    def __init__(self, runtime: Runtime, *, ttl_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._runtime = runtime
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()  # guards the fields below; never held during a query
        self._first_load = threading.Lock()
        self._loaded_at: float | None = None
        self._refreshing = False
        self._by_user: dict[str, MemberScope] | None = None

    def scope_for(self, slack_user: str) -> MemberScope | None:
        """The user's membership, or None for someone the roster does not list."""
        with self._lock:
            by_user = self._by_user
            stale = self._loaded_at is None or self._clock() - self._loaded_at > self._ttl
            refresh = by_user is not None and stale and not self._refreshing
            if refresh:
                self._refreshing = True
        if by_user is None:
            by_user = self._load_first()
        elif refresh:
            threading.Thread(target=self._refresh, name="roster-refresh", daemon=True).start()
        return by_user.get(slack_user)

    def _load_first(self) -> dict[str, MemberScope]:
        with self._first_load:  # concurrent first requests wait for one load
            with self._lock:
                if self._by_user is not None:
                    return self._by_user
            loaded = self._load()
            self._store(loaded)
            return loaded

    def _refresh(self) -> None:
        try:
            self._store(self._load())
        except Exception:
            log.exception("could not refresh the roster cache; serving the previous copy")
        finally:
            with self._lock:
                self._refreshing = False

    def _store(self, by_user: dict[str, MemberScope]) -> None:
        with self._lock:
            self._by_user = by_user
            self._loaded_at = self._clock()

    def _load(self) -> dict[str, MemberScope]:
        with self._runtime.session() as session:
            return {
                user: MemberScope(user, tuple(t.id for t in teams), tuple(t.name for t in teams),
                                  tuple(t.timezone for t in teams))
                for user, teams in teams_by_member(session=session).items()
            }


def stranger_text(slack_user: str | None) -> str:
    """What someone the roster does not list is told (their user id escaped: it came from a request)."""
    return STRANGER_TEXT.format(user=escape_mrkdwn(slack_user or "unknown"))


def stranger_home_view(slack_user: str | None) -> dict:
    """The App Home a stranger sees instead of a board."""
    return {"type": "home", "blocks": [section_block(stranger_text(slack_user))]}


def team_membership(directory: RosterDirectory) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: put the acting member's scope in the context, or turn a stranger away.

    Strangers get an ephemeral explanation (in the slash command's reply, through the response URL
    after a button click, or as their App Home) and the request ends here.
    """

    def require_team_member(
        context: BoltContext, body: dict, ack: Ack, respond: Respond, client: WebClient, next: Callable[[], None]
    ) -> BoltResponse | None:
        user = context.user_id
        scope = directory.scope_for(user) if user else None
        if scope is not None:
            context[MEMBER_KEY] = scope
            next()
            return None
        log.info("refused a Slack request from %s: not in the roster", user or "an unidentified sender")
        request_type = body.get("type")
        if body.get("command"):
            return ack(text=stranger_text(user), response_type="ephemeral")
        response = ack()
        if request_type == "block_actions" and body.get("response_url"):
            respond(text=stranger_text(user), response_type="ephemeral", replace_original=False)
        elif request_type == "event_callback" and body.get("event", {}).get("type") == "app_home_opened" and user:
            client.views_publish(user_id=user, view=stranger_home_view(user))
        return response

    return require_team_member


def register(app: App, runtime: Runtime) -> RosterDirectory:
    """Install the membership middleware on ``app``; returns the roster cache it reads."""
    directory = RosterDirectory(runtime)
    app.middleware(team_membership(directory))
    return directory
