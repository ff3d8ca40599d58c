"""After the agreement (#22): who owes is reminded 3 days and 1 day before each last day (Beijing days),
once; what is overdue shows on the mediator's case list and the supervisor's board; follow-up visits
fall due 7 and 30 days after sealing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update

from server.domain.clocks import end_of, local_day
from server.domain.follow_through import PerformanceReminders, overdue_in, reminder_day
from server.domain.follow_up_plans import plans_of
from server.domain.principal import SYSTEM
from server.models import Agreement, Obligation, OutboxMessage, Party, utcnow
from tests.api.agreement_helpers import Mediation, mediation
from tests.api.test_performance import sealed
from tests.api.test_turns import link_opens
from tests.conftest import PASSWORD, Actor, World


def reminders(world: World) -> PerformanceReminders:
    return PerformanceReminders(world.services.links._maker, world.services.settings)


async def sent(world: World, m: Mediation) -> list[OutboxMessage]:
    async with world.services.links._maker() as db:
        query = select(OutboxMessage).where(OutboxMessage.case_id == m.case_id, OutboxMessage.kind == "performance_due")
        return list(await db.scalars(query.where(OutboxMessage.channel == "sms").order_by(OutboxMessage.id)))


async def obligations(m: Mediation) -> list[dict[str, Any]]:
    return (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"]  # type: ignore[no-any-return]


async def test_who_owes_is_reminded_three_days_and_one_day_before_once_each(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    first = (await obligations(m))[0]  # 李四 pays 张三 5000 yuan by today + 30
    due = date.fromisoformat(first["due_date"])
    # The day four days before (to its last second in Beijing): nothing yet.
    assert await reminders(world).queue_due(end_of(due - timedelta(days=4)) - timedelta(seconds=1)) == 0
    # Midnight in Beijing starts the third day before: the respondent is reminded, once however often the round runs.
    at = end_of(due - timedelta(days=4))
    assert await reminders(world).queue_due(at) == 1
    assert await reminders(world).queue_due(at + timedelta(hours=5)) == 0
    [message] = await sent(world, m)
    assert message.party_id == m.party_id("respondent")
    params = message.template_params or {}
    assert list(params) == ["name", "case", "what", "days", "due", "link"]
    assert params["name"] == "李四" and params["what"] == "人民币5000.00元" and params["days"] == "3"
    assert f"{due.month}月{due.day}日前履行：人民币5000.00元，还有3天" in message.body
    # The link opens the respondent's own page.
    assert (await link_opens(world, message))["party"]["id"] == m.party_id("respondent")
    # The mediator sees the reminder and what became of it (recorded only: no SMS service here).
    shown = (await obligations(m))[0]["reminders"]
    # (the spool takes every kind here: nothing says it will not be sent)
    assert [(r["days"], r["channel"], r["status"], r["undelivered"]) for r in shown] == [(3, "sms", "pending", None)]
    # The day before: the 1-day reminder, once.
    day_before = end_of(due - timedelta(days=2))
    assert await reminders(world).queue_due(day_before) == 1
    assert await reminders(world).queue_due(day_before) == 0
    assert [(msg.template_params or {})["days"] for msg in await sent(world, m)] == ["3", "1"]
    # After the last day: no more.
    assert await reminders(world).queue_due(end_of(due)) == 0


async def test_nobody_is_reminded_of_what_they_reported_and_one_unreachable_is_said_so(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    apology = (await obligations(m))[2]  # the written apology, by today + 7
    due = date.fromisoformat(apology["due_date"])
    await m.respondent.call("POST", f"/api/v1/party/obligations/{apology['id']}/report", {"note": "已寄出道歉信"}, expect=201)
    assert await reminders(world).queue_due(end_of(due - timedelta(days=2))) == 0
    # A respondent with neither phone nor e-mail cannot be reminded: the case page says so, and nothing is queued.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Party).where(Party.id == m.party_id("respondent")).values(phone="", email=None))
    first = (await obligations(m))[0]
    assert first["reminder_unreachable"] is True and first["reminders"] == []
    assert await reminders(world).queue_due(end_of(date.fromisoformat(first["due_date"]) - timedelta(days=2))) == 0
    assert await sent(world, m) == []


def test_the_reminder_days_count_beijing_days() -> None:
    due = date(2027, 1, 10)
    assert [reminder_day(due, due - timedelta(days=n)) for n in (5, 4, 3, 2, 1, 0, -1)] == [None, None, 3, 3, 1, 1, None]


async def supervisor(world: World) -> Actor:
    city = await world.services.accounts.create_organisation(SYSTEM, "乌兰市司法局", "bureau")
    await world.services.accounts.update_organisation(SYSTEM, world.org_a.id, {"parent_id": city.id})
    await world.services.accounts.create_user(
        SYSTEM, username="sup_city", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=city.id
    )
    return await world.staff("sup_city")


async def test_an_overdue_instalment_shows_to_the_mediator_and_the_supervisor_above(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    sup = await supervisor(world)
    first = (await obligations(m))[0]
    today = local_day(utcnow())
    # Its last day was yesterday: overdue since today's midnight in Beijing.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Obligation).where(Obligation.id == first["id"]).values(due_date=today - timedelta(days=1)))
    listed = {c["id"]: c for c in (await m.liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed[m.case_id]["overdue_obligations"] == 1
    board = {c["id"]: c for c in (await sup.call("GET", "/api/v1/supervision"))["items"]}
    [overdue] = board[m.case_id]["overdue_obligations"]
    assert board[m.case_id]["case_number"] == "（2026）朝调字第12号"
    assert overdue["debtor"]["name"] == "李四" and overdue["creditor"]["name"] == "张三"
    assert overdue["what"].startswith("人民币5000.00元") and overdue["overdue_since"] == today.isoformat()
    assert overdue["label"] == {"zh": "第一条第1期", "en": "term 1, instalment 1 of 2"}
    # Reported by the one who owes, it awaits the other's answer: no longer overdue.
    await m.respondent.call("POST", f"/api/v1/party/obligations/{first['id']}/report", {}, expect=201)
    board = {c["id"]: c for c in (await sup.call("GET", "/api/v1/supervision"))["items"]}
    assert board[m.case_id]["overdue_obligations"] == []
    # Another organisation's mediator sees nothing of the case.
    zhao = await world.staff("zhao")
    assert m.case_id not in {c["id"] for c in (await zhao.call("GET", "/api/v1/cases"))["items"]}


async def test_an_instalment_becomes_overdue_at_midnight_in_beijing(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    first = (await obligations(m))[0]
    due = date.fromisoformat(first["due_date"])
    async with world.services.links._maker() as db:
        # (the apology, due on the 7th day, is long overdue by then: only the first instalment is looked at)
        last_second = local_day(end_of(due) - timedelta(seconds=1))
        assert first["id"] not in {o.row.id for o in (await overdue_in(db, [m.case_id], last_second))[m.case_id]}
        assert first["id"] in {o.row.id for o in (await overdue_in(db, [m.case_id], local_day(end_of(due))))[m.case_id]}


async def test_a_follow_up_visit_falls_due_seven_days_after_sealing(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    async with world.services.links._maker() as db:
        sealed_at = await db.scalar(select(Agreement.sealed_at).where(Agreement.case_id == m.case_id))
        assert sealed_at is not None
        day = local_day(sealed_at)
        plans = (await plans_of(db, [m.case_id]))[m.case_id]
        assert [p.plan for p in plans if p.due(day + timedelta(days=6))] == []
        assert [p.plan for p in plans if p.due(day + timedelta(days=7))] == ["sealed_7"]
    listed = {c["id"]: c for c in (await m.liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed[m.case_id]["follow_ups_due"] == 0
    # Sealed eight days ago: the 7-day visit is due, on the mediator's list and on the case.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Agreement).where(Agreement.case_id == m.case_id).values(sealed_at=sealed_at - timedelta(days=8)))
    listed = {c["id"]: c for c in (await m.liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed[m.case_id]["follow_ups_due"] == 1
