"""I/O adapters that read what customers publish: feeds, X and LinkedIn.

A connector takes a source and its cursor and returns records plus the next cursor; it never
touches the database or Slack (see ``connectors.base`` and docs/connectors.md).
"""
