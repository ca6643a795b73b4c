"""Cross-cutting checks every Slack request goes through before any listener sees it.

Over HTTP, the server's boundary (``bot/slack/boundary.py``) has already refused oversized, unsigned,
stale or malformed requests, and Bolt's own middleware verifies the signature once more. This module
adds team membership: a Slack user acts only as a member of the
team(s) the roster puts them in, and only on the teams of the workspace the request came from (a
team naming another ``workspace`` is out of reach; a team naming none is reachable from any, as
with one SLACK_BOT_TOKEN). Listeners find the result in ``context["member"]`` and scope every
lookup to its ``team_ids``; strangers are answered here and no listener runs.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.blocks import escape_mrkdwn, section_block
from models.store.teams import teams_by_member

log = logging.getLogger(__name__)

MEMBER_KEY = "member"
#: Events that are no member acting but a conversation the bot overhears (``listeners/messages.py``):
#: they pass without a member scope, whoever sent them (a customer in a Slack Connect channel).
OVERHEARD_EVENTS = frozenset({"message", "channel_shared", "channel_unshared"})
#: Events about the whole workspace, no member acting (``listeners/uninstalls.py``): they pass too.
WORKSPACE_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})
OTHER_WORKSPACE_TEXT = (
    "strongtie knows you (Slack user {user}) only as a member of a team in another Slack workspace, so "
    "it cannot act for you here. Nothing was changed. Use strongtie from your team's workspace."
)
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
    #: each team's Slack workspace id (None: any workspace); empty when not known (all reachable)
    team_workspaces: tuple[str | None, ...] = ()

    def __deepcopy__(self, memo: dict) -> MemberScope:
        """Itself: it is immutable, and Bolt deep-copies the context of every request that has work
        after its ack (a tenth of the ack's cost when copied field by field)."""
        return self

    def in_workspace(self, workspace: str | None) -> MemberScope | None:
        """This scope narrowed to the teams reachable from a request of ``workspace``, or None
        when none is: the teams naming that workspace and those naming none; a request that names
        no workspace reaches only the latter (the rule of
        :func:`models.store.conversations.workspace_teams`)."""
        if not self.team_workspaces:
            return self
        keep = [i for i, ws in enumerate(self.team_workspaces) if ws is None or (workspace and ws == workspace)]
        if len(keep) == len(self.team_ids):
            return self
        if not keep:
            return None
        return replace(self, team_ids=tuple(self.team_ids[i] for i in keep),
                       team_names=tuple(self.team_names[i] for i in keep),
                       team_timezones=tuple(self.team_timezones[i] for i in keep),
                       team_workspaces=tuple(self.team_workspaces[i] for i in keep))

    @property
    def timezone(self) -> ZoneInfo:
        """The member's time zone for dates shown to them: that of their first team."""
        return ZoneInfo(self.team_timezones[0])


class RosterDirectory:
    """Slack user -> teams, read from the store; the membership check asks it on every request's ack path.

    It keeps a copy of the whole roster, so that path usually does no database work, and keeps the
    copy current by three rules:

    - a copy younger than ``ttl_seconds`` is used as it is;
    - an older one is still used while one background thread reloads it (a failed reload keeps the
      copy and is retried by the next request), but a copy older than ``max_age_seconds`` (no request
      for a while, or reloads failing) is reloaded before the request is answered;
    - a user the copy does not list makes it reload before they are refused, unless the copy is
      younger than ``miss_reload_seconds``: a member just added by ``strongtie roster import`` is
      recognised at once, and strangers cost at most one roster read per interval between them.

    So a member added is recognised within ``miss_reload_seconds``, and a member removed (or moved to
    another team) keeps their old access at most ``max_age_seconds``, while the database answers.
    Copies are dated by when their read began, so a change committed during a read is never missed.
    """

    def __init__(self, runtime: Runtime, *, ttl_seconds: float = 30.0, max_age_seconds: float | None = None,
                 miss_reload_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._runtime = runtime
        self._ttl = ttl_seconds
        self._max_age = max(max_age_seconds if max_age_seconds is not None else 2 * ttl_seconds, ttl_seconds)
        self._miss_reload = miss_reload_seconds
        self._clock = clock
        self._lock = threading.Lock()  # guards the fields below; never held during a query
        self._load_lock = threading.Lock()  # one reload at a time on the request path
        self._by_user: dict[str, MemberScope] | None = None
        self._loaded_at = float("-inf")  # when the read behind the copy began
        self._failed_at = float("-inf")  # when a reload on the request path last failed
        self._refreshing = False

    def scope_for(self, slack_user: str) -> MemberScope | None:
        """The user's membership, or None for someone the roster does not list."""
        now = self._clock()
        with self._lock:
            by_user, loaded_at = self._by_user, self._loaded_at
            refresh = by_user is not None and self._ttl < now - loaded_at <= self._max_age and not self._refreshing
            if refresh:
                self._refreshing = True
        if by_user is None or now - loaded_at > self._max_age:
            by_user, loaded_at = self._reload_after(loaded_at)
        elif refresh:
            threading.Thread(target=self._refresh, name="roster-refresh", daemon=True).start()
        scope = by_user.get(slack_user)
        if scope is None and slack_user and now - loaded_at > self._miss_reload:
            by_user, _ = self._reload_after(loaded_at)
            scope = by_user.get(slack_user)
        return scope

    def _reload_after(self, seen: float) -> tuple[dict[str, MemberScope], float]:
        """A copy newer than the one loaded at ``seen``: read now, unless another request just did
        (or just failed to: then the old copy, so a database outage is not hammered). Only a first
        load that fails raises, having nothing to fall back on."""
        with self._load_lock:  # concurrent requests wait for one read
            with self._lock:
                if self._by_user is not None and (self._loaded_at > seen
                                                  or self._clock() - self._failed_at < self._miss_reload):
                    return self._by_user, self._loaded_at
            started = self._clock()
            try:
                loaded = self._load()
            except Exception:
                with self._lock:
                    self._failed_at = started
                    if self._by_user is None:
                        raise
                    log.exception("could not reload the roster; answering from the copy read before")
                    return self._by_user, self._loaded_at
            return self._store(loaded, started)

    def _refresh(self) -> None:
        started = self._clock()
        try:
            self._store(self._load(), started)
        except Exception:
            log.exception("could not refresh the roster cache; serving the previous copy")
        finally:
            with self._lock:
                self._refreshing = False

    def _store(self, by_user: dict[str, MemberScope], started: float) -> tuple[dict[str, MemberScope], float]:
        with self._lock:
            if started >= self._loaded_at:  # a slow read never replaces a newer copy
                self._by_user, self._loaded_at = by_user, started
            current = self._by_user if self._by_user is not None else by_user
            return current, self._loaded_at

    def _load(self) -> dict[str, MemberScope]:
        with self._runtime.session() as session:
            return {
                user: MemberScope(user, tuple(t.id for t in teams), tuple(t.name for t in teams),
                                  tuple(t.timezone for t in teams), tuple(t.workspace or None for t in teams))
                for user, teams in teams_by_member(session=session).items()
            }


def stranger_text(slack_user: str | None, *, other_workspace: bool = False) -> str:
    """What someone the roster does not list (or lists only in teams of another workspace) is told,
    their user id escaped: it came from a request."""
    text = OTHER_WORKSPACE_TEXT if other_workspace else STRANGER_TEXT
    return text.format(user=escape_mrkdwn(slack_user or "unknown"))


def stranger_home_view(slack_user: str | None, *, other_workspace: bool = False) -> dict:
    """The App Home a stranger (or a member of another workspace's teams only) sees instead of a board."""
    return {"type": "home", "blocks": [section_block(stranger_text(slack_user, other_workspace=other_workspace))]}


def team_membership(directory: RosterDirectory) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: put the acting member's scope in the context, or turn a stranger away.

    Strangers get an ephemeral explanation (in the slash command's reply, through the response URL
    after a button click, or as their App Home) and the request ends here.
    """

    def require_team_member(
        context: BoltContext, body: dict, ack: Ack, respond: Respond, client: WebClient, next: Callable[[], None]
    ) -> BoltResponse | None:
        event_type = (body.get("event") or {}).get("type")
        if body.get("type") == "event_callback" and (event_type in OVERHEARD_EVENTS or event_type in WORKSPACE_EVENTS):
            next()  # not a member acting: the listener scopes it by workspace, channel and roster
            return None
        user = context.user_id
        listed = directory.scope_for(user) if user else None
        scope = listed.in_workspace(context.team_id) if listed is not None else None
        if scope is not None:
            context[MEMBER_KEY] = scope
            next()
            return None
        other_workspace = listed is not None
        if other_workspace:
            log.info("refused a Slack request from %s in workspace %s: their teams are in another workspace",
                     user, context.team_id)
        else:
            log.info("refused a Slack request from %s: not in the roster", user or "an unidentified sender")
        request_type = body.get("type")
        if body.get("command"):
            return ack(text=stranger_text(user, other_workspace=other_workspace), response_type="ephemeral")
        response = ack()
        if request_type == "block_actions" and body.get("response_url"):
            respond(text=stranger_text(user, other_workspace=other_workspace), response_type="ephemeral",
                    replace_original=False)
        elif request_type == "event_callback" and body.get("event", {}).get("type") == "app_home_opened" and user:
            client.views_publish(user_id=user, view=stranger_home_view(user, other_workspace=other_workspace))
        return response

    return require_team_member


def register(app: App, runtime: Runtime) -> RosterDirectory:
    """Install the membership middleware on ``app``; returns the roster cache it reads."""
    directory = RosterDirectory(runtime)
    app.middleware(team_membership(directory))
    return directory
