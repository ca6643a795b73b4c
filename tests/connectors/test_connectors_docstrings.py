"""Every public function, method and class of the connectors and the poller says what it does."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "connectors").glob("*.py")) + [ROOT / "bot" / "jobs" / "poll.py", ROOT / "models" / "poll_store.py"]


def undocumented(path: Path, root: Path = ROOT) -> list[str]:
    """Public definitions in ``path`` (including methods of public classes) without a docstring."""
    missing: list[str] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not child.name.startswith("_"):
                if ast.get_docstring(child) is None:
                    missing.append(f"{path.relative_to(root)}:{child.lineno} {prefix}{child.name}")
                if isinstance(child, ast.ClassDef):
                    walk(child, f"{prefix}{child.name}.")

    walk(ast.parse(path.read_text(encoding="utf-8")), "")
    return missing


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_public_definitions_have_docstrings(path):
    assert undocumented(path) == []


def test_the_check_sees_a_missing_docstring(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('def shown():\n    """Doc."""\n\n\ndef bare():\n    pass\n\n\ndef _private():\n    pass\n')
    assert undocumented(sample, tmp_path) == ["sample.py:5 bare"]
