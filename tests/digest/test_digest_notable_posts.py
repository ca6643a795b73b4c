"""Notable posts are the posts first seen (fetched) since the last digest: a post published before
the last digest but fetched after it is not lost between two windows, and a new source's back
catalogue is not news."""

from __future__ import annotations

from datetime import timedelta

import pytest
from digest.seed_world import MONDAY, add_post, runtime_for, seed
from sqlalchemy import select

from bot.jobs.digest import build_digest
from models.entities import Source
from models.store.teams import team_by_name

LAST_DIGEST = MONDAY - timedelta(days=1)


@pytest.mark.parametrize("published, fetched, notable", [
    pytest.param(timedelta(hours=25), timedelta(hours=2), True, id="published-before-last-digest-fetched-after"),
    pytest.param(timedelta(hours=3), timedelta(hours=2), True, id="published-and-fetched-since"),
    pytest.param(timedelta(hours=30), timedelta(hours=29), False, id="already-in-the-last-digest"),
    pytest.param(timedelta(days=30), timedelta(hours=1), False, id="back-catalogue-of-a-new-source"),
    pytest.param(timedelta(hours=-2), timedelta(hours=-1), False, id="after-the-digest-moment"),
])
def test_notable_posts_are_those_fetched_since_the_last_digest(db_url, published, fetched, notable):
    runtime = runtime_for(db_url)
    seed(runtime)
    with runtime.session() as session:
        source = session.scalars(select(Source).order_by(Source.id)).first()
        add_post(session, source, "late", "A late arrival", MONDAY - published, fetched_at=MONDAY - fetched)
    with runtime.session() as session:
        digest = build_digest(session=session, team=team_by_name("East", session=session), as_of=MONDAY,
                              covered_from=LAST_DIGEST, params=runtime.scoring)
    titles = {p.title for p in digest.notable_posts}
    assert ("A late arrival" in titles) is notable
    assert "Some thoughts on pricing pages" in titles and "An old musing" not in titles
