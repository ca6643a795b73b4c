"""Every source kind the roster accepts has a connector, and the feed kinds share the feed reader."""

from config.settings import Settings
from config.vocabulary import FEED_KINDS, SOURCE_KINDS
from connectors.feeds import FeedConnector
from connectors.registry import build_connectors


def test_every_roster_kind_has_a_connector_and_feeds_share_one():
    connectors = build_connectors(Settings())
    assert set(connectors) == set(SOURCE_KINDS)
    feed_readers = {id(connectors[kind]) for kind in FEED_KINDS}
    assert len(feed_readers) == 1 and isinstance(connectors[next(iter(FEED_KINDS))], FeedConnector)
    assert not any(isinstance(connectors[kind], FeedConnector) for kind in set(SOURCE_KINDS) - set(FEED_KINDS))
