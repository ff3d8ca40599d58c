"""What becomes overdue is told to the mediator handling it and to the supervisors above (#21).

The tree is test_supervision's: 市司法局 → 县调解中心 → 镇调委会 → 朝阳区人民调解委员会 (刘调解员's).
A supervisor of the 海淀 centre, outside it, hears nothing of its cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from server.domain.clocks import LEGAL_ZONE
from server.domain.overdue import OverdueNotices
from server.domain.workdays import Workdays
from server.models import Case, OutboxMessage, User, utcnow
from tests.api.helpers import open_case
from tests.api.test_supervision import tree
from tests.conftest import World


def overdue(world: World) -> OverdueNotices:
    return OverdueNotices(world.services.links._maker, Workdays())


async def sent(world: World, kind: str) -> list[tuple[str, str, str]]:
    """(recipient, channel, body) of the staff notices of a kind, in the order queued."""
    async with world.services.links._maker() as db:
        rows = await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        return [(m.recipient, m.channel, m.body) for m in rows]


async def contacts(world: World, **phones: str) -> None:
    async with world.services.links._maker() as db, db.begin():
        for username, phone in phones.items():
            await db.execute(update(User).where(User.username == username).values(phone=phone))
        await db.execute(update(User).where(User.username == "sup_city").values(email="meng@sfj.example.cn"))


async def test_a_mediation_period_that_passed_is_told_to_the_mediator_and_the_supervisors_above_once(world: World) -> None:
    await tree(world)
    await contacts(world, liu="13800000001", wang="13800000002", sup_city="13800000009", sup_other="13800000008")
    liu = await world.staff("liu")
    late = await open_case(liu, "OD-1")
    await open_case(liu, "OD-2")
    # The first case was registered 40 days ago: its 30-day period has passed; the second's runs.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Case).where(Case.id == late["id"]).values(created_at=utcnow() - timedelta(days=40)))

    assert await overdue(world).queue_due() == 3
    told = await sent(world, "period_overdue")
    assert sorted((r, c) for r, c, _ in told) == [
        ("13800000001", "sms"), ("13800000009", "sms"), ("meng@sfj.example.cn", "email"),
    ]  # fmt: skip
    body = told[0][2]
    assert "OD-1" in body and "朝阳区人民调解委员会" in body and "调解期限已于" in body and "尚未办结" in body
    assert "extend the period if both parties agree" in body  # and in English below
    assert all("OD-2" not in b for _, _, b in told)
    # A later round queues nothing again; the case's own list of messages to its parties shows none of these.
    assert await overdue(world).queue_due(utcnow() + timedelta(hours=2)) == 0
    outbox = (await liu.call("GET", f"/api/v1/cases/{late['id']}/outbox"))["items"]
    assert [m for m in outbox if m["kind"] == "period_overdue"] == []
    # Once the case ends, nothing more is told about it.
    await liu.call("POST", f"/api/v1/cases/{late['id']}/outcome", {"outcome": "failed", "reason": "divergence", "note": ""})
    assert await overdue(world).queue_due(utcnow() + timedelta(days=40)) == 3  # only the second case, now overdue too
    assert all("OD-2" in b for _, _, b in (await sent(world, "period_overdue"))[3:])


async def test_an_instruction_not_answered_by_its_day_is_told_to_the_mediator_and_its_supervisor(world: World) -> None:
    t = await tree(world)
    await contacts(world, liu="13800000001", sup_city="13800000009")
    liu = await world.staff("liu")
    case = await open_case(liu, "OD-3")
    today = datetime.now(LEGAL_ZONE).date()
    path = f"/api/v1/cases/{case['id']}/supervision"
    answered = await t.city_supervisor.call("POST", path, {"text": "请报告进展。", "due_date": today.isoformat()}, expect=201)
    await t.city_supervisor.call("POST", path, {"text": "请组织第二次调解。", "due_date": today.isoformat()}, expect=201)
    await liu.call("POST", f"/api/v1/supervision/{answered['id']}/reply", {"text": "已联系双方，定于下周调解。"})

    # On its day nothing is late; the day after, the unanswered one is.
    assert await overdue(world).queue_due() == 0
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), LEGAL_ZONE) + timedelta(hours=9)
    assert await overdue(world).queue_due(tomorrow) == 3
    told = await sent(world, "reply_overdue")
    assert sorted(r for r, _, _ in told) == ["13800000001", "13800000009", "meng@sfj.example.cn"]
    assert all(f"{today.month}月{today.day}日" in b and "至今未回复" in b for _, _, b in told)
    assert await overdue(world).queue_due(tomorrow + timedelta(days=1)) == 0
