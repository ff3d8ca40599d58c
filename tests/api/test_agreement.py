"""The agreement: drafted in versions, made final, signed by each party with their own key, then
by the mediator, sealed, delivered, and checkable offline."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from hashlib import sha256
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select, update

from server.documents.seal import check_seal
from server.evidence.records import unb64
from server.evidence.verify import render, verify_bundle
from server.models import Agreement, OutboxMessage, utcnow
from tests.api.agreement_helpers import (
    TERMS,
    bind_device_key,
    bind_passkey,
    deadline,
    draft_and_finalise,
    latest_code,
    mediation,
    mediator_key,
    party_signs,
)
from tests.conftest import World
from tests.pdf_text import pdf_text

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


async def test_drafted_signed_by_both_parties_and_the_mediator_sealed_delivered_and_verified(world: World) -> None:
    m = await mediation(world)
    base = f"/api/v1/cases/{m.case_id}/agreement"
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    b = await bind_passkey(world, m.respondent, m.party_id("respondent"))

    # The mediator completes the applicant's particulars (People's Mediation Law art. 29).
    await m.liu.call(
        "PATCH",
        f"/api/v1/cases/{m.case_id}/parties/{a.party_id}",
        {"sex": "male", "birth_date": "1990-03-07", "ethnicity": "汉族", "address": "北京市朝阳区望京街道1号"},
    )
    # Version 1 comes from the template: the parties from the case with their particulars, the ID
    # number in full (the signed document is the parties' own; only public pages mask it).
    created = (await m.liu.call("POST", base, {"session_id": m.session["session"]["id"]}, expect=201))["agreement"]
    assert created["latest_version"] == 1 and created["status"] == "drafting"
    assert (
        "申请人：张三，男，1990年3月7日出生，汉族，住北京市朝阳区望京街道1号，公民身份号码110101199003071234，"
        "联系电话13800000001。" in created["text"]
    )
    assert "被申请人：李四，联系电话13900000002。" in created["text"]
    assert "本协议一式三份" in created["text"] and "人民调解员：刘调解员" in created["text"]
    await m.liu.call("POST", base, {}, expect=409)

    # The parties see the draft as it changes.
    seen = (await m.respondent.call("GET", "/api/v1/party/agreement"))["agreement"]
    assert seen["latest_version"] == 1 and seen["me"] == {"kind": "party", "id": b.party_id, "must_sign": True, "signed": False}
    saved = (await m.liu.call("POST", f"{base}/versions", {"content": TERMS, "based_on": 1}, expect=201))["agreement"]
    assert saved["latest_version"] == 2 and saved["text_sha256"] == sha256(saved["text"].encode()).hexdigest()
    stale = await m.liu.call("POST", f"{base}/versions", {"content": TERMS, "based_on": 1}, expect=409)
    assert stale["error"]["reason"] == "stale"
    seen = (await m.respondent.call("GET", "/api/v1/party/agreement"))["agreement"]
    assert seen["latest_version"] == 2 and "12000元" in seen["text"]
    diff = await m.respondent.call("GET", "/api/v1/party/agreement/diff?from=1&to=2")
    assert {"op": "add", "text": "一、" + TERMS["terms"][0]["text"]} in diff["lines"]
    assert any(line["op"] == "del" for line in diff["lines"])

    # A party comments on a clause and proposes wording; only they and the mediator see it.
    await m.applicant.call(
        "POST",
        "/api/v1/party/agreement/comments",
        {"version": 2, "clause": "term-1", "text": "希望分两期", "proposal": "分两期支付"},
        expect=201,
    )
    await m.applicant.call(
        "POST", "/api/v1/party/agreement/comments", {"version": 2, "clause": "term-9", "text": "?"}, expect=422
    )
    assert [c["proposal"] for c in (await m.liu.call("GET", base))["agreement"]["comments"]] == ["分两期支付"]
    assert (await m.respondent.call("GET", "/api/v1/party/agreement"))["agreement"]["comments"] == []

    # Nothing can be signed before the mediator declares a version final.
    refused = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=409)
    assert refused["error"]["reason"] == "not_final"
    final = (await m.liu.call("POST", f"{base}/final", {"version": 2, "deadline": deadline()}))["agreement"]
    assert final["status"] == "final" and final["final_version"] == 2 and final["pdf_sha256"]
    closed = await m.liu.call("POST", f"{base}/versions", {"content": TERMS, "based_on": 2}, expect=409)
    assert closed["error"]["reason"] == "final"

    # The PDF the parties sign holds the Chinese text; its hash is in the view.
    pdf = await (await m.applicant.request("GET", "/api/v1/party/agreement/pdf?kind=agreement")).read()
    assert sha256(pdf).hexdigest() == final["pdf_sha256"]
    text = pdf_text(pdf)
    assert "被申请人于2026年12月31日前向申请人支付拖欠工资人民币12000元" in text

    # Superseded versions, texts the party was not shown, and wrong codes sign nothing.
    superseded = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 1}, expect=409)
    assert superseded["error"]["reason"] == "superseded"
    mismatch = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2, "text_sha256": "0" * 64}, expect=409)
    assert mismatch["error"]["reason"] == "text_mismatch"
    prepared = await m.applicant.call(
        "POST", "/api/v1/party/agreement/sign", {"version": 2, "text_sha256": final["text_sha256"]}, expect=201
    )
    assert prepared["claim"]["public"] == {
        "agreement": final["id"], "version": 2, "text_hash": final["text_sha256"], "pdf_hash": final["pdf_sha256"],
        "role": "applicant", "intent": "agree_and_sign",
    }  # fmt: skip
    assert a.device is not None
    good = a.device.sign(unb64(prepared["statement"]))["sig"]
    code = await latest_code(world, a.party_id)
    wrong = "000000" if code != "000000" else "111111"
    path = f"/api/v1/party/agreement/sign/{prepared['challenge']}"
    await m.applicant.call("POST", path, {"code": wrong, "signature": good}, expect=422)
    # The other party cannot complete this party's statement.
    await m.respondent.call("POST", path, {"code": code, "signature": good}, expect=404)
    # The mediator signs last.
    key = await mediator_key(m.liu, m.case_id)
    early = await m.liu.call("POST", f"{base}/sign", {"key_id": key.info.id}, expect=409)
    assert early["error"]["reason"] == "parties_first"
    await m.applicant.call("POST", path, {"code": code, "signature": good, "handwriting": PNG}, expect=201)
    again = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=409)
    assert again["error"]["reason"] == "signed"
    await party_signs(world, b)

    prepared = await m.liu.call("POST", f"{base}/sign", {"key_id": key.info.id}, expect=201)
    await m.liu.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )
    sealed = (await m.liu.call("GET", base))["agreement"]
    assert sealed["status"] == "effective" and sealed["sealed_at"] and len(sealed["verify_code"]) == 9
    assert [s["role"] for s in sealed["signers"] if s["signed_at"]] == ["applicant", "respondent", "mediator"]
    # The applicant typed a texted code; the mediator signed with their device key alone (no code exists for staff).
    assert [s["method"] for s in sealed["signers"]] == ["sms_otp+device_key", "passkey", "device_key"]
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    assert case["status"] == "settled"

    # The sealed PDF is a PAdES signature of the organisation that any PDF reader can check.
    signed = await (await m.respondent.request("GET", "/api/v1/party/agreement/pdf?kind=signed")).read()
    published = await (await (await world.actor()).request("GET", "/.well-known/mediate-seal-ca.pem")).read()
    roots = [block + b"-----END CERTIFICATE-----\n" for block in published.split(b"-----END CERTIFICATE-----")[:-1]]
    checked = check_seal(signed, roots)
    assert checked.intact and checked.trusted and checked.covers_whole_file, checked.summary
    assert "朝阳区人民调解委员会" in checked.signer
    flipped = bytearray(signed)
    flipped[len(flipped) // 3] ^= 0x01
    assert not check_seal(bytes(flipped), roots).intact
    pages = pdf_text(signed)
    assert sealed["verify_code"] in pages and "张三" in pages and "刘调解员" in pages
    assert "110101199003071234" in pages, "the signed document carries the ID number in full"
    # Each signature line says how that signer was confirmed and how their key was bound, as the
    # records say: a code by SMS for 张三's device key, 李四's passkey, the mediator's own key (no code).
    # pypdf, not poppler: poppler reads this table's cells column by column.
    texts = ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(signed)).pages]
    page = next(text for text in texts if "由以下各方以电子方式签署" in text)
    rows = [
        ("张三", "设备密钥（短信验证码确认）", "密钥经短信验证码核验本人手机后绑定"),
        ("李四", "通行密钥（本人生物识别/PIN验证）", "密钥经短信验证码核验本人手机后注册"),
        ("刘调解员", "工作人员本人密钥（登录本人工作账户后签署）", "密钥登录本人工作账户后绑定"),
    ]
    missing = [text for row in rows for text in row if text not in page]
    assert not missing, (missing, page)
    at = [page.index(text) for row in rows for text in row]
    assert at == sorted(at), page
    assert page.count("短信验证码确认") == 1 and "ECDSA" not in page
    assert "朝阳区人民调解委员会加盖调解组织电子印章（PAdES数字签名），印章证书SHA-256为" in page

    # Each party was sent a message with a link; the first download was the respondent's receipt.
    async with world.services.links._maker() as db:
        delivered = list(await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "agreement_delivered")))
    assert sorted((msg.party_id for msg in delivered), key=str) == sorted([a.party_id, b.party_id])
    assert all("/j/" in msg.body for msg in delivered)

    # Anyone with the code learns the hashes and who signed when, names masked.
    public = await (await world.actor()).call("GET", f"/api/v1/verify/{sealed['verify_code']}")
    assert public["signed_pdf_sha256"] == sha256(signed).hexdigest()
    assert [s["name"] for s in public["signers"]] == ["张*", "李*", "刘***"]
    assert "110101199003071234" not in str(public) and "1990" not in str(public)
    await (await world.actor()).call("GET", "/api/v1/verify/ZZZZ-ZZZZ", expect=404)

    # The bundle carries both PDFs and every signature, and verifies offline.
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    bundle = await response.read()
    path_ok = world.services.settings.data_dir / "agreement.zip"
    path_ok.write_bytes(bundle)
    report = verify_bundle(path_ok)
    assert report.ok, render(report, "en")
    [summary] = report.agreements
    assert len(summary["signatures"]) == 3 and summary["sealed"]["signed_pdf_hash"] == sha256(signed).hexdigest()
    types = [r.type for r in report.records]
    assert types.count("signature") == 3 and "agreement_sealed" in types and types.count("delivery") == 3
    # A PDF changed in the bundle is named.
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    name = next(n for n in files if n.startswith("documents/") and files[n] == signed)
    files[name] = bytes(flipped)
    tampered = world.services.settings.data_dir / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    report = verify_bundle(tampered)
    assert not report.ok and report.has("document_altered", file=name)


async def test_no_signing_after_the_deadline_nor_in_another_case(world: World) -> None:
    m = await mediation(world)
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    await draft_and_finalise(m)
    # Another case's party sees only their own case (which has no agreement).
    other = await mediation(world, "（2026）朝调字第99号", hour=14)
    assert (await other.applicant.call("GET", "/api/v1/party/agreement")) == {"agreement": None}
    await other.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=404)
    # A mediator of another organisation gets 403 on every route of the case's agreement.
    zhao = await world.staff("zhao")
    base = f"/api/v1/cases/{m.case_id}/agreement"
    for method, path, body in [
        ("GET", base, None),
        ("POST", f"{base}/versions", {"content": TERMS, "based_on": 2}),
        ("GET", f"{base}/versions/1", None),
        ("GET", f"{base}/diff?from=1&to=2", None),
        ("POST", f"{base}/final", {"version": 2, "deadline": deadline()}),
        ("GET", f"{base}/pdf?kind=agreement", None),
        ("POST", f"/api/v1/cases/{m.case_id}/outcome", {"outcome": "failed", "reason": "divergence"}),
    ]:
        await zhao.call(method, path, body, expect=403)
    # After the deadline: refused with the reason, nothing written.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Agreement).where(Agreement.case_id == m.case_id).values(deadline=utcnow() - timedelta(minutes=1)))
    late = await a.actor.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=410)
    assert late["error"]["reason"] == "deadline"
    view = (await m.liu.call("GET", base))["agreement"]
    assert not any(s["signed_at"] for s in view["signers"])


async def test_bad_drafts_and_deadlines_are_refused_with_the_field_named(world: World) -> None:
    m = await mediation(world)
    base = f"/api/v1/cases/{m.case_id}/agreement"
    await m.liu.call("POST", base, {}, expect=201)
    for content, field in [
        ({**TERMS, "terms": []}, "content.terms"),
        ({**TERMS, "copies": 0}, "content.copies"),
        ({**TERMS, "facts": "x" * 5001}, "content.facts"),
        ({**TERMS, "terms": [{"text": ""}]}, "content.terms.0.text"),
        ({**TERMS, "effect": 5}, "content.effect"),
    ]:
        refused = await m.liu.call("POST", f"{base}/versions", {"content": content, "based_on": 1}, expect=422)
        assert field in [f["field"] for f in refused["error"]["fields"]], refused
    await m.liu.call("POST", f"{base}/final", {"version": 1, "deadline": deadline(-1)}, expect=422)
    await m.liu.call("POST", f"{base}/final", {"version": 1, "deadline": "2030-01-01T10:00:00"}, expect=422)
    assert (await m.liu.call("GET", base))["agreement"]["status"] == "drafting"


async def test_a_restart_in_the_middle_of_signing_keeps_the_signatures_given(
    world: World, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    from server.app import create_app

    m = await mediation(world)
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    b = await bind_device_key(world, m.respondent, m.party_id("respondent"))
    await draft_and_finalise(m)
    await party_signs(world, a)
    # A second server process on the same database and data directory takes over.
    await world.server.close()
    app = create_app(world.services.settings, migrate=False, run_background=False)
    server = await aiohttp_server(app)

    async def moved(actor: Any) -> Any:
        client = await aiohttp_client(server)
        client.session.cookie_jar.update_cookies({c.key: c.value for c in actor.client.session.cookie_jar})
        actor.client = client
        return actor

    for actor in (m.liu, m.applicant, m.respondent):
        await moved(actor)
    view = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/agreement"))["agreement"]
    assert [bool(s["signed_at"]) for s in view["signers"]] == [True, False, False]
    again = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=409)
    assert again["error"]["reason"] == "signed"
    await party_signs(world, b)
    view = (await m.respondent.call("GET", "/api/v1/party/agreement"))["agreement"]
    assert view["me"]["signed"] and [bool(s["signed_at"]) for s in view["signers"]] == [True, True, False]


async def test_mediation_ends_without_agreement_and_the_parties_are_told_their_routes(world: World) -> None:
    m = await mediation(world)
    path = f"/api/v1/cases/{m.case_id}/outcome"
    reasons = [r["code"] for r in (await m.liu.call("GET", "/api/v1/meta"))["mediation_end_reasons"]]
    assert list(reasons)[:2] == ["withdrawn", "unreachable"] and "divergence" in reasons
    await m.liu.call("POST", path, {"outcome": "failed", "reason": "bored"}, expect=422)
    case = await m.liu.call("POST", path, {"outcome": "failed", "reason": "divergence", "note": "双方对金额分歧较大"})
    assert case["status"] == "failed"
    again = await m.liu.call("POST", path, {"outcome": "failed", "reason": "divergence"}, expect=409)
    assert again["error"]["reason"] == "failed"
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/agreement", {}, expect=409)
    async with world.services.links._maker() as db:
        told = list(await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mediation_ended")))
    assert len(told) == 2 and all("仲裁" in msg.body and "诉讼" in msg.body for msg in told)
    await world.services.ledger.settle()
    records = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/evidence"))["items"]
    assert records[-1]["type"] == "mediation_ended"
