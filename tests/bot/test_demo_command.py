"""`strongtie demo` end to end: it must work with no token and no network."""

from click.testing import CliRunner

from bot.cli import main


def test_demo_runs_the_pipeline_on_bundled_data(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--database", str(database)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "21 customer added" in result.output
    assert "Untracked (beyond top_n by revenue): Zoe Kim" in result.output
    for heading in ("1. Poll", "2. Board", "3. Hourglass", "4. Today's suggestions", "5. Daily digest"):
        assert heading in result.output
    assert database.exists()


def test_demo_refuses_to_reuse_a_database(tmp_path):
    existing = tmp_path / "old.db"
    existing.write_bytes(b"")
    result = CliRunner().invoke(main, ["demo", "--database", str(existing)])
    assert result.exit_code == 1
    assert "already exists" in result.output
