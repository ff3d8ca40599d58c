"""The other side is asked whether they agree to mediation (人民调解法 art. 17), and only they answer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from server.domain.clocks import end_of
from server.domain.willingness import ask_other_side, default_due
from server.domain.workdays import Workdays
from server.models import Case, OutboxMessage, PartyLink, WillingnessQuestion, utcnow
from tests.api.helpers import book, next_weekday_at, open_case
from tests.api.test_referrals import bundle_types
from tests.conftest import Actor, World

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def messages(world: World, case_id: str, kind: str) -> list[OutboxMessage]:
    async with world.services.links._maker() as db:
        query = select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.kind == kind, OutboxMessage.channel == "sms"
        )
        return list(await db.scalars(query.order_by(OutboxMessage.id)))


async def open_message_link(world: World, message: OutboxMessage) -> Actor:
    """The link in the text, tapped by the person it was sent to: their own browser."""
    link = (message.template_params or {})["link"]
    url = f"{world.services.settings.base_url}/{link}"
    assert url in message.body
    browser = await world.actor()
    opened = await browser.open_link(url)
    assert opened.status == 303, await opened.text()
    return browser


async def asked_case(world: World, liu: Actor, number: str = "（2026）朝调字第31号") -> tuple[dict[str, Any], Actor]:
    """A case registered at the window, its respondent asked from the case page, and the respondent's browser."""
    case = await open_case(liu, number)
    asked = await liu.call("POST", f"/api/v1/cases/{case['id']}/willingness", {}, expect=201)
    assert asked["state"] == "waiting" and [a["name"] for a in asked["answers"]] == ["李四"]
    [message] = await messages(world, case["id"], "willingness_asked")
    assert message.recipient == "13900000002"  # the respondent's phone, nobody else's
    return case, await open_message_link(world, message)


async def test_the_respondent_sees_who_applied_and_what_about_and_accepting_is_their_record(world: World) -> None:
    liu = await world.staff("liu")
    case, lisi = await asked_case(world, liu)
    me = await lisi.call("GET", "/api/v1/party/me")
    # No session is booked yet: the page holds the question and nothing else.
    assert me["session"] is None and me["party"]["name"] == "李四"
    question = me["willingness"]
    assert question["role"] == "respondent" and question["applicants"] == ["张三"]
    assert question["summary"] == "拖欠工资三个月" and "张三" in question["question"]["zh"]
    assert question["mine"]["answer"] is None and question["state"] == "waiting"

    answered = (await lisi.call("POST", "/api/v1/party/willingness", {"answer": "accepted"}))["willingness"]
    assert answered["mine"]["answer"] == "accepted" and answered["state"] == "accepted"
    # The same answer sent again (a replay, a double tap) is refused: one answer, once.
    again = await lisi.call("POST", "/api/v1/party/willingness", {"answer": "refused"}, expect=409)
    assert again["error"]["reason"] == "already_answered" and again["error"]["answer"] == "accepted"

    seen = await liu.call("GET", f"/api/v1/cases/{case['id']}/willingness")
    assert seen["state"] == "accepted" and seen["answers"][0]["answer"] == "accepted"
    assert (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["status"] == "open"
    types = await bundle_types(world, liu, case["id"], "accepted.zip")
    assert types.count("mediation_accepted") == 1 and "mediation_ended" not in types
    records = (await liu.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    [record] = [r for r in records if r["type"] == "mediation_accepted"]
    assert record["actor"]["kind"] == "party" and record["actor"]["id"] == question["mine"]["party_id"]


async def test_a_refusal_ends_the_case_and_the_applicant_is_told_the_routes_still_open(world: World) -> None:
    liu = await world.staff("liu")
    case, lisi = await asked_case(world, liu)
    refused = await lisi.call("POST", "/api/v1/party/willingness", {"answer": "refused", "reason": "工资已经结清"})
    view = refused["willingness"]
    assert view["state"] == "refused" and view["mine"]["reason"] == "工资已经结清"
    assert view["ended"]["reason"] == "other_side_refused"

    kase = await liu.call("GET", f"/api/v1/cases/{case['id']}")
    assert kase["status"] == "failed"
    [told] = await messages(world, case["id"], "willingness_ended")
    assert told.recipient == "13800000001" and "向人民法院起诉" in told.body
    zhang = await open_message_link(world, told)
    seen = (await zhang.call("GET", "/api/v1/party/willingness"))["willingness"]
    assert seen["role"] == "applicant" and seen["state"] == "refused"
    assert seen["answers"][0]["name"] == "李四" and seen["answers"][0]["reason"] == "工资已经结清"
    assert "向人民法院提起诉讼" in seen["routes"]["zh"] and seen["ended"]["zh"].startswith("对方当事人不同意调解")
    types = await bundle_types(world, liu, case["id"], "refused.zip")
    assert types[-2:] == ["mediation_refused", "mediation_ended"]


async def test_silence_past_the_deadline_ends_the_case_without_anyone_acting(world: World) -> None:
    liu = await world.staff("liu")
    case, lisi = await asked_case(world, liu)
    due = datetime.fromisoformat((await liu.call("GET", f"/api/v1/cases/{case['id']}/willingness"))["answers"][0]["due_at"])
    sweep = world.services.willingness.sweep
    assert await sweep(due - timedelta(seconds=1)) == 0
    assert (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["status"] == "open"
    assert await sweep(due) == 1
    assert await sweep(due + timedelta(hours=1)) == 0  # once
    kase = await liu.call("GET", f"/api/v1/cases/{case['id']}")
    assert kase["status"] == "failed"
    seen = await liu.call("GET", f"/api/v1/cases/{case['id']}/willingness")
    assert seen["state"] == "silent" and seen["ended"]["reason"] == "other_side_silent"
    # Too late now: the deadline passed and the case has ended.
    late = await lisi.call("POST", "/api/v1/party/willingness", {"answer": "accepted"}, expect=409)
    assert late["error"]["reason"] == "answer_too_late"
    assert [m.recipient for m in await messages(world, case["id"], "willingness_ended")] == ["13800000001"]
    types = await bundle_types(world, liu, case["id"], "silent.zip")
    assert "mediation_ended" in types and "mediation_refused" not in types


async def test_only_the_asked_respondent_answers_not_the_applicant_nor_another_cases_party(world: World) -> None:
    liu = await world.staff("liu")
    case, lisi = await asked_case(world, liu)
    # Sessions may be booked while the answer is awaited; the applicant's own link cannot answer for the other side.
    booked = await book(liu, case["id"], next_weekday_at(10))
    [applicant_link] = [link for link in booked["links"] if link["party_name"] == "张三"]
    zhang = await world.actor()
    assert (await zhang.open_link(applicant_link["url"])).status == 303
    refused = await zhang.call("POST", "/api/v1/party/willingness", {"answer": "refused"}, expect=403)
    assert refused["error"]["reason"] == "not_asked"
    me = await zhang.call("GET", "/api/v1/party/me")
    assert me["willingness"]["state"] == "waiting" and me["willingness"]["mine"] is None

    # Another case's respondent answers only in their own case.
    other, wang = await asked_case(world, liu, "（2026）朝调字第32号")
    await wang.call("POST", "/api/v1/party/willingness", {"answer": "refused"})
    assert (await liu.call("GET", f"/api/v1/cases/{other['id']}"))["status"] == "failed"
    assert (await liu.call("GET", f"/api/v1/cases/{case['id']}/willingness"))["state"] == "waiting"
    # Staff cannot answer for a party, and a mediator of another organisation cannot ask or read.
    assert (await liu.request("POST", "/api/v1/party/willingness", json={"answer": "accepted"})).status == 403
    zhao = await world.staff("zhao")
    assert (await zhao.request("GET", f"/api/v1/cases/{case['id']}/willingness")).status in (403, 404)
    # The respondent's session link (from the booking) answers too: it is their own.
    [respondent_link] = [link for link in booked["links"] if link["party_name"] == "李四"]
    lisi_in_session = await world.actor()
    assert (await lisi_in_session.open_link(respondent_link["url"])).status == 303
    accepted = await lisi_in_session.call("POST", "/api/v1/party/willingness", {"answer": "accepted"})
    assert accepted["willingness"]["state"] == "accepted"
    assert (await lisi.call("GET", "/api/v1/party/willingness"))["willingness"]["mine"]["answer"] == "accepted"


async def test_the_mediator_chooses_the_last_day_within_reason_and_asks_once(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    path = f"/api/v1/cases/{case['id']}/willingness"
    today = datetime.now(SHANGHAI).date()
    past = await liu.call("POST", path, {"due_date": today.isoformat()}, expect=422)
    assert past["error"]["fields"][0]["code"] == "not_after_today"
    far = await liu.call("POST", path, {"due_date": (today + timedelta(days=31)).isoformat()}, expect=422)
    assert far["error"]["fields"][0]["code"] == "too_far"
    chosen = today + timedelta(days=10)
    asked = await liu.call("POST", path, {"due_date": chosen.isoformat()}, expect=201)
    assert asked["answers"][0]["due_date"] == chosen.isoformat()
    assert datetime.fromisoformat(asked["answers"][0]["due_at"]) == end_of(chosen)
    again = await liu.call("POST", path, {}, expect=409)
    assert again["error"]["reason"] == "already_asked"
    [message] = await messages(world, case["id"], "willingness_asked")
    assert f"{chosen.month}月{chosen.day}日" in message.body
    lonely = await open_case(liu, "R-9", parties=1)
    alone = await liu.call("POST", f"/api/v1/cases/{lonely['id']}/willingness", {}, expect=409)
    assert alone["error"]["reason"] == "no_respondent"


def test_the_default_deadline_is_three_working_days_across_national_day_and_its_make_up_saturday() -> None:
    # Asked on Wednesday 30 September 2026: 8 (Thu), 9 (Fri) and 10 October (Sat, a make-up workday).
    asked = datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)
    assert default_due(asked, Workdays()) == end_of(date(2026, 10, 10))


async def test_an_accepted_application_asks_the_other_side_and_the_next_round_sends_the_link(world: World) -> None:
    """How the online application calls it: in its own transaction, without settings; the round sends the text."""
    liu = await world.staff("liu")
    case = await open_case(liu)
    async with world.services.links._maker() as db, db.begin():
        kase = await db.get(Case, case["id"])
        assert kase is not None
        [question] = await ask_other_side(db, kase)
        assert question.notified_at is None
    assert await messages(world, case["id"], "willingness_asked") == []
    assert await world.services.willingness.sweep(utcnow()) == 1
    [message] = await messages(world, case["id"], "willingness_asked")
    lisi = await open_message_link(world, message)
    assert (await lisi.call("GET", "/api/v1/party/willingness"))["willingness"]["mine"]["answer"] is None
    async with world.services.links._maker() as db:
        row = await db.scalar(select(WillingnessQuestion).where(WillingnessQuestion.case_id == case["id"]))
        assert row is not None and row.notified_at is not None and row.asked_by is None


async def test_a_question_link_past_its_time_is_refused_and_names_the_mediator(world: World) -> None:
    liu = await world.staff("liu")
    case, lisi = await asked_case(world, liu)
    [message] = await messages(world, case["id"], "willingness_asked")
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(PartyLink).where(PartyLink.session_id.is_(None)).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    link = (message.template_params or {})["link"]
    response = await (await world.actor()).client.get(f"/{link}", allow_redirects=False)
    page = await response.text()
    assert response.status == 410 and "链接已过期" in page and "您的调解员：刘调解员" in page
    # The browser that opened it before is out too: the link alone decided.
    assert (await lisi.request("GET", "/api/v1/party/me")).status == 401


async def test_a_mediator_cannot_end_a_case_on_the_other_sides_behalf(world: World) -> None:
    """The grounds "refused" and "did not answer" are the platform's to record, from the answer itself."""
    liu = await world.staff("liu")
    case = await open_case(liu)
    for reason in ("other_side_refused", "other_side_silent"):
        refused = await liu.call(
            "POST", f"/api/v1/cases/{case['id']}/outcome", {"outcome": "failed", "reason": reason}, expect=422
        )
        assert refused["error"]["fields"][0]["field"] == "reason"
    meta = await liu.call("GET", "/api/v1/meta")
    automatic = {r["code"] for r in meta["mediation_end_reasons"] if r.get("automatic")}
    assert automatic == {"other_side_refused", "other_side_silent"}
