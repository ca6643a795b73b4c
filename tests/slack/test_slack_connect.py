"""Slack Connect: channel messages, signed and shaped as the Events API sends them, through the
running app. A listed customer's message is inbound contact, a member's answer where that customer
posts is outbound, one interaction per customer, day and direction, never the text; everything
else (edits, joins, bots, strangers, unknown workspaces, retries) changes nothing."""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timezone

import pytest
from fakes.slack_requests import API_APP_ID, TEAM_ID, event_callback, slash_command
from fakes.slack_world import DANA, WES, count, customer_id
from sqlalchemy import select

from bot.jobs import score
from bot.slack.shapes import payload_problem
from models.entities import Customer, HandledRequest, Interaction, ScoreSnapshot, SlackConnectSighting, Team
from models.timeline import utcnow

EXT_TEAM = "T0ACMEEXT"  # the customer's workspace, owner of the shared channel
JANE, OMAR, WANDA = "U0EXTJANE", "U0EXTOMAR", "U0EXTWANDA"
SHARED = "C0ACMESHARED"
TEXT = "Quick question about the renewal quote, confidential figures inside"
_ids = itertools.count(1)


@pytest.fixture
def connect(runtime, fake_slack):
    """The two-team world with Slack Connect ids: Enterprise East lives in our workspace TEAM_ID."""
    with runtime.session() as session:
        for name, users in (("Jane Doe", [JANE]), ("Omar Haddad", [OMAR]), ("Wanda West", [WANDA])):
            session.scalar(select(Customer).where(Customer.name == name)).slack_users = users
        session.scalar(select(Team).where(Team.name == "Enterprise East")).workspace = TEAM_ID
        session.commit()
    fake_slack.channel_names[SHARED] = "acme-shared"
    return runtime


def message(user: str, *, user_team: str | None = EXT_TEAM, channel: str = SHARED, at: float | None = None,
            subtype: str | None = None, workspace: str = TEAM_ID, owner: str = EXT_TEAM, thread_ts: str | None = None,
            **extra) -> dict:
    """A ``message`` event callback from a shared channel, as delivered to our workspace."""
    n = next(_ids)
    ts = f"{at if at is not None else time.time() - 60:.0f}.{n:06d}"
    event = {"client_msg_id": f"9c1e{n:04d}-0000-4000-8000-000000000000", "type": "message", "text": TEXT,
             "user": user, "ts": ts, "blocks": [{"type": "rich_text", "block_id": "x", "elements": [
                 {"type": "rich_text_section", "elements": [{"type": "text", "text": TEXT}]}]}],
             "channel": channel, "event_ts": ts, "channel_type": "channel"}
    if user_team is not None:
        event.update(team=user_team, user_team=user_team, source_team=user_team,
                     user_profile={"avatar_hash": "g0", "display_name": "someone", "team": user_team})
    if subtype is not None:
        event["subtype"] = subtype
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return {"token": "deprecated-verification-token", "team_id": owner, "context_team_id": owner,
            "context_enterprise_id": None, "api_app_id": API_APP_ID, "event": event, "type": "event_callback",
            "event_id": f"Ev0CONNECT{n:04d}", "event_time": int(float(ts)),
            "authorizations": [{"enterprise_id": None, "team_id": workspace, "user_id": "U0BOT", "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": True, "event_context": f"4-eyJldCI6Im1lc3NhZ2Ui{n}"}


def deliver(send, payload: dict, **sign) -> None:
    response = send(event_callback(payload), **sign)
    assert response.status == 200


def touches(runtime) -> list[tuple[str, str, str, str, str | None]]:
    """(customer, direction, origin, note, by) of every stored interaction, in id order."""
    with runtime.session() as session:
        rows = session.scalars(select(Interaction).order_by(Interaction.id))
        return [(i.customer.name, i.direction, i.origin, i.note, i.by_user) for i in rows]


def status_of(runtime, name: str):
    with runtime.session() as session:
        statuses = score.relationship_statuses(session=session, as_of=utcnow(), params=runtime.scoring)
    return next(s for s in statuses if s.customer == name)


def test_a_customers_message_counts_once_and_status_explains_it(connect, send, fake_slack, replies):
    before = status_of(connect, "Jane Doe")
    payload = message(JANE)
    assert payload_problem(payload) is None  # the server's boundary admits the real shape
    deliver(send, payload)
    assert touches(connect) == [("Jane Doe", "inbound", "slack_connect", "in #acme-shared", None)]
    moved = status_of(connect, "Jane Doe")
    assert before.explanation == ["no interaction yet"]
    assert moved.components["intimacy"] > 0 and moved.last_interaction_at is not None
    day = f"{moved.last_interaction_at.day} {moved.last_interaction_at:%b}"
    assert any(line.endswith(f"message on {day}") for line in moved.explanation)
    snapshots = count(connect, ScoreSnapshot)
    assert snapshots >= 1  # rescored at once, as a logged message is
    first = message(JANE, thread_ts="1700000000.000100")
    for payload in [first, *(message(JANE, thread_ts="1700000000.000100") for _ in range(4))]:
        deliver(send, payload)  # a busy thread the same day
    deliver(send, first, retry_num=1)  # and Slack's retry of one of its events
    assert len(touches(connect)) == 1
    again = status_of(connect, "Jane Doe")
    assert again.components == pytest.approx(moved.components, abs=0.01) and again.explanation == moved.explanation
    assert len(fake_slack.calls_to("conversations.info")) == 1  # asked only for the touch it stored
    send(slash_command("status Jane Doe", user_id=DANA, response_base=fake_slack.base_url))
    [reply] = replies()
    local = datetime.now(timezone.utc).astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"message from them in #acme-shared on {local.day} {local:%b %Y}" in reply


def test_the_text_is_never_stored(connect, send):
    deliver(send, message(JANE))
    deliver(send, message(DANA, user_team=TEAM_ID))
    with connect.engine.connect() as connection:
        dump = json.dumps([[list(map(str, row)) for row in connection.exec_driver_sql(f"SELECT * FROM {table}")]
                           for table in ("interactions", "slack_connect_sightings", "handled_requests",
                                         "score_snapshots")])
    assert "renewal" not in dump and "confidential" not in dump


def test_a_members_answer_where_the_customer_posts_is_outbound_and_the_day_is_two_way(connect, send):
    deliver(send, message(DANA, user_team=TEAM_ID))  # before the customer ever posted there: no one on the other side
    assert touches(connect) == []
    deliver(send, message(JANE))
    deliver(send, message(DANA, user_team=TEAM_ID))
    deliver(send, message(DANA, user_team=TEAM_ID))  # the same day again: still one outbound
    assert touches(connect) == [("Jane Doe", "inbound", "slack_connect", "in #acme-shared", None),
                                ("Jane Doe", "outbound", "slack_connect", "in #acme-shared", DANA)]
    assert not any("only gone one way" in line or "no two-way contact" in line
                   for line in status_of(connect, "Jane Doe").explanation)


def test_only_customers_of_the_members_own_team_are_on_the_other_side(connect, send):
    deliver(send, message(JANE))
    deliver(send, message(WES, user_team=TEAM_ID))  # West's member: Jane is not their team's customer
    assert [t[1] for t in touches(connect)] == ["inbound"]


def test_an_unshared_channel_forgets_its_other_side(connect, send):
    deliver(send, message(JANE))
    assert count(connect, SlackConnectSighting) == 1
    deliver(send, {"token": "t", "team_id": TEAM_ID, "api_app_id": API_APP_ID, "type": "event_callback",
                   "event": {"type": "channel_unshared", "previously_connected_team_id": EXT_TEAM,
                             "channel": SHARED, "is_ext_shared": False, "event_ts": f"{time.time():.6f}"},
                   "event_id": "Ev0UNSHARE01", "event_time": int(time.time()),
                   "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
                   "is_ext_shared_channel": False})
    assert count(connect, SlackConnectSighting) == 0
    deliver(send, message(DANA, user_team=TEAM_ID))
    assert [t[1] for t in touches(connect)] == ["inbound"]


#: Events that are not conversation, or not known to the roster, each by name.
NOT_COUNTED = [
    pytest.param(lambda: message(JANE, subtype="message_changed", message={"type": "message", "user": JANE,
                                                                           "text": TEXT, "ts": "1.1"}), id="edit"),
    pytest.param(lambda: message(JANE, subtype="message_deleted", hidden=True), id="deletion"),
    pytest.param(lambda: message(JANE, subtype="channel_join"), id="join"),
    pytest.param(lambda: message(JANE, subtype="bot_message", bot_id="B0ACME"), id="bot-message"),
    pytest.param(lambda: message(JANE, bot_id="B0ACME", bot_profile={"id": "B0ACME"}), id="app-posting-as-user"),
    pytest.param(lambda: message("U0EXTSTRANGER"), id="unlisted-external-user"),
    pytest.param(lambda: message(DANA), id="a-members-id-from-another-workspace"),
    pytest.param(lambda: message(JANE, workspace="T0UNKNOWN", owner="T0UNKNOWN"), id="unknown-workspace"),
    pytest.param(lambda: message(WANDA, workspace=TEAM_ID), id="a-customer-of-a-team-in-another-workspace"),
    pytest.param(lambda: message(JANE, channel_type="im"), id="direct-message"),
    pytest.param(lambda: message(JANE, ts="not-a-time"), id="malformed-ts"),
]


def test_what_is_not_conversation_or_not_known_is_acked_and_changes_nothing(connect, send):
    with connect.session() as session:
        session.scalar(select(Team).where(Team.name == "West")).workspace = "T0WESTWS"
        session.commit()
    for case in NOT_COUNTED:
        body = case.values[0]()
        assert payload_problem(body) is None, case.id  # the boundary lets the real shape through
        deliver(send, body)
        stored = (touches(connect), count(connect, HandledRequest), count(connect, SlackConnectSighting))
        assert stored == ([], 0, 0), case.id


def test_our_workspace_is_the_authorizations_not_the_channel_owner(connect, send):
    deliver(send, message(JANE, owner=EXT_TEAM, workspace=TEAM_ID))  # top-level team_id: the customer's
    assert [t[0] for t in touches(connect)] == ["Jane Doe"]


@pytest.mark.parametrize("subtype", [
    pytest.param(None, id="plain"), pytest.param("thread_broadcast", id="thread-broadcast"),
    pytest.param("file_share", id="file-share"),
])
def test_conversation_subtypes_count(connect, send, subtype):
    deliver(send, message(OMAR, subtype=subtype))
    assert touches(connect) == [("Omar Haddad", "inbound", "slack_connect", "in #acme-shared", None)]


def test_days_are_the_teams_days_and_an_unnamed_channel_is_noted_by_its_id(connect, send):
    late = datetime(2026, 11, 3, 23, 30, tzinfo=timezone.utc).timestamp() + 5 * 3600  # 23:30 in New York
    for at in (late - 3600, late, late + 3600):  # 22:30 and 23:30 on the 3rd, 00:30 on the 4th
        deliver(send, message(JANE, channel="C0UNNAMED", at=at))
    with connect.session() as session:
        rows = session.scalars(select(Interaction).where(Interaction.customer_id == customer_id(connect, "Jane Doe"))
                               .order_by(Interaction.occurred_at)).all()
        assert [(int(r.occurred_at.timestamp()), r.note) for r in rows] == [(late - 3600, "in C0UNNAMED"),
                                                                       (late + 3600, "in C0UNNAMED")]
