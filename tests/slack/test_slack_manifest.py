"""The manifest a user pastes describes the app the code serves."""

from pathlib import Path

import yaml

from bot.slack.listeners.tie import COMMAND, HANDLERS
from bot.slack.server import SLACK_EVENTS_PATH

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "slack-manifest.yaml").read_text())


def test_every_request_url_points_at_the_one_events_path():
    urls = [MANIFEST["settings"]["event_subscriptions"]["request_url"], MANIFEST["settings"]["interactivity"]["request_url"]]
    urls += [command["url"] for command in MANIFEST["features"]["slash_commands"]]
    assert urls and all(url == f"https://YOUR-HOST{SLACK_EVENTS_PATH}" for url in urls)


def test_the_slash_command_and_its_usage_hint_match_the_subcommands():
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert all(name in command["usage_hint"] for name in [*HANDLERS, "help"])


def test_home_tab_events_interactivity_and_scopes():
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened", "message.channels", "message.groups", "channel_shared", "channel_unshared",
        "app_uninstalled", "tokens_revoked"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {"commands", "chat:write", "im:write", "files:write",
                                                                "channels:history", "groups:history", "im:history",
                                                                "channels:read", "groups:read"}  # least privilege: only what the code uses
    assert MANIFEST["settings"]["socket_mode_enabled"] is False
    assert 174 <= len(MANIFEST["display_information"]["long_description"]) <= 4000
