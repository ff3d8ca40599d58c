"""Small builders the API tests share."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.app import create_app
from server.services import SERVICES
from tests.conftest import Actor, World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def next_weekday_at(hour: int, minute: int = 0, days_ahead: int = 2, zone: ZoneInfo = SHANGHAI) -> datetime:
    """A Monday-to-Friday wall time at least `days_ahead` days from now, in `zone`."""
    day = datetime.now(zone) + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def weekday_slot(n: int, days_ahead: int, per_day: int = 8) -> datetime:
    """The n-th hourly slot from 08:30 on weekdays only, from `days_ahead` on: never two n on one slot.

    (Counting calendar days instead would put a Saturday's and a Sunday's slots on the Monday.)
    """
    day = next_weekday_at(8, 30, days_ahead=days_ahead)
    for _ in range(n // per_day):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day + timedelta(minutes=60 * (n % per_day))


async def open_case(mediator: Actor, number: str = "（2026）朝调字第12号", parties: int = 2) -> dict[str, Any]:
    case = await mediator.call(
        "POST",
        "/api/v1/cases",
        {
            "case_number": number,
            "dispute_type": "wages",
            "source": "party_application",
            "summary": "拖欠工资三个月",
            "amount_in_dispute": "12000.50",
        },
        expect=201,
    )
    people = [("applicant", "张三", "13800000001", "110101199003071234"), ("respondent", "李四", "13900000002", None)]
    for role, name, phone, id_number in people[:parties]:
        body: dict[str, Any] = {"role": role, "name": name, "phone": phone}
        if id_number:
            body["id_number"] = id_number
        await mediator.call("POST", f"/api/v1/cases/{case['id']}/parties", body, expect=201)
    opened: dict[str, Any] = await mediator.call("GET", f"/api/v1/cases/{case['id']}")
    return opened


async def book(
    mediator: Actor,
    case_id: str,
    starts: datetime,
    minutes: int = 60,
    zone: str = "Asia/Shanghai",
    expect: int = 201,
    mediator_id: str | None = None,
) -> Any:
    body = {"starts_at": starts.isoformat(), "duration_minutes": minutes, "timezone": zone}
    if mediator_id is not None:
        body["mediator_id"] = mediator_id
    return await mediator.call("POST", f"/api/v1/cases/{case_id}/sessions", body, expect=expect)


async def same_server_with(world: World, aiohttp_server: Any, **changes: Any) -> World:
    """The same database and files served by another process started with other settings (its SMS
    service switched off, say): what an operator's restart with a changed configuration gives."""
    app = create_app(replace(world.services.settings, **changes), migrate=False, run_background=False)
    server = await aiohttp_server(app)
    return replace(world, app=app, services=app[SERVICES], server=server)
