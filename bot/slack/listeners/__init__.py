"""Slack listeners, one small module per surface; each module of ``LISTENER_MODULES`` exposes
``register(app, runtime)``. ``common`` (the acting member, scoped look-ups, request keys) and
``formatting`` (the text the listeners show) are helpers they share, and register nothing."""

from bot.slack.listeners import actions, home, log_modal, tie
from bot.slack.listeners import messages  # Slack Connect: channel messages count as contact
from bot.slack.listeners import connections  # App Home: connect a calendar

LISTENER_MODULES = (tie, actions, home, log_modal, messages, connections)
