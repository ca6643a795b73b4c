"""Names that look alike: one key for what is the same name, a clear refusal for what only looks
the same, and no control characters stored."""

import pytest
from helpers import customer, member, roster, team

from config.names import name_key
from config.roster import RosterError, parse_roster

CYRILLIC_ACME = "\u0410\u0441me"  # А and с are Cyrillic: reads "Acme"
ALL_CYRILLIC_ACME = "\u0410\u0441\u043c\u0435"  # every letter Cyrillic: also reads "Acme"


@pytest.mark.parametrize("written, same_as", [
    pytest.param("team a", "Team A", id="case"),
    pytest.param("\uff34\uff45\uff41\uff4d \uff21", "Team A", id="full-width"),
    pytest.param("Team\u00a0A", "Team A", id="no-break-space"),
    pytest.param("Te\u200bam A", "Team A", id="zero-width-space"),
    pytest.param("\ufeffTeam A\u200d", "Team A", id="byte-order-mark-and-joiner"),
    pytest.param("\u201cTeam A\u201d", "Team A", id="curly-quotes"),
    pytest.param("STRASSE", "straße", id="casefold-not-lower"),
])
def test_names_written_differently_have_one_key(written, same_as):
    assert name_key(written) == name_key(same_as)


def test_names_that_differ_keep_different_keys():
    assert name_key(CYRILLIC_ACME) != name_key("Acme")
    assert name_key("Jane Doe") != name_key("Jane Roe")


def east(*customers, name="East", members=(member("U0DANA", "Dana"),)):
    return team(name, slack_channel="C0EAST", members=members, customers=customers)


def problems(document) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse_roster(document)
    return caught.value.problems


@pytest.mark.parametrize("first, second, fragment", [
    pytest.param("Acme Buyer", "ACME BUYER", "is listed twice (also as 'Acme Buyer')", id="case"),
    pytest.param("Acme Buyer", "\uff21cme Buyer", "is listed twice (also as 'Acme Buyer')", id="full-width"),
    pytest.param("Acme Buyer", "Ac\u200bme Buyer", "is listed twice in this team", id="zero-width"),
    pytest.param("Acme Buyer", f"{ALL_CYRILLIC_ACME} Buyer", "looks the same as 'Acme Buyer' but differs in Cyrillic",
                 id="all-cyrillic-word"),
])
def test_two_customers_one_name_in_a_team_are_refused(first, second, fragment):
    found = problems(roster(east(customer(first), customer(second))))
    assert len(found) == 1 and fragment in found[0]
    assert found[0].startswith("team 'East', customer ") and "field 'name'" in found[0]


def test_teams_that_differ_only_in_case_or_look_alike_letters_are_refused():
    found = problems(roster(east(), east(name="EAST"), east(name="\u0415\u0410\u0405\u0422")))  # all Cyrillic
    assert [p.split(": ", 1)[1] for p in found] == [
        "is listed twice (also as 'East')",
        "looks the same as 'East' but differs in Cyrillic or Greek letters that look Latin; type both in one alphabet",
    ]


@pytest.mark.parametrize("field, value", [
    pytest.param("name", f"{CYRILLIC_ACME} Buyer", id="customer-name"),
    pytest.param("company", CYRILLIC_ACME, id="company"),
    pytest.param("name", "\u03a9mega", id="greek-omega-in-latin-word"),
])
def test_a_word_mixing_latin_with_cyrillic_or_greek_is_refused_naming_team_customer_and_field(field, value):
    fields = {"name": "Jane Doe", field: value}
    (found,) = problems(roster(east(customer(**fields))))
    assert found.startswith(f"team 'East', customer {fields['name']!r}, field '{field}': mixes Latin and ")
    assert "type it in one alphabet" in found


def test_a_mixed_script_team_name_is_refused():
    (found,) = problems(roster(east(name=f"{CYRILLIC_ACME} East")))
    assert found.startswith(f"team '{CYRILLIC_ACME} East', field 'name': mixes Latin and Cyrillic letters")


def test_names_in_one_other_alphabet_are_names():
    parsed = parse_roster(roster(east(customer("\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432", company="Zoë Müller GmbH"),
                                      customer("\u0391\u03bb\u03ad\u03be\u03b7\u03c2"))))
    assert [c.name for c in parsed.teams[0].customers] == ["Иван Петров", "Αλέξης"]


def test_invisible_characters_are_dropped_from_stored_names():
    parsed = parse_roster(roster(east(customer("\ufeffJane\u200b Doe\u2060"))))
    assert parsed.teams[0].customers[0].name == "Jane Doe"


@pytest.mark.parametrize("where, document", [
    pytest.param("field 'name'", roster(east(customer("Jane\x00Doe"))), id="nul-in-customer-name"),
    pytest.param("field 'company'", roster(east(customer("Jane", company="Acme\x07"))), id="bell-in-company"),
    pytest.param("field 'members[0].name'", roster(east(members=[member("U0DANA", "Da\x1bna")])), id="escape-in-member"),
    pytest.param("field 'sources[0].rss'", roster(east(customer("Jane", sources=[{"rss": "https://a.example/\x00"}]))),
                 id="nul-in-feed-url"),
])
def test_control_characters_are_refused(where, document):
    (found,) = problems(document)
    assert where in found and "control character" in found


def test_a_name_that_normalising_makes_too_long_is_refused_before_the_store_would_fail():
    (found,) = problems(roster(east(customer("\ufdfa" * 20))))  # one character, eighteen letters once NFKC
    assert "field 'name': is longer than 200 characters" in found
