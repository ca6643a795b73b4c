"""The linter's rules hold over the whole tree: pyflakes (unused imports, undefined names) and a
docstring on every public class, method and function of the product. The rules live in
pyproject.toml under [tool.ruff]."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_tree_passes_the_linter():
    result = ruff(".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_sees_a_missing_docstring(tmp_path):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "sample.py").write_text('"""Doc."""\n\n\ndef shown():\n    """Doc."""\n\n\ndef bare():\n    pass\n')
    result = ruff(".", cwd=tmp_path)
    assert result.returncode == 1 and "bot/sample.py:8:5: D103" in result.stdout


def test_human_output_goes_through_the_terminal_safe_echo():
    """Text from feeds and servers reaches the terminal only through ``bot.cli.kit.echo``, which
    strips control characters; a plain ``click.echo`` elsewhere in the command line could print an
    escape sequence a feed sent."""
    cli = Path(__file__).parent.parent / "bot" / "cli"
    offenders = [f"{path.name}:{number}" for path in sorted(cli.glob("*.py")) if path.name != "kit.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1) if "click.echo(" in line]
    assert offenders == []
