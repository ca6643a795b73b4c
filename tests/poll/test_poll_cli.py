"""``strongtie poll`` and ``strongtie sources --json`` as an engineer runs them."""

from __future__ import annotations

import json

from fakes.feeds import FeedServer, Route, rss, sample_items

#: The fields every `sources --json` record carries, whatever else is added.
HEALTH_FIELDS = {"id", "customer", "team", "kind", "target", "last_polled_at", "last_status", "last_error", "posts"}


def test_poll_prints_a_one_line_summary_and_sources_show_health(cli, add_sources, monkeypatch):
    monkeypatch.setenv("STRONGTIE_ALLOW_PRIVATE_NETWORKS", "1")
    with FeedServer() as server:
        good = server.add("/good.xml", Route(body=rss(sample_items("g", 2))))
        missing = server.url("/missing.xml")
        add_sources(("rss", good, good), ("rss", missing, missing), ("twitter", "janedoe", None))

        result = cli("poll")
        assert result.exit_code == 0
        assert "Polled 3 sources: 2 new posts, 0 not modified (304), 1 error" in result.output
        assert "1 skipped" in result.output  # X without a token: skipped, not an error storm

        again = cli("poll", "--force")
        assert "not modified (304)" in again.output and "0 new posts" in again.output

    rows = json.loads(cli("sources", "--json").output)
    assert all(HEALTH_FIELDS <= set(row) for row in rows)
    by_target = {row["target"]: row for row in rows}
    assert by_target[good]["last_status"] == "not_modified" and by_target[good]["posts"] == 2
    assert "404" in by_target[missing]["last_error"]
    assert by_target["janedoe"]["last_status"] == "skipped"
    assert "X_BEARER_TOKEN is not set" in by_target["janedoe"]["last_error"]
    assert by_target["janedoe"]["api_month_spend_usd"] == 0
    assert by_target[good]["api_month_spend_usd"] is None

    listing = cli("sources").output
    assert "X spend this month: $0.00 (no budget cap set)." in listing  # an X source is listed
    assert listing.count("spend this month") == 1  # and X is the only metered network

    posts = json.loads(cli("posts", "--json").output)
    assert sorted(p["title"] for p in posts) == ["g post 0", "g post 1"]
    assert all("<" not in p["text"] for p in posts)
