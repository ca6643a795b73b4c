"""Benchmark: one polling pass over 1,000 feeds vs the loop most feed bots run.

Every feed is served by a loopback server that answers each request after 50 ms. The servers run
in a child process (so they do not compete with the poller for the GIL) and count the body bytes
they send, which proves the second pass re-sent nothing.

Real feeds live on many hosts, and the poller allows at most STRONGTIE_POLL_PER_HOST requests at
once per host, so the 1,000 feeds are spread over 50 loopback addresses (127.0.0.2 …; on Linux
each is a distinct host). The output says so.

Run: ``.venv/bin/python bench/bench_poll.py``
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import feedparser  # noqa: E402
from fakes.feeds import FeedServer, Route, rss, sample_items  # noqa: E402

from bench._record import record  # noqa: E402

FEEDS = 1_000
HOSTS = 50
ENTRIES_PER_FEED = 5
DELAY_SECONDS = 0.05


def feed_path(index: int) -> str:
    """The path feed number ``index`` is served at."""
    return f"/feeds/{index}.xml"


def serve(connection) -> None:
    """Child process: one FeedServer per loopback address; answers "stats" until told to "stop"."""
    servers = [FeedServer(host=f"127.0.0.{2 + h}", default_delay=DELAY_SECONDS).__enter__() for h in range(HOSTS)]
    urls = []
    for index in range(FEEDS):
        server = servers[index % HOSTS]
        urls.append(server.add(feed_path(index), Route(body=rss(sample_items(f"feed{index}", ENTRIES_PER_FEED)))))
    connection.send(urls)
    while True:
        command = connection.recv()
        if command == "stop":
            break
        connection.send({
            "requests": sum(sum(s.hits.values()) for s in servers),
            "body_bytes": sum(sum(s.body_bytes.values()) for s in servers),
            "status_200": sum(s.statuses[200] for s in servers),
            "status_304": sum(s.statuses[304] for s in servers),
        })
    for server in servers:
        server.__exit__(None, None, None)


def stats(connection) -> dict[str, int]:
    """The feed servers' counters so far (requests, body bytes, 200s and 304s), from the child process."""
    connection.send("stats")
    return connection.recv()


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    """What each counter grew by between two readings: the traffic of one run."""
    return {key: after[key] - before[key] for key in after}


def seed_sources(runtime, urls: list[str]) -> None:
    """One team, and one customer with one RSS source per URL, so the pass reads every feed."""
    from models.entities import Customer, Source, Team

    with runtime.session() as session:
        team = Team(name="Bench", slack_channel="C0BENCH", top_n=FEEDS)
        session.add(team)
        session.flush()
        customers = [Customer(team_id=team.id, name=f"Customer {i}", name_key=f"customer {i}") for i in range(len(urls))]
        session.add_all(customers)
        session.flush()
        session.add_all(Source(customer_id=c.id, kind="rss", target=url, url=url) for c, url in zip(customers, urls))


def main() -> None:
    """Time the naive loop and two poll passes, print and record the table, fail if a goal is missed."""
    parent, child = multiprocessing.Pipe()
    server_process = multiprocessing.Process(target=serve, args=(child,), daemon=True)
    server_process.start()
    urls: list[str] = parent.recv()

    from bot.jobs.poll import poll_job
    from bot.runtime import Runtime
    from config.settings import load_settings

    try:
        with tempfile.TemporaryDirectory() as scratch:
            settings = replace(load_settings({}), database_url=f"sqlite:///{scratch}/bench.db", allow_private_networks=True)
            runtime = Runtime(settings=settings)
            seed_sources(runtime, urls)

            before = stats(parent)
            started = time.perf_counter()
            naive_entries = sum(len(feedparser.parse(url).entries) for url in urls)
            naive_seconds = time.perf_counter() - started
            naive = delta(stats(parent), before)

            before = stats(parent)
            started = time.perf_counter()
            first = poll_job(runtime)
            first_seconds = time.perf_counter() - started
            first_traffic = delta(stats(parent), before)

            before = stats(parent)
            started = time.perf_counter()
            second = poll_job(runtime, force=True)
            second_seconds = time.perf_counter() - started
            second_traffic = delta(stats(parent), before)
    finally:
        parent.send("stop")
        server_process.join(timeout=10)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    speedup = naive_seconds / first_seconds
    checks = {
        "first pass >= 10x faster than the naive loop": speedup >= 10,
        "first pass stored every entry, no errors": first.new_posts == FEEDS * ENTRIES_PER_FEED and first.errors == 0,
        "second pass all 304, no body re-sent": second.not_modified == FEEDS and second_traffic["body_bytes"] == 0,
        "peak memory < 300 MB": peak_mb < 300,
    }
    markdown = f"""## Polling ({FEEDS:,} feeds)

{FEEDS:,} RSS feeds of {ENTRIES_PER_FEED} entries, each request answered after {DELAY_SECONDS * 1000:.0f} ms by loopback
servers in a separate process. The feeds are spread over {HOSTS} loopback addresses (127.0.0.2-127.0.0.{1 + HOSTS}),
each a distinct host, because the poller allows at most {settings.poll_per_host} requests at once per host
(STRONGTIE_POLL_PER_HOST) and real feeds live on many hosts. Poller settings: concurrency
{settings.poll_concurrency}, SQLite store.

| run | time | requests | body bytes sent | result |
|---|---:|---:|---:|---|
| naive loop, `feedparser.parse(url)` one after another | {naive_seconds:.2f} s | {naive['requests']:,} | {naive['body_bytes']:,} | {naive_entries:,} entries parsed, nothing stored |
| `poll_job`, first pass | {first_seconds:.2f} s | {first_traffic['requests']:,} | {first_traffic['body_bytes']:,} | {first.new_posts:,} posts stored, {first.errors} errors |
| `poll_job`, second pass (`--force`) | {second_seconds:.2f} s | {second_traffic['requests']:,} | {second_traffic['body_bytes']:,} | {second.not_modified:,} not modified (304), {second.new_posts} new |

- First pass speed-up over the naive loop: **{speedup:.1f}x** (goal: at least 10x).
- Second pass: {second_traffic['status_304']:,} of {second_traffic['requests']:,} answers were 304; {second_traffic['body_bytes']:,} feed body bytes re-sent.
- Peak memory of the benchmark process (ru_maxrss, includes the naive loop): **{peak_mb:.0f} MB** (goal: under 300 MB).

| check | |
|---|---|
""" + "\n".join(f"| {name} | {'pass' if ok else 'FAIL'} |" for name, ok in checks.items())
    print(markdown)
    record("poll", markdown)
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
