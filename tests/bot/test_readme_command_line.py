"""README's "## Command line" section documents every command and option ``strongtie --help`` (and
each subcommand's ``--help``) offers, and nothing strongtie does not have: the table gets a row per
command, showing its options and saying what it does; the options of ``strongtie`` itself are
documented anywhere in the section."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli.main import main

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass(frozen=True)
class CliCommand:
    path: tuple[str, ...]  # ("interactions", "import"); () is strongtie itself
    options: tuple[str, ...]  # every spelling --help shows ("-v", "--verbose")
    needs_row: bool  # False for a group that only holds subcommands (``roster``)

    @property
    def name(self) -> str:
        return " ".join(("strongtie", *self.path))


def cli_commands() -> list[CliCommand]:
    """Every command of ``bot.cli.main:main``, found by walking the click group, with the options its
    ``--help`` lists. ``-h``/``--help`` counts for strongtie itself only: every command has it."""
    found: list[CliCommand] = []

    def walk(command: click.Command, ctx: click.Context, path: tuple[str, ...]) -> None:
        options: list[str] = []
        for param in command.get_params(ctx):
            if not isinstance(param, click.Option) or param.hidden:
                continue
            names = [*param.opts, *param.secondary_opts]
            if path and set(names) <= set(ctx.help_option_names):
                continue
            options += names
        is_group = isinstance(command, click.Group)
        own = [o for o in options if o not in ctx.help_option_names]
        needs_row = not is_group or bool(command.invoke_without_command) or bool(own)
        found.append(CliCommand(path, tuple(options), needs_row))
        if is_group:
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, click.Context(sub, info_name=name, parent=ctx, **sub.context_settings), (*path, name))

    walk(main, click.Context(main, info_name="strongtie", **main.context_settings), ())
    return found


def command_line_section(text: str) -> str:
    """README's "## Command line" section, up to the next "## " heading."""
    start = text.index("\n## Command line\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


def mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def table_rows(section: str, paths: set[tuple[str, ...]]) -> list[tuple[tuple[str, ...], str, str]]:
    """(command path, usage, what it does) for each ``| `strongtie …` | … |`` row; the path is the
    longest command path the usage starts with, () when it names no command strongtie has."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `strongtie"):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        usage, does = cells[0].strip("`").replace("\\|", "|"), (cells[1] if len(cells) > 1 else "")
        words = usage.split()[1:]
        path = max((p for p in paths if p and tuple(words[:len(p)]) == p), key=len, default=())
        rows.append((path, usage, does))
    return rows


def undocumented(section: str, commands: list[CliCommand]) -> list[str]:
    """What the section fails to document, or documents that strongtie does not have."""
    by_path = {command.path: command for command in commands}
    rows = table_rows(section, set(by_path))
    problems = []
    for path, usage, does in rows:
        if not path:
            problems.append(f"the table has a row for a command strongtie does not have: {usage}")
            continue
        command = by_path[path]
        for option in re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", usage):
            if option not in command.options:
                problems.append(f"{command.name}: the table shows {option}, which it does not have")
    documented = {path: (usage, does) for path, usage, does in rows}
    for command in commands:
        if not command.path:
            problems += [f"strongtie: {option} is not documented" for option in command.options
                         if not mentions(section, option)]
            continue
        if command.path not in documented:
            if command.needs_row:
                problems.append(f"{command.name}: no row in the commands table")
            continue
        usage, does = documented[command.path]
        problems += [f"{command.name}: {option} is not documented" for option in command.options
                     if not mentions(usage, option)]
        if len(re.findall(r"\w+", does)) < 2:
            problems.append(f"{command.name}: the table does not say what it does")
    return problems


def test_every_command_and_option_is_in_the_readme():
    section = command_line_section(README.read_text(encoding="utf-8"))
    assert undocumented(section, cli_commands()) == []


def test_the_walk_finds_what_each_help_offers():
    runner = CliRunner()
    commands = cli_commands()
    assert {c.path for c in commands} >= {(), ("posts",), ("interactions",), ("interactions", "import"), ("roster", "import")}
    for command in commands:
        result = runner.invoke(main, [*command.path, "--help"])
        assert result.exit_code == 0, result.output
        assert all(mentions(result.output, option) for option in command.options), (command.name, result.output)
        listed = re.search(r"^Commands:\n((?:  .*\n?)*)", result.output, re.MULTILINE)
        subcommands = {c.path[-1] for c in commands if c.path[:-1] == command.path and c.path}
        assert subcommands == (set(re.findall(r"^  (\S+)", listed.group(1), re.MULTILINE)) if listed else set())


def _drop_row(command: str):
    return lambda section: "\n".join(line for line in section.splitlines() if not line.startswith(f"| `strongtie {command}"))


def _blank_does(command: str):
    return lambda section: re.sub(rf"^(\| `strongtie {command}[^|]*`) \|[^\n]*\|$", r"\1 |  |", section, flags=re.MULTILINE)


@pytest.mark.parametrize("mutate, problem", [
    pytest.param(lambda s: s.replace(" [--limit N]", ""), "strongtie posts: --limit is not documented",
                 id="option-missing-from-its-row"),
    pytest.param(lambda s: s.replace("[--by U] [--team NAME]", "[--by U]"), "strongtie rate: --team is not documented",
                 id="option-missing-from-a-row-that-shows-others"),
    pytest.param(_drop_row("socket"), "strongtie socket: no row in the commands table", id="command-missing"),
    pytest.param(_drop_row("interactions import"), "strongtie interactions import: no row in the commands table",
                 id="subcommand-missing"),
    pytest.param(_blank_does("init"), "strongtie init: the table does not say what it does", id="row-says-nothing"),
    pytest.param(lambda s: s.replace("--verbose", "--loud"), "strongtie: --verbose is not documented",
                 id="global-option-missing"),
    pytest.param(lambda s: s.replace("| `strongtie socket`", "| `strongtie socket [--port P]`"),
                 "strongtie socket: the table shows --port, which it does not have", id="option-it-does-not-have"),
    pytest.param(lambda s: s.rstrip("\n") + "\n| `strongtie frobnicate` | does nothing |\n",
                 "the table has a row for a command strongtie does not have: strongtie frobnicate", id="command-it-does-not-have"),
])
def test_the_check_notices_what_is_missing(mutate, problem):
    section = command_line_section(README.read_text(encoding="utf-8"))
    mutated = mutate(section)
    assert mutated != section, "the mutation no longer matches README; update it"
    assert problem in undocumented(mutated, cli_commands())
