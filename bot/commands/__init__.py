"""One module per command group; each exposes ``register(cli)``."""

from bot.commands import (
    demo,
    interactions,
    scoring,
    setup,
    slack,
    sources,
    suggestions,
)

COMMAND_MODULES = (setup, sources, interactions, scoring, suggestions, slack, demo)
