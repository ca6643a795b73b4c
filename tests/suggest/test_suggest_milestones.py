"""Milestone detection: each kind found, ordinary posts and negations left alone."""

import pytest

from bot.rules.milestones import find_milestones


@pytest.mark.parametrize("text, expected", [
    pytest.param("Acme raised $12M in a Series A led by Foo", ["funding"], id="funding-amount"),
    pytest.param("We closed our seed round!", ["funding"], id="funding-seed"),
    pytest.param("Introducing Acme Cloud, now generally available", ["launch"], id="launch-introducing"),
    pytest.param("We just launched the new dashboard", ["launch"], id="launch-just"),
    pytest.param("Excited to join Globex as VP of Sales", ["new_role"], id="new-role-join"),
    pytest.param("I've been promoted to CTO", ["new_role"], id="new-role-promotion"),
    pytest.param("Proud that Acme won the Best Workplace award", ["award"], id="award"),
    pytest.param("Today is our 10th anniversary", ["anniversary"], id="anniversary"),
    pytest.param("5 years at Acme today", ["anniversary"], id="anniversary-years"),
    pytest.param("We're hiring engineers, join our team", ["hiring"], id="hiring"),
    pytest.param("I'll be speaking at KubeCon on Thursday", ["talk"], id="talk"),
    pytest.param("We published a new paper on churn", ["publication"], id="publication"),
    pytest.param("Some thoughts on pricing pages", [], id="ordinary-post"),
    pytest.param("We are not hiring right now", [], id="negated-hiring"),
    pytest.param("Launch prep: we're hiring and speaking at SaaStr", ["hiring", "talk"], id="several-in-order"),
])
def test_find_milestones(text, expected):
    assert [m.kind for m in find_milestones(text)] == expected


def test_milestone_carries_its_label_and_evidence():
    (milestone,) = find_milestones("Big news: we raised $3 million!")
    assert milestone.label == "funding round" and milestone.evidence == "raised $3 million"
