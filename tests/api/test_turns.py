"""Each person is told when it is their turn, with a link that opens, and before a deadline passes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from server.domain.agreements.sealer import AFTER_SEAL
from server.domain.confirmation.application import WINDOW
from server.domain.turns import Turns
from server.models import Agreement, OutboxMessage, utcnow
from tests.api.agreement_helpers import TERMS, Mediation, bind_device_key, mediation, party_signs, sealed_agreement
from tests.api.test_confirmation import regions, sign_application
from tests.conftest import World


def turns(world: World) -> Turns:
    return Turns(world.services.links._maker, world.services.settings, confirmation_window=WINDOW, after_seal=AFTER_SEAL)


async def messages(world: World, case_id: str, kind: str) -> list[OutboxMessage]:
    async with world.services.links._maker() as db:
        query = select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.kind == kind, OutboxMessage.channel == "sms"
        )
        return list(await db.scalars(query.order_by(OutboxMessage.id)))


async def link_opens(world: World, message: OutboxMessage) -> dict[str, Any]:
    """The link in the message, as the party would tap it: it opens their page."""
    link = (message.template_params or {})["link"]
    assert f"{world.services.settings.base_url}/{link}" in message.body
    browser = await world.actor()
    opened = await browser.open_link(f"{world.services.settings.base_url}/{link}")
    assert opened.status == 303
    return await browser.call("GET", "/api/v1/party/me")  # type: ignore[no-any-return]


async def finalise(m: Mediation, days: float) -> datetime:
    base = f"/api/v1/cases/{m.case_id}/agreement"
    await m.liu.call("POST", base, {"session_id": m.session["session"]["id"]}, expect=201)
    await m.liu.call("POST", f"{base}/versions", {"content": TERMS, "based_on": 1}, expect=201)
    deadline = utcnow() + timedelta(days=days)
    await m.liu.call("POST", f"{base}/final", {"version": 2, "deadline": deadline.isoformat()})
    return deadline


async def test_when_the_agreement_is_final_each_party_is_asked_to_sign_with_a_link(world: World) -> None:
    m = await mediation(world)
    await finalise(m, days=5)
    asked = await messages(world, m.case_id, "agreement_to_sign")
    assert sorted(message.party_id or "" for message in asked) == sorted([m.party_id("applicant"), m.party_id("respondent")])
    for message in asked:
        params = message.template_params or {}
        assert list(params) == ["name", "case", "deadline", "link"] and "北京时间" in params["deadline"]
        assert "请在" in message.body and "阅读并签署" in message.body
        me = await link_opens(world, message)
        assert me["party"]["id"] == message.party_id


async def test_signing_deadline_reminders_go_3_and_1_days_before_once_and_not_to_who_signed(world: World) -> None:
    m = await mediation(world)
    signer = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    deadline = await finalise(m, days=10)
    await party_signs(world, signer)
    rounds = turns(world)
    assert await rounds.queue_due(now=deadline - timedelta(days=4)) == 0, "too early"
    assert await rounds.queue_due(now=deadline - timedelta(days=2, hours=12)) == 1, "the respondent only: the applicant signed"
    assert await rounds.queue_due(now=deadline - timedelta(days=2)) == 0, "not twice"
    assert await rounds.queue_due(now=deadline - timedelta(hours=20)) == 1
    reminders = await messages(world, m.case_id, "signing_deadline")
    assert [(r.party_id, (r.template_params or {})["days"]) for r in reminders] == [
        (m.party_id("respondent"), "3"),
        (m.party_id("respondent"), "1"),
    ]
    assert "还有1天" in reminders[1].body and "您尚未签署" in reminders[1].body
    await link_opens(world, reminders[1])
    assert await rounds.queue_due(now=deadline + timedelta(hours=1)) == 0, "past the deadline"


async def test_no_reminder_right_after_the_notice_itself(world: World) -> None:
    m = await mediation(world)
    await finalise(m, days=2)
    assert await turns(world).queue_due() == 0, "they were just told, with the deadline"


async def test_the_other_party_is_asked_to_cosign_the_application(world: World) -> None:
    await regions(world)
    m = await mediation(world)
    a, b = await sealed_agreement(world, m)
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    court = next(c for c in status["courts"] if c["name"] == "朝阳区人民法院")
    await a.actor.call("POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=201)
    [asked] = await messages(world, m.case_id, "cosign_needed")
    assert asked.party_id == b.party_id
    params = asked.template_params or {}
    assert params["other"] == "张三" and params["court"] == "朝阳区人民法院"
    assert "须由双方共同申请" in asked.body
    me = await link_opens(world, asked)
    assert me["party"]["id"] == b.party_id


async def test_the_30_day_confirmation_deadline_is_reminded_until_the_application_is_in(world: World) -> None:
    await regions(world)
    m = await mediation(world)
    a, b = await sealed_agreement(world, m)
    async with world.services.links._maker() as db:
        agreement = await db.scalar(select(Agreement).where(Agreement.case_id == m.case_id))
        assert agreement is not None and agreement.sealed_at is not None
        deadline = agreement.sealed_at + WINDOW
    rounds = turns(world)
    assert await rounds.queue_due(now=deadline - timedelta(days=5)) == 0
    assert await rounds.queue_due(now=deadline - timedelta(days=2, hours=12)) == 2, "both parties: no application yet"
    [first, _] = await messages(world, m.case_id, "confirmation_deadline")
    assert "申请司法确认的期限还有3天" in first.body
    # Both sign the application: it is in, and no further reminder goes.
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    court = next(c for c in status["courts"] if c["name"] == "朝阳区人民法院")
    started = await a.actor.call(
        "POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=201
    )
    await sign_application(world, a, started["sign"])
    prepared = await b.actor.call("POST", "/api/v1/party/confirmation/sign", {}, expect=201)
    await sign_application(world, b, prepared)
    assert await rounds.queue_due(now=deadline - timedelta(hours=20)) == 0
