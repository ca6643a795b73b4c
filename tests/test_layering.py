"""The one-direction data flow of design.md: bot -> (connectors, models, config); models and
connectors never import bot nor each other; config imports none of the three."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "config": {"bot", "models", "connectors"},
    "models": {"bot", "connectors"},
    "connectors": {"bot", "models"},
}


def _imported_packages(path: Path) -> set[str]:
    """Top-level packages a file imports; relative imports are resolved against its own package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    try:
        own_package = path.resolve().relative_to(ROOT).parts[0]
    except ValueError:
        own_package = None
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level > 0 and own_package:
                found.add(own_package)  # a relative import cannot leave its top-level package
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_layering(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imported_packages(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert offenders == []


def test_checker_sees_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from bot.cli import main\nimport models.store\nfrom . import sibling\n")
    assert _imported_packages(sample) == {"bot", "models"}
