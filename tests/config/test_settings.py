import pytest

from config.settings import Secret, SettingsError, load_settings


def test_defaults_without_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.database_url == "sqlite:///strongtie.db"
    assert (settings.poll_concurrency, settings.poll_per_host, settings.allow_private_networks) == (16, 4, False)


@pytest.mark.parametrize(
    "env, fragment",
    [
        pytest.param({"STRONGTIE_POLL_CONCURRENCY": "many"}, "STRONGTIE_POLL_CONCURRENCY must be a whole number", id="int"),
        pytest.param({"STRONGTIE_POLL_PER_HOST": "0"}, "STRONGTIE_POLL_PER_HOST must be at least 1", id="minimum"),
        pytest.param({"STRONGTIE_ALLOW_PRIVATE_NETWORKS": "perhaps"}, "STRONGTIE_ALLOW_PRIVATE_NETWORKS must be a boolean", id="bool"),
        pytest.param({"SLACK_API_URL": "slack.internal"}, "SLACK_API_URL must be an http(s) URL", id="url"),
    ],
)
def test_errors_name_the_variable(env, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env)


def test_secrets_never_print(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-very-secret", "X_BEARER_TOKEN": "AAAA-secret"})
    assert "very-secret" not in repr(settings) and "AAAA-secret" not in str(settings)
    assert settings.slack_bot_token.get() == "xoxb-very-secret"
    assert repr(Secret("x")) == "Secret('***')"


def test_toml_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "strongtie.toml").write_text('database_url = "sqlite:///from-file.db"\n[poll]\nconcurrency = 8\nper_host = 2\n[scoring]\nrecency_weight = 30\n')
    settings = load_settings({"STRONGTIE_POLL_PER_HOST": "3"})
    assert (settings.database_url, settings.poll_concurrency, settings.poll_per_host) == ("sqlite:///from-file.db", 8, 3)
    assert settings.scoring == {"recency_weight": 30}


def test_bad_toml_value_names_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "strongtie.toml").write_text("[poll]\nconcurrency = 0\n")
    with pytest.raises(SettingsError, match="poll.concurrency in the config file must be at least 1"):
        load_settings({})


def test_missing_explicit_config_file_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="STRONGTIE_CONFIG points to"):
        load_settings({"STRONGTIE_CONFIG": str(tmp_path / "absent.toml")})


@pytest.mark.parametrize(
    "url, fragment",
    [
        pytest.param("notaurl", "STRONGTIE_DATABASE_URL is not a database URL", id="not-a-url"),
        pytest.param("mysql://db/x", "names a 'mysql' database", id="unsupported-backend"),
    ],
)
def test_database_url_is_validated(url, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match=fragment):
        load_settings({"STRONGTIE_DATABASE_URL": url})


@pytest.mark.parametrize("table, key, variable", [
    pytest.param("slack", "bot_token", "SLACK_BOT_TOKEN", id="slack-token"),
    pytest.param("x", "bearer_token", "X_BEARER_TOKEN", id="x-token"),
])
def test_secrets_in_the_config_file_are_refused(table, key, variable, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "strongtie.toml").write_text(f'[{table}]\n{key} = "s3cr3t-value"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings({})
    assert variable in str(caught.value) and "s3cr3t-value" not in str(caught.value)


def test_unopenable_database_is_named_without_its_password(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STRONGTIE_DATABASE_URL", "postgresql+psycopg://strongtie:hunter2@127.0.0.1:1/none")
    result = CliRunner().invoke(main, ["sources"])
    assert result.exit_code == 1
    assert "STRONGTIE_DATABASE_URL" in result.output and "cannot open the database" in result.output
    assert "hunter2" not in result.output
