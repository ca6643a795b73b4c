"""Which connector reads which source kind, built from the settings."""

from __future__ import annotations

from typing import Mapping

from config.settings import Settings
from config.vocabulary import FEED_KINDS
from connectors.base import Connector
from connectors.bluesky import BlueskyConnector
from connectors.feeds import FeedConnector
from connectors.http import HttpClient, HttpLimits
from connectors.linkedin import LinkedInConnector
from connectors.mastodon import MastodonConnector
from connectors.metering import Metering
from connectors.twitter import XConnector


def build_connectors(settings: Settings) -> Mapping[str, Connector]:
    """One connector per source kind; X and LinkedIn skip their sources when no token is set;
    Bluesky and Mastodon are read through their public APIs, their RSS feeds the fall back.
    Every fetch, of any kind, has one total deadline: ``poll_fetch_timeout_seconds``."""
    deadline = settings.poll_fetch_timeout_seconds
    limits = HttpLimits.within(deadline)
    feeds = FeedConnector(HttpClient(allow_private=settings.allow_private_networks, limits=limits, pool_size=settings.poll_concurrency))
    connectors: dict[str, Connector] = {kind: feeds for kind in FEED_KINDS}
    x = XConnector(
        bearer_token=settings.x_bearer_token.get(),
        api_url=settings.twitter_api_url,
        pool_size=settings.poll_concurrency,
        timeout=(limits.connect_timeout, limits.read_timeout),
        total_timeout=deadline,
        metering=Metering(price_per_unit_usd=settings.x_price_per_post_usd, monthly_budget_usd=settings.x_monthly_budget_usd),
    )
    linkedin = LinkedInConnector(
        access_token=settings.linkedin_access_token.get(),
        api_url=settings.linkedin_api_url,
        timeout=(limits.connect_timeout, limits.read_timeout),
        total_timeout=deadline,
    )
    http = feeds.http  # the same bounded, URL-checked client: an account's server is a roster-given host
    bluesky = BlueskyConnector(http, api_url=settings.bluesky_api_url, feeds=feeds)
    mastodon = MastodonConnector(http, api_url=settings.mastodon_api_url or None, feeds=feeds)
    connectors.update({x.kind: x, linkedin.kind: linkedin, bluesky.kind: bluesky, mastodon.kind: mastodon})
    return connectors


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """The secret values no stored message may contain."""
    return (settings.x_bearer_token.get(), settings.linkedin_access_token.get())


def metered_connectors(connectors: Mapping[str, Connector]) -> dict[str, Connector]:
    """The connectors whose reads are billed, by the provider that bills them (one per provider)."""
    return {c.metered_provider: c for c in connectors.values() if c.metered_provider}
