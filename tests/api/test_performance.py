"""Obligations of the sealed agreement and their performance (#22): the one who owes reports, the one
owed confirms or disputes with their own key, a mediator records a confirmation given on video."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import select, update

from server.domain.clocks import end_of, local_day
from server.domain.performance import status_of
from server.evidence.records import DeviceKey, Record, unb64
from server.evidence.verify import Report, render, verify_bundle
from server.models import LogEntry, Obligation, PartyLink, utcnow
from tests.api.agreement_helpers import (
    TERMS,
    Mediation,
    Signer,
    bind_device_key,
    bind_passkey,
    deadline,
    latest_code,
    mediation,
    mediator_key,
    party_signs,
)
from tests.api.test_case_files import PNG
from tests.conftest import Actor, World


def later(days: int) -> str:
    return (local_day(utcnow()) + timedelta(days=days)).isoformat()


def terms(m: Mediation) -> dict[str, Any]:
    """The wage case: 李四 (respondent) pays 张三 (applicant) 12000 yuan in two instalments and apologises."""
    debtor, creditor = m.party_id("respondent"), m.party_id("applicant")
    first = {**TERMS["terms"][0]}
    first["obligation"] = {
        "debtor": debtor,
        "creditor": creditor,
        "kind": "pay",
        "what": "拖欠工资",
        "amount_fen": 1_200_000,
        "instalments": [{"due": later(30), "amount_fen": 500_000}, {"due": later(60), "amount_fen": 700_000}],
    }
    second = {"text": "被申请人向申请人书面赔礼道歉。", "performance": "", "due": ""}
    second["obligation"] = {  # type: ignore[assignment]
        "debtor": debtor, "creditor": creditor, "kind": "apologise", "what": "书面", "instalments": [{"due": later(7)}],
    }  # fmt: skip
    return {**TERMS, "terms": [first, second, TERMS["terms"][1]]}


async def sealed(world: World, m: Mediation) -> tuple[Signer, Signer, DeviceKey]:
    """The agreement with obligations signed by 张三 (device key), 李四 (passkey) and the mediator, and sealed."""
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    b = await bind_passkey(world, m.respondent, m.party_id("respondent"))
    base = f"/api/v1/cases/{m.case_id}/agreement"
    await m.liu.call("POST", base, {"session_id": m.session["session"]["id"]}, expect=201)
    await m.liu.call("POST", f"{base}/versions", {"content": terms(m), "based_on": 1}, expect=201)
    await m.liu.call("POST", f"{base}/final", {"version": 2, "deadline": deadline()})
    await party_signs(world, a)
    await party_signs(world, b)
    key = await mediator_key(m.liu, m.case_id)
    prepared = await m.liu.call("POST", f"{base}/sign", {"key_id": key.info.id}, expect=201)
    await m.liu.call(
        "POST", f"/api/v1/signatures/{prepared['challenge']}", {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )  # fmt: skip
    assert (await m.liu.call("GET", base))["agreement"]["status"] == "effective"
    return a, b, key


async def answer(world: World, signer: Signer, obligation_id: str, what: str, reason: str = "") -> dict[str, Any]:
    """The one owed confirms or disputes with their own key: a code and the device key, or the passkey."""
    settings = world.services.settings
    prepared = await signer.actor.call(
        "POST", f"/api/v1/party/obligations/{obligation_id}/answer", {"answer": what, "reason": reason}, expect=201
    )
    statement = unb64(prepared["statement"])
    body: dict[str, Any]
    if signer.device is not None:
        body = {"code": await latest_code(world, signer.party_id), "signature": signer.device.sign(statement)["sig"]}
    else:
        assert signer.passkey is not None
        digest = sha256(statement).digest()
        body = {"credential": signer.passkey.sign(digest, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)}
    path = f"/api/v1/party/obligations/answer/{prepared['challenge']}"
    done: dict[str, Any] = await signer.actor.call("POST", path, body, expect=201)
    # The same signed statement again is refused: the challenge was used.
    again = await signer.actor.call("POST", path, body, expect=410)
    assert again["error"]["reason"] == "expired"
    return done


async def logged(world: World, m: Mediation, kind: str) -> Record:
    """The case's first record of this kind, as the log holds it."""
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        entry = await db.scalar(
            select(LogEntry.entry).where(LogEntry.case_id == m.case_id, LogEntry.type == kind).order_by(LogEntry.seq)
        )
    assert entry is not None, kind
    return Record.from_entry(entry)


async def verified(world: World, m: Mediation) -> Report:
    """The case's evidence bundle, checked offline: every record, the new kinds too, verifies."""
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    path = world.services.settings.data_dir / "performance.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    return report


async def upload_proof(actor: Actor, visible_to: str) -> dict[str, Any]:
    response = await actor.request(
        "POST",
        f"/api/v1/party/documents?name=转账截图.png&visible_to={visible_to}",
        data=PNG,
        headers={"Content-Type": "image/png"},
    )
    assert response.status == 201, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def test_the_sealed_agreement_lists_each_instalment_as_its_text_says(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    version = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/agreement/versions/2")
    text = version["text"]
    items = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"]
    assert [(i["term"], i["instalment"], i["amount_fen"], i["status"]) for i in items] == [
        (1, 1, 500_000, "pending"), (1, 2, 700_000, "pending"), (2, 1, None, "pending"),
    ]  # fmt: skip
    # Each row's words are a line of the signed text, naming who owes, to whom, the amounts and the days.
    for item in items:
        assert f"    {item['wording']}" in text.split("\n")
        day = date.fromisoformat(item["due_date"])
        assert f"{day.year}年{day.month}月{day.day}日前" in item["wording"]
    assert items[0]["wording"].startswith("履行义务：被申请人李四向申请人张三支付人民币12000.00元（拖欠工资），分2期履行：")
    assert "第1期于" in items[0]["wording"] and "支付人民币5000.00元" in items[0]["wording"]
    assert items[2]["wording"].startswith("履行义务：被申请人李四于") and "向申请人张三赔礼道歉（书面）" in items[2]["wording"]
    assert items[0]["debtor"]["name"] == "李四" and items[0]["creditor"]["name"] == "张三"
    # The parties' links stay open past the last instalment's day (the 40 days after sealing would not reach it).
    async with world.services.links._maker() as db:
        expiries = list(await db.scalars(select(PartyLink.expires_at).where(PartyLink.revoked_at.is_(None))))
    assert expiries and all(at >= end_of(date.fromisoformat(items[1]["due_date"])) for at in expiries)
    # Each party sees what they owe and are owed.
    mine = await m.respondent.call("GET", "/api/v1/party/obligations")
    assert len(mine["owe"]) == 3 and mine["owed"] == []
    theirs = await m.applicant.call("GET", "/api/v1/party/obligations")
    assert theirs["owe"] == [] and [i["id"] for i in theirs["owed"]] == [i["id"] for i in items]


async def test_a_draft_without_obligations_composes_as_before(world: World) -> None:
    m = await mediation(world)
    base = f"/api/v1/cases/{m.case_id}/agreement"
    await m.liu.call("POST", base, {}, expect=201)
    saved = await m.liu.call("POST", f"{base}/versions", {"content": TERMS, "based_on": 1}, expect=201)
    text = (await m.liu.call("GET", f"{base}/versions/2"))["text"]
    assert "履行义务" not in text and "    履行方式：银行转账至申请人账户" in text, saved


async def test_the_payer_reports_with_a_screenshot_and_the_payee_confirms_with_their_key(world: World) -> None:
    m = await mediation(world)
    a, _, _ = await sealed(world, m)
    applicant, respondent = m.party_id("applicant"), m.party_id("respondent")
    first = (await m.respondent.call("GET", "/api/v1/party/obligations"))["owe"][0]
    path = f"/api/v1/party/obligations/{first['id']}"
    # The one owed cannot report it, nor confirm what was not reported; the mediator is no party.
    refused = await m.applicant.call("POST", f"{path}/report", {}, expect=403)
    assert refused["error"]["reason"] == "not_the_debtor"
    early = await m.applicant.call("POST", f"{path}/answer", {"answer": "confirm"}, expect=409)
    assert early["error"]["reason"] == "not_reported"
    await m.liu.call("POST", f"{path}/report", {}, expect=403)
    # A proof the payee cannot see is refused, naming why.
    hidden = await upload_proof(m.respondent, "")
    refused = await m.respondent.call("POST", f"{path}/report", {"proof_document_id": hidden["id"]}, expect=422)
    assert refused["error"]["fields"][0]["code"] == "proof_not_shared"

    proof = await upload_proof(m.respondent, applicant)
    reported = await m.respondent.call("POST", f"{path}/report", {"note": "已转账", "proof_document_id": proof["id"]}, expect=201)
    assert reported["status"] == "reported" and reported["proof"]["sha256"] == proof["sha256"]
    twice = await m.respondent.call("POST", f"{path}/report", {}, expect=409)
    assert twice["error"]["reason"] == "reported_already"
    # The payer cannot confirm their own payment.
    wrong = await m.respondent.call("POST", f"{path}/answer", {"answer": "confirm"}, expect=403)
    assert wrong["error"]["reason"] == "not_the_creditor"

    done = await answer(world, a, first["id"], "confirm")
    assert done["status"] == "performed" and done["confirm_method"] == "party_key"
    again = await m.applicant.call("POST", f"{path}/answer", {"answer": "confirm"}, expect=409)
    assert again["error"]["reason"] == "performed_already"
    late = await m.respondent.call("POST", f"{path}/report", {}, expect=409)
    assert late["error"]["reason"] == "performed_already"

    # The log holds the report (naming the proof by hash) and the payee's own signed confirmation.
    report, confirmation = await logged(world, m, "performance_reported"), await logged(world, m, "performance_confirmed")
    assert report.claim.actor == {"kind": "party", "id": respondent, "role": "respondent"}
    assert report.claim.public["proof"] == {"document": proof["id"], "sha256": proof["sha256"]}
    assert confirmation.claim.actor["id"] == applicant and confirmation.claim.public["report"] == report.seq
    checked = await verified(world, m)
    [signed] = [r for r in checked.records if r.type == "performance_confirmed"]
    assert [s.method for s in signed.signers] == ["device_key"] and signed.method == "sms_otp+device_key"
    history = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/history"))["items"]
    kinds = [h["kind"] for h in history]
    assert "obligations_listed" in kinds and "performance_reported" in kinds and "performance_confirmed" in kinds


async def test_the_payee_disputes_with_a_reason_and_the_payer_may_report_again(world: World) -> None:
    m = await mediation(world)
    a, _, _ = await sealed(world, m)
    item = (await m.respondent.call("GET", "/api/v1/party/obligations"))["owe"][1]
    path = f"/api/v1/party/obligations/{item['id']}"
    await m.respondent.call("POST", f"{path}/report", {}, expect=201)
    no_reason = await m.applicant.call("POST", f"{path}/answer", {"answer": "dispute"}, expect=422)
    assert no_reason["error"]["fields"][0]["field"] == "reason"
    disputed = await answer(world, a, item["id"], "dispute", "未收到转账")
    assert disputed["status"] == "disputed" and disputed["dispute_reason"] == "未收到转账"
    assert (await m.respondent.call("POST", f"{path}/report", {"note": "已补转"}, expect=201))["status"] == "reported"


async def test_a_mediator_records_a_confirmation_given_on_video_signed_with_their_own_key(world: World) -> None:
    m = await mediation(world)
    _, _, key = await sealed(world, m)
    items = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"]
    path = f"/api/v1/cases/{m.case_id}/obligations/{items[2]['id']}/confirmed-over-video"
    body = {"key_id": key.info.id, "note": "视频中确认已收到道歉信"}
    # Two statements prepared before either is signed: the second signature finds it performed already.
    first = await m.liu.call("POST", path, body, expect=201)
    second = await m.liu.call("POST", path, body, expect=201)
    await m.liu.call(
        "POST", f"/api/v1/signatures/{first['challenge']}", {"signature": key.sign(unb64(first["statement"]))["sig"]}, expect=201
    )
    late = await m.liu.call(
        "POST",
        f"/api/v1/signatures/{second['challenge']}",
        {"signature": key.sign(unb64(second["statement"]))["sig"]},
        expect=409,
    )
    assert late["error"]["reason"] == "performed_already"
    done = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"][2]
    assert done["status"] == "performed" and done["confirm_method"] == "over_video"
    again = await m.liu.call("POST", path, body, expect=409)
    assert again["error"]["reason"] == "performed_already"
    # Parties cannot record it; a mediator of another organisation cannot either.
    await m.applicant.call("POST", path, body, expect=403)
    other = await world.staff("zhao")
    assert (await other.request("POST", path, json=body)).status in (403, 404)
    record = await logged(world, m, "performance_confirmed")
    assert record.claim.actor["kind"] == "staff" and record.claim.public["method"] == "over_video"
    assert record.claim.public["confirmed_by"]["id"] == m.party_id("applicant")
    [summary] = [r for r in (await verified(world, m)).records if r.type == "performance_confirmed"]
    assert [(s.holder["kind"], s.holder["id"]) for s in summary.signers] == [("staff", world.ids["liu"])]
    assert summary.method == "over_video"


async def test_another_cases_party_finds_no_such_obligation(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    item = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"][0]
    n = await mediation(world, "（2026）朝调字第13号", hour=14)
    refused = await n.respondent.call("POST", f"/api/v1/party/obligations/{item['id']}/report", {}, expect=404)
    assert refused["error"]["reason"] == "no_such_obligation"
    assert (await n.respondent.call("GET", "/api/v1/party/obligations")) == {"owe": [], "owed": [], "enforcement": None}


async def test_an_instalment_is_overdue_once_its_last_day_has_ended_in_beijing(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    items = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"]
    today = local_day(utcnow())
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Obligation).where(Obligation.id == items[0]["id"]).values(due_date=today - timedelta(days=1)))
        await db.execute(update(Obligation).where(Obligation.id == items[1]["id"]).values(due_date=today))
    items = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/obligations"))["items"]
    assert [(i["status"], i["overdue"]) for i in items[:2]] == [("overdue", True), ("pending", False)]
    assert (await m.respondent.call("GET", "/api/v1/party/obligations"))["owe"][0]["status"] == "overdue"
    # The day ends at midnight Beijing time (16:00 UTC), not at midnight UTC.
    row = Obligation(status="pending", due_date=date(2027, 1, 10))
    assert status_of(row, local_day(datetime(2027, 1, 10, 15, 59, tzinfo=UTC))) == "pending"
    assert status_of(row, local_day(datetime(2027, 1, 10, 16, 0, tzinfo=UTC))) == "overdue"
    row.status = "performed"
    assert status_of(row, local_day(datetime(2027, 3, 1, tzinfo=UTC))) == "performed"


async def test_malformed_obligations_are_refused_with_the_field_named(world: World) -> None:
    m = await mediation(world)
    base = f"/api/v1/cases/{m.case_id}/agreement"
    await m.liu.call("POST", base, {}, expect=201)
    good = terms(m)

    def changed(**fields: Any) -> dict[str, Any]:
        ob = {**good["terms"][0]["obligation"], **fields}
        return {**good, "terms": [{**good["terms"][0], "obligation": ob}]}

    for content, field in [
        (changed(amount_fen="12000"), "content.terms.0.obligation.amount_fen"),
        (changed(amount_fen=-5), "content.terms.0.obligation.amount_fen"),
        (changed(amount_fen=1_000_000), "content.terms.0.obligation.instalments"),  # the instalments add up to 12000
        (changed(instalments=[{"due": "2027-02-30", "amount_fen": 1_200_000}]), "content.terms.0.obligation.instalments.0.due"),
        (changed(instalments=[{"due": "2020-01-01", "amount_fen": 1_200_000}]), "content.terms.0.obligation.instalments.0.due"),
        (changed(instalments=[]), "content.terms.0.obligation.instalments"),
        (changed(kind="steal"), "content.terms.0.obligation.kind"),
        (changed(debtor="nobody"), "content.terms.0.obligation.debtor"),
        (changed(creditor=m.party_id("respondent")), "content.terms.0.obligation.creditor"),
    ]:
        refused = await m.liu.call("POST", f"{base}/versions", {"content": content, "based_on": 1}, expect=422)
        assert field in [f["field"] for f in refused["error"]["fields"]], (field, refused)
    assert (await m.liu.call("GET", base))["agreement"]["latest_version"] == 1
