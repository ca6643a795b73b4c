import re

import pytest
from helpers import customer, member, roster, team

from config.roster import RosterError, normalise_source, parse_roster


def east(**overrides):
    """A valid one-team roster document with ``overrides`` written over the team's fields as given."""
    fields = {
        "slack_channel": "C0123456",
        "timezone": "America/New_York",
        "digest_time": "09:00",
        "members": [member("U012ABC", "Dana")],
        "customers": [customer("Jane Doe", company="Acme", owner="U012ABC", revenue=10)],
    }
    return roster(team("East", **{**fields, **overrides}))


@pytest.mark.parametrize(
    "kind, value, expected_target, expected_url",
    [
        pytest.param("bluesky", "@Jane.bsky.social", "jane.bsky.social", "https://bsky.app/profile/jane.bsky.social/rss", id="bluesky-handle"),
        pytest.param("mastodon", "@jane@Mastodon.Social", "@jane@mastodon.social", "https://mastodon.social/@jane.rss", id="mastodon-account"),
        pytest.param("mastodon", "jane@fosstodon.org", "@jane@fosstodon.org", "https://fosstodon.org/@jane.rss", id="mastodon-without-at"),
        pytest.param("rss", "https://acme.example/feed.xml", "https://acme.example/feed.xml", "https://acme.example/feed.xml", id="rss-url"),
        pytest.param("twitter", "@JaneDoe", "janedoe", None, id="twitter-handle"),
        pytest.param("linkedin", "urn:li:organization:42", "urn:li:organization:42", None, id="linkedin-org"),
        pytest.param("substack", "JaneWrites", "janewrites", "https://janewrites.substack.com/feed", id="substack"),
        pytest.param("youtube", "UCabcdefghijklmnopqrstuv", "UCabcdefghijklmnopqrstuv",
                     "https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv", id="youtube"),
    ],
)
def test_source_shorthands_normalise(kind, value, expected_target, expected_url):
    spec = normalise_source(kind, value)
    assert (spec.kind, spec.target, spec.url) == (kind, expected_target, expected_url)


@pytest.mark.parametrize(
    "kind, value, fragment",
    [
        pytest.param("rss", "ftp://acme.example/feed", "not an http(s) URL", id="rss-scheme"),
        pytest.param("twitter", "this handle is way too long", "not an X username", id="twitter-bad"),
        pytest.param("linkedin", "urn:li:person:abc", "organization pages only", id="linkedin-person"),
        pytest.param("mastodon", "jane", "not a Mastodon account", id="mastodon-bad"),
        pytest.param("myspace", "tom", "unknown source kind", id="unknown-kind"),
    ],
)
def test_bad_sources_say_why(kind, value, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        normalise_source(kind, value)


def test_valid_roster_parses_with_defaults():
    parsed = parse_roster(east(timezone=None, digest_time=None)).teams[0]
    assert (parsed.timezone, parsed.digest_time, parsed.top_n) == ("UTC", "09:00", 20)
    assert parsed.customers[0].owner == "U012ABC"


@pytest.mark.parametrize(
    "overrides, expected",
    [
        pytest.param({"timezone": "Mars/Olympus"}, "team 'East', field 'timezone'", id="bad-timezone"),
        pytest.param({"slack_channel": "#general"}, "field 'slack_channel'", id="channel-name-not-id"),
        pytest.param({"digest_time": "9am"}, "field 'digest_time'", id="bad-digest-time"),
        pytest.param({"top_n": 0}, "field 'top_n'", id="top-n-zero"),
        pytest.param({"customers": [{"name": "Jane", "revenue": "lots"}]}, "customer 'Jane', field 'revenue'", id="revenue-text"),
        pytest.param({"customers": [{"name": "Jane", "owner": "U999ZZZ"}]}, "customer 'Jane', field 'owner'", id="owner-not-member"),
        pytest.param({"customers": [{"name": "Jane", "sources": [{"twitter": "a b"}]}]}, "customer 'Jane', field 'sources[0].twitter'", id="bad-source"),
        pytest.param({"customers": [{"name": "Jane"}, {"name": "jane"}]}, "is listed twice", id="duplicate-customer"),
        pytest.param({"customers": [{"company": "Acme"}]}, "field 'name': is required", id="customer-without-name"),
        pytest.param({"customers": [{"name": "Jane Doe"}, {"name": "jane  doe"}]}, "is listed twice", id="duplicate-after-folding-spaces"),
        pytest.param({"customers": [{"name": "Jane", "revenue": float("nan")}]}, "field 'revenue'", id="revenue-nan"),
        pytest.param({"customers": [{"name": "Jane", "revenue": float("inf")}]}, "field 'revenue'", id="revenue-infinite"),
        pytest.param({"timezone": "America"}, "field 'timezone'", id="timezone-is-a-folder"),
        pytest.param({"customers": [{"name": "J" * 201}]}, "longer than 200 characters", id="name-too-long"),
        pytest.param({"customers": [{"name": "Jane", "sources": [{"rss": "https://a.example/" + "x" * 500}]}]},
                     "longer than 500 characters", id="source-too-long"),
        pytest.param({"top-n": 2}, "field 'top-n': is not a known field; did you mean 'top_n'?", id="team-field-typo"),
        pytest.param({"members": [{"slack_user": "U012ABC", "nmae": "Dana"}]}, "field 'members[0].nmae'", id="member-field-typo"),
        pytest.param({"members": [{"slack_user": "dana"}]}, "field 'members[0].slack_user'", id="member-error-names-its-index"),
        pytest.param({"digest_time": 630}, 'must be quoted, like "10:30"', id="unquoted-digest-time"),
        pytest.param({"customers": [{"name": "Jane", "revenu": 5}]}, "did you mean 'revenue'?", id="customer-field-typo"),
    ],
)
def test_problems_name_team_customer_and_field(overrides, expected):
    with pytest.raises(RosterError) as caught:
        parse_roster(east(**overrides))
    assert expected in str(caught.value)
    assert "nothing was imported" in str(caught.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(RosterError) as caught:
        parse_roster(east(timezone="Nowhere", customers=[{"name": "Jane", "revenue": -5}]))
    assert len(caught.value.problems) == 2


def test_unknown_top_level_field_is_refused():
    document = east()
    document["team"] = []
    with pytest.raises(RosterError, match="'team': is not a known top-level field"):
        parse_roster(document)


def test_document_without_teams_is_refused():
    with pytest.raises(RosterError, match="top-level 'teams:' list"):
        parse_roster({"team": []})
