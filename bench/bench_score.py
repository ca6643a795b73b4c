"""Benchmark: score 20,000 relationships with 1,000,000 interactions on SQLite.

Goals: under 10 s and under 500 MB for the whole scoring pass, loading from the store
included; one incremental rescore after a new interaction in milliseconds.

Run: ``.venv/bin/python bench/bench_score.py [--relationships N] [--interactions M]``.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from bench._record import record  # noqa: E402
from bot.jobs.score import relationship_statuses, rescore_customer
from config.scoring import ScoringParams  # noqa: E402
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS
from models.base import make_engine, make_sessionmaker, session_scope  # noqa: E402
from models.entities import Customer, Interaction, Member, Team  # noqa: E402
from models.schema import migrate  # noqa: E402
from models.store.customers import tracked_customers
from models.store.interactions import load_touches

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
HISTORY_DAYS = 730
KINDS = [k for k in INTERACTION_KINDS if k != "note"]


def populate(url: str, relationships: int, interactions: int, seed: int = 7) -> None:
    """Bulk-insert teams of 20 customers and randomly timed interactions (Core executemany)."""
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate(engine)
    teams = max(1, relationships // 20)
    with engine.begin() as connection:
        connection.execute(insert(Team), [{"id": t + 1, "name": f"Team {t}", "slack_channel": "C0",
                                           "timezone": "UTC", "digest_time": "09:00", "top_n": 20}
                                          for t in range(teams)])
        connection.execute(insert(Member), [{"id": t + 1, "team_id": t + 1, "slack_user": f"U{t}", "name": f"M {t}",
                                             "active": True} for t in range(teams)])
        connection.execute(insert(Customer), [{"id": c + 1, "team_id": c % teams + 1, "name": f"Customer {c}",
                                               "name_key": f"customer {c}", "company": "Co", "owner_id": c % teams + 1,
                                               "revenue": 1000.0, "revenue_rank": c // teams + 1, "tracked": True,
                                               "in_roster": True} for c in range(relationships)])
        batch = []
        start = AS_OF - timedelta(days=HISTORY_DAYS)
        for _ in range(interactions):
            batch.append({"customer_id": rng.randrange(relationships) + 1, "kind": rng.choice(KINDS),
                          "direction": rng.choice(DIRECTIONS), "note": "", "origin": "import",
                          "occurred_at": start + timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400))})
            if len(batch) == 50_000:
                connection.execute(insert(Interaction), batch)
                batch.clear()
        if batch:
            connection.execute(insert(Interaction), batch)
    engine.dispose()


def main() -> None:
    """Generate the data in a child process, score it ``--repeat`` times, print the figures and
    record them in docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relationships", type=int, default=20_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="score this many times; report the best run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        began = time.perf_counter()
        # a child process generates the data, so this process's peak memory is the scoring's own
        child = multiprocessing.get_context("spawn").Process(target=populate, args=(url, args.relationships, args.interactions))
        child.start()
        child.join()
        print(f"generated {args.relationships:,} relationships, {args.interactions:,} interactions "
              f"in {time.perf_counter() - began:.1f} s")
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        params = ScoringParams()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load = os.getloadavg()[0]  # the machine is shared: other processes' load shows in the wall clock
        runs = []  # (wall, cpu) per repetition: the machine is shared, so the best run is reported
        for _ in range(args.repeat):
            began, cpu_began = time.perf_counter(), time.process_time()
            with session_scope(sessions) as session:
                statuses = relationship_statuses(session=session, as_of=AS_OF, params=params)
            runs.append((time.perf_counter() - began, time.process_time() - cpu_began))
        elapsed, cpu = min(runs)
        median = sorted(wall for wall, _ in runs)[len(runs) // 2]
        with session_scope(sessions) as session:  # the load alone, as scoring does it (cyclic GC paused)
            gc.disable()
            began = time.perf_counter()
            customers = tracked_customers(session=session)
            load_touches([c.id for c in customers], session=session, until=AS_OF)
            loading = time.perf_counter() - began
            gc.enable()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stages: dict[str, int] = {}
        for s in statuses:
            stages[s.stage] = stages.get(s.stage, 0) + 1
        began = time.perf_counter()
        with session_scope(sessions) as session:
            session.execute(insert(Interaction), [{"customer_id": 1, "kind": "meeting", "direction": "mutual",
                                                   "note": "", "origin": "bench", "occurred_at": AS_OF}])
            status = rescore_customer(1, session=session, as_of=AS_OF, params=params)
        rescore_ms = (time.perf_counter() - began) * 1000
        engine.dispose()
    per_relationship = args.interactions / args.relationships
    verdict = ("within the goals" if median < 10 and rss_after < 500 else
               f"within the goals at best, but the median run took {median:.1f} s (machine load average {load:.1f} "
               f"on {os.cpu_count()} CPUs)" if elapsed < 10 and rss_after < 500 else
               f"over the 10 s goal on this run ({cpu:.1f} s of CPU while the machine's load average was "
               f"{load:.1f} on {os.cpu_count()} CPUs)" if rss_after < 500 else "over the memory goal")
    markdown = f"""## Scoring (tie-strength model)

`bench/bench_score.py`: {args.relationships:,} relationships, {args.interactions:,} interactions
(about {per_relationship:.0f} each, spread over {HISTORY_DAYS} days) in SQLite; `relationship_statuses`
loads them from the store and replays every relationship's full stage path.

| measure | result | goal |
|---|---|---|
| score all relationships (load + model), wall clock, best of {len(runs)} | {elapsed:.2f} s | < 10 s |
| the same run, CPU time of the process | {cpu:.2f} s | |
| median wall clock of the {len(runs)} runs | {median:.2f} s | |
| load average of the machine (1 min) before the runs, on {os.cpu_count()} CPUs | {load:.2f} | |
| of which loading the interactions from SQLite (measured separately) | {loading:.2f} s | |
| peak memory of the scoring process (RSS; {rss_before:.0f} MB before scoring) | {rss_after:.0f} MB | < 500 MB |
| rescore one relationship after a new interaction (load, replay, store, commit) | {rescore_ms:.1f} ms | instant |

Verdict: {verdict}. Interaction kinds and directions are drawn uniformly at random, a stress case
(a fifth of them purchases, referrals, intros or trials, long random silences that keep the risk
checks busy), which is also why nearly every relationship ends up a strong tie.
Stages found: {", ".join(f"{k} {v:,}" for k, v in sorted(stages.items()))}; the rescored relationship: {status.stage}, {status.score:.0f}.
"""
    print(markdown)
    record("score", markdown)


if __name__ == "__main__":
    main()
