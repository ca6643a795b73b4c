"""`strongtie run` logs one INFO line per job run (poll: sources, new posts, 304s, errors; score …)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from bot import scheduler


def test_each_step_of_a_cycle_logs_one_info_line(make_runtime, monkeypatch, caplog):
    monkeypatch.setitem(scheduler._active, "scheduler", SimpleNamespace(runtime=make_runtime(), holds_lease=lambda: True))
    monkeypatch.setattr(scheduler, "POLL_CYCLE_STEPS", ("bot.jobs.poll:poll_job", "bot.jobs.score:score_job",
                                                        "bot.jobs.suggest:suggest_job"))
    with caplog.at_level(logging.INFO, logger="bot.scheduler"):
        scheduler.run_poll_cycle()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.scheduler" and r.levelno == logging.INFO]
    assert lines == ["poll: 0 sources, 0 new posts, 0 not modified (304), 0 errors in " + lines[0].split(" in ")[-1],
                     "score: 0 relationships scored, 0 at risk, 0 stage changes stored",
                     "suggest: 0 new suggestions"]
