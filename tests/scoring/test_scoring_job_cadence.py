"""The scoring job passes each customer's keep-in-touch cadence in force (roster ``cadence_days``,
or ``/tie cadence``) to the model as that relationship's rhythm, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.jobs.score import relationship_statuses, rescore_customer
from config.scoring import ScoringParams
from models.store.cadence import set_cadence
from models.store.customers import find_customer
from models.store.interactions import log_interaction

START = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
AS_OF = START + timedelta(weeks=13)  # a week after the last of 13 weekly contacts

ROSTER = """
teams:
  - name: East
    slack_channel: C0000001
    members: [{slack_user: U0EAST1, name: Dana}]
    customers:
      - {name: Jane Doe, company: Acme, owner: U0EAST1, revenue: 10, cadence_days: 5}
      - {name: Janet Dough, company: Globex, owner: U0EAST1, revenue: 50}
"""


@pytest.fixture
def seeded(cli, roster_file, sessions):
    assert cli("roster", "import", str(roster_file(ROSTER))).exit_code == 0
    with sessions.begin() as session:
        for name in ("Jane Doe", "Janet Dough"):
            customer = find_customer(name, session=session)
            for week in range(13):
                kind = ("meeting", "call", "email")[week % 3]
                log_interaction(customer, kind, session=session, occurred_at=START + timedelta(weeks=week))
    return sessions


@pytest.mark.parametrize("slack_cadence, jane_at_risk", [
    pytest.param(None, True, id="roster-cadence-5-passed-after-7-days"),
    pytest.param(10, False, id="slack-cadence-10-not-passed"),
    pytest.param(0, False, id="slack-off-back-to-the-learned-rhythm"),
])
def test_statuses_use_the_cadence_in_force(seeded, slack_cadence, jane_at_risk):
    with seeded.begin() as session:
        if slack_cadence is not None:
            set_cadence(find_customer("Jane Doe", session=session), slack_cadence, session=session)
    with seeded() as session:
        by_name = {s.customer: s for s in relationship_statuses(session=session, as_of=AS_OF, params=ScoringParams())}
    jane, janet = by_name["Jane Doe"], by_name["Janet Dough"]
    assert jane.at_risk is jane_at_risk
    assert (jane.score, jane.stage) == (janet.score, janet.stage)  # same history: only the flag may differ
    assert not janet.at_risk  # no cadence: the learned weekly rhythm holds for three weeks
    if jane_at_risk:
        assert jane.risk_reason == "keep-in-touch cadence of 5 days passed: no two-way contact for 7 days"


def test_rescore_stores_the_cadence_flag(seeded):
    with seeded.begin() as session:
        status = rescore_customer(find_customer("Jane Doe", session=session).id, session=session, as_of=AS_OF,
                                  params=ScoringParams())
    assert status.at_risk and status.risk_reason.startswith("keep-in-touch cadence of 5 days passed")
