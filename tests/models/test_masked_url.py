"""A database URL shown in a message hides every secret it carries: the ``user:pass@`` password and
secret-looking query parameters alike."""

import pytest

from models.base import masked_url


@pytest.mark.parametrize("url, shown", [
    pytest.param("postgresql+psycopg://u:hunter2@db.example/app", "postgresql+psycopg://u:***@db.example/app", id="userinfo"),
    pytest.param("postgresql+psycopg://u@db.example/app?password=hunter2&sslmode=require",
                 "postgresql+psycopg://u@db.example/app?password=***&sslmode=require", id="password-parameter"),
    pytest.param("postgresql://u@h/app?sslpassword=a&PASSWORD=b&pass=c&token=d&secret=e&key=f&sslkey=/etc/k.pem",
                 "postgresql://u@h/app?sslpassword=***&PASSWORD=***&pass=***&token=***&secret=***&key=***&sslkey=/etc/k.pem",
                 id="every-secret-parameter"),
    pytest.param("postgresql://u@h/app?password=a&password=b", "postgresql://u@h/app?password=***&password=***",
                 id="repeated-parameter"),
    pytest.param("postgresql://u:p@h/app?aws_secret_access_key=x&application_name=bot",
                 "postgresql://u:***@h/app?aws_secret_access_key=***&application_name=bot", id="secret-in-a-longer-name"),
    pytest.param("sqlite:///strongtie.db", "sqlite:///strongtie.db", id="no-secret"),
    pytest.param("not a url at all hunter2", "(an unreadable URL)", id="unreadable"),
])
def test_masked_url(url, shown):
    assert masked_url(url) == shown


def test_an_unopenable_database_is_named_without_a_password_given_as_a_parameter(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STRONGTIE_DATABASE_URL",
                       "postgresql+psycopg://strongtie@127.0.0.1:1/none?password=hunter2&sslpassword=hunter3")
    result = CliRunner().invoke(main, ["sources"])
    assert result.exit_code == 1
    assert "cannot open the database" in result.output and "password=***" in result.output
    assert "hunter" not in result.output


def test_a_bad_driver_option_is_one_line_naming_it_without_the_password(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STRONGTIE_DATABASE_URL", "postgresql+psycopg://strongtie@127.0.0.1:1/none?foo=bar&password=hunter2")
    result = CliRunner().invoke(main, ["sources"])
    assert result.exit_code == 1, result.output
    assert 'invalid connection option "foo"' in result.output and "hunter" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
