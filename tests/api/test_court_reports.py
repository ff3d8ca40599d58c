"""The written report of a referred case's result to the court that referred it (特邀调解规定 art. 26 ¶2;
issue #21): who writes it and when, its words in the PDF, and who reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from server.domain.court_reports import report_body
from server.domain.principal import SYSTEM
from server.models import Agreement, Case, Organisation, Party, Referral
from tests.api.helpers import open_case
from tests.api.test_referrals import bundle_types, refer
from tests.conftest import PASSWORD, Actor, World
from tests.pdf_text import pdf_text


async def court_referred_case(world: World) -> tuple[Actor, Actor, dict[str, object], str]:
    """A case the court's clerk registered and its judge referred (委派) to the committee, which accepted it."""
    await world.services.accounts.create_user(
        SYSTEM, username="clerk", display_name="诉调对接中心调解员", password=PASSWORD, role="mediator",
        organisation_id=world.court.id,
    )  # fmt: skip
    clerk, judge, liu = await world.staff("clerk"), await world.staff("judge1"), await world.staff("liu")
    case = await open_case(clerk, "（2026）京0105民诉前调1号")
    sent = await refer(judge, str(case["id"]), world.org_a.id, court_stage="before_filing")
    await liu.call("POST", f"/api/v1/referrals/{sent['id']}/accept", {"mediator_id": world.ids["liu"]})
    return judge, liu, case, str(sent["id"])


async def test_the_mediator_reports_a_failed_court_referral_in_writing_and_the_court_reads_it(world: World) -> None:
    judge, liu, case, referral = await court_referred_case(world)
    report = f"/api/v1/referrals/{referral}/report"
    early = await liu.call("POST", report, expect=409)
    assert early["error"]["reason"] == "mediation_open"
    await liu.call(
        "POST",
        f"/api/v1/cases/{case['id']}/outcome",
        {"outcome": "failed", "reason": "divergence", "note": "双方对欠薪数额分歧较大"},
    )
    # Only a mediator of the organisation now handling the case writes it; the court reads it.
    zhao = await world.staff("zhao")
    assert (await zhao.call("POST", report, expect=403))["error"]["reason"] == "not_handling_organisation"
    await judge.call("POST", report, expect=403)
    assert (await judge.call("GET", report, expect=404))["error"]["reason"] == "no_report"
    made = await liu.call("POST", report, expect=201)
    written = made["court_report"]["report"]
    assert written["made_by"] == "刘调解员" and written["made_at"] and written["url"] == report
    again = await liu.call("POST", report, expect=409)
    assert again["error"]["reason"] == "report_made"

    # The court's staff see it on their page: the referral they sent carries it.
    [sent] = (await judge.call("GET", "/api/v1/referrals?box=sent"))["items"]
    assert sent["court_report"]["report"]["sha256"] == written["sha256"]
    response = await judge.request("GET", report)
    assert response.status == 200 and response.content_type == "application/pdf"
    text = pdf_text(await response.read())
    for words in (
        "朝阳区人民调解委员会", "委派调解结果报告", "（2026）京0105民诉前调1号", "朝阳区人民法院：",
        "指派调解员刘调解员主持调解", "调解结果：未达成调解协议", "当事人分歧较大且难以达成调解协议",
        "调解不成的原因：双方对欠薪数额分歧较大。", "第二十一条第一款", "起诉状等材料随本报告移送贵院",
        "第二十六条第一款第（三）项", "《人民法院在线调解规则》第二十五条第（五）项", "第二十六条第二款，特此报告。", "调解员刘调解员",
    ):  # fmt: skip
        assert words in text, words
    await zhao.call("GET", report, expect=403)
    types = await bundle_types(world, liu, str(case["id"]), "court-report.zip")
    assert types[-2:] == ["mediation_ended", "result_reported"]


async def test_a_referral_not_from_a_court_has_no_result_report(world: World) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    case = await open_case(liu)
    sent = await refer(liu, str(case["id"]), world.org_b.id)
    await zhao.call("POST", f"/api/v1/referrals/{sent['id']}/accept", {"mediator_id": world.ids["zhao"]})
    await zhao.call("POST", f"/api/v1/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "divergence"})
    refused = await zhao.call("POST", f"/api/v1/referrals/{sent['id']}/report", expect=409)
    assert refused["error"]["reason"] == "not_court_referral"
    await zhao.call("POST", "/api/v1/referrals/no-such-referral/report", expect=404)


def test_a_settled_delegated_case_is_reported_with_its_agreement_for_filing_and_an_entrusted_one_for_a_judgment() -> None:
    when = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    court = Organisation(name="朝阳区人民法院", kind="court", timezone="Asia/Shanghai")
    committee = Organisation(name="朝阳区人民调解委员会", kind="committee", timezone="Asia/Shanghai")
    case = Case(case_number="（2026）朝调字第9号", status="settled", closed_at=when)
    parties = [Party(role="applicant", name="张三"), Party(role="respondent", name="李四"), Party(role="agent", name="王律师")]
    referral = Referral(referred_at=when, decided_at=when, reason="适宜调解", court_stage="before_filing")
    agreement = Agreement(sealed_at=when)
    args = {"case": case, "court": court, "organisation": committee, "mediator": "刘调解员", "parties": parties, "sessions": 2}
    doc = report_body(referral=referral, agreement=agreement, today=date(2026, 12, 5), **args)  # type: ignore[arg-type]
    text = "".join([doc.addressee, *doc.parties, *doc.body, *doc.operative, *doc.signatures])
    assert doc.title == "委派调解结果报告" and "申请人张三与被申请人李四" in text and "王律师" not in text
    assert "2026年12月1日自愿达成调解协议" in text and "第十九条" in text and "提交贵院备案" in text
    assert "第二十六条第一款第（一）项" in text and doc.signatures[-1] == "二〇二六年十二月五日"
    referral.court_stage = "after_filing"
    doc = report_body(referral=referral, agreement=agreement, today=date(2026, 12, 5), **args)  # type: ignore[arg-type]
    assert doc.title == "委托调解结果报告" and "第二十条" in "".join(doc.body) and "制作调解书" in "".join(doc.body)
