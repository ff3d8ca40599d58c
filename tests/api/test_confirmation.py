"""Judicial confirmation: a joint application within 30 days, the court's review, a signed ruling."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from server.documents.seal import check_seal
from server.domain.confirmation.ruling import chinese_date
from server.domain.principal import SYSTEM
from server.evidence.records import DeviceKey, b64, unb64
from server.evidence.verify import render, verify_bundle
from server.models import Agreement, Organisation, OutboxMessage, utcnow
from tests.api.agreement_helpers import Mediation, Signer, latest_code, mediation, sealed_agreement
from tests.conftest import PASSWORD, Actor, World
from tests.pdf_text import pdf_text
from tests.signaling.live import Meeting, session_cookie

REGION = "北京市朝阳区"


async def regions(world: World) -> None:
    async with world.services.links._maker() as db, db.begin():
        for org in (world.org_a, world.court):
            await db.execute(update(Organisation).where(Organisation.id == org.id).values(region=REGION))


async def other_court_judge(world: World) -> Actor:
    court = await world.services.accounts.create_organisation(SYSTEM, "海淀区人民法院", "court", region="北京市海淀区")
    await world.services.accounts.create_user(
        SYSTEM, username="judge2", display_name="王法官", password=PASSWORD, role="judge", organisation_id=court.id
    )
    return await world.staff("judge2")


async def sign_application(world: World, signer: Signer, prepared: dict[str, Any]) -> dict[str, Any]:
    settings = world.services.settings
    statement = unb64(prepared["statement"])
    if signer.device is not None:
        body: dict[str, Any] = {
            "code": await latest_code(world, signer.party_id),
            "signature": signer.device.sign(statement)["sig"],
        }
    else:
        assert signer.passkey is not None
        digest = sha256(statement).digest()
        body = {"credential": signer.passkey.sign(digest, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)}
    path = f"/api/v1/party/confirmation/sign/{prepared['challenge']}"
    return await signer.actor.call("POST", path, body, expect=201)  # type: ignore[no-any-return]


APPLICANT_PARTICULARS = {"sex": "male", "birth_date": "1990-03-07", "ethnicity": "汉族", "address": "北京市朝阳区望京街道1号"}


async def decide(world: World, judge: Actor, case_id: str, application_id: str, decision: dict[str, Any]) -> dict[str, Any]:
    """The judge binds their own key to the case and signs the ruling; returns the decided application."""
    key = DeviceKey.generate({"kind": "staff", "id": "judge1"})
    await judge.call("POST", "/api/v1/me/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    binding = await judge.call("POST", f"/api/v1/cases/{case_id}/keys/{key.info.id}/bind", expect=201)
    await judge.call(
        "POST", f"/api/v1/signatures/{binding['challenge']}", {"signature": key.sign(unb64(binding["statement"]))["sig"]},
        expect=201,
    )  # fmt: skip
    app_path = f"/api/v1/court/applications/{application_id}"
    prepared = await judge.call("POST", f"{app_path}/decision", {**decision, "key_id": key.info.id}, expect=201)
    await judge.call(
        "POST", f"/api/v1/signatures/{prepared['challenge']}", {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )  # fmt: skip
    return await judge.call("GET", app_path)  # type: ignore[no-any-return]


async def submitted(
    world: World, number: str = "（2026）朝调字第12号", hour: int = 10
) -> tuple[Mediation, Signer, Signer, dict[str, Any]]:
    await regions(world)
    m = await mediation(world, number, hour=hour)
    a, b = await sealed_agreement(world, m)
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    court = next(c for c in status["courts"] if c["name"] == "朝阳区人民法院")
    started = await a.actor.call(
        "POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=201
    )
    await sign_application(world, a, started["sign"])
    prepared = await b.actor.call("POST", "/api/v1/party/confirmation/sign", {}, expect=201)
    signed = await sign_application(world, b, prepared)
    return m, a, b, signed["application"]


async def test_joint_application_review_and_signed_confirmation(world: World) -> None:
    await regions(world)
    m = await mediation(world)
    before = await m.applicant.call("GET", "/api/v1/party/confirmation")
    assert before["open"] is False and before["reason"] == "not_effective"
    path = f"/api/v1/cases/{m.case_id}/parties/{m.party_id('applicant')}"
    await m.liu.call("PATCH", path, APPLICANT_PARTICULARS)
    # The mediation record (调解笔录), written in the session and signed by both parties, goes to the
    # court with the agreement. (Imported here: test_transcripts stands on test_extensions, which
    # stands on this module.)
    from tests.api.test_transcripts import closed, sign, written

    await written(m)
    record = (await closed(m))["version"]
    a, b = await sealed_agreement(world, m)
    for signer in (a, b):
        await sign(world, m, signer, 1, record["text_sha256"])

    # The deadline counts 30 days from the agreement taking effect; the court is offered on its ground.
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    assert status["open"] and status["days_left"] in (29, 30) and status["application"] is None
    [court] = [c for c in status["courts"] if c["name"] == "朝阳区人民法院"]
    assert court["grounds"] == ["org_location"]
    await a.actor.call("POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "property"}, expect=422)
    started = await a.actor.call(
        "POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=201
    )
    await a.actor.call("POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=409)
    after_a = await sign_application(world, a, started["sign"])
    assert after_a["application"]["status"] == "awaiting_cosign"

    # One party's signature alone submits nothing: the court sees no application.
    judge = await world.staff("judge1")
    assert (await judge.call("GET", "/api/v1/court/applications"))["items"] == []
    await judge.call("GET", f"/api/v1/court/applications/{started['application']['id']}", expect=404)
    await judge.call("GET", f"/api/v1/cases/{m.case_id}", expect=403)
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}"))["before_court"] is False

    prepared = await b.actor.call("POST", "/api/v1/party/confirmation/sign", {}, expect=201)
    signed = await sign_application(world, b, prepared)
    application = signed["application"]
    assert application["status"] == "received" and all(s["signed_at"] for s in application["signers"])
    app_path = f"/api/v1/court/applications/{application['id']}"

    # The mediator can no longer change the case, and the case says so.
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}"))["before_court"] is True
    changed = await m.liu.call(
        "POST", f"/api/v1/cases/{m.case_id}/parties", {"role": "agent", "name": "王五", "phone": "13700000003"}, expect=409
    )
    assert changed["error"]["reason"] == "submitted"
    corrected = await m.liu.call("PATCH", path, {"address": "别处"}, expect=409)
    assert corrected["error"]["reason"] == "submitted"
    await m.liu.call("POST", f"/api/v1/sessions/{m.session['session']['id']}/cancel", {}, expect=409)
    pdf = b"%PDF-1.4\n%%EOF\n"
    for who, status in ((m.liu, 409), (judge, 403)):
        upload = await who.request(
            "POST", f"/api/v1/cases/{m.case_id}/documents?name=late.pdf", data=pdf, headers={"Content-Type": "application/pdf"}
        )
        assert upload.status == status, await upload.text()

    # The court reviews: the verifier's findings in plain words, the materials, the case.
    [listed] = (await judge.call("GET", "/api/v1/court/applications"))["items"]
    assert listed["id"] == application["id"] and listed["case_number"] == m.case["case_number"]
    detail = await judge.call("GET", app_path)
    assert detail["verification"]["ok"], detail["verification"]["report_en"]
    summary = detail["verification"]["report_zh"]
    assert summary.startswith("验证通过：案件 （2026）朝调字第12号 的全部")
    # It names people, never their ids, and calls every kind of record by its Chinese name.
    for name in ("当事人 张三（申请人）", "当事人 李四（被申请人）", "工作人员 刘调解员（调解员）", "工作人员 陈法官（法官）"):
        assert name in summary, name
    for person in (m.party_id("applicant"), m.party_id("respondent"), world.ids["liu"], world.ids["judge1"], "platform"):
        assert person not in summary
    assert "签署调解协议" in summary and "申请司法确认" in summary and "方式：设备密钥（短信验证码确认）" in summary
    assert not re.search(r"[（(](case_registered|case_opened|key_bound|signature|export|delivery)[）)]", summary)
    # Opening it again checks the same records: it adds no export record to the case.
    await world.services.ledger.settle()
    logged = len((await judge.call("GET", f"/api/v1/cases/{m.case_id}/evidence"))["items"])
    again = await judge.call("GET", app_path)
    await world.services.ledger.settle()
    assert (
        again["verification"]["ok"] and len((await judge.call("GET", f"/api/v1/cases/{m.case_id}/evidence"))["items"]) == logged
    )
    assert (await judge.call("GET", f"/api/v1/cases/{m.case_id}"))["case_number"] == m.case["case_number"]
    assert {"application", "agreement", "signed_agreement", "transcript"} <= {d["kind"] for d in detail["materials"]}
    assert {p["phone"] for p in detail["parties"]} == {"13800000001", "13900000002"}
    application_pdf = await (
        await judge.request("GET", next(d["url"] for d in detail["materials"] if d["kind"] == "application"))
    ).read()
    filed = pdf_text(application_pdf)
    assert "司法确认申请书" in filed and "13800000001" in filed and "第三十三条" in filed
    assert "申请人：张三，男，1990年3月7日出生" in filed and "此致朝阳区人民法院" in filed and "本协议书" not in filed
    await judge.call("GET", f"/api/v1/cases/{m.case_id}/agreement")
    await judge.call("GET", f"/api/v1/cases/{m.case_id}/history")
    pdf_url = next(d["url"] for d in detail["materials"] if d["kind"] == "signed_agreement")
    await judge.request("GET", pdf_url)
    [me] = (await judge.call("GET", "/api/v1/court/judges"))["items"]
    assigned = await judge.call("POST", f"{app_path}/assign", {"judge_id": me["id"]})
    assert assigned["judge"] == {"id": me["id"], "name": "陈法官"}
    await judge.call("POST", f"{app_path}/assign", {"judge_id": world.ids["liu"]}, expect=422)
    # Accepting it gives the court's own case number, from its sequence of the year.
    assert detail["court_case_number"] is None
    accepted = await judge.call("POST", f"{app_path}/status", {"status": "accepted"})
    year = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).year
    assert accepted["court_case_number"] == f"（{year}）京0105民特1号" and accepted["accepted_at"]
    await judge.call("POST", f"{app_path}/notes", {"text": "双方当庭确认自愿"}, expect=201)
    # Parties and the mediator never see the court's notes.
    assert "双方当庭确认自愿" not in str(await a.actor.call("GET", "/api/v1/party/confirmation"))
    assert "双方当庭确认自愿" not in str(await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/confirmation"))

    # The judge signs the ruling with their own key, bound to the case.
    key = DeviceKey.generate({"kind": "staff", "id": "judge1"})
    await judge.call("POST", "/api/v1/me/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    decision = {
        "decision": "confirmed", "reasons": "协议系双方真实意思表示，内容不违反法律规定。", "key_id": key.info.id,
        "clerk": "王书记员",
    }  # fmt: skip
    unbound = await judge.call("POST", f"{app_path}/decision", decision, expect=409)
    assert unbound["error"]["reason"] == "key_not_bound"
    binding = await judge.call("POST", f"/api/v1/cases/{m.case_id}/keys/{key.info.id}/bind", expect=201)
    await judge.call(
        "POST",
        f"/api/v1/signatures/{binding['challenge']}",
        {"signature": key.sign(unb64(binding["statement"]))["sig"]},
        expect=201,
    )
    await judge.call("POST", f"{app_path}/decision", {**decision, "decision": "rejected"}, expect=422)  # grounds required
    prepared = await judge.call("POST", f"{app_path}/decision", decision, expect=201)
    assert prepared["claim"]["type"] == "confirmation_decided"
    await judge.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )

    # Both parties see the ruling; it is a PDF sealed by the court.
    for party in (a, b):
        seen = (await party.actor.call("GET", "/api/v1/party/confirmation"))["application"]
        assert seen["status"] == "confirmed" and seen["decision"]["decision"] == "confirmed" and seen["decision"]["pdf"]
    ruling = await (await b.actor.request("GET", "/api/v1/party/confirmation/ruling.pdf")).read()
    text = pdf_text(ruling)
    decided = (await judge.call("GET", app_path))["decision"]
    assert decided["clerk"] == "王书记员"
    # It reads as the court's ruling: its case number, the applicants with their particulars (what
    # is not recorded said so), the agreement, the reasoning before 裁定如下, the operative part,
    # the judge, the clerk and the date in Chinese numerals; no agreement version in its footer.
    on = datetime.fromisoformat(decided["decided_at"]).astimezone(ZoneInfo("Asia/Shanghai")).date()
    for phrase in (
        "朝阳区人民法院民事裁定书",
        f"（{year}）京0105民特1号",
        "申请人：张三，男，1990年3月7日出生，汉族，住北京市朝阳区望京街道1号，公民身份号码110101199003071234。",
        "申请人：李四（未登记：性别、出生日期、民族、住址、身份证件号码）。",
        "经朝阳区人民调解委员会主持调解，达成了如下调解协议：一、被申请人于2026年12月31日前向申请人支付拖欠工资人民币12000元。",
        "本院经审查认为，申请人张三与申请人李四达成的调解协议，符合司法确认调解协议的法定条件。协议系双方真实意思表示",
        "依照《中华人民共和国民事诉讼法》第二百零五条、第二百零六条，《中华人民共和国人民调解法》第三十三条规定，裁定如下：",
        "主持调解达成的调解协议有效。",
        "一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请执行。",
        f"审判员陈法官{chinese_date(on)}书记员王书记员",
    ):
        assert phrase in text, phrase
    assert text.index("本院经审查认为") < text.index("裁定如下") < text.index("调解协议有效")
    assert "第 1 版" not in text and "SHA-256" not in text and "第1版" not in text
    published = await (await (await world.actor()).request("GET", "/.well-known/mediate-seal-ca.pem")).read()
    roots = [block + b"-----END CERTIFICATE-----\n" for block in published.split(b"-----END CERTIFICATE-----")[:-1]]
    sealed = check_seal(ruling, roots)
    assert sealed.intact and sealed.trusted and "朝阳区人民法院" in sealed.signer

    # Every evidence view by the court is in the access log.
    log = (await judge.call("GET", f"{app_path}/access-log"))["items"]
    whats = [entry["what"] for entry in log]
    assert "application" in whats and "GET /cases/{case_id}/agreement" in whats and "GET /cases/{case_id}/history" in whats
    assert "GET /documents/{document_id}" in whats and all(entry["who"] == "陈法官" for entry in log)

    # The bundle carries the application and the ruling, and verifies offline.
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    bundle_path = world.services.settings.data_dir / "confirmed.zip"
    bundle_path.write_bytes(await response.read())
    report = verify_bundle(bundle_path)
    assert report.ok, render(report, "en")
    types = [r.type for r in report.records]
    assert types.count("confirmation_applied") == 2 and types.count("confirmation_decided") == 1


async def test_after_day_30_the_application_is_refused_with_the_rule(world: World) -> None:
    await regions(world)
    m = await mediation(world)
    a, _ = await sealed_agreement(world, m)
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Agreement).where(Agreement.case_id == m.case_id).values(sealed_at=utcnow() - timedelta(days=31)))
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    assert status["open"] is False and status["reason"] == "out_of_time"
    refused = await a.actor.call(
        "POST", "/api/v1/party/confirmation", {"court_id": world.court.id, "ground": "org_location"}, expect=410
    )
    assert refused["error"]["reason"] == "out_of_time" and "art. 33" in refused["error"]["message"]


async def test_a_judge_of_another_court_gets_403_on_every_route_of_the_case(world: World) -> None:
    m, _, _, application = await submitted(world)
    other = await other_court_judge(world)
    assert (await other.call("GET", "/api/v1/court/applications"))["items"] == []
    app_path = f"/api/v1/court/applications/{application['id']}"
    case_path = f"/api/v1/cases/{m.case_id}"
    for method, path, body in [
        ("GET", app_path, None),
        ("POST", f"{app_path}/assign", {"judge_id": world.ids["judge1"]}),
        ("POST", f"{app_path}/status", {"status": "accepted"}),
        ("POST", f"{app_path}/notes", {"text": "x"}),
        ("POST", f"{app_path}/decision", {"decision": "confirmed", "reasons": "x", "key_id": "0" * 32}),
        ("GET", f"{app_path}/ruling.pdf", None),
        ("GET", f"{app_path}/access-log", None),
        ("GET", case_path, None),
        ("GET", f"{case_path}/history", None),
        ("GET", f"{case_path}/evidence", None),
        ("POST", f"{case_path}/evidence/bundle", None),
        ("GET", f"{case_path}/recordings", None),
        ("GET", f"{case_path}/agreement", None),
        ("GET", f"{case_path}/agreement/pdf?kind=signed", None),
        ("GET", f"{case_path}/documents", None),
        ("GET", f"{case_path}/confirmation", None),
    ]:
        response = await other.request(method, path, body)
        assert response.status == 403, f"{method} {path}: {response.status} {await response.text()}"
    # The court applied to can; a mediator of another organisation cannot.
    judge = await world.staff("judge1")
    await judge.call("GET", f"{case_path}/agreement")
    zhao = await world.staff("zhao")
    await zhao.call("GET", f"{case_path}/confirmation", expect=403)


async def test_the_judge_hosts_a_video_hearing_with_both_parties(world: World) -> None:
    m, _, _, application = await submitted(world)
    judge = await world.staff("judge1")
    app_path = f"/api/v1/court/applications/{application['id']}"
    starts = (utcnow() + timedelta(days=1)).isoformat()
    early = await judge.call("POST", f"{app_path}/hearing", {"starts_at": starts}, expect=409)
    assert early["error"]["reason"] == "received"
    await judge.call("POST", f"{app_path}/status", {"status": "accepted"})
    scheduled = await judge.call("POST", f"{app_path}/hearing", {"starts_at": starts, "duration_minutes": 20}, expect=201)
    assert scheduled["status"] == "hearing_scheduled" and scheduled["hearing"]["session_id"]
    # Each party is sent a link to the hearing, naming the court and the judge.
    async with world.services.links._maker() as db:
        sent = list(
            await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "hearing", OutboxMessage.channel == "sms"))
        )
    assert len(sent) == 2 and all("朝阳区人民法院" in msg.body and "陈法官" in msg.body for msg in sent)
    links = {}
    for msg in sent:
        party = next(p for p in m.case["parties"] if p["id"] == msg.party_id)
        url = next(word for word in msg.body.replace("：", " ").split() if "/j/" in word)
        links[party["role"]] = {"url": url.rstrip("。"), "party_id": party["id"]}
    # The judge hosts it on /live like a mediator: the parties wait until the judge admits them.
    hearing = Meeting(world, str(world.server.make_url("")), scheduled["hearing"]["session_id"], judge, links)
    try:
        host = await hearing.join("陈法官", judge, {"session_id": hearing.session_id})
        applicant = await hearing.party("applicant")
        assert (await host.call("admit", {"participant_id": links["applicant"]["party_id"]})) == {"ok": True}
        await applicant.wait("admitted")
        # The case's mediator cannot take the judge's place.
        refused = await hearing.refused("刘", session_cookie(m.liu.client), {"session_id": hearing.session_id})
        assert refused is not None
    finally:
        for peer in hearing.peers:
            if peer.sio.connected:
                await peer.sio.disconnect()
    # The other court's judge cannot schedule one.
    other = await other_court_judge(world)
    await other.call("POST", f"{app_path}/hearing", {"starts_at": starts}, expect=403)


async def test_a_rejection_names_its_statutory_ground_and_the_next_court_case_gets_the_next_number(world: World) -> None:
    m, _, _, application = await submitted(world)
    judge = await world.staff("judge1")
    app_path = f"/api/v1/court/applications/{application['id']}"
    # A court without its code cannot number its cases: it says so, and an administrator sets one.
    admin = await world.staff("admin1")
    await admin.call("PATCH", f"/api/v1/organisations/{world.court.id}", {"court_code": None})
    refused = await judge.call("POST", f"{app_path}/status", {"status": "accepted"}, expect=409)
    assert refused["error"]["reason"] == "no_court_code" and "mediate org set" in refused["error"]["message"]
    await admin.call("PATCH", f"/api/v1/organisations/{world.court.id}", {"court_code": "京0105"})
    first = (await judge.call("POST", f"{app_path}/status", {"status": "accepted"}))["court_case_number"]
    # Another case of the committee reaches the same court: the court's next number.
    _, _, _, later = await submitted(world, "（2026）朝调字第13号", hour=14)
    second = await judge.call("POST", f"/api/v1/court/applications/{later['id']}/status", {"status": "accepted"})
    year = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).year
    assert (first, second["court_case_number"]) == (f"（{year}）京0105民特1号", f"（{year}）京0105民特2号")

    decided = await decide(
        world, judge, m.case_id, application["id"],
        {"decision": "rejected", "grounds": ["unclear"], "reasons": "协议第一条未写明支付方式。"},
    )  # fmt: skip
    assert decided["status"] == "rejected" and decided["decision"]["clerk"] is None
    ruling = await (await judge.request("GET", f"{app_path}/ruling.pdf")).read()
    text = pdf_text(ruling)
    for phrase in (
        f"（{year}）京0105民特1号",
        "本院经审查认为，申请人张三与申请人李四达成的调解协议内容不明确，不符合司法确认调解协议的法定条件。协议第一条未写明支付方式。",
        "依照《中华人民共和国民事诉讼法》第二百零六条，《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第三百五十八条规定，裁定如下：",
        "驳回申请人张三、李四的司法确认申请。",
        "当事人可以通过调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼。",
        "审判员陈法官",
    ):
        assert phrase in text, phrase
    assert text.index("经审查") < text.index("裁定如下") < text.index("驳回申请人")
    assert "书记员" not in text  # none was named
