"""Booking behaves like a good scheduler: no double-booking, buffers, availability, history."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from icalendar import Calendar

from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World


async def test_booking_issues_a_link_per_party_and_invitations_in_the_outbox(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    assert {link["party_name"] for link in booked["links"]} == {"张三", "李四"}
    assert all(link["url"].startswith("http://mediate.test/j/") for link in booked["links"])
    session = booked["session"]
    assert session["starts_at_local"].endswith("+08:00") and "T10:00:00" in session["starts_at_local"]
    assert [p["link_status"] for p in session["parties"]] == ["active", "active"]
    outbox = (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]
    invitations = [m for m in outbox if m["kind"] == "invitation"]
    assert len(invitations) == 2
    for link in booked["links"]:
        assert any(link["url"] in m["body"] for m in invitations), "the outbox carries each party's link"


async def test_double_booking_is_refused_with_the_conflicting_session(world: World) -> None:
    liu = await world.staff("liu")
    first = await open_case(liu, "A-1")
    second = await open_case(liu, "A-2")
    starts = next_weekday_at(10)
    taken = (await book(liu, first["id"], starts))["session"]
    answer = await book(liu, second["id"], starts + timedelta(minutes=30), expect=409)
    assert answer["error"]["code"] == "conflict"
    assert answer["error"]["conflict"]["session_id"] == taken["id"]
    assert answer["error"]["conflict"]["case_number"] == "A-1"


async def test_buffer_between_sessions_is_respected(world: World) -> None:
    liu = await world.staff("liu")
    first, second = await open_case(liu, "B-1"), await open_case(liu, "B-2")
    starts = next_weekday_at(10)
    await book(liu, first["id"], starts, minutes=60)
    buffer = world.services.settings.booking_buffer_minutes
    too_close = starts + timedelta(minutes=60 + buffer - 5)
    await book(liu, second["id"], too_close, expect=409)
    just_right = starts + timedelta(minutes=60 + buffer)
    await book(liu, second["id"], just_right)


async def test_another_mediator_is_not_blocked_by_my_sessions(world: World) -> None:
    liu, wang = await world.staff("liu"), await world.staff("wang")
    starts = next_weekday_at(10)
    await book(liu, (await open_case(liu, "C-1"))["id"], starts)
    await book(wang, (await open_case(wang, "C-2"))["id"], starts)


async def test_concurrent_bookings_of_one_slot_give_exactly_one_session(world: World) -> None:
    liu = await world.staff("liu")
    cases = [await open_case(liu, f"R-{i}") for i in range(6)]
    starts = next_weekday_at(14)
    answers = await asyncio.gather(
        *(
            liu.request(
                "POST",
                f"/api/v1/cases/{c['id']}/sessions",
                {"starts_at": starts.isoformat(), "duration_minutes": 60, "timezone": "Asia/Shanghai"},
            )
            for c in cases
        )
    )
    assert sorted(a.status for a in answers) == [201] + [409] * 5


async def test_sessions_outside_availability_in_the_past_or_with_bad_zones_are_refused(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    saturday = next_weekday_at(10)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    for starts, zone, field in [
        (saturday, "Asia/Shanghai", "starts_at"),
        (next_weekday_at(7), "Asia/Shanghai", "starts_at"),
        (next_weekday_at(10, days_ahead=-3), "Asia/Shanghai", "starts_at"),
        (next_weekday_at(10), "Mars/Olympus_Mons", "timezone"),
    ]:
        answer = await book(liu, case["id"], starts, zone=zone, expect=422)
        assert answer["error"]["fields"][0]["field"] == field, answer


async def test_availability_exceptions_block_and_open_days(world: World) -> None:
    liu = await world.staff("liu")
    me = world.ids["liu"]
    case = await open_case(liu)
    day = next_weekday_at(10)
    await liu.call(
        "POST",
        f"/api/v1/users/{me}/availability/exceptions",
        {"date": day.date().isoformat(), "available": False, "reason": "年假"},
        expect=201,
    )
    await book(liu, case["id"], day, expect=422)
    saturday = day
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    await liu.call(
        "POST",
        f"/api/v1/users/{me}/availability/exceptions",
        {"date": saturday.date().isoformat(), "start": "09:00", "end": "12:00", "available": True},
        expect=201,
    )
    await book(liu, case["id"], saturday)


async def test_weekly_availability_follows_the_mediators_zone_across_dst(world: World) -> None:
    """09:00-17:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    liu = await world.staff("liu")
    me = world.ids["liu"]
    await liu.call(
        "PUT",
        f"/api/v1/users/{me}/availability",
        {"timezone": "Europe/Berlin", "weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]},
    )
    case = await open_case(liu)
    berlin = ZoneInfo("Europe/Berlin")
    year = datetime.now(berlin).year + 1
    for month in (1, 7):
        wall = datetime(year, month, 15, 9, 0, tzinfo=berlin)
        await book(liu, case["id"], wall, zone="Europe/Berlin")
        before = wall - timedelta(minutes=30)
        await book(liu, case["id"], before, minutes=30, zone="Europe/Berlin", expect=422)


async def test_reschedule_moves_the_session_and_keeps_the_calendar_uid(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    session, party_id = booked["session"], booked["links"][0]["party_id"]
    ics_path = f"/api/v1/sessions/{session['id']}/parties/{party_id}/calendar.ics"
    before = Calendar.from_ical(await (await liu.request("GET", ics_path)).read()).walk("VEVENT")[0]
    new_start = next_weekday_at(15, days_ahead=3)
    moved = (
        await liu.call(
            "POST", f"/api/v1/sessions/{session['id']}/reschedule", {"starts_at": new_start.isoformat(), "reason": "当事人请求"}
        )
    )["session"]
    assert moved["starts_at_local"].startswith(new_start.isoformat()[:19])
    after = Calendar.from_ical(await (await liu.request("GET", ics_path)).read()).walk("VEVENT")[0]
    assert str(after["UID"]) == str(before["UID"])
    assert int(after.decoded("SEQUENCE")) == int(before.decoded("SEQUENCE")) + 1
    assert after.decoded("DTSTART") == new_start
    history = (await liu.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"]
    assert [e["kind"] for e in history].count("session_rescheduled") == 1
    # The party's link still works after the move.
    party = await world.actor()
    assert (await party.open_link(booked["links"][0]["url"])).status == 303


async def test_cancel_revokes_links_and_sends_a_cancelling_calendar(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    session, url = booked["session"], booked["links"][0]["url"]
    party = await world.actor()
    assert (await party.open_link(url)).status == 303
    assert (await party.request("GET", "/api/v1/party/me")).status == 200
    await liu.call("POST", f"/api/v1/sessions/{session['id']}/cancel", {"reason": "已和解"})
    assert (await party.request("GET", "/api/v1/party/me")).status == 401, "the open party page stops working"
    assert (await (await world.actor()).open_link(url)).status == 410
    ics = Calendar.from_ical(
        await (
            await liu.request("GET", f"/api/v1/sessions/{session['id']}/parties/{booked['links'][0]['party_id']}/calendar.ics")
        ).read()
    )
    assert str(ics["METHOD"]) == "CANCEL"
    assert str(ics.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    kinds = [e["kind"] for e in (await liu.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"]]
    assert "session_cancelled" in kinds and kinds.count("link_revoked") == 2
    listed = (await liu.call("GET", "/api/v1/cases"))["items"]
    assert listed[0]["next_session"] is None, "a cancelled session is not the next one"
    # A cancelled slot is free again.
    again = (await book(liu, case["id"], next_weekday_at(10)))["session"]
    listed = (await liu.call("GET", "/api/v1/cases"))["items"]
    assert listed[0]["next_session"]["id"] == again["id"]


async def test_a_booking_tells_each_party_their_own_working_link_and_the_history_says_so_in_order(world: World) -> None:
    """The links, their history lines and the invitations go in at the end of the booking's batch
    (server/domain/later.py); a link re-issued later, outside any batch, is saved at once."""
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    applicant, respondent = (link["party_id"] for link in booked["links"])
    again = await liu.call("POST", f"/api/v1/sessions/{booked['session']['id']}/links/{applicant}", expect=201)
    history = (await liu.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"]
    lines = [(e["kind"], e["data"].get("party_id")) for e in history if e["kind"] in {"session_booked", "link_issued"}]
    assert lines == [
        ("session_booked", None),
        ("link_issued", applicant),
        ("link_issued", respondent),
        ("link_issued", applicant),
    ]
    outbox = (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]
    texts = {(m["kind"], m["party_id"]): m["body"] for m in outbox}
    assert set(texts) == {("invitation", applicant), ("invitation", respondent), ("link_reissued", applicant)}
    urls = {
        ("invitation", applicant): booked["links"][0]["url"],
        ("invitation", respondent): booked["links"][1]["url"],
        ("link_reissued", applicant): again["url"],
    }
    for key, url in urls.items():
        assert url in texts[key], (key, texts[key])
    # Each text's link opens its party's page: the respondent's invitation and the applicant's new link.
    for url in (urls[("invitation", respondent)], urls[("link_reissued", applicant)]):
        assert (await (await world.actor()).open_link(url)).status == 303
    assert (await (await world.actor()).open_link(urls[("invitation", applicant)])).status == 410  # replaced
