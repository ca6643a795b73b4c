"""A roster file read within bounds: alias bombs, deep nesting, huge files and values Python cannot
hold are refused with one clear problem each, and no message repeats more than a short prefix of
a bad value."""

import re

import pytest

from config.errors import QUOTE_LIMIT, quoted
from config.roster import RosterError, load_roster
from config.yamlsafe import MAX_BYTES, MAX_DEPTH, MAX_NODES

VALID = """teams:
  - name: East
    slack_channel: C0EAST
    members: &crew
      - {slack_user: U0DANA, name: Dana}
    customers:
      - {name: Jane Doe, owner: U0DANA, revenue: 10}
  - name: West
    slack_channel: C0WEST
    members: *crew
"""


def laughs(levels: int = 9) -> str:
    """The "billion laughs": each level an alias list of the one before, 9**levels values in all,
    written in about 500 bytes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + f"\nteams: *a{levels - 1}\n"


def only_problem(tmp_path, text: str) -> str:
    path = tmp_path / "roster.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    (problem,) = caught.value.problems
    return problem


def test_aliases_within_bounds_are_read(tmp_path):
    path = tmp_path / "roster.yaml"
    path.write_text(VALID, encoding="utf-8")  # a shared member list is what an alias is for
    parsed = load_roster(path)
    assert [m.slack_user for t in parsed.teams for m in t.members] == ["U0DANA", "U0DANA"]


@pytest.mark.parametrize("text, fragment", [
    pytest.param(laughs(), f"expands to more than {MAX_NODES} values", id="billion-laughs"),
    # libyaml, when installed, refuses this one itself, at its own bound of 1000
    pytest.param("teams: " + "[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} deep|maximum nesting depth",
                 id="deep-flow"),
    pytest.param("teams:\n" + "".join(" " * i + "-\n" for i in range(1, 60)), f"nested more than {MAX_DEPTH} deep",
                 id="deep-block"),
    pytest.param("teams: &t [*t]\n", "refers to a value that contains it", id="recursive-alias"),
    pytest.param("teams:\n  - name: East\n    digest_time: 2026-13-45\n", "'2026-13-45' is not a real date",
                 id="impossible-date"),
    pytest.param("teams:\n  - name: East\n    top_n: " + "9" * 5000 + "\n", "is a number too long to read",
                 id="five-thousand-digits"),
    pytest.param("teams: *nowhere\n", "found undefined alias", id="undefined-alias"),
    pytest.param("teams: [\n", "not valid YAML at line 2", id="unclosed-bracket"),
])
def test_hostile_yaml_is_one_clear_problem(tmp_path, text, fragment):
    problem = only_problem(tmp_path, text)
    assert problem.startswith(str(tmp_path / "roster.yaml") + ": ")
    assert re.search(fragment, problem)
    assert len(problem) < len(str(tmp_path)) + 250  # quotes a prefix at most


def test_a_file_over_the_size_bound_is_refused_unread(tmp_path):
    problem = only_problem(tmp_path, "# padding\n" * (MAX_BYTES // 10 + 1))
    assert problem.endswith(f"is larger than {MAX_BYTES // 1024} KiB")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "roster.yaml"
    path.write_bytes(b"teams:\n  - name: \xff\xfe\n")
    with pytest.raises(RosterError, match="cannot be read"):
        load_roster(path)


LONG = "x" * 5000


@pytest.mark.parametrize("fragment", [
    pytest.param(f"    slack_channel: C0EAST\n    timezone: Mars/{LONG}\n", id="timezone"),
    pytest.param(f"    slack_channel: C0EAST\n    top_n: [{', '.join([LONG] * 50)}]\n", id="list-value"),
    pytest.param(f"    slack_channel: C0EAST\n    customers:\n      - name: Jane\n        revenue: {LONG}\n", id="revenue"),
    pytest.param(f"    slack_channel: C0EAST\n    customers:\n      - name: Jane\n        sources:\n          - rss: ftp://{LONG}\n",
                 id="source"),
    pytest.param(f"    slack_channel: C0EAST\n    {LONG}: 1\n", id="unknown-field-name"),
    pytest.param(f"    slack_channel: C0EAST\n    customers:\n      - name: Jane\n        sources:\n          - {LONG}: x\n",
                 id="unknown-source-kind"),
])
def test_messages_quote_a_short_prefix_of_a_bad_value(tmp_path, fragment):
    problem = only_problem(tmp_path, "teams:\n  - name: East\n" + fragment)
    assert "x" * (QUOTE_LIMIT + 1) not in problem
    assert len(problem) < 400


def test_an_anchor_bomb_in_a_value_is_refused_before_any_message_renders_it(tmp_path):
    path = tmp_path / "roster.yaml"
    path.write_text(laughs(5).replace("teams: *a4", "teams:\n  - name: East\n    slack_channel: C0EAST\n    top_n: *a4"))
    with pytest.raises(RosterError) as caught:
        load_roster(path)  # 9**5 values: within the bounds, so it is top_n that is refused
    (problem,) = [p for p in caught.value.problems if "top_n" in p]
    assert problem.startswith("team 'East', field 'top_n': must be a whole number") and len(problem) < 200


@pytest.mark.parametrize("value, shown", [
    pytest.param("short", "'short'", id="short-text"),
    pytest.param("y" * 100, "'" + "y" * QUOTE_LIMIT + "'…", id="long-text"),
    pytest.param(10 ** 200, None, id="long-number"),
    pytest.param([[["deep"] * 10] * 10] * 10, None, id="nested-list"),
])
def test_quoted_is_short(value, shown):
    text = quoted(value)
    assert len(text) <= QUOTE_LIMIT + 3
    if shown is not None:
        assert text == shown


def test_the_laughs_really_are_a_bomb():
    # the test above would prove nothing if the document were small once expanded
    assert 9 ** 9 > MAX_NODES and len(laughs()) < 600
    assert re.search(r"&a8", laughs())
