"""Logging interactions from the command line, on SQLite and PostgreSQL."""

import json
import re
from datetime import datetime, timezone

import pytest
from helpers import customer, member, roster, team

EAST = team("East", slack_channel="C0123456", members=[member("U012ABC", "Dana")],
            customers=[customer("Jane Doe", company="Acme", owner="U012ABC", revenue=10),
                       customer("Janet Dough", company="Globex", owner="U012ABC", revenue=5)])
ROSTER = roster(EAST)


@pytest.fixture
def seeded(cli, roster_file):
    assert cli("roster", "import", str(roster_file(ROSTER))).exit_code == 0
    return cli


def test_log_records_every_field(seeded):
    result = seeded("log", '"jane doe"', "Meeting", "--note", "QBR", "--at", "2026-11-03T10:00:00+01:00",
                    "--by", "U012ABC", "--direction", "inbound")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(seeded("interactions", "--json").output)
    assert row == {
        "id": row["id"], "customer": "Jane Doe", "kind": "meeting", "direction": "inbound", "note": "QBR",
        "occurred_at": "2026-11-03T09:00:00Z", "by": "U012ABC", "origin": "cli", "batch": None,
    }


def test_unknown_customer_lists_close_matches(seeded):
    result = seeded("log", "Jane Do", "call")
    assert result.exit_code == 1
    assert "unknown customer 'Jane Do'" in result.output
    assert "Jane Doe" in result.output
    assert json.loads(seeded("interactions", "--json").output) == []


def test_unknown_kind_lists_close_matches(seeded):
    result = seeded("log", "Jane Doe", "meating")
    assert result.exit_code == 1
    assert "unknown interaction kind 'meating'" in result.output and "meeting" in result.output


def test_bad_time_is_refused_with_the_option_name(seeded):
    result = seeded("log", "Jane Doe", "call", "--at", "last tuesday")
    assert result.exit_code == 2
    assert "--at" in result.output


def test_csv_import_is_all_or_nothing_and_idempotent(seeded, tmp_path):
    good = tmp_path / "history.csv"
    good.write_text(
        "customer,kind,occurred_at,direction,note,by\n"
        "Jane Doe,call,2026-09-01T15:00:00Z,outbound,intro call,U012ABC\n"
        "Janet Dough,email,2026-09-02,inbound,,\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "Nobody,call,2026-09-03,mutual,,\nJane Doe,hug,2026-09-03,mutual,,\n", encoding="utf-8")

    refused = seeded("interactions", "import", str(bad))
    assert refused.exit_code == 1
    assert "line 4" in refused.output and "line 5" in refused.output
    assert json.loads(seeded("interactions", "--json").output) == []

    assert "Imported 2" in seeded("interactions", "import", str(good)).output
    again = seeded("interactions", "import", str(good))
    assert "Imported 0" in again.output and "2 already present" in again.output
    rows = json.loads(seeded("interactions", "--json").output)
    assert [(r["customer"], r["kind"], r["origin"]) for r in rows] == [
        ("Jane Doe", "call", "csv"), ("Janet Dough", "email", "csv")]


def test_csv_without_required_columns_is_refused(seeded, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("who,what\nJane,call\n", encoding="utf-8")
    result = seeded("interactions", "import", str(path))
    assert result.exit_code == 1 and "missing column(s) customer, kind, occurred_at" in result.output


def test_rate_is_stored_and_range_checked(seeded, sessions):
    from sqlalchemy import select

    from models.entities import Rating

    assert seeded("rate", "Jane Doe", "8", "--by", "U012ABC").exit_code == 0
    assert seeded("rate", "Jane Doe", "11").exit_code == 2
    with sessions() as session:
        assert [(r.rating, r.by_user) for r in session.scalars(select(Rating))] == [(8, "U012ABC")]


@pytest.mark.parametrize(
    "content, fragment",
    [
        pytest.param(b"customer,kind,occurred_at\nJane Doe,call\n", "line 2", id="short-row"),
        pytest.param(b"customer,kind,occurred_at\n,call,2026-09-01\n", "customer column is empty", id="empty-customer"),
        pytest.param("customer,kind,occurred_at\nJané,call,2026-09-01\n".encode("latin-1"), "not UTF-8 text", id="latin-1-file"),
        pytest.param(b"customer,kind,occurred_at\nJane Doe,call,0001-01-01T00:00+01:00\n", "line 2", id="time-out-of-range"),
        pytest.param(b"customer,kind,occurred_at,direction\nJane Doe,call,2026-09-01,sideways\n", "unknown direction 'sideways'", id="bad-direction"),
    ],
)
def test_broken_csv_gets_a_clear_error_and_imports_nothing(seeded, tmp_path, content, fragment):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    result = seeded("interactions", "import", str(path))
    assert result.exit_code == 1, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert json.loads(seeded("interactions", "--json").output) == []


def test_csv_dedupe_ignores_how_the_same_row_is_written(seeded, tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("customer,kind,occurred_at,direction\nJane Doe,call,2026-11-01T10:00,inbound\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("customer,kind,occurred_at,direction\n  jane doe ,CALL,2026-11-01T11:00:00+01:00,Inbound\n", encoding="utf-8")
    assert "Imported 1" in seeded("interactions", "import", str(first)).output
    again = seeded("interactions", "import", str(second))
    assert "Imported 0" in again.output and "1 already present" in again.output


def test_direction_is_case_insensitive(seeded):
    assert seeded("log", "Jane Doe", "call", "--direction", "Inbound").exit_code == 0
    (row,) = json.loads(seeded("interactions", "--json").output)
    assert row["direction"] == "inbound"


TWO_TEAMS_SAME_NAME = roster(EAST, team("West", slack_channel="C0999999", members=[member("U0WEST1", "Wes")],
                                        customers=[customer("Jane Doe", company="Other Jane Inc", owner="U0WEST1", revenue=1)]))


def test_team_option_resolves_a_name_used_in_two_teams(cli, roster_file):
    cli("roster", "import", str(roster_file(TWO_TEAMS_SAME_NAME)))
    ambiguous = cli("log", "Jane Doe", "call")
    assert ambiguous.exit_code == 1 and "pass --team" in ambiguous.output
    assert cli("log", "Jane Doe", "call", "--team", "West").exit_code == 0
    listed = cli("interactions", "--json", "--customer", "Jane Doe", "--team", "west")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)) == 1
    assert cli("posts", "--json", "--customer", "Jane Doe", "--team", "West").output.strip() == "[]"


@pytest.mark.parametrize(
    "value, exit_code, fragment",
    [
        pytest.param("0001-01-01T00:00+01:00", 2, "outside the range of dates", id="before-year-one"),
        pytest.param("9999-12-31T23:59+00:00", 2, "outside the range of dates", id="end-of-time"),
        pytest.param("2126-01-01", 1, "is in the future", id="typo-in-the-year"),
    ],
)
def test_log_time_that_cannot_be_right_is_refused(seeded, value, exit_code, fragment):
    result = seeded("log", "Jane Doe", "call", "--at", value)
    assert result.exit_code == exit_code, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert json.loads(seeded("interactions", "--json").output) == []


def test_team_option_without_a_customer_lists_only_that_teams_interactions(cli, roster_file):
    cli("roster", "import", str(roster_file(TWO_TEAMS_SAME_NAME)))
    assert cli("log", "Janet Dough", "call").exit_code == 0
    assert cli("log", "Jane Doe", "email", "--team", "West").exit_code == 0
    west = json.loads(cli("interactions", "--json", "--team", "west").output)
    assert [(r["customer"], r["kind"]) for r in west] == [("Jane Doe", "email")]
    east = json.loads(cli("interactions", "--json", "--team", "East").output)
    assert [(r["customer"], r["kind"]) for r in east] == [("Janet Dough", "call")]
    assert len(json.loads(cli("interactions", "--json").output)) == 2
    unknown = cli("interactions", "--team", "Nowhere")
    assert unknown.exit_code == 1 and "unknown team 'Nowhere'" in unknown.output


def test_log_help_lists_every_interaction_kind(cli):
    from config.vocabulary import INTERACTION_KINDS

    shown = " ".join(cli("log", "--help").output.split())
    assert f"KIND is one of: {', '.join(INTERACTION_KINDS)}." in shown


# --- direction, batches, deletes, stored stage changes (issue 10); CSV errors (issue 15) ---------


def _rows(cli) -> list[dict]:
    return json.loads(cli("interactions", "--json").output)


def _stage_changes(sessions) -> list[tuple]:
    from sqlalchemy import select

    from models.entities import StageChange

    with sessions() as session:
        return [(c.customer_id, c.track, c.to_stage) for c in session.scalars(select(StageChange))]


@pytest.mark.parametrize(
    "kind, expected",
    [
        pytest.param("meeting", "mutual", id="meeting-both"),
        pytest.param("call", "mutual", id="call-both"),
        pytest.param("event", "mutual", id="event-both"),
        pytest.param("email", "outbound", id="email-we-did"),
        pytest.param("gift", "outbound", id="gift-we-did"),
        pytest.param("referral", "outbound", id="any-other-kind-we-did"),
        pytest.param("purchase", "inbound", id="purchase-they-did"),
        pytest.param("trial", "inbound", id="trial-they-did"),
    ],
)
def test_without_a_direction_the_kind_decides_on_the_command_line_and_in_csv(seeded, tmp_path, kind, expected):
    result = seeded("log", "Jane Doe", kind)
    assert result.exit_code == 0, result.output
    assert f"({expected})" in result.output
    path = tmp_path / "h.csv"
    path.write_text(f"customer,kind,occurred_at\nJanet Dough,{kind},2026-09-01T10:00:00Z\n", encoding="utf-8")
    assert seeded("interactions", "import", str(path)).exit_code == 0
    assert [r["direction"] for r in _rows(seeded)] == [expected, expected]


def test_log_stores_the_stage_changes_it_causes(seeded, sessions):
    assert _stage_changes(sessions) == []
    result = seeded("log", "Jane Doe", "meeting", "--at", "2026-01-05T10:00:00Z")
    assert result.exit_code == 0, result.output
    assert "Now " in result.output
    assert any(track == "tie" for _, track, _ in _stage_changes(sessions))


def test_a_wrong_import_is_taken_back_by_batch_and_imported_again(seeded, tmp_path, sessions):
    header = "customer,kind,occurred_at,direction,note,by\n"
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(header + "Jane Doe,meeting,2026-09-01T15:00:00Z,,QBR,U012ABC\n"
                              "Jane Doe,call,2026-09-08T15:00:00Z,,,U012ABC\n", encoding="utf-8")
    imported = seeded("interactions", "import", str(wrong))
    assert imported.exit_code == 0, imported.output
    batch = re.search(r"as batch (\S+);", imported.output)[1]
    assert {r["batch"] for r in _rows(seeded)} == {batch}
    assert _stage_changes(sessions)  # stored at import, as /tie log does
    seeded("log", "Janet Dough", "call")  # not part of the batch

    deleted = seeded("interactions", "delete", "--batch", batch)
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted 2 interactions" in deleted.output
    assert [r["customer"] for r in _rows(seeded)] == ["Janet Dough"]
    with sessions() as session:
        from models.entities import Customer

        janet = session.query(Customer).filter_by(name="Janet Dough").one().id
    assert {customer for customer, _, _ in _stage_changes(sessions)} == {janet}  # Jane's history went with her rows

    right = tmp_path / "right.csv"
    right.write_text(wrong.read_text().replace("U012ABC", "Dana"), encoding="utf-8")  # by name this time
    again = seeded("interactions", "import", str(right))
    assert "Imported 2 interactions" in again.output
    assert [r["by"] for r in _rows(seeded) if r["customer"] == "Jane Doe"] == ["U012ABC", "U012ABC"]


def test_delete_by_id_is_all_or_nothing_and_rescores(seeded, sessions):
    seeded("log", "Jane Doe", "meeting", "--at", "2026-01-05T10:00:00Z")
    seeded("log", "Jane Doe", "call", "--at", "2026-01-12T10:00:00Z")
    first, second = (r["id"] for r in _rows(seeded))
    refused = seeded("interactions", "delete", str(first), "999")
    assert refused.exit_code == 1 and "no interaction with id 999" in refused.output
    assert len(_rows(seeded)) == 2
    assert seeded("interactions", "delete", str(first), str(second)).exit_code == 0
    assert _rows(seeded) == [] and _stage_changes(sessions) == []
    assert seeded("interactions", "delete").exit_code == 2  # neither ids nor --batch
    assert seeded("interactions", "delete", "--batch", "nope").exit_code == 1


def test_score_command_stores_snapshots_and_stage_changes(seeded, sessions):
    from sqlalchemy import func, select

    from models.entities import ScoreSnapshot

    seeded("log", "Jane Doe", "meeting", "--at", "2026-01-05T10:00:00Z")
    result = seeded("score", "--as-of", "2026-02-01")
    assert result.exit_code == 0, result.output
    assert "Scored 2 relationship(s) as of 2026-02-01T23:59:59.999999Z" in result.output
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ScoreSnapshot).where(
            ScoreSnapshot.as_of == datetime(2026, 2, 1, 23, 59, 59, 999999, tzinfo=timezone.utc))) == 2
    assert "added" in result.output and seeded("score", "--as-of", "yesterday").exit_code == 2


@pytest.mark.parametrize(
    "content, fragment",
    [
        pytest.param("Jane Doe,call,2026-09-01,,,U0NOBODY\n", "line 2: by 'U0NOBODY' is not a member of team East",
                     id="by-not-in-team"),
        pytest.param("Jane Doe,call,2026-09-01,,," + "U" * 60 + "\n", "line 2: the by value", id="by-too-long"),
        pytest.param("Jane Doe,call,2026-09-01,,a\x00b,\n", "line 2: the note column contains a NUL", id="nul-in-note"),
        pytest.param("Jane\x00 Doe,call,2026-09-01,,,\n", "line 2: the customer column contains a NUL",
                     id="nul-in-customer"),
        pytest.param("Jane Doe,call,2026-09-01,,\"" + "x" * 5000 + "\",\n", "line 2: the note column is 5000 characters",
                     id="note-too-long"),
        pytest.param("Jane Doe," + "k" * 300 + ",2026-09-01,,,\n", "line 2: ", id="kind-too-long"),
        pytest.param("Jane Doe,call,2026-09-01," + "d" * 300 + ",,\n", "line 2: unknown direction", id="direction-too-long"),
        pytest.param("Jane Doe,call,2026-09-01,,\"two\nlines\",\nJane Doe,hug,2026-09-02,,,\n", "line 4: unknown interaction kind",
                     id="line-counts-quoted-line-breaks"),
    ],
)
def test_every_bad_csv_cell_is_a_line_error_and_nothing_is_stored(seeded, tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_text("customer,kind,occurred_at,direction,note,by\n" + content, encoding="utf-8")
    result = seeded("interactions", "import", str(path))
    assert result.exit_code == 1, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output and "INSERT" not in result.output
    assert _rows(seeded) == []


def test_csv_is_read_by_column_name(seeded, tmp_path):
    path = tmp_path / "any-order.csv"
    path.write_text("By,Note,Occurred_At,Kind,Customer\nDana,hello,2026-09-01T10:00:00Z,email,Jane Doe\n", encoding="utf-8")
    assert seeded("interactions", "import", str(path)).exit_code == 0
    [row] = _rows(seeded)
    assert (row["customer"], row["kind"], row["note"], row["by"], row["direction"], row["origin"]) == (
        "Jane Doe", "email", "hello", "U012ABC", "outbound", "csv")


def test_log_by_must_be_a_member_of_the_customers_team(seeded):
    result = seeded("log", "Jane Doe", "call", "--by", "U0STRANGER")
    assert result.exit_code == 1 and "not a member of team East" in result.output
    assert _rows(seeded) == []
