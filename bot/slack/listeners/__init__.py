"""Slack listeners, one small module each; every module exposes ``register(app, runtime)``."""

from bot.slack.listeners import actions, home, tie

LISTENER_MODULES = (tie, actions, home)
