"""The one-direction data flow: connectors -> store -> model -> rules -> Slack, and pure cores.

- ``config`` imports none of the project's packages; ``connectors`` and ``models`` never import
  ``bot``, nor each other.
- Along the flow nothing imports what comes after it: the store does not import the model, and
  the scheduler does not import the command line.
- The pure packages (the tie-strength model in ``models/scoring`` and the rules in ``bot/rules``)
  are functions of plain data and ``as_of``: they import only the standard library, numpy, the
  project's ``config``, the shared time axis (``models/timeline.py``), plain-text helpers and each
  other — no SQLAlchemy, no Slack, no store, no jobs — and never read the clock: ``as_of`` is
  passed in.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "config", "connectors", "models")

#: package (or module path prefix) -> modules it must not import (by prefix)
FORBIDDEN = {
    "config": ("bot", "models", "connectors"),
    "models": ("bot", "connectors"),
    "connectors": ("bot", "models"),
    "models/store": ("models.scoring",),
    "bot/scheduler.py": ("bot.cli",),
    "bot/scheduler_jobs.py": ("bot.cli",),
    "bot/jobs": ("bot.cli", "bot.slack.listeners"),
}
PURE = ("models/scoring", "bot/rules")
#: what a pure module may import besides the standard library
PURE_MAY_IMPORT = ("numpy", "config", "connectors.text", "models.timeline", "models.scoring", "bot.rules", "bot.timeutil")


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, by absolute dotted name (relative imports resolved); for
    ``from pkg import name`` both ``pkg`` and ``pkg.name`` (which may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.resolve().relative_to(root).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            module = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _within(place: str, key: str) -> bool:
    return place == key or place.startswith(key + "/")


def violations(path: Path, root: Path = ROOT) -> list[str]:
    """The imports of ``path`` that break the flow or a pure package's purity."""
    place = path.resolve().relative_to(root).as_posix()
    imports = imported_modules(path, root)
    bad = {m for key, prefixes in FORBIDDEN.items() if _within(place, key) for m in imports if _matches(m, prefixes)}
    if any(_within(place, pure) for pure in PURE):
        stdlib = sys.stdlib_module_names | {"__future__"}
        bad |= {m for m in imports if m.split(".")[0] not in stdlib and not _matches(m, PURE_MAY_IMPORT)}
    return sorted(bad)


#: Calls that read the clock: a pure function takes ``as_of`` instead.
CLOCK_CALLS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter", "utcnow"})


def clock_reads(path: Path) -> list[str]:
    """Where a file calls the clock (``datetime.now()``, ``time.time()``, ``utcnow()``…), by line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in CLOCK_CALLS:
                found.append(f"line {node.lineno}: {name}()")
    return found


PRODUCTION = sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", PRODUCTION, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_follow_the_flow(path):
    assert violations(path) == []


@pytest.mark.parametrize("path", [p for p in PRODUCTION if any(_within(p.relative_to(ROOT).as_posix(), pure)
                                                              for pure in PURE)],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pure_packages_never_read_the_clock(path):
    assert clock_reads(path) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        pytest.param("from datetime import datetime\nx = datetime.now()\n", ["line 2: now()"], id="datetime-now"),
        pytest.param("import time\nx = time.monotonic()\n", ["line 2: monotonic()"], id="monotonic"),
        pytest.param("from models.timeline import utcnow\nx = utcnow()\n", ["line 2: utcnow()"], id="the-jobs-clock"),
        pytest.param("def f(as_of):\n    return as_of.date()\n", [], id="as-of-passed-in"),
    ],
)
def test_the_clock_check_sees_a_clock(tmp_path, source, expected):
    path = tmp_path / "sample.py"
    path.write_text(source)
    assert clock_reads(path) == expected


@pytest.mark.parametrize(
    "place, source, expected",
    [
        pytest.param("models/x.py", "from bot.cli.main import main\n", ["bot.cli.main", "bot.cli.main.main"],
                     id="models-importing-bot"),
        pytest.param("bot/rules/x.py", "from sqlalchemy import select\n", ["sqlalchemy", "sqlalchemy.select"],
                     id="rules-importing-sqlalchemy"),
        pytest.param("models/scoring/x.py", "import models.store.customers\n", ["models.store.customers"],
                     id="model-importing-the-store"),
        pytest.param("models/store/x.py", "from ..scoring import assess\n", ["models.scoring", "models.scoring.assess"],
                     id="store-importing-the-model-relatively"),
        pytest.param("bot/scheduler.py", "from bot.cli.kit import runtime\n", ["bot.cli.kit", "bot.cli.kit.runtime"],
                     id="scheduler-importing-the-cli"),
        pytest.param("bot/rules/x.py", "from datetime import datetime\nfrom config.vocabulary import TIE_STAGES\n", [],
                     id="rules-importing-stdlib-and-config"),
        pytest.param("bot/jobs/x.py", "from models.store.customers import find_customer\n", [],
                     id="jobs-importing-the-store"),
    ],
)
def test_the_check_sees_a_violation(tmp_path, place, source, expected):
    path = tmp_path / place
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    assert violations(path, tmp_path) == expected
