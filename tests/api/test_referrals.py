"""Referral of a case between organisations (issue #21): who may refer, accept, return and report,
who may read the case before and after, and the signed records in an exported bundle."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.domain.principal import SYSTEM
from server.domain.workdays import Workdays
from server.evidence.verify import render, verify_bundle
from tests.api.helpers import open_case
from tests.conftest import PASSWORD, Actor, World

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def organisation_with(world: World, name: str, username: str, display: str) -> tuple[Actor, str]:
    """Another organisation and one of its mediators, logged in."""
    acc = world.services.accounts
    org = await acc.create_organisation(SYSTEM, name, "centre")
    await acc.create_user(
        SYSTEM, username=username, display_name=display, password=PASSWORD, role="mediator", organisation_id=org.id
    )
    return await world.staff(username), org.id


async def refer(actor: Actor, case_id: str, to: str, role: str = "lead", expect: int = 201, **more: Any) -> Any:
    body = {"to_organisation_id": to, "role": role, "reason": "属劳动争议，由劳动人事争议调解委员会主办", **more}
    return await actor.call("POST", f"/api/v1/cases/{case_id}/referrals", body, expect=expect)


async def bundle_types(world: World, actor: Actor, case_id: str, name: str) -> list[str]:
    """The record types of the case's exported bundle, which must verify (less the export's own record)."""
    await world.services.ledger.settle()
    response = await actor.request("POST", f"/api/v1/cases/{case_id}/evidence/bundle")
    assert response.status == 200, await response.text()
    path = world.services.settings.data_dir / name
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    records = (await actor.call("GET", f"/api/v1/cases/{case_id}/evidence"))["items"]
    return [r["type"] for r in records if r["type"] != "export"]


async def test_a_lead_referral_accepted_moves_the_case_and_the_referring_organisation_keeps_sight(world: World) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    qian, _ = await organisation_with(world, "昌平区林业局调解室", "qian", "钱调解员")
    case = await open_case(liu)
    path = f"/api/v1/cases/{case['id']}"
    await zhao.call("GET", path, expect=403)
    refused = await refer(zhao, case["id"], world.org_b.id, expect=403)
    assert refused["error"]["reason"] == "not_lead_organisation"
    own = await refer(liu, case["id"], world.org_a.id, expect=422)
    assert [(f["field"], f["code"]) for f in own["error"]["fields"]] == [("to_organisation_id", "own_organisation")]

    sent = await refer(liu, case["id"], world.org_b.id, task="组织双方调解欠薪")
    assert (sent["status"], sent["role"], sent["to_organisation"]["name"]) == ("pending", "lead", "海淀区矛盾纠纷多元化解中心")
    assert sent["referred_by"]["display_name"] == "刘调解员" and sent["referred_at"]
    again = await refer(liu, case["id"], world.org_b.id, expect=409)
    assert again["error"]["reason"] == "lead_referral_pending"

    # The receiving organisation reads the case to decide; it is in its incoming list, not its cases.
    assert (await zhao.call("GET", path))["organisation"]["name"] == "朝阳区人民调解委员会"
    [incoming] = (await zhao.call("GET", "/api/v1/referrals?box=incoming"))["items"]
    assert incoming["id"] == sent["id"] and incoming["case"]["case_number"] == case["case_number"]
    # Three working days to decide (在线调解规则 art. 12): to the end of the third working day after today.
    today = datetime.now(SHANGHAI).date()
    last_day = Workdays().add_workdays(today, 3)
    assert datetime.fromisoformat(incoming["acceptance_due"]) == datetime.combine(last_day + timedelta(days=1), time(0), SHANGHAI)
    assert incoming["acceptance_due_date"] == last_day.isoformat()
    assert [c["id"] for c in (await zhao.call("GET", "/api/v1/cases"))["items"]] == []
    await zhao.call("POST", f"{path}/parties", {"role": "applicant", "name": "王五", "phone": "13700000003"}, expect=403)
    await qian.call("GET", path, expect=403)

    decide = f"/api/v1/referrals/{sent['id']}"
    for outsider in (qian, liu):
        refused = await outsider.call("POST", f"{decide}/accept", {"mediator_id": world.ids["zhao"]}, expect=403)
        assert refused["error"]["reason"] == "not_receiving_organisation"
    missing = await zhao.call("POST", f"{decide}/accept", {}, expect=422)
    assert [(f["field"], f["code"]) for f in missing["error"]["fields"]] == [("mediator_id", "required")]
    theirs = await zhao.call("POST", f"{decide}/accept", {"mediator_id": world.ids["wang"]}, expect=422)
    assert [(f["field"], f["code"]) for f in theirs["error"]["fields"]] == [("mediator_id", "mediator_of_org")]

    accepted = await zhao.call("POST", f"{decide}/accept", {"mediator_id": world.ids["zhao"]})
    assert (accepted["status"], accepted["mediator"]["display_name"], accepted["decided_by"]["display_name"]) == (
        "accepted", "赵调解员", "赵调解员",
    )  # fmt: skip
    for action, body in (("accept", {"mediator_id": world.ids["zhao"]}), ("return", {"reason": "改变主意"})):
        twice = await zhao.call("POST", f"{decide}/{action}", body, expect=409)
        assert twice["error"]["reason"] == "referral_accepted"

    # The case is the receiving organisation's now; the former lead reads it and sees the result.
    moved = await zhao.call("GET", path)
    assert (moved["organisation"]["name"], moved["mediator"]["display_name"]) == ("海淀区矛盾纠纷多元化解中心", "赵调解员")
    await zhao.call("POST", f"{path}/parties", {"role": "applicant", "name": "王五", "phone": "13700000003"}, expect=201)
    assert (await liu.call("GET", path))["mediator"]["display_name"] == "赵调解员"
    await liu.call("POST", f"{path}/parties", {"role": "applicant", "name": "赵六", "phone": "13700000004"}, expect=403)
    assert case["id"] in [c["id"] for c in (await liu.call("GET", "/api/v1/cases"))["items"]]
    await qian.call("GET", path, expect=403)
    await qian.call("GET", f"{path}/referrals", expect=403)
    [seen] = (await liu.call("GET", f"{path}/referrals"))["items"]
    assert (seen["from_organisation"]["name"], seen["status"], seen["court_report"]) == ("朝阳区人民调解委员会", "accepted", None)
    history = [e["kind"] for e in (await liu.call("GET", f"{path}/history"))["items"]]
    assert history[-4:] == ["case_referred", "referral_accepted", "mediator_assigned", "party_added"]

    # Taking the lead names who mediates (人民调解法 art. 19): the same record as an assignment.
    types = await bundle_types(world, zhao, case["id"], "lead.zip")
    assert types[-3:] == ["case_referred", "referral_accepted", "mediator_assigned"]


async def test_a_referral_returned_says_why_and_the_case_stays_where_it_was(world: World) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    case = await open_case(liu)
    path = f"/api/v1/cases/{case['id']}"
    sent = await refer(liu, case["id"], world.org_b.id)
    back = f"/api/v1/referrals/{sent['id']}/return"
    for body in ({}, {"reason": "  "}):
        missing = await zhao.call("POST", back, body, expect=422)
        assert [(f["field"], f["code"]) for f in missing["error"]["fields"]] == [("reason", "required")]
    returned = await zhao.call("POST", back, {"reason": "不属本中心受理范围，请移送劳动仲裁"})
    assert (returned["status"], returned["return_reason"]) == ("returned", "不属本中心受理范围，请移送劳动仲裁")
    for action, body in (("return", {"reason": "再退一次"}), ("accept", {"mediator_id": world.ids["zhao"]})):
        twice = await zhao.call("POST", f"/api/v1/referrals/{sent['id']}/{action}", body, expect=409)
        assert twice["error"]["reason"] == "referral_returned"
    assert (await liu.call("GET", path))["organisation"]["name"] == "朝阳区人民调解委员会"
    await zhao.call("GET", path, expect=403)
    assert (await zhao.call("GET", "/api/v1/referrals"))["items"] == []
    [history] = (await liu.call("GET", f"{path}/referrals"))["items"]
    assert history["decided_by"]["display_name"] == "赵调解员"
    # Returned, the case may be referred again.
    await refer(liu, case["id"], world.org_b.id)
    types = await bundle_types(world, liu, case["id"], "returned.zip")
    assert types[-3:] == ["case_referred", "referral_returned", "case_referred"]


async def test_an_assisting_organisation_reads_the_case_and_reports_its_result_once(world: World) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    sun, forestry = await organisation_with(world, "县林业和草原局调解室", "sun", "孙调解员")
    qian, _ = await organisation_with(world, "县信访局", "qian", "钱调解员")
    case = await open_case(liu)
    path = f"/api/v1/cases/{case['id']}"
    no_task = await refer(liu, case["id"], forestry, role="assisting", expect=422)
    assert [(f["field"], f["code"]) for f in no_task["error"]["fields"]] == [("task", "required")]
    sent = await refer(liu, case["id"], forestry, role="assisting", task="核实林地承包合同和工资发放记录")
    await refer(liu, case["id"], world.org_b.id)  # a lead referral may wait beside it

    result = f"/api/v1/referrals/{sent['id']}/result"
    early = await sun.call("POST", result, {"result": "已核实"}, expect=409)
    assert early["error"]["reason"] == "referral_pending"
    await sun.call("POST", f"/api/v1/referrals/{sent['id']}/accept", {})
    assert (await sun.call("GET", path))["organisation"]["name"] == "朝阳区人民调解委员会"
    assert case["id"] in [c["id"] for c in (await sun.call("GET", "/api/v1/cases"))["items"]]
    await sun.call("POST", f"{path}/parties", {"role": "applicant", "name": "王五", "phone": "13700000003"}, expect=403)
    await qian.call("GET", path, expect=403)
    await zhao.call("POST", result, {"result": "不是我的任务"}, expect=403)
    missing = await sun.call("POST", result, {"result": ""}, expect=422)
    assert [(f["field"], f["code"]) for f in missing["error"]["fields"]] == [("result", "required")]
    reported = await sun.call("POST", result, {"result": "合同有效，欠薪72人共计86万元属实"})
    assert (reported["result"], reported["reported_by"]["display_name"]) == ("合同有效，欠薪72人共计86万元属实", "孙调解员")
    twice = await sun.call("POST", result, {"result": "再报一次"}, expect=409)
    assert twice["error"]["reason"] == "already_reported"
    dup = await refer(liu, case["id"], forestry, role="assisting", task="再核实一次", expect=409)
    assert (dup["error"]["reason"], dup["error"]["organisation"]) == ("already_referred", "县林业和草原局调解室")

    roles = {
        r["to_organisation"]["name"]: (r["role"], r["status"]) for r in (await liu.call("GET", f"{path}/referrals"))["items"]
    }
    assert roles == {"县林业和草原局调解室": ("assisting", "accepted"), "海淀区矛盾纠纷多元化解中心": ("lead", "pending")}
    types = await bundle_types(world, liu, case["id"], "assisting.zip")
    assert types[-4:] == ["case_referred", "case_referred", "referral_accepted", "assistance_reported"]


async def test_a_courts_referral_gives_the_court_the_result_once_mediation_ends(world: World) -> None:
    """特邀调解规定 art. 26: the court that referred a case (委派) is owed the result in writing."""
    acc = world.services.accounts
    await acc.create_user(
        SYSTEM,
        username="clerk",
        display_name="诉调对接中心调解员",
        password=PASSWORD,
        role="mediator",
        organisation_id=world.court.id,
    )
    clerk, judge, liu = await world.staff("clerk"), await world.staff("judge1"), await world.staff("liu")
    case = await open_case(clerk, "（2026）京0105民诉前调1号")
    path = f"/api/v1/cases/{case['id']}"
    stage = await refer(judge, case["id"], world.org_a.id, expect=422)
    assert [(f["field"], f["code"]) for f in stage["error"]["fields"]] == [("court_stage", "choice")]
    sent = await refer(judge, case["id"], world.org_a.id, court_stage="before_filing")
    assert (sent["court_stage"], sent["referred_by"]["display_name"]) == ("before_filing", "陈法官")
    await liu.call("POST", f"/api/v1/referrals/{sent['id']}/accept", {"mediator_id": world.ids["liu"]})

    [owed] = (await judge.call("GET", f"{path}/referrals"))["items"]
    assert owed["court_report"]["due"] is False and owed["court_report"]["outcome"] == "open"
    await liu.call("POST", f"{path}/outcome", {"outcome": "failed", "reason": "divergence", "note": "双方对金额分歧较大"})
    assert (await judge.call("GET", path))["status"] == "failed"
    [sent_back] = (await judge.call("GET", "/api/v1/referrals?box=sent"))["items"]
    report = sent_back["court_report"]
    assert (report["court"], report["due"], report["outcome"], report["outcome_reason"]) == (
        "朝阳区人民法院", True, "failed", "divergence",
    )  # fmt: skip
    assert report["outcome_note"] == "双方对金额分歧较大" and report["closed_at"]
    types = await bundle_types(world, liu, case["id"], "court.zip")
    assert types[-4:] == ["case_referred", "referral_accepted", "mediator_assigned", "mediation_ended"]
