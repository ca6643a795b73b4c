"""Benchmark: 400 signed `/tie log` requests, 20 at a time, to `strongtie serve` on loopback.

Goal: p99 ack latency under 100 ms, and every interaction stored exactly once, also when
Slack retries. The server runs as its own process (waitress, the production path) on a SQLite
database; the loopback Slack Web API fake receives the replies (SLACK_API_URL and response URLs).

Run: ``.venv/bin/python bench/bench_slack.py [--requests N] [--concurrency C] [--retries R]``.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import yaml  # noqa: E402
from fakes.slack_api import FakeSlackAPI  # noqa: E402
from fakes.slack_requests import SIGNING_SECRET, slash_command  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench._record import record  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.slack.server import DEFAULT_THREADS
from config.roster import parse_roster  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.entities import Interaction  # noqa: E402
from models.store.roster import apply_roster

USER = "U0BENCH"
CUSTOMERS = ["Jane Doe", "Omar Haddad", "Lee Chen", "Ana Souza", "Kenji Sato"]
ROSTER = {
    "teams": [{
        "name": "Bench", "slack_channel": "C0BENCH", "timezone": "UTC", "digest_time": "09:00",
        "members": [{"slack_user": USER, "name": "Bench Manager"}],
        "customers": [{"name": name, "company": f"Company {i}", "owner": USER, "revenue": 100000 - i}
                      for i, name in enumerate(CUSTOMERS)],
    }]
}


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`strongtie serve` on a free loopback port; returns the process and its /slack/events URL."""
    command = [sys.executable, "-c", "from bot.cli.main import main; main()", "serve", "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(command, env=env, text=True, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    while True:
        line = lines.get(timeout=60)
        if "serving Slack at " in line:
            return process, line.rsplit(" ", 1)[-1].strip()


def run_fake(ready: multiprocessing.Queue, stop, replies: multiprocessing.Queue) -> None:
    """The Web API fake in a process of its own, so serving replies never slows the clients."""
    with FakeSlackAPI() as fake:
        ready.put((fake.base_url, fake.token))
        stop.wait()
        replies.put(len(fake.calls_to("respond")))


class Client:
    """One keep-alive connection per client thread (http.client: light enough not to skew timings)."""

    def __init__(self, url: str) -> None:
        parsed = urlsplit(url)
        self.path = parsed.path
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[float, int]:
        started = time.perf_counter()
        self.connection.request("POST", self.path, body=body, headers=headers)
        response = self.connection.getresponse()
        response.read()
        return time.perf_counter() - started, response.status


def stored_count(runtime: Runtime) -> int:
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(Interaction))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--retries", type=int, default=40, help="how many of the requests Slack 'retries'")
    args = parser.parse_args()

    ready, replies_out, stop = multiprocessing.Queue(), multiprocessing.Queue(), multiprocessing.Event()
    fake_process = multiprocessing.Process(target=run_fake, args=(ready, stop, replies_out), daemon=True)
    fake_process.start()
    fake_url, fake_token = ready.get(timeout=30)
    with tempfile.TemporaryDirectory() as tmp:
        url_db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        runtime = Runtime(settings=Settings(database_url=url_db))
        with runtime.session() as session:
            apply_roster(parse_roster(yaml.safe_load(yaml.safe_dump(ROSTER))), session=session)
        env = {**os.environ, "STRONGTIE_DATABASE_URL": url_db, "SLACK_BOT_TOKEN": fake_token,
               "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_url}
        env.pop("SLACK_APP_TOKEN", None)
        env.pop("STRONGTIE_CONFIG", None)
        process, url = start_server(env)
        local = threading.local()

        def send(item: tuple[bytes, dict[str, str]]) -> tuple[float, int]:
            if not hasattr(local, "client"):
                local.client = Client(url)
            return local.client.post(*item)

        def signed(requests_, retry_num: int | None = None) -> list[tuple[bytes, dict[str, str]]]:
            return [(r.body.encode(), r.signed(retry_num=retry_num)) for r in requests_]

        try:
            # warm-up: connections, the bot's auth.test, the roster cache
            for item in signed([slash_command("help", user_id=USER, response_base=fake_url) for _ in range(5)]):
                send(item)
            batch = [slash_command(f"log {CUSTOMERS[n % len(CUSTOMERS)]} call bench note {n}", user_id=USER,
                                   response_base=fake_url) for n in range(args.requests)]
            first, again = signed(batch), signed(batch[: args.retries], retry_num=1)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                results = list(pool.map(send, first))
                wall = time.perf_counter() - started
                retried = list(pool.map(send, again))
            deadline = time.monotonic() + 180
            while stored_count(runtime) < args.requests and time.monotonic() < deadline:
                time.sleep(0.2)
            drained = time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGTERM)  # lets queued listener work finish before exiting
            process.wait(timeout=120)
            stop.set()
        replies = replies_out.get(timeout=30)
        fake_process.join(10)

        with runtime.session() as session:
            stored = session.scalar(select(func.count()).select_from(Interaction))
            distinct_notes = session.scalar(select(func.count(func.distinct(Interaction.note))))
        runtime.engine.dispose()

    latencies = [seconds * 1000 for seconds, _ in results]
    statuses = {status for _, status in results + retried}
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    exactly_once = stored == args.requests == distinct_notes
    expected_replies = args.requests  # one per invocation: a retry of a handled one is not answered again
    print(f"{args.requests} /tie log requests, {args.concurrency} concurrent, in {wall:.2f} s "
          f"({args.requests / wall:.0f} req/s); HTTP statuses {sorted(statuses)}")
    print(f"ack latency ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {max(latencies):.1f}  "
          f"mean {statistics.mean(latencies):.1f}")
    print(f"{args.retries} retries (X-Slack-Retry-Num) of those requests; interactions stored: {stored} "
          f"({distinct_notes} distinct), replies sent: {replies}/{expected_replies}, all work done after {drained:.2f} s")
    print(f"goal p99 < 100 ms: {'met' if p99 < 100 else 'MISSED'}; exactly once: {'yes' if exactly_once else 'NO'}")
    record("slack", f"""## Slack app (HTTP mode)

`bench/bench_slack.py`: `strongtie serve` (waitress, {DEFAULT_THREADS} threads) in its own process on SQLite;
{args.requests} signed `/tie log` requests from {args.concurrency} concurrent clients on loopback,
then {args.retries} of them again as Slack retries (`X-Slack-Retry-Num`). Replies go to the loopback
Web API fake (its own process) through each command's response URL. Clients use keep-alive
connections; requests are signed just before the run.

| measure | result | goal |
|---|---|---|
| ack latency p50 / p95 / p99 / max | {p50:.1f} / {p95:.1f} / {p99:.1f} / {max(latencies):.1f} ms | p99 < 100 ms |
| interactions stored for {args.requests} requests + {args.retries} retries | {stored} ({distinct_notes} distinct) | exactly {args.requests} |
| throughput of acks | {args.requests / wall:.0f} requests/s | |
| all logged and rescored | {drained:.2f} s after the first request | |
| replies sent through response URLs (one per invocation; retries get no second one) | {replies} of {expected_replies} | every request answered once |
""")
    if not (exactly_once and p99 < 100 and statuses == {200} and replies == expected_replies):
        sys.exit(1)


if __name__ == "__main__":
    main()
