"""Calendars: which occurrences of an ICS file become meetings, and the connector that fetches it.

The ICS files are written here, event by event, and served on loopback by the feed fake (ETag,
Last-Modified, 304, redirects, statuses, huge bodies)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fakes.feeds import FeedServer, Route

from connectors.base import Cursor, FatalError, RetriableError
from connectors.calendar import CalendarConnector, normalise_calendar_url, scrub_urls
from connectors.http import HttpClient, HttpLimits
from connectors.ics import SINGLE_OCCURRENCE, Identity, Window, expand, stale_captures
from connectors.safety import UnsafeURLError

UTC = timezone.utc
AS_OF = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # a Friday
DANA = "dana@ourco.example"
IDENTITY = Identity.of([DANA, "d.reyes@ourco.example"], {"jane@acme.example": "jane", "JANE.DOE@acme.example": "jane",
                                                          "bob@globex.example": "bob"})
FAST = HttpLimits(connect_timeout=2, read_timeout=0.3, total_timeout=5, max_body_bytes=64 * 1024, max_redirects=3)


def event(uid: str, start: str, *lines: str, end: str | None = None, people: bool = True) -> str:
    """One VEVENT; ``start``/``end`` are whole DTSTART/DTEND property lines or bare UTC stamps."""
    start_line = start if ":" in start else f"DTSTART:{start}"
    body = [f"UID:{uid}", start_line]
    if end:
        body.append(end if ":" in end else f"DTEND:{end}")
    if people:
        body += [f"ORGANIZER:mailto:{DANA}", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:jane@acme.example"]
    body += list(lines)
    return "BEGIN:VEVENT\r\n" + "\r\n".join(body) + "\r\nEND:VEVENT\r\n"


def calendar(*events: str, header: str = "") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//strongtie tests//EN\r\n" + header
            + "".join(events) + "END:VCALENDAR\r\n").encode()


def read(body: bytes, **kwargs):
    return expand(body, IDENTITY, as_of=AS_OF, **kwargs)


WEEKLY = calendar(
    event("weekly@ourco", "DTSTART;TZID=Europe/Berlin:20260202T100000", "RRULE:FREQ=WEEKLY;COUNT=10",
          "EXDATE;TZID=Europe/Berlin:20260216T100000", "SUMMARY:Acme weekly", end="DTEND;TZID=Europe/Berlin:20260202T110000"),
    event("weekly@ourco", "DTSTART;TZID=Europe/Berlin:20260225T150000", "RECURRENCE-ID;TZID=Europe/Berlin:20260223T100000",
          "SUMMARY:Acme weekly (moved)", end="DTEND;TZID=Europe/Berlin:20260225T160000"),
)


def test_weekly_meeting_with_an_exdate_and_a_moved_occurrence():
    result = read(WEEKLY)
    starts = [m.start for m in result.meetings]
    # Feb 2, 9, (16 excluded), 23 moved to 25 at 15:00, Mar 2, 9, 16; Mar 23 is in the future.
    assert starts == [datetime(2026, 2, 2, 9, tzinfo=UTC), datetime(2026, 2, 9, 9, tzinfo=UTC),
                      datetime(2026, 2, 25, 14, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC),
                      datetime(2026, 3, 9, 9, tzinfo=UTC), datetime(2026, 3, 16, 9, tzinfo=UTC)]
    moved = result.meetings[2]
    assert moved.occurrence_key == "2026-02-23T09:00:00+00:00"  # its original start: moving keeps the key
    assert {m.uid for m in result.meetings} == {"weekly@ourco"}
    assert len({m.occurrence_key for m in result.meetings}) == 6
    assert all(m.customers == ("jane",) and (m.kind, m.direction, m.origin) == ("meeting", "mutual", "calendar")
               for m in result.meetings)
    assert all(m.title is None for m in result.meetings)  # subjects are not captured by default


def test_titles_only_when_subjects_are_captured():
    assert [m.title for m in read(WEEKLY, capture_subjects=True).meetings][2:4] == ["Acme weekly (moved)", "Acme weekly"]


@pytest.mark.parametrize(
    "vevent",
    [
        pytest.param(event("c@x", "20260310T100000Z", "STATUS:CANCELLED"), id="cancelled-event"),
        pytest.param(event("d@x", "20260310T100000Z", people=False) .replace(
            "END:VEVENT", f"ORGANIZER:mailto:{DANA}\r\nATTENDEE;PARTSTAT=DECLINED:mailto:jane@acme.example\r\nEND:VEVENT"),
            id="customer-declined"),
        pytest.param(event("n@x", "20260310T100000Z", f"ATTENDEE:mailto:{DANA}", people=False), id="no-customer"),
        pytest.param(event("m@x", "20260310T100000Z", "ORGANIZER:mailto:jane@acme.example",
                           "ATTENDEE:mailto:someone@ourco.example", people=False), id="member-not-in-it"),
        pytest.param(event("md@x", "20260310T100000Z", "ORGANIZER:mailto:jane@acme.example",
                           f"ATTENDEE;PARTSTAT=DECLINED:mailto:{DANA}", people=False), id="member-declined"),
        pytest.param(event("f@x", "20260321T100000Z"), id="future-event"),
        pytest.param(event("o@x", "20240310T100000Z"), id="before-the-window"),
    ],
)
def test_occurrences_that_do_not_count(vevent):
    assert read(calendar(vevent)).meetings == []


@pytest.mark.parametrize(
    "lines, customers",
    [
        pytest.param(["ORGANIZER:MAILTO:Jane@ACME.example", f"ATTENDEE:{DANA.upper()}"], ("jane",), id="customer-organizes-any-case"),
        pytest.param([f"ORGANIZER:mailto:{DANA}", "ATTENDEE:mailto:jane.doe@acme.example"], ("jane",), id="customer-second-address"),
        pytest.param(["ORGANIZER:mailto:bob@globex.example", "ATTENDEE:mailto:d.reyes@ourco.example"], ("bob",), id="member-alias"),
        pytest.param([f"ORGANIZER:mailto:{DANA}", "ATTENDEE:mailto:jane@acme.example", "ATTENDEE:mailto:bob@globex.example",
                      "ATTENDEE:mailto:jane.doe@acme.example"], ("bob", "jane"), id="two-customers-one-meeting"),
        pytest.param([f"ORGANIZER:mailto:{DANA}", "ATTENDEE;PARTSTAT=DECLINED:mailto:bob@globex.example",
                      "ATTENDEE;PARTSTAT=TENTATIVE:mailto:jane@acme.example"], ("jane",), id="only-the-decliner-left-out"),
    ],
)
def test_who_is_matched(lines, customers):
    [meeting] = read(calendar(event("e@x", "20260310T100000Z", *lines, people=False))).meetings
    assert meeting.customers == customers and meeting.occurrence_key == SINGLE_OCCURRENCE


def test_a_cancelled_occurrence_of_a_series_does_not_count_and_is_not_live():
    body = calendar(
        event("s@x", "20260302T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
        event("s@x", "20260303T100000Z", "RECURRENCE-ID:20260303T100000Z", "STATUS:CANCELLED"),
    )
    result = read(body)
    assert [m.start.day for m in result.meetings] == [2, 4]
    assert ("s@x", "2026-03-03T10:00:00+00:00") not in result.live
    assert ("s@x", "2026-03-02T10:00:00+00:00") in result.live


def test_google_x_wr_timezone_places_floating_times():
    body = calendar(event("g@x", "DTSTART:20260310T090000", end="DTEND:20260310T100000"), header="X-WR-TIMEZONE:America/Los_Angeles\r\n")
    [meeting] = read(body).meetings
    assert meeting.start == datetime(2026, 3, 10, 16, tzinfo=UTC)  # 09:00 PDT (DST began March 8)


def test_floating_times_without_x_wr_timezone_use_the_default_zone():
    body = calendar(event("g@x", "DTSTART:20260310T090000"))
    [meeting] = read(body, default_zone=ZoneInfo("Europe/Berlin")).meetings
    assert meeting.start == datetime(2026, 3, 10, 8, tzinfo=UTC)


def test_all_day_event_starts_at_midnight_in_the_calendar_zone():
    body = calendar(event("a@x", "DTSTART;VALUE=DATE:20260312", end="DTEND;VALUE=DATE:20260313"), header="X-WR-TIMEZONE:Asia/Tokyo\r\n")
    [meeting] = read(body).meetings
    assert meeting.start == datetime(2026, 3, 11, 15, tzinfo=UTC)


NEW_YORK = """BEGIN:VTIMEZONE\r
TZID:Eastern Standard Time\r
BEGIN:STANDARD\r
DTSTART:16011104T020000\r
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r
TZOFFSETFROM:-0400\r
TZOFFSETTO:-0500\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010311T020000\r
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r
TZOFFSETFROM:-0500\r
TZOFFSETTO:-0400\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


@pytest.mark.parametrize(
    "header, tzid",
    [
        pytest.param(NEW_YORK, "Eastern Standard Time", id="outlook-vtimezone"),
        pytest.param("", "America/New_York", id="olson-tzid"),
    ],
)
def test_weekly_meeting_across_a_dst_change_keeps_its_local_hour(header, tzid):
    body = calendar(event("dst@x", f"DTSTART;TZID={tzid}:20260302T100000", "RRULE:FREQ=WEEKLY;COUNT=3"), header=header)
    assert [m.start for m in read(body).meetings] == [
        datetime(2026, 3, 2, 15, tzinfo=UTC), datetime(2026, 3, 9, 14, tzinfo=UTC), datetime(2026, 3, 16, 14, tzinfo=UTC)]


def test_upcoming_meetings_within_a_day_are_returned_apart_for_meeting_prep():
    body = calendar(event("soon@x", "20260321T090000Z"), event("later@x", "20260323T090000Z"),
                    event("past@x", "20260320T110000Z"))
    result = read(body)
    assert [m.uid for m in result.meetings] == ["past@x"]
    assert [m.uid for m in result.upcoming] == ["soon@x"]
    assert result.refresh_after == datetime(2026, 3, 21, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "body, words",
    [
        pytest.param(b"<!DOCTYPE html><html><body>Sign in</body></html>", "web page", id="html-login-page"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\x00\xff\xfe garbage", "does not start with BEGIN:VCALENDAR", id="binary-garbage"),
        pytest.param(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "malformed", id="truncated"),
        pytest.param(b"BEGIN:VCALENDAR\r\nthis line has no colon\r\nEND:VCALENDAR\r\n", "malformed", id="bad-content-line"),
    ],
)
def test_a_document_that_is_no_calendar_is_a_clear_fatal_error(body, words):
    with pytest.raises(FatalError, match=words) as raised:
        read(body)
    assert "Traceback" not in raised.value.message


def test_one_unreadable_event_is_skipped_and_the_rest_kept():
    body = calendar(
        event("nostart@x", "SUMMARY:no start at all"),
        event("badrule@x", "20260305T100000Z", "RRULE:FREQ=SOMETIMES"),
        event("baddate@x", "DTSTART:2026-03-05 at ten"),
        event("good@x", "20260306T100000Z"),
    )
    result = read(body)
    assert [m.uid for m in result.meetings] == ["good@x"]
    assert result.skipped == 3 and result.warning == "skipped 3 unreadable events"


@pytest.mark.parametrize(
    "first, rule, words",
    [
        pytest.param("20250301T000000Z", "RRULE:FREQ=SECONDLY", "repeating too often", id="every-second-for-ever"),
        pytest.param("19900101T000000Z", "RRULE:FREQ=HOURLY", "repeating too often", id="hourly-since-1990"),
        pytest.param("20260301T000000Z", "RRULE:FREQ=MINUTELY;COUNT=100000000", "past 20,000 occurrences", id="every-minute-huge-count"),
        pytest.param("19900101T000000Z", "RRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11;BYMINUTE=0,10,20,30,40,50;BYSECOND=0,30",
                     "past 20,000 occurrences", id="by-lists-multiply"),
    ],
)
def test_a_rule_repeating_too_often_is_left_out_quickly(first, rule, words):
    body = calendar(event("flood@x", first, rule), event("flood@x", "20260302T100000Z", "RECURRENCE-ID:20260302T000000Z"),
                    event("good@x", "20260306T100000Z"))
    result = read(body)
    assert [m.uid for m in result.meetings] == ["good@x"]  # the flood's moved occurrence went with it
    assert result.truncated and result.complete_until == result.complete_from  # so nothing is taken as cancelled
    assert words in result.warning


def test_the_window_s_occurrence_budget_leaves_out_the_rest_and_says_so():
    body = calendar(*(event(f"daily{n}@x", "20260101T100000Z", "RRULE:FREQ=DAILY") for n in range(5)))
    result = read(body, max_occurrences=200)  # each series has 80 occurrences in the window: two fit
    assert result.truncated and "past 200 occurrences" in result.warning
    assert {m.uid for m in result.meetings} == {"daily0@x", "daily1@x"} and len(result.meetings) == 2 * 79
    assert len(read(body, max_occurrences=2000).meetings) == 5 * 79  # Jan 1 .. Mar 20 each


def test_stale_captures_are_the_cancelled_deleted_or_moved_away_ones():
    before = read(WEEKLY)
    captured = [(m.uid, m.occurrence_key, "jane", m.start) for m in before.meetings]
    captured.append(("gone@x", SINGLE_OCCURRENCE, "jane", datetime(2026, 3, 1, tzinfo=UTC)))  # deleted since
    captured.append(("old@x", SINGLE_OCCURRENCE, "jane", datetime(2024, 1, 1, tzinfo=UTC)))  # outside the window: kept
    # Since then the Mar 9 occurrence was cancelled and the Feb 25 one moved again (same key).
    after = read(WEEKLY.replace(b"END:VCALENDAR", event(
        "weekly@ourco", "DTSTART;TZID=Europe/Berlin:20260309T100000", "RECURRENCE-ID;TZID=Europe/Berlin:20260309T100000",
        "STATUS:CANCELLED").encode() + b"END:VCALENDAR").replace(b"20260225T1", b"20260226T1"))
    assert stale_captures(captured, after, as_of=AS_OF) == {
        ("weekly@ourco", "2026-03-09T09:00:00+00:00", "jane"), ("gone@x", SINGLE_OCCURRENCE, "jane")}
    assert [m.start for m in after.meetings if m.occurrence_key == "2026-02-23T09:00:00+00:00"] == [
        datetime(2026, 2, 26, 14, tzinfo=UTC)]


# The connector over loopback -------------------------------------------------------------------

SECRET_PATH = "/calendar/ical/dana%40ourco.example/private-5ec4e7/basic.ics"


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def connector(allow_private: bool = True, **kwargs) -> CalendarConnector:
    return CalendarConnector(HttpClient(allow_private=allow_private, limits=FAST), **kwargs)


def sync(url, cursor=Cursor(), as_of=AS_OF, calendar_connector=None):
    return (calendar_connector or connector()).sync(url, cursor, IDENTITY, as_of=as_of)


def test_sync_reads_then_answers_304_until_the_next_meeting_begins(server):
    body = calendar(event("past@x", "20260320T110000Z"), event("soon@x", "20260320T150000Z"))
    url = server.add(SECRET_PATH, Route(body=body, content_type="text/calendar"))
    first = sync(url)
    assert [m.uid for m in first.expansion.meetings] == ["past@x"]
    assert first.cursor.etag and first.cursor.extra["refresh_after"] == "2026-03-20T15:00:00+00:00"
    assert first.cursor.url is None  # the secret address is never kept in the cursor
    sent = server.body_bytes[SECRET_PATH]
    second = sync(url, first.cursor, as_of=AS_OF + timedelta(hours=1))
    assert second.not_modified and second.expansion is None and server.body_bytes[SECRET_PATH] == sent
    third = sync(url, first.cursor, as_of=AS_OF + timedelta(hours=4))  # soon@x has begun: read in full
    assert not third.not_modified and {m.uid for m in third.expansion.meetings} == {"past@x", "soon@x"}
    assert server.body_bytes[SECRET_PATH] == 2 * sent


def test_webcal_addresses_are_read_over_https():
    assert normalise_calendar_url(" webcal://calendar.example/a.ics") == "https://calendar.example/a.ics"
    assert normalise_calendar_url("WEBCALS://calendar.example/a.ics") == "https://calendar.example/a.ics"


def test_a_permanent_redirect_is_returned_for_the_caller_to_store(server):
    target = server.add("/new/basic.ics", Route(body=calendar(), content_type="text/calendar"))
    url = server.add(SECRET_PATH, Route(status=301, location=target))
    assert sync(url).moved_url == target


@pytest.mark.parametrize(
    "route, error, words",
    [
        pytest.param(Route(status=404), FatalError, "reset", id="404-reset-address"),
        pytest.param(Route(status=503), RetriableError, "server error", id="503"),
        pytest.param(Route(huge_bytes=200_000), FatalError, "limit", id="over-the-size-limit"),
        pytest.param(Route(body=b"<html>nope</html>", content_type="text/html"), FatalError, "web page", id="html"),
        pytest.param(Route(body=calendar(), delay=0.6), RetriableError, "timed out", id="too-slow"),
    ],
)
def test_sync_errors_are_classified_and_never_show_the_secret_path(server, route, error, words):
    url = server.add(SECRET_PATH, route)
    with pytest.raises(error, match=words) as raised:
        sync(url)
    assert "private-5ec4e7" not in raised.value.message and "private-5ec4e7" not in str(raised.value)


def test_private_addresses_are_refused_unless_allowed_and_the_refusal_hides_the_path(server):
    url = server.add(SECRET_PATH, Route(body=calendar()))
    with pytest.raises(UnsafeURLError, match="STRONGTIE_ALLOW_PRIVATE_NETWORKS") as raised:
        sync(url, calendar_connector=connector(allow_private=False))
    assert "private-5ec4e7" not in raised.value.message


def test_scrub_urls_keeps_scheme_and_host_only():
    assert scrub_urls("refused 'https://user:pw@cal.example:8443/secret/x.ics?k=1': no") == "refused 'https://cal.example:8443/…': no"


def test_a_narrower_window_reads_less():
    result = expand(WEEKLY, IDENTITY, as_of=AS_OF, window=Window(past=timedelta(days=14)))
    assert [m.start.day for m in result.meetings] == [9, 16]
