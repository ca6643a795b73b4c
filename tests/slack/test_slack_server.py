"""The real WSGI app on waitress over loopback: signed requests in, acks out, work done once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from fakes.slack_requests import SIGNING_SECRET, slash_command
from fakes.slack_world import DANA, count
from helpers import eventually

from bot.slack.app import build_app
from bot.slack.server import SlackHTTPServer
from models.entities import Interaction


@pytest.fixture
def listener_pool():
    """The pool the app's lazy listeners run on; ``shutdown(wait=True)`` waits for all work submitted."""
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lazy")
    yield pool
    pool.shutdown(wait=True)


@pytest.fixture
def server(runtime, listener_pool):
    srv = SlackHTTPServer(build_app(runtime, listener_executor=listener_pool), signing_secret=SIGNING_SECRET,
                          host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=srv.serve, daemon=True)
    thread.start()
    yield srv
    srv.stop()
    thread.join(10)
    assert not thread.is_alive()


def post(server, request, *, unsigned: bool = False, **sign):
    headers = {"Content-Type": request.content_type} if unsigned else request.signed(**sign)
    return requests.post(server.url, data=request.body.encode(), headers=headers, timeout=10)


def test_a_signed_command_is_acked_then_done_once_and_answered_once_even_when_retried(
        server, runtime, fake_slack, listener_pool):
    request = slash_command("log Jane Doe call over http", user_id=DANA, response_base=fake_slack.base_url)
    response = post(server, request)
    assert response.status_code == 200 and response.text == ""
    assert eventually(lambda: len(fake_slack.calls_to("respond")) == 1, timeout=30)
    assert post(server, request, retry_num=1).status_code == 200
    assert post(server, request, retry_num=2).status_code == 200
    listener_pool.shutdown(wait=True)  # the retries' lazy work has run
    assert count(runtime, Interaction) == 1
    [reply] = fake_slack.calls_to("respond")  # Slack already has the answer: no second one
    assert "Logged a call with *Jane Doe*" in reply.args["text"]


def test_the_ack_goes_out_before_slow_work_and_the_reply_after_it(server, runtime, fake_slack, monkeypatch):
    from bot.jobs import score

    rescoring, release = threading.Event(), threading.Event()
    real_rescore = score.rescore_customers

    def slow_rescore(*args, **kwargs):
        rescoring.set()
        assert release.wait(30), "the test never let the rescore finish"
        return real_rescore(*args, **kwargs)

    monkeypatch.setattr(score, "rescore_customers", slow_rescore)
    request = slash_command("log Jane Doe call slow day", user_id=DANA, response_base=fake_slack.base_url)
    response = post(server, request)  # returns while the rescore is still held back
    assert response.status_code == 200 and response.text == ""
    assert rescoring.wait(10)  # the work started after the ack...
    assert fake_slack.calls_to("respond") == []  # ...and has not answered yet
    release.set()
    assert eventually(lambda: len(fake_slack.calls_to("respond")) == 1, timeout=30)
    assert "Logged a call with *Jane Doe*" in fake_slack.calls_to("respond")[0].args["text"]


@pytest.mark.parametrize("how", [pytest.param(how, id=how) for how in ("forged", "stale", "unsigned")])
def test_unverified_requests_get_401_over_http(server, runtime, fake_slack, how):
    request = slash_command("log Jane Doe call", user_id=DANA, response_base=fake_slack.base_url)
    sign = {"forged": {"secret": "wrong"}, "stale": {"timestamp": int(time.time()) - 301}, "unsigned": {"unsigned": True}}[how]
    assert post(server, request, **sign).status_code == 401
    # A genuine request afterwards: once its reply is out, a wrongly accepted one would have been too.
    post(server, slash_command("log Jane Doe email", user_id=DANA, response_base=fake_slack.base_url))
    assert eventually(lambda: len(fake_slack.calls_to("respond")) >= 1, timeout=30)
    assert count(runtime, Interaction) == 1 and len(fake_slack.calls_to("respond")) == 1


def test_concurrent_commands_are_each_stored_once(server, runtime, fake_slack):
    requests_ = [slash_command(f"log Omar Haddad email note {n}", user_id=DANA, response_base=fake_slack.base_url)
                 for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda r: post(server, r).status_code, requests_))
    assert statuses == [200] * 20
    assert eventually(lambda: len(fake_slack.calls_to("respond")) == 20, timeout=30)
    assert count(runtime, Interaction) == 20


def test_health_check_and_unknown_paths(server):
    base = server.url.removesuffix("/slack/events")
    assert requests.get(f"{base}/healthz", timeout=5).json() == {"ok": True}
    assert requests.get(server.url, timeout=5).status_code == 404
    assert requests.post(f"{base}/elsewhere", data=b"x", timeout=5).status_code == 404
