"""The demo's sample calendar goes through the real capture sync: its meetings become interactions
(not the declined, cancelled or customer-less ones) and move the scores of the customers in them."""

from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.demo import calendar as demo_calendar
from bot.demo import sample
from bot.jobs.poll import poll_job
from bot.jobs.score import relationship_statuses
from models.entities import Customer, Interaction

NOW = datetime(2026, 6, 15, 12, tzinfo=timezone.utc)  # a Monday, after the 15:00 UTC meeting's day began


def test_the_sample_calendar_is_captured_by_the_real_sync(tmp_path):
    runtime = demo_calendar.with_throwaway_key(sample.demo_runtime(tmp_path / "demo.db"))
    assert runtime.settings.secret_key  # made for this run: the demo needs no key of the user's
    with demo_calendar.serve_sample_calendar() as url:
        sample.load_demo_roster(runtime, "http://127.0.0.1:9")
        demo_calendar.connect_sample_calendar(runtime, url)
        line = poll_job(runtime, now=NOW).line()
    with runtime.session() as session:
        counts = {name: n for name, n in session.execute(select(Customer.name, func.count()).join(Interaction)
                                                         .where(Interaction.origin == "calendar").group_by(Customer.name))}
        statuses = {s.customer: s for s in relationship_statuses(session=session, as_of=NOW, params=runtime.scoring)}
    # a year back: Elena's Monday meetings (the one today is later), Sofia's second Thursdays; her
    # declined offsite, the cancelled dinner and the all-day offsite are not meetings
    assert counts == {"Elena Petrova": 52, "Sofia Marchetti": 12}
    assert demo_calendar.captured_meetings(runtime) == 64 and "64 new meetings" in line
    assert statuses["Elena Petrova"].score > 0 and statuses["Sofia Marchetti"].score > 0
    runtime.engine.dispose()
