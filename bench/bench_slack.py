"""Benchmark: 1,000 signed `/tie log` requests, 50 at a time, to `strongtie serve` on loopback.

Goal: p99 ack latency under 100 ms, and every interaction stored exactly once, also when
Slack retries. The server runs as its own process (waitress, the production path) on a SQLite
database; the loopback Slack Web API fake receives the replies (SLACK_API_URL and response URLs).
Two modes, one after the other: one SLACK_BOT_TOKEN, and "Add to Slack" (SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET), where each request's token is looked up in the workspace's encrypted
installation.

Run: ``.venv/bin/python bench/bench_slack.py [--requests N] [--concurrency C] [--retries R] [--modes single,oauth]``.
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

from cryptography.fernet import Fernet  # noqa: E402
from fakes.slack_requests import TEAM_ID  # noqa: E402
from slack_sdk.oauth.installation_store import Installation  # noqa: E402

from bench._record import record  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.slack.installations import SealedInstallationStore  # noqa: E402
from bot.slack.server import DEFAULT_THREADS  # noqa: E402
from config.roster import parse_roster  # noqa: E402
from config.settings import Secret, Settings  # noqa: E402
from models.crypto import SecretBox  # noqa: E402
from models.entities import Interaction  # noqa: E402
from models.store.roster import apply_roster  # noqa: E402

USER = "U0BENCH"
WORKSPACE_TOKEN = "xoxb-bench-workspace-token"
MODE_TITLES = {"single": "one SLACK_BOT_TOKEN", "oauth": "Add to Slack (token per workspace installation)"}
CUSTOMERS = ["Jane Doe", "Omar Haddad", "Lee Chen", "Ana Souza", "Kenji Sato"]
ROSTER = {
    "teams": [{
        "name": "Bench", "slack_channel": "C0BENCH", "timezone": "UTC", "digest_time": "09:00", "workspace": TEAM_ID,
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


def run_fake(ready: multiprocessing.Queue, stop, replies: multiprocessing.Queue, workspace_token: str) -> None:
    """The Web API fake in a process of its own, so serving replies never slows the clients; it
    also accepts ``workspace_token``, the bot token of the bench workspace's OAuth installation."""
    with FakeSlackAPI() as fake:
        fake.workspace_tokens[workspace_token] = TEAM_ID
        ready.put((fake.base_url, fake.token, fake.client_id, fake.client_secret))
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


def install_bench_workspace(runtime: Runtime, client_id: str, secret_key: str) -> None:
    """Store the bench workspace's installation, encrypted, as the OAuth flow would."""
    store = SealedInstallationStore(client_id, runtime.engine, SecretBox(Secret(secret_key)))
    store.save(Installation(app_id="A0STRONGTIE", enterprise_id=None, team_id=TEAM_ID, user_id="U0INSTALLER",
                            bot_token=WORKSPACE_TOKEN, bot_id="B0BOT", bot_user_id="U0BOT", bot_scopes="commands"))


def run_mode(mode: str, args: argparse.Namespace, fake: tuple[str, str, str, str]) -> dict:
    """One run against a fresh database and server in ``mode`` (``single`` or ``oauth``)."""
    fake_url, fake_token, client_id, client_secret = fake
    with tempfile.TemporaryDirectory() as tmp:
        url_db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        runtime = Runtime(settings=Settings(database_url=url_db))
        with runtime.session() as session:
            apply_roster(parse_roster(yaml.safe_load(yaml.safe_dump(ROSTER))), session=session)
        env = {**os.environ, "STRONGTIE_DATABASE_URL": url_db, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": fake_url}
        for name in ("SLACK_APP_TOKEN", "STRONGTIE_CONFIG", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
            env.pop(name, None)
        if mode == "oauth":
            secret_key = Fernet.generate_key().decode()
            install_bench_workspace(runtime, client_id, secret_key)
            env.update(SLACK_CLIENT_ID=client_id, SLACK_CLIENT_SECRET=client_secret, STRONGTIE_SECRET_KEY=secret_key)
        else:
            env["SLACK_BOT_TOKEN"] = fake_token
        process, url = start_server(env)
        local = threading.local()

        def send(item: tuple[bytes, dict[str, str]]) -> tuple[float, int]:
            if not hasattr(local, "client"):
                local.client = Client(url)
            return local.client.post(*item)

        def signed(requests_, retry_num: int | None = None) -> list[tuple[bytes, dict[str, str]]]:
            return [(r.body.encode(), r.signed(retry_num=retry_num)) for r in requests_]

        try:
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                # warm-up: every client's keep-alive connection, the bot's auth.test, the roster cache
                warm = [slash_command("help", user_id=USER, response_base=fake_url) for _ in range(4 * args.concurrency)]
                list(pool.map(send, signed(warm)))
                batch = [slash_command(f"log {CUSTOMERS[n % len(CUSTOMERS)]} call bench note {n}", user_id=USER,
                                       response_base=fake_url) for n in range(args.requests)]
                first, again = signed(batch), signed(batch[: args.retries], retry_num=1)
                started = time.perf_counter()
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

        with runtime.session() as session:
            stored = session.scalar(select(func.count()).select_from(Interaction))
            distinct_notes = session.scalar(select(func.count(func.distinct(Interaction.note))))
        runtime.engine.dispose()
    latencies = [seconds * 1000 for seconds, _ in results]
    return {"mode": mode, "latencies": latencies, "statuses": {status for _, status in results + retried},
            "wall": wall, "drained": drained, "stored": stored, "distinct": distinct_notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--retries", type=int, default=40, help="how many of the requests Slack 'retries'")
    parser.add_argument("--modes", default="single,oauth", help="comma-separated: single (SLACK_BOT_TOKEN), oauth")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if not modes or set(modes) - set(MODE_TITLES):
        parser.error(f"--modes takes a comma-separated list of {', '.join(MODE_TITLES)}")

    load_before = os.getloadavg()[0]
    ready, replies_out, stop = multiprocessing.Queue(), multiprocessing.Queue(), multiprocessing.Event()
    fake_process = multiprocessing.Process(target=run_fake, args=(ready, stop, replies_out, WORKSPACE_TOKEN),
                                           daemon=True)
    fake_process.start()
    fake = ready.get(timeout=30)
    try:
        runs = [run_mode(mode, args, fake) for mode in modes]
    finally:
        stop.set()
    replies = replies_out.get(timeout=30)
    fake_process.join(10)

    expected_replies = args.requests * len(runs)  # one per invocation: a retry of a handled one is not answered again
    rows, ok = [], replies == expected_replies
    for run in runs:
        latencies = run["latencies"]
        p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
        exactly_once = run["stored"] == args.requests == run["distinct"]
        ok = ok and exactly_once and p99 < 100 and run["statuses"] == {200}
        title = MODE_TITLES[run["mode"]]
        print(f"[{title}] {args.requests} /tie log requests, {args.concurrency} concurrent, in {run['wall']:.2f} s "
              f"({args.requests / run['wall']:.0f} req/s); HTTP statuses {sorted(run['statuses'])}")
        print(f"  ack latency ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {max(latencies):.1f}  "
              f"mean {statistics.mean(latencies):.1f}")
        print(f"  interactions stored: {run['stored']} ({run['distinct']} distinct), all work done after "
              f"{run['drained']:.2f} s; goal p99 < 100 ms: {'met' if p99 < 100 else 'MISSED'}; "
              f"exactly once: {'yes' if exactly_once else 'NO'}")
        rows.append(f"| {title} | {p50:.1f} / {p95:.1f} / {p99:.1f} / {max(latencies):.1f} ms | "
                    f"{args.requests / run['wall']:.0f} requests/s | {run['stored']} ({run['distinct']} distinct) | "
                    f"{run['drained']:.2f} s |")
    print(f"replies sent: {replies}/{expected_replies}")
    table = "\n".join(rows)
    record("slack", f"""## Slack app (HTTP mode)

`bench/bench_slack.py`: `strongtie serve` (waitress, {DEFAULT_THREADS} threads) in its own process on SQLite;
{args.requests} signed `/tie log` requests from {args.concurrency} concurrent clients on loopback,
then {args.retries} of them again as Slack retries (`X-Slack-Retry-Num`). Replies go to the loopback
Web API fake (its own process) through each command's response URL. Clients use keep-alive
connections, opened during a warm-up of `/tie help` requests; requests are signed just before the run. Each mode runs on a fresh database and server:
with one `SLACK_BOT_TOKEN`, and with "Add to Slack" (`SLACK_CLIENT_ID`, `SLACK_CLIENT_SECRET`), where
every request is authorized with its workspace's bot, read from the encrypted installation
(`STRONGTIE_SECRET_KEY`) through a 30-second cache, its token checked by `auth.test` once.

| mode | ack latency p50 / p95 / p99 / max (goal: p99 < 100 ms) | throughput of acks | interactions stored for {args.requests} requests + {args.retries} retries (exactly {args.requests}) | all logged and rescored after |
|---|---|---|---|---|
{table}

Replies sent through response URLs (one per invocation; retries get no second one): {replies} of {expected_replies}.
Load average of the machine when the run began: {load_before:.1f} (other work on the machine slows
the acks: compare runs on a quiet machine).
""")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
