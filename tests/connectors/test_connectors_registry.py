"""Every source kind the roster accepts has a connector, and the feed kinds share the feed reader;
Bluesky and Mastodon are read through their APIs, with that same feed reader as their fall back."""

from dataclasses import replace

from config.settings import Settings
from config.vocabulary import FEED_KINDS, SOURCE_KINDS
from connectors.bluesky import BlueskyConnector
from connectors.feeds import FeedConnector
from connectors.mastodon import MastodonConnector
from connectors.registry import build_connectors

API_READ_FEEDS = {"bluesky", "mastodon"}


def test_every_roster_kind_has_a_connector_and_feeds_share_one():
    connectors = build_connectors(Settings())
    assert set(connectors) == set(SOURCE_KINDS)
    plain_feeds = set(FEED_KINDS) - API_READ_FEEDS
    feed_readers = {id(connectors[kind]) for kind in plain_feeds}
    assert len(feed_readers) == 1 and isinstance(connectors[next(iter(plain_feeds))], FeedConnector)
    assert not any(isinstance(connectors[kind], FeedConnector) for kind in set(SOURCE_KINDS) - plain_feeds)


def test_bluesky_and_mastodon_read_their_apis_and_fall_back_on_the_shared_feed_reader():
    connectors = build_connectors(Settings())
    bluesky, mastodon, feeds = connectors["bluesky"], connectors["mastodon"], connectors["rss"]
    assert isinstance(bluesky, BlueskyConnector) and isinstance(mastodon, MastodonConnector)
    assert bluesky.feeds is feeds and mastodon.feeds is feeds and bluesky.http is feeds.http
    assert bluesky.api_url == "https://public.api.bsky.app"
    assert mastodon.api_url is None  # each account is read on its own server


def test_the_api_base_urls_are_settings():
    settings = replace(Settings(), bluesky_api_url="http://127.0.0.1:9/", mastodon_api_url="http://127.0.0.1:8")
    connectors = build_connectors(settings)
    assert connectors["bluesky"].api_url == "http://127.0.0.1:9"
    assert connectors["mastodon"].api_url == "http://127.0.0.1:8"
