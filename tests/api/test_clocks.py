"""A case's clocks: their edge days across holidays and make-up workdays, and the case API's `clocks`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from server.domain.clocks import (
    CONFIRMATION_WINDOW,
    acceptance_clock,
    confirmation_clock,
    local_day,
    mediation_clock,
)
from server.domain.workdays import Workdays
from server.models import Agreement, Case, utcnow
from tests.api.agreement_helpers import mediation, sealed_agreement
from tests.api.helpers import open_case
from tests.conftest import World

BEIJING = ZoneInfo("Asia/Shanghai")
CALENDAR = Workdays()


def at(day: str, clock: str = "10:00") -> datetime:
    """A wall time in Beijing."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BEIJING)


# -- acceptance: three working days (在线调解规则 art. 12) ------------------------------------------


def test_acceptance_received_before_national_day_is_due_on_its_make_up_saturday() -> None:
    received = at("2026-09-30", "16:30")  # a Wednesday; 1–7 October are off, Saturday 10 October is worked
    clock = acceptance_clock(received, None, at("2026-10-09", "23:59"), CALENDAR)
    assert clock.due_date == date(2026, 10, 10) and clock.state == "running" and not clock.estimated
    assert acceptance_clock(received, None, at("2026-10-10", "08:00"), CALENDAR).state == "due_today"
    assert acceptance_clock(received, None, at("2026-10-10", "23:59"), CALENDAR).state == "due_today"
    assert acceptance_clock(received, None, at("2026-10-11", "00:00"), CALENDAR).state == "overdue"
    on_time = acceptance_clock(received, at("2026-10-10", "11:00"), at("2026-10-12"), CALENDAR)
    assert on_time.state == "met" and not on_time.met_late
    late = acceptance_clock(received, at("2026-10-12", "09:00"), at("2026-10-12", "10:00"), CALENDAR)
    assert late.state == "met" and late.met_late


def test_acceptance_over_the_spring_festival_counts_the_saturday_before_it() -> None:
    received = at("2026-02-13")  # Friday; Saturday 14 is worked, 15–23 February are off
    assert acceptance_clock(received, None, at("2026-02-13"), CALENDAR).due_date == date(2026, 2, 25)
    # Received on the make-up Saturday itself: the holiday week does not count.
    assert acceptance_clock(at("2026-02-14"), None, at("2026-02-14"), CALENDAR).due_date == date(2026, 2, 26)
    assert acceptance_clock(received, None, at("2026-02-24"), CALENDAR).state == "running"


def test_acceptance_in_a_year_nobody_has_loaded_is_estimated() -> None:
    clock = acceptance_clock(at("2099-09-30"), None, at("2099-09-30"), CALENDAR)
    assert clock.estimated and clock.due_date == date(2099, 10, 5)  # Wednesday + three Monday-to-Friday days


# -- mediation: 30 days from acceptance, the last day moved to a working day --------------------------


def test_mediation_due_in_the_national_day_holiday_moves_to_the_first_day_back() -> None:
    clock = mediation_clock(at("2026-09-01"), None, at("2026-10-01"), CALENDAR)
    assert clock.due_date == date(2026, 10, 8) and clock.state == "running"  # 1 October + 30 days is a holiday
    assert mediation_clock(at("2026-09-01"), None, at("2026-10-08", "17:00"), CALENDAR).state == "due_today"
    assert mediation_clock(at("2026-09-01"), None, at("2026-10-09", "00:00"), CALENDAR).state == "overdue"


def test_mediation_due_on_a_make_up_saturday_ends_that_saturday_but_an_ordinary_sunday_moves_on() -> None:
    assert mediation_clock(at("2026-09-10"), None, at("2026-09-10"), CALENDAR).due_date == date(2026, 10, 10)
    assert mediation_clock(at("2026-09-11"), None, at("2026-09-11"), CALENDAR).due_date == date(2026, 10, 12)


def test_mediation_due_in_the_spring_festival_moves_past_the_whole_holiday() -> None:
    clock = mediation_clock(at("2026-01-16"), None, at("2026-02-20"), CALENDAR)
    assert clock.due_date == date(2026, 2, 24) and clock.state == "running"  # 15 February is the first day off


def test_mediation_in_a_year_nobody_has_loaded_is_estimated_and_an_extension_takes_the_agreed_day() -> None:
    clock = mediation_clock(at("2098-12-11"), None, at("2098-12-11"), CALENDAR)
    assert clock.estimated and clock.due_date == date(2099, 1, 12)  # Saturday 10 January moves to the Monday
    extended = mediation_clock(at("2026-09-01"), None, at("2026-10-20"), CALENDAR, extended_to=date(2026, 10, 31))
    assert extended.extended and extended.due_date == date(2026, 10, 31) and extended.state == "running"


def test_the_confirmation_clock_is_the_thirty_days_the_court_window_has_always_had() -> None:
    sealed = at("2026-09-25", "15:20")
    clock = confirmation_clock(sealed, None, sealed)
    assert clock.due_at == sealed + timedelta(days=30) == sealed + CONFIRMATION_WINDOW
    assert clock.due_date == date(2026, 10, 25) and clock.state == "running"
    assert confirmation_clock(sealed, None, sealed + timedelta(days=30, seconds=1)).state == "overdue"


# -- the case API ----------------------------------------------------------------------------------


async def set_opened(world: World, case_id: str, when: datetime) -> None:
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Case).where(Case.id == case_id).values(created_at=when))


async def test_a_case_shows_its_mediation_clock_with_its_legal_source(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    [clock] = case["clocks"]
    opened = datetime.fromisoformat(case["created_at"].replace("Z", "+00:00"))
    last = local_day(opened) + timedelta(days=30)
    assert clock["name"] == "mediation" and clock["state"] == "running"
    assert clock["due_date"] == CALENDAR.next_workday(last).isoformat()
    assert clock["estimated"] == CALENDAR.estimated([last, CALENDAR.next_workday(last)])
    assert (clock["label_zh"], clock["label_en"]) == ("调解期限", "Mediation period")
    assert "《人民法院在线调解规则》第二十四条" in clock["source_zh"] and "第二十七条" in clock["source_zh"]
    assert "art. 24" in clock["source_en"] and clock["days"] == 30 and clock["met_at"] is None


async def test_the_mediation_clock_across_national_day_turns_overdue_and_is_met_when_mediation_ends(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    await set_opened(world, case["id"], at("2026-09-01"))
    clock = (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["clocks"][0]
    assert (clock["due_date"], clock["state"], clock["estimated"]) == ("2026-10-08", "overdue", False)
    assert clock["due_at"] == "2026-10-08T16:00:00Z"  # midnight after the last day, Beijing time
    await set_opened(world, case["id"], at("2026-09-10"))
    clock = (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["clocks"][0]
    assert clock["due_date"] == "2026-10-10"  # the make-up Saturday is a working day
    ended = await liu.call("POST", f"/api/v1/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "period_expired"})
    [clock] = ended["clocks"]
    assert clock["state"] == "met" and clock["met_late"] is True and clock["met_at"] is not None
    # Another organisation's mediator sees no clock: the case itself is refused.
    zhao = await world.staff("zhao")
    refused = await zhao.call("GET", f"/api/v1/cases/{case['id']}", expect=403)
    assert refused["error"]["reason"] == "another_organisation"


async def test_the_signing_and_confirmation_clocks_follow_the_agreement(world: World) -> None:
    m = await mediation(world)
    a, _ = await sealed_agreement(world, m)
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    clocks = {c["name"]: c for c in case["clocks"]}
    assert list(clocks) == ["mediation", "signing", "confirmation"]
    assert clocks["mediation"]["state"] == "met" and clocks["signing"]["state"] == "met"
    assert "地方做法" in clocks["signing"]["source_zh"] and "Local practice" in clocks["signing"]["source_en"]
    assert clocks["confirmation"]["state"] == "running" and "第三十三条" in clocks["confirmation"]["source_zh"]
    # The clock and the window the parties are held to are one and the same.
    party = await a.actor.call("GET", "/api/v1/party/confirmation")
    assert clocks["confirmation"]["due_at"] == party["deadline"]
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Agreement).where(Agreement.case_id == m.case_id).values(sealed_at=utcnow() - timedelta(days=31)))
    clock = next(c for c in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}"))["clocks"] if c["name"] == "confirmation")
    assert clock["state"] == "overdue"
    assert (await a.actor.call("GET", "/api/v1/party/confirmation"))["reason"] == "out_of_time"
