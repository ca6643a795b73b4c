"""Logging interactions from the command line, on SQLite and PostgreSQL."""

import json

import pytest

ROSTER = """
teams:
  - name: East
    slack_channel: C0123456
    members: [{slack_user: U012ABC, name: Dana}]
    customers:
      - {name: Jane Doe, company: Acme, owner: U012ABC, revenue: 10}
      - {name: Janet Dough, company: Globex, owner: U012ABC, revenue: 5}
"""


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
        "occurred_at": "2026-11-03T09:00:00Z", "by": "U012ABC", "origin": "cli",
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
        ("Jane Doe", "call", "import"), ("Janet Dough", "email", "import")]


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
