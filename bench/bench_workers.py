"""Benchmark: 1,000 feeds polled by 1, 2 and 4 ``strongtie worker --burst`` processes on PostgreSQL.

The feeds (50 loopback hosts, each request answered after 50 ms) are the ones of bench_poll.py,
served from a child process that counts requests per feed. Each run gets a fresh PostgreSQL schema,
queues one job per source (``strongtie poll --enqueue``), starts N burst workers at once and times
until the last exits; every source must have been read exactly once. A last run kills one of two
workers (SIGKILL) a third of the way through, both running jobs, and checks that no source is lost: the dead worker's
job is handed back (by a burst worker started after its heartbeat went stale) and every post is
stored once.

Wall time on a shared 2-core machine says as much about the other load as about the workers, so
each run also records the CPU its worker processes used per job (getrusage of the children) and
the CPU the local PostgreSQL server used meanwhile (from /proc: every client's, other helpers'
included), the machine's load average, and what a worker costs to start and stop with nothing to do.

Needs ``STRONGTIE_TEST_POSTGRES_URL`` (or ``STRONGTIE_BENCH_POSTGRES_URL``).
Run: ``STRONGTIE_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_workers.py``
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.feeds import FeedServer, Route, rss, sample_items  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench._record import record  # noqa: E402

FEEDS = 1_000
HOSTS = 50
ENTRIES_PER_FEED = 5
DELAY_SECONDS = 0.05
CONCURRENCY = 8  # jobs at once per worker process
STALLED_SECONDS = 2


def serve(connection) -> None:
    """Child process: the feed servers; answers "hits" (requests per feed) until told to "stop"."""
    servers = [FeedServer(host=f"127.0.0.{2 + h}", default_delay=DELAY_SECONDS).__enter__() for h in range(HOSTS)]
    urls = [servers[i % HOSTS].add(f"/feeds/{i}.xml", Route(body=rss(sample_items(f"feed{i}", ENTRIES_PER_FEED))))
            for i in range(FEEDS)]
    connection.send(urls)
    while (command := connection.recv()) != "stop":
        if command == "reset":
            for server in servers:
                server.hits.clear()
        connection.send([servers[i % HOSTS].hits[f"/feeds/{i}.xml"] for i in range(FEEDS)])
    for server in servers:
        server.__exit__(None, None, None)


def ask(connection, command: str) -> list[int]:
    connection.send(command)
    return connection.recv()


def new_schema(admin, base_url: str) -> str:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    return f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"


def seed(url: str, urls: list[str]) -> None:
    """Migrate, create the queue, and one customer per feed."""
    from dataclasses import replace

    from bot.runtime import Runtime
    from bot.workers.app import install_queue
    from config.settings import Settings
    from models.entities import Customer, Source, Team

    runtime = Runtime(settings=replace(Settings(database_url=url), allow_private_networks=True))
    with runtime.session() as session:
        team = Team(name="Bench", slack_channel="C0BENCH", top_n=FEEDS)
        session.add(team)
        session.flush()
        customers = [Customer(team_id=team.id, name=f"Customer {i}", name_key=f"customer {i}") for i in range(len(urls))]
        session.add_all(customers)
        session.flush()
        session.add_all(Source(customer_id=c.id, kind="rss", target=u, url=u) for c, u in zip(customers, urls))
    install_queue(url)
    runtime.engine.dispose()


def strongtie(url: str, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRONGTIE_", "SLACK_"))}
    env.update(STRONGTIE_DATABASE_URL=url, STRONGTIE_ALLOW_PRIVATE_NETWORKS="1", PYTHONPATH=str(ROOT),
               STRONGTIE_WORKER_STALLED_SECONDS=str(STALLED_SECONDS))
    return subprocess.Popen([sys.executable, "-c", "from bot.cli.main import main; main()", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=900)
    if process.returncode not in (0, -signal.SIGKILL):
        raise SystemExit(f"a worker failed: {err[-2000:]}")


def posts_stored(admin, url: str) -> int:
    schema = url.rsplit("search_path%3D", 1)[1]
    with admin.connect() as connection:
        return connection.scalar(text(f'SELECT count(*) FROM "{schema}".posts'))


def workers_running(admin, url: str) -> int:
    """How many workers run jobs of this run's queue now."""
    schema = url.rsplit("search_path%3D", 1)[1]
    with admin.connect() as connection:
        return connection.scalar(text(f'SELECT count(DISTINCT worker_id) FROM "{schema}".procrastinate_jobs '
                                      "WHERE status = 'doing'"))


def postgres_cpu_seconds() -> float | None:
    """CPU seconds used so far by this machine's PostgreSQL (the server, its live backends, and the
    backends it has reaped), read from /proc; None where PostgreSQL is not a local process."""
    tick = os.sysconf("SC_CLK_TCK")
    total, found = 0, False
    for pid in filter(str.isdigit, os.listdir("/proc")) if os.path.isdir("/proc") else ():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if not stat[stat.index("(") + 1:stat.rindex(")")].startswith("postgres"):
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        user, system, children_user, children_system = map(int, fields[11:15])
        total += user + system
        if fields[1] == "1":  # the server itself: add the backends it has reaped
            total += children_user + children_system
        found = True
    return total / tick if found else None


def children_cpu_seconds() -> float:
    """CPU seconds of the child processes this script has waited for (the workers of a run)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def idle_start(url: str) -> tuple[float, float]:
    """Wall and CPU seconds of a ``strongtie worker --burst`` that finds nothing to do: what a worker
    costs to start and stop, apart from its jobs."""
    cpu, started = children_cpu_seconds(), time.perf_counter()
    finish(strongtie(url, "worker", "--burst"))
    return time.perf_counter() - started, children_cpu_seconds() - cpu


def run(admin, base_url: str, urls: list[str], feeds, workers: int, *, kill: bool = False) -> dict:
    url = new_schema(admin, base_url)
    try:
        seed(url, urls)
        ask(feeds, "reset")
        finish(strongtie(url, "poll", "--enqueue"))
        cpu, database = children_cpu_seconds(), postgres_cpu_seconds()
        started = time.perf_counter()
        processes = [strongtie(url, "worker", "--burst", "--concurrency", str(CONCURRENCY)) for _ in range(workers)]
        requeued_by_late = 0
        if kill:  # once a third is read and both workers run jobs (one slow to start would die with none)
            while sum(hits := ask(feeds, "hits")) < FEEDS and (sum(hits) < FEEDS // 3 or workers_running(admin, url) < workers):
                time.sleep(0.05)
            processes[0].send_signal(signal.SIGKILL)
        for process in processes:
            finish(process)
        hits = ask(feeds, "hits")
        if kill and min(hits) == 0:  # the survivor finished before the victim's heartbeat went stale
            time.sleep(STALLED_SECONDS + 0.5)
            late = strongtie(url, "worker", "--burst")
            out, _ = late.communicate(timeout=300)
            requeued_by_late = int(out.split("; ")[1].split()[0]) if "; " in out else 0
            hits = ask(feeds, "hits")
        seconds = time.perf_counter() - started
        database_after = postgres_cpu_seconds()
        result = {"workers": workers, "seconds": seconds, "hits": hits, "posts": posts_stored(admin, url),
                  "late_requeued": requeued_by_late, "worker_cpu": children_cpu_seconds() - cpu,
                  "database_cpu": None if database is None or database_after is None else database_after - database}
        if not kill:
            result["idle_wall"], result["idle_cpu"] = idle_start(url)
        return result
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{url.rsplit("search_path%3D", 1)[1]}" CASCADE')


def per_job(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000 / FEEDS:.1f}"


def main() -> None:
    base_url = os.environ.get("STRONGTIE_BENCH_POSTGRES_URL") or os.environ.get("STRONGTIE_TEST_POSTGRES_URL")
    if not base_url:
        print("bench_workers skipped: workers need PostgreSQL; set STRONGTIE_TEST_POSTGRES_URL (or STRONGTIE_BENCH_POSTGRES_URL)")
        return
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child,), daemon=True)
    server.start()
    urls: list[str] = parent.recv()
    load_before = os.getloadavg()[0]
    try:
        results = [run(admin, base_url, urls, parent, n) for n in (1, 2, 4)]
        killed = run(admin, base_url, urls, parent, 2, kill=True)
    finally:
        parent.send("stop")
        server.join(timeout=10)
        admin.dispose()
    load_after = os.getloadavg()[0]

    rows = []
    for r in results:
        rate = FEEDS / r["seconds"]
        rows.append(f"| {r['workers']} | {r['seconds']:.1f} | {rate:.0f} | {rate / (FEEDS / results[0]['seconds']):.2f}x | "
                    f"{per_job(r['worker_cpu'])} | {per_job(r['database_cpu'])} | "
                    f"{sum(1 for h in r['hits'] if h == 1)} / {FEEDS} | {r['posts']:,} |")
        print(rows[-1], flush=True)
    checks = {
        "every run read every source exactly once": all(r["hits"] == [1] * FEEDS for r in results),
        "every run stored every post once": all(r["posts"] == FEEDS * ENTRIES_PER_FEED for r in results),
        "killed run: no source lost": min(killed["hits"]) >= 1,
        "killed run: every post stored once": killed["posts"] == FEEDS * ENTRIES_PER_FEED,
    }
    twice = sum(1 for h in killed["hits"] if h > 1)
    late = f", by a burst worker started afterwards ({killed['late_requeued']} job(s))" if killed["late_requeued"] else ""
    idle_wall = sum(r["idle_wall"] for r in results) / len(results)
    idle_cpu = sum(r["idle_cpu"] for r in results) / len(results)
    markdown = f"""## Workers (1,000 feeds, PostgreSQL)

{FEEDS:,} RSS feeds of {ENTRIES_PER_FEED} entries on {HOSTS} loopback hosts, each request answered after
{DELAY_SECONDS * 1000:.0f} ms, queued as one job per source (`strongtie poll --enqueue`) and run by N
`strongtie worker --burst --concurrency {CONCURRENCY}` processes started together; wall time from the
start of the workers to the exit of the last, their start-up included. CPU per job: the worker
processes' own (start-up included), and the PostgreSQL server's over the same time (all its
clients'). Load average (1 min) when the runs began: {load_before:.1f}; when they ended: {load_after:.1f}.

| workers | seconds | sources / s | vs 1 worker | worker CPU ms / job | PostgreSQL CPU ms / job | read exactly once | posts stored |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

A worker that finds nothing to do starts and exits in {idle_wall:.1f} s ({idle_cpu:.1f} s of CPU, nearly
all of it importing Python modules).

Killed mid-pass: of 2 workers, one got SIGKILL after a third of the sources, while both ran jobs;
every source was still read ({twice} read twice: the jobs the dead worker was running, handed back
once its heartbeat was {STALLED_SECONDS} s stale{late}), and {killed['posts']:,} posts were stored,
each once (posts are insert-once), in {killed['seconds']:.1f} s.

One worker runs {CONCURRENCY} jobs at once, and each job's own CPU (procrastinate fetching and
finishing it, the poll planning and storing it through the ORM, the parse) under one interpreter
lock caps it below what the feeds' latency allows: a second process adds throughput while a core
is free. This machine has 2 cores, which the workers share with PostgreSQL, the feed server and
other work: past 2 processes, workers compete for them, and each added one also costs its
start-up; on more cores or machines throughput keeps growing until PostgreSQL or the feeds' hosts
are the limit.

Checks: {"; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks.items())}."""
    print(markdown)
    record("workers", markdown)
    if not all(checks.values()):
        raise SystemExit("a check failed")


if __name__ == "__main__":
    main()
