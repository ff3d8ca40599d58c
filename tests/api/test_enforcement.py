"""The payee's application for enforcement (强制执行申请书, issue #22): after a court confirmed the
agreement and an instalment owed to them is overdue, the party owed gets a pre-filled PDF to sign
by hand and take to that court; the payer, and a case without a ruling or with nothing unpaid, are
refused with the reason named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from server.domain.clocks import local_day
from server.domain.enforcement import application_doc
from server.models import Case, ConfirmationApplication, LogEntry, Obligation, Organisation, Party, utcnow
from tests.api.agreement_helpers import Mediation, Signer, mediation
from tests.api.test_confirmation import decide, regions, sign_application
from tests.api.test_performance import answer, sealed
from tests.api.test_transcripts import verified
from tests.conftest import World
from tests.pdf_text import pdf_text


async def confirmed(world: World, m: Mediation, a: Signer, b: Signer) -> dict[str, Any]:
    """Both parties apply jointly; the court accepts, numbers and confirms the agreement."""
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    court = next(c for c in status["courts"] if c["name"] == "朝阳区人民法院")
    started = await a.actor.call(
        "POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=201
    )
    await sign_application(world, a, started["sign"])
    application = (
        await sign_application(world, b, await b.actor.call("POST", "/api/v1/party/confirmation/sign", {}, expect=201))
    )["application"]
    judge = await world.staff("judge1")
    await judge.call("POST", f"/api/v1/court/applications/{application['id']}/status", {"status": "accepted"})
    decision = {"decision": "confirmed", "reasons": "协议系双方真实意思表示，内容不违反法律规定。"}
    decided = await decide(world, judge, m.case_id, application["id"], decision)
    assert decided["status"] == "confirmed"
    return decided


async def overdue(world: World, obligation_id: str, days: int = 3) -> None:
    async with world.services.links._maker() as db, db.begin():
        due = local_day(utcnow()) - timedelta(days=days)
        await db.execute(update(Obligation).where(Obligation.id == obligation_id).values(due_date=due))


async def added(world: World, case_id: str) -> int:
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        rows = await db.scalars(select(LogEntry.seq).where(LogEntry.case_id == case_id, LogEntry.type == "document_added"))
        return len(list(rows))


def reason(body: Any) -> str:
    return str(body["error"]["reason"])


async def test_the_payee_gets_a_prefilled_application_once_a_ruling_confirmed_and_an_instalment_is_overdue(
    world: World,
) -> None:
    await regions(world)
    m = await mediation(world)
    path = f"/api/v1/cases/{m.case_id}/parties/{m.party_id('applicant')}"
    await m.liu.call(
        "PATCH", path, {"sex": "male", "birth_date": "1990-03-07", "ethnicity": "汉族", "address": "北京市朝阳区望京街道1号"}
    )
    a, b, _ = await sealed(world, m)  # 李四 (respondent, b) owes 张三 (applicant, a)
    items = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"]
    first = items[0]
    await overdue(world, first["id"])
    # No court has confirmed the agreement yet: refused, and the card offers nothing.
    url = "/api/v1/party/enforcement-application"
    assert reason(await a.actor.call("POST", url, {}, expect=409)) == "no_confirmation_ruling"
    assert (await a.actor.call("GET", "/api/v1/party/obligations"))["enforcement"] is None

    decided = await confirmed(world, m, a, b)
    number = decided["court_case_number"]
    # The payer is not the one owed: refused.
    assert reason(await b.actor.call("POST", url, {}, expect=403)) == "not_payee"
    assert (await b.actor.call("GET", "/api/v1/party/obligations"))["enforcement"] is None
    offer = (await a.actor.call("GET", "/api/v1/party/obligations"))["enforcement"]
    assert offer == {"court": "朝阳区人民法院", "ruling_number": number, "unpaid": 1}

    before = await added(world, m.case_id)
    doc = await a.actor.call("POST", url, {}, expect=201)
    assert doc["kind"] == "enforcement" and doc["visible_to"] == [a.party_id]
    assert await added(world, m.case_id) == before + 1
    pdf = await (await a.actor.request("GET", doc["url"])).read()
    text = pdf_text(pdf)
    for part in (
        "强制执行申请书",
        "申请执行人：张三，男，1990年3月7日出生，汉族，住北京市朝阳区望京街道1号",
        "被执行人：李四",
        f"执行依据：朝阳区人民法院{number}民事裁定书",
        f"人民调解协议（编号{m.case['case_number']}）有效",
        "请求事项：",
        "到期未付款项共计人民币5000.00元",
        "1.协议第一条第1期：李四应于",
        "前支付人民币5000.00元，至今未履行",
        "另有2期义务尚未到期",
        "至今未履行",
        "事实和理由：",
        "履行情况：",
        "被执行人未报告履行",
        "《中华人民共和国人民调解法》第三十三条第二款",
        "此致朝阳区人民法院",
        "附：",
        "申请执行人（签名）：",
        "平台未向法院提交",
    ):
        assert part in text, part
    assert (
        text.index("申请执行人：")
        < text.index("被执行人：")
        < text.index("请求事项")
        < text.index("事实和理由")
        < text.index("此致")
    )
    # The payer never reads the payee's copy; asking again for the same paper files nothing new.
    await b.actor.call("GET", doc["url"], expect=404)
    assert (await a.actor.call("POST", url, {}, expect=201))["id"] == doc["id"]
    assert await added(world, m.case_id) == before + 1

    # The payer reports, the payee disputes: the history says so in a new copy.
    await b.actor.call("POST", f"/api/v1/party/obligations/{first['id']}/report", {"note": "已转账"}, expect=201)
    await answer(world, a, first["id"], "dispute", "没有收到转账")
    again = await a.actor.call("POST", url, {}, expect=201)
    assert again["id"] != doc["id"]
    text = pdf_text(await (await a.actor.request("GET", again["url"])).read())
    assert "在平台报称已履行" in text and "提出异议，确认未收到（没有收到转账）" in text

    # Once it is performed, nothing is unpaid: refused, and the card offers nothing.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Obligation).where(Obligation.id == first["id"]).values(status="performed"))
    assert reason(await a.actor.call("POST", url, {}, expect=409)) == "nothing_unpaid"
    assert (await a.actor.call("GET", "/api/v1/party/obligations"))["enforcement"] is None
    # The payee's copies are in the case's bundle, and the offline verifier finds them whole.
    await verified(world, m)


def test_money_and_other_duties_are_asked_for_each_with_the_money_summed_apart() -> None:
    """Pure: an apology overdue beside a payment is listed, but only money is summed."""
    payee = Party(id="a", name="张三", role="applicant", phone="13800000001")
    payer = Party(id="b", name="李四", role="respondent", phone="13900000002")
    rows = [
        Obligation(term=1, instalment=1, instalments=2, debtor_party_id="b", kind="pay", what="", amount_fen=500_000,
                   due_date=date(2026, 12, 3), status="disputed", reported_at=datetime(2026, 12, 2, tzinfo=UTC),
                   disputed_at=datetime(2026, 12, 3, 8, tzinfo=UTC), dispute_reason="没有收到"),
        Obligation(term=2, instalment=1, instalments=1, debtor_party_id="b", kind="apologise", what="书面", amount_fen=None,
                   due_date=date(2026, 12, 3), status="pending"),
    ]  # fmt: skip
    doc = application_doc(
        payee=payee, payers=[payer], rows=rows, later=1,
        court=Organisation(name="朝阳区人民法院", timezone="Asia/Shanghai"),
        ruling=ConfirmationApplication(court_case_number="（2026）京0105民特1号", decided_at=datetime(2026, 11, 20, tzinfo=UTC)),
        organisation=Organisation(name="朝阳区人民调解委员会", timezone="Asia/Shanghai"),
        case=Case(case_number="（2026）朝调字第12号"), agreed_on=date(2026, 11, 1),
    )  # fmt: skip
    text = "".join(doc.body)
    assert "其中到期未付款项共计人民币5000.00元" in text
    assert "1.协议第一条第1期：李四应于2026年12月3日前支付人民币5000.00元" in text
    assert "2.协议第二条：李四应于2026年12月3日前赔礼道歉（书面）" in text and "3.本案申请执行费用由被执行人负担" in text
    assert "2026年12月2日在平台报称已履行" in text and "另有1期义务尚未到期" in text
    assert doc.parties[1].startswith("被执行人：李四") and "（未登记：" in doc.parties[1]
