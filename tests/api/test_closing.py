"""Follow-up visits and closing the case (#22): only the case's mediators record a visit or close; closing with an
obligation outstanding needs a reason; after closing no performance act is taken; the closing report (人民调解结案报告表)
is a PDF in the case files and the bundle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from server.domain.principal import SYSTEM
from server.models import Obligation
from tests.api.agreement_helpers import Mediation, mediation
from tests.api.test_follow_through import obligations
from tests.api.test_performance import logged, sealed, verified
from tests.conftest import PASSWORD, World
from tests.pdf_text import pdf_text

VISIT = {"method": "phone", "performance": "第一期5000元已收到，第二期尚未到期", "satisfaction": "partly",
         "risk": "被申请人资金紧张，第二期可能延迟", "actions": "已提醒被申请人按期履行"}  # fmt: skip


def path(m: Mediation, tail: str) -> str:
    return f"/api/v1/cases/{m.case_id}/{tail}"


async def test_only_the_cases_mediators_record_a_visit_or_close_it(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    for actor in (m.applicant, m.respondent):
        assert (await actor.request("POST", path(m, "follow-ups"), json=VISIT)).status == 403
        assert (await actor.request("POST", path(m, "close"), json={"reason": "waived"})).status == 403
    zhao = await world.staff("zhao")  # another organisation's mediator
    refused = await zhao.call("POST", path(m, "follow-ups"), VISIT, expect=403)
    assert refused["error"]["reason"] == "another_organisation"
    await zhao.call("POST", path(m, "close"), {"reason": "waived"}, expect=403)
    # A supervisor above reads the visits but records none.
    city = await world.services.accounts.create_organisation(SYSTEM, "乌兰市司法局", "bureau")
    await world.services.accounts.update_organisation(SYSTEM, world.org_a.id, {"parent_id": city.id})
    await world.services.accounts.create_user(
        SYSTEM, username="sup", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=city.id
    )
    sup = await world.staff("sup")
    assert (await sup.call("GET", path(m, "closing")))["closed"] is False
    assert (await sup.call("POST", path(m, "follow-ups"), VISIT, expect=403))["error"]["reason"] == "supervisor_reads_only"
    # The case's mediator records the 7-day visit (due by rule), once.
    plans = (await m.liu.call("GET", path(m, "closing")))["follow_ups"]
    assert {"sealed_7", "sealed_30", "due"} <= {p["rule"] for p in plans} and not any(p["due"] for p in plans)
    done = await m.liu.call("POST", path(m, "follow-ups"), {**VISIT, "plan": "sealed_7"}, expect=201)
    [visit] = [p for p in done["follow_ups"] if p["plan"] == "sealed_7"]
    assert visit["recorded"] and visit["record"]["satisfaction"] == "partly" and visit["record"]["risk"].startswith("被申请人")
    again = await m.liu.call("POST", path(m, "follow-ups"), {**VISIT, "plan": "sealed_7"}, expect=409)
    assert again["error"]["reason"] == "recorded_already"
    record = await logged(world, m, "follow_up_recorded")
    assert record.claim.actor == {"kind": "staff", "id": world.ids["liu"], "role": "mediator"}
    assert record.claim.public["plan"] == "sealed_7" and record.claim.public["method"] == "phone"


async def test_closing_with_an_obligation_outstanding_needs_a_reason_and_then_the_case_takes_no_more_acts(
    world: World,
) -> None:
    m = await mediation(world)
    await sealed(world, m)
    items = await obligations(m)
    # Nothing performed yet: closing without a reason, or as performed in full, is refused, naming how many are outstanding.
    refused = await m.liu.call("POST", path(m, "close"), {}, expect=422)
    [field] = refused["error"]["fields"]
    assert (field["field"], field["code"], field["params"]["n"]) == ("reason", "reason_needed", 3)
    refused = await m.liu.call("POST", path(m, "close"), {"reason": "performed"}, expect=422)
    assert refused["error"]["fields"][0]["code"] == "not_all_performed"
    refused = await m.liu.call("POST", path(m, "close"), {"reason": "other"}, expect=422)
    assert refused["error"]["fields"][0]["field"] == "note"
    await m.liu.call("POST", path(m, "follow-ups"), {**VISIT, "plan": "sealed_7"}, expect=201)
    closed = await m.liu.call(
        "POST", path(m, "close"), {"reason": "litigation", "note": "申请人已向朝阳区人民法院起诉"}, expect=201
    )
    assert closed["closed"] and closed["reason"] == "litigation" and closed["outstanding"] == 3
    assert closed["reason_words"] == {"zh": "转入诉讼", "en": "taken to court"}
    again = await m.liu.call("POST", path(m, "close"), {"reason": "waived"}, expect=409)
    assert again["error"]["reason"] == "case_concluded"
    # After closing: the one who owes cannot report, no visit is recorded, the case list says closed.
    assert (await m.respondent.call("GET", "/api/v1/party/obligations"))["owe"][0]["case_closed"] is True
    late = await m.respondent.call("POST", f"/api/v1/party/obligations/{items[0]['id']}/report", {}, expect=409)
    assert late["error"]["reason"] == "case_concluded"
    assert (await m.liu.call("POST", path(m, "follow-ups"), VISIT, expect=409))["error"]["reason"] == "case_concluded"
    listed = {c["id"]: c for c in (await m.liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed[m.case_id]["case_closed_at"] is not None and listed[m.case_id]["follow_ups_due"] == 0
    record = await logged(world, m, "case_closed")
    assert record.claim.public == {"reason": "litigation", "obligations": 3, "outstanding": 3}
    # The closing report is in the case files, and as its text says: the form's parts, the parties, the obligations.
    report = closed["report"]
    assert report is not None and report["name"].startswith("人民调解结案报告表")
    docs = (await m.liu.call("GET", path(m, "documents")))["items"]
    [doc] = [d for d in docs if d["id"] == report["id"]]
    assert doc["kind"] == "closing_report"
    response = await m.liu.request("GET", f"/api/v1/documents/{report['id']}")
    assert response.status == 200
    text = pdf_text(await response.read())
    for part in ("人民调解结案报告表", "朝阳区人民调解委员会", "（2026）朝调字第12号", "承办人", "刘调解员", "受案时间", "结案时间",
                 "协议生效时间", "申请人张三", "被申请人李四", "案件来源", "纠纷类型", "调解结果", "调解成功", "履行情况",
                 "第一条第1期", "人民币5000.00元", "尚未履行", "回访情况", "电话回访", "基本满意", "被申请人资金紧张",
                 "结案原因", "转入诉讼", "申请人已向朝阳区人民法院起诉"):  # fmt: skip
        assert part in text, part
    # The bundle verifies with the new records in it.
    types = [r.type for r in (await verified(world, m)).records]
    assert "follow_up_recorded" in types and "case_closed" in types


async def test_a_case_whose_obligations_are_all_performed_closes_without_a_reason(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    # Not before mediation has ended: an open case cannot be closed.
    n = await mediation(world, "（2026）朝调字第13号", hour=14)
    assert (await n.liu.call("POST", path(n, "close"), {}, expect=409))["error"]["reason"] == "mediation_not_ended"
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Obligation).where(Obligation.case_id == m.case_id).values(status="performed"))
    closed: dict[str, Any] = await m.liu.call("POST", path(m, "close"), {}, expect=201)
    assert closed["reason"] == "performed" and closed["outstanding"] == 0


async def test_a_visit_planned_by_hand_falls_on_its_day_and_one_after_a_last_day_names_its_instalment(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    refused = await m.liu.call("POST", path(m, "follow-ups/planned"), {"planned_on": "2020-01-01"}, expect=422)
    assert refused["error"]["fields"][0]["code"] == "visit_past_date"
    items = await obligations(m)
    planned = await m.liu.call("POST", path(m, "follow-ups/planned"), {"planned_on": items[0]["due_date"]}, expect=201)
    [manual] = [p for p in planned["follow_ups"] if p["rule"] == "manual"]
    assert manual["planned_on"] == items[0]["due_date"] and not manual["due"] and not manual["recorded"]
    # Setting the visit is an act on the case: a signed record, by the mediator, of the day set.
    record = await logged(world, m, "follow_up_planned")
    assert record.claim.actor == {"kind": "staff", "id": world.ids["liu"], "role": "mediator"}
    assert record.claim.public == {"planned_on": items[0]["due_date"]}
    after_due = [p for p in planned["follow_ups"] if p["rule"] == "due"]
    # One the day after each last day, in the order of the days (the apology's, on the 7th day, first).
    by_day = sorted(items, key=lambda i: str(i["due_date"]))
    assert [p["obligation"]["id"] for p in after_due] == [i["id"] for i in by_day]
    # Recorded ahead of its day: the visit after the earliest last day.
    done = await m.liu.call("POST", path(m, "follow-ups"), {**VISIT, "plan": after_due[0]["plan"]}, expect=201)
    assert [p["recorded"] for p in done["follow_ups"] if p["plan"] == after_due[0]["plan"]] == [True]
    unknown = await m.liu.call("POST", path(m, "follow-ups"), {**VISIT, "plan": "due:nothing"}, expect=422)
    assert unknown["error"]["fields"][0]["field"] == "plan"
