"""Times are stored in UTC and shown in the viewer's zone; .ics files are RFC 5545."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World


async def test_times_are_shown_in_the_viewers_zone_with_and_without_dst(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year + 1
    # A Wednesday in January and one in July, 10:00 in Shanghai (UTC+8 all year).
    winter = datetime(year, 1, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    summer = datetime(year, 7, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    winter += timedelta(days=(2 - winter.weekday()) % 7)
    summer += timedelta(days=(2 - summer.weekday()) % 7)
    sessions = [(await book(liu, case["id"], when))["session"] for when in (winter, summer)]
    assert [s["starts_at"] for s in sessions] == [f"{winter.date()}T02:00:00Z", f"{summer.date()}T02:00:00Z"]
    assert [s["starts_at_local"][-6:] for s in sessions] == ["+08:00", "+08:00"]
    # The same sessions seen from New York: EST (-05:00) in January, EDT (-04:00) in July.
    ny = [await liu.call("GET", f"/api/v1/sessions/{s['id']}?tz=America/New_York") for s in sessions]
    assert ny[0]["starts_at_local"] == f"{(winter - timedelta(days=1)).date()}T21:00:00-05:00"
    assert ny[1]["starts_at_local"] == f"{(summer - timedelta(days=1)).date()}T22:00:00-04:00"
    bad = await liu.call("GET", f"/api/v1/sessions/{sessions[0]['id']}?tz=Nowhere/Land", expect=422)
    assert bad["error"]["fields"][0]["field"] == "tz"


async def test_a_session_booked_in_a_dst_zone_keeps_its_wall_time(world: World) -> None:
    liu = await world.staff("liu")
    me = world.ids["liu"]
    await liu.call(
        "PUT",
        f"/api/v1/users/{me}/availability",
        {"timezone": "Europe/Berlin", "weekly": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)]},
    )
    case = await open_case(liu)
    year = datetime.now(ZoneInfo("UTC")).year + 1
    # A naive time is wall time in the booking's zone: 10:00 Berlin on the day after the
    # spring change is 08:00 UTC, the day before it is 09:00 UTC.
    march_change = max(datetime(year, 3, d) for d in range(25, 32) if datetime(year, 3, d).weekday() == 6)
    for day, utc_hour in ((march_change - timedelta(days=1), 9), (march_change + timedelta(days=1), 8)):
        answer = await liu.call(
            "POST",
            f"/api/v1/cases/{case['id']}/sessions",
            {"starts_at": day.replace(hour=10).isoformat(), "duration_minutes": 60, "timezone": "Europe/Berlin"},
            expect=201,
        )
        assert answer["session"]["starts_at"] == f"{day.date()}T{utc_hour:02d}:00:00Z"


async def test_the_ics_file_is_valid_icalendar_with_the_right_zone(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    starts = next_weekday_at(10)
    booked = await book(liu, case["id"], starts, minutes=90)
    party = await world.actor()
    await party.open_link(booked["links"][0]["url"])
    response = await party.request("GET", "/api/v1/party/calendar.ics")
    assert response.status == 200 and response.content_type == "text/calendar"
    raw = await response.read()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n"), "RFC 5545 lines end with CRLF"
    cal = Calendar.from_ical(raw)
    assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH"
    event = cal.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert case["case_number"] in str(event["SUMMARY"])
    assert int(event.decoded("SEQUENCE")) == 0 and str(event["UID"]).endswith("@mediate")
