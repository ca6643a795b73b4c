"""`strongtie accounts`, and the command line speaking with one voice: heavy users first, owners by
name, counts that read right, `--version`; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from models.store.customers import find_customer
from models.store.interactions import log_interaction

ROSTER = """
teams:
  - name: East
    slack_channel: C0000001
    members: [{slack_user: U0EAST1, name: Dana Reyes}, {slack_user: U0EAST2, name: Lee Park}]
    customers:
      - {name: Jane Doe, company: Acme Corp, owner: U0EAST1, revenue: 10}
      - {name: Joe Acme, company: acme corp, owner: U0EAST2, revenue: 5}
      - {name: Omar Haddad, company: Globex, owner: U0EAST2, revenue: 900}
      - {name: Nadia Noco, owner: U0EAST1, revenue: 1}
"""


@pytest.fixture
def seeded(cli, roster_file, sessions):
    imported = cli("roster", "import", str(roster_file(ROSTER)))
    assert imported.exit_code == 0
    assert "4 customers added" in imported.output and "2 members added" in imported.output
    assert "1 team added" in imported.output
    start = datetime.now(timezone.utc) - timedelta(weeks=13)
    with sessions.begin() as session:
        jane = find_customer("Jane Doe", session=session)
        for week in range(13):
            log_interaction(jane, ("meeting", "call", "email")[week % 3], session=session,
                            occurred_at=start + timedelta(weeks=week))
        log_interaction(find_customer("Joe Acme", session=session), "like", session=session,
                        occurred_at=start, direction="outbound")
    return cli


def test_accounts_json_follows_the_contract(seeded):
    result = seeded("accounts", "--json")
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)
    assert [a["account"] for a in accounts] == ["Globex", "Acme Corp"]  # heavy users first; no account for Nadia
    acme = accounts[1]
    assert set(acme) == {"account", "team", "contacts", "strongest", "coverage", "single_threaded"}
    assert [c["customer"] for c in acme["contacts"]] == ["Jane Doe", "Joe Acme"]
    assert acme["strongest"] == acme["contacts"][0]["stage"] and acme["strongest"] in ("building", "strong_tie")
    assert acme["coverage"] == 1 and acme["single_threaded"] is True
    assert accounts[0]["single_threaded"] is False and accounts[0]["coverage"] == 0


def test_accounts_human_form_and_team_filter(seeded):
    text = seeded("accounts", "--team", "east").output
    assert "Acme Corp  SINGLE-THREADED" in text and "owner Dana Reyes" in text
    assert text.rstrip().endswith("2 accounts, 1 single-threaded.")
    missing = seeded("accounts", "--team", "Eats")
    assert missing.exit_code == 1 and "East" in missing.output


def test_status_lists_heavy_users_first_with_owner_names(seeded):
    lines = seeded("status").output.splitlines()
    rows = [line.split()[1] for line in lines if line.startswith("  ") and line.strip()[:1].isdigit()]
    assert rows == ["Omar", "Jane", "Joe", "Nadia"]
    assert "Lee Park" in "\n".join(lines) and "U0EAST" not in "\n".join(lines)


def test_an_unknown_customer_offers_close_companies_too(seeded):
    result = seeded("log", "Acme Crop", "call")
    assert result.exit_code == 1 and "Acme Corp" in result.output


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.output.startswith("strongtie ")
