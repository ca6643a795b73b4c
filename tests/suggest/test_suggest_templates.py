"""``[suggest.templates]`` in the TOML config: a team's own drafts, validated with clear errors."""

from __future__ import annotations

import pytest

from config.settings import load_settings
from config.templates import DEFAULT_TEMPLATES, MAX_TEMPLATE_CHARS, PLACEHOLDERS, TemplateError, template_overrides


def settings_with(tmp_path, body: str):
    path = tmp_path / "strongtie.toml"
    path.write_text(body, encoding="utf-8")
    return load_settings({"STRONGTIE_CONFIG": str(path)})


def test_overrides_are_read_from_the_toml_file(tmp_path):
    settings = settings_with(tmp_path, '[suggest]\ndaily_cap = 3\n[suggest.templates]\n'
                                       'check_in = "Hey {first}, how is {company} doing?"\n')
    assert settings.suggest_templates == {"check_in": "Hey {first}, how is {company} doing?"}
    assert settings.suggest_daily_cap == 3


def test_no_table_no_overrides(tmp_path):
    assert settings_with(tmp_path, "[suggest]\ndaily_cap = 3\n").suggest_templates == {}


@pytest.mark.parametrize("body, message", [
    pytest.param('[suggest.templates]\nshare = "Hi {first}"\n', "suggest.templates.share in the config file: unknown "
                 "template name; known names: after_event, check_in", id="unknown-name"),
    pytest.param('[suggest.templates]\ncheck_in = "Hi {firstname}"\n', "uses {firstname}, which is not a placeholder; "
                 "use one of {first}, {name}", id="unknown-placeholder"),
    pytest.param(f'[suggest.templates]\ncheck_in = "{"x" * (MAX_TEMPLATE_CHARS + 1)}"\n',
                 f"is {MAX_TEMPLATE_CHARS + 1} characters; a draft template may have at most {MAX_TEMPLATE_CHARS}",
                 id="too-long"),
    pytest.param('[suggest.templates]\ncheck_in = 3\n', "check_in in the config file must be a non-empty string",
                 id="not-text"),
    pytest.param('[suggest.templates]\ncheck_in = "Hi {first"\n', "is not a valid template", id="unbalanced-brace"),
    pytest.param('[suggest.templates]\ncheck_in = "Hi {0}"\n', "is not a placeholder", id="positional"),
    pytest.param('[suggest.templates]\ncheck_in = "Hi {first!r}"\n', "without positions, formats or conversions",
                 id="conversion"),
    pytest.param('[suggest]\ntemplates = "share"\n', "[suggest.templates] in the config file must be a table",
                 id="not-a-table"),
])
def test_bad_templates_fail_with_a_clear_error(tmp_path, body, message):
    with pytest.raises(TemplateError) as caught:
        settings_with(tmp_path, body)
    assert message in str(caught.value)


def test_every_default_is_valid_short_and_uses_known_placeholders():
    assert template_overrides(DEFAULT_TEMPLATES) == DEFAULT_TEMPLATES
    assert all(len(t) <= MAX_TEMPLATE_CHARS for t in DEFAULT_TEMPLATES.values())
    assert set(PLACEHOLDERS) >= {"first", "title", "topic", "milestone", "bought"}


def test_a_literal_brace_may_be_written_doubled():
    assert template_overrides({"check_in": "Hi {first} {{:)}}"}) == {"check_in": "Hi {first} {{:)}}"}
