"""A party who signs nothing with a key (#25, a caller by phone) co-signs the application for judicial
confirmation on paper: the applicant starts it and signs with their key, the mediator prints the
application, receives the page the respondent signed, and attests it with their own key; the
application goes to the court, which sees how each party signed, the 申请书 says so, and
`mediate verify` checks the attested page offline."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from hashlib import sha256
from typing import Any

from PIL import Image
from sqlalchemy import select, update

from server.domain.statistics.record_facts import facts_from_records
from server.evidence.records import Claim, DeviceKey, Record, b64, unb64
from server.evidence.verify import document_check, render, verify_bundle
from server.evidence.verify.sentences import TEXT
from server.models import Agreement, utcnow
from tests.api.agreement_helpers import (
    Mediation,
    Signer,
    bind_device_key,
    draft_and_finalise,
    mediation,
    mediator_key,
    party_signs,
)
from tests.api.test_case_file import body_of, records_of
from tests.api.test_confirmation import regions, sign_application
from tests.api.test_paper_signature import attest, upload_scan
from tests.conftest import World
from tests.pdf_text import pdf_text


def photo(width: int) -> bytes:
    """A signed page as a phone's camera saves it (each page its own size, so each its own bytes)."""
    out = io.BytesIO()
    Image.new("RGB", (width, 594), (250, 250, 245)).save(out, "JPEG")
    return out.getvalue()


AGREEMENT_PAGE, APPLICATION_PAGE = photo(420), photo(421)
PAPER_SIGNATURES = "/api/v1/cases/{case_id}/confirmation/paper-signatures"


async def attest_application(m: Mediation, key: DeviceKey, party_id: str, document_id: str, expect: int = 201) -> dict[str, Any]:
    """The mediator's attestation that a party co-signed the application on the scanned page."""
    path = PAPER_SIGNATURES.format(case_id=m.case_id)
    body = {"party_id": party_id, "document_id": document_id, "key_id": key.info.id}
    prepared: dict[str, Any] = await m.liu.call("POST", path, body, expect=expect)
    if expect != 201:
        return prepared
    signed = await m.liu.call(
        "POST", f"/api/v1/signatures/{prepared['challenge']}", {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )  # fmt: skip
    return {"prepared": prepared, "signed": signed}


async def sealed_with_a_paper_party(world: World) -> tuple[Mediation, Signer, DeviceKey]:
    """The agreement signed by the applicant with their key and by the respondent (by phone) on paper,
    then by the mediator, and sealed: in effect, so the 30 days to apply have begun."""
    await regions(world)
    m = await mediation(world)
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    await draft_and_finalise(m)
    await party_signs(world, a)
    key = await mediator_key(m.liu, m.case_id)
    page = await upload_scan(m, "李四协议签名页.jpg", AGREEMENT_PAGE)
    await attest(m, key, m.party_id("respondent"), page["id"])
    base = f"/api/v1/cases/{m.case_id}/agreement"
    prepared = await m.liu.call("POST", f"{base}/sign", {"key_id": key.info.id}, expect=201)
    await m.liu.call(
        "POST", f"/api/v1/signatures/{prepared['challenge']}", {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )  # fmt: skip
    assert (await m.liu.call("GET", base))["agreement"]["status"] == "effective"
    return m, a, key


async def test_a_caller_co_signs_the_application_on_paper_and_the_court_receives_it(world: World) -> None:
    m, a, key = await sealed_with_a_paper_party(world)
    applicant, respondent = m.party_id("applicant"), m.party_id("respondent")
    form = f"/api/v1/cases/{m.case_id}/confirmation/paper-form.pdf"

    # Nothing to print or attest before a party has started the application.
    scan = await upload_scan(m, "李四申请书签名页.jpg", APPLICATION_PAGE)
    early = await attest_application(m, key, respondent, scan["id"], expect=409)
    assert early["error"]["reason"] == "not_started"
    assert (await m.liu.call("GET", form, expect=409))["error"]["reason"] == "not_started"

    # The applicant starts it on their page and signs it with their key.
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    court = next(c for c in status["courts"] if c["name"] == "朝阳区人民法院")
    started = await a.actor.call(
        "POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=201
    )
    own = await sign_application(world, a, started["sign"])
    assert own["application"]["status"] == "awaiting_cosign"

    # The mediator prints the application for the respondent: the applicant's signature said, a line for theirs.
    printed = await m.liu.request("GET", form)
    assert printed.status == 200 and printed.content_type == "application/pdf"
    text = pdf_text(await printed.read())
    assert "司法确认申请书" in text and "此致朝阳区人民法院" in text
    assert (
        f"申请人签名方式：张三以本人密钥电子签名（证据日志第{own['seq']}条记录）；李四在本申请书上签名或按指印后交调解员收取"
        in text
    )
    assert "申请人李四（签名或按指印）：" in text and "申请人张三（签名" not in text

    # Refusals: the applicant has signed already; no such scan; a file that is not an upload; the party
    # cannot attest for themselves; another organisation's mediator cannot; a key not bound to the case.
    signed_already = await attest_application(m, key, applicant, scan["id"], expect=409)
    assert signed_already["error"]["reason"] == "signed" and signed_already["error"]["name"] == "张三"
    missing = await attest_application(m, key, respondent, "no-such-document", expect=422)
    assert missing["error"]["fields"][0]["field"] == "document_id"
    signed_pdf = next(d for d in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/documents"))["items"]
                      if d["kind"] == "signed_agreement")  # fmt: skip
    not_a_scan = await attest_application(m, key, respondent, signed_pdf["id"], expect=422)
    assert not_a_scan["error"]["fields"][0]["code"] == "no_scan"
    body = {"party_id": respondent, "document_id": scan["id"], "key_id": key.info.id}
    path = PAPER_SIGNATURES.format(case_id=m.case_id)
    await m.respondent.call("POST", path, body, expect=403)
    zhao = await world.staff("zhao")
    await zhao.call("POST", path, body, expect=403)
    await zhao.call("GET", form, expect=403)
    loose = DeviceKey.generate({"kind": "staff", "id": "liu"})
    await m.liu.call("POST", "/api/v1/me/keys/device", {"spki": b64(loose.info.spki)}, expect=201)
    unbound = await attest_application(m, loose, respondent, scan["id"], expect=409)
    assert unbound["error"]["reason"] == "key_not_bound"

    # Past the 30 days of art. 33 nothing is attested either.
    async with world.services.links._maker() as db, db.begin():
        sealed_at = await db.scalar(select(Agreement.sealed_at).where(Agreement.case_id == m.case_id))
        await db.execute(update(Agreement).where(Agreement.case_id == m.case_id).values(sealed_at=utcnow() - timedelta(days=31)))
    late = await attest_application(m, key, respondent, scan["id"], expect=410)
    assert late["error"]["reason"] == "out_of_time"
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Agreement).where(Agreement.case_id == m.case_id).values(sealed_at=sealed_at))

    # The mediator attests the respondent's page: the same application, court and agreement the
    # applicant signed, the mediator as actor, the respondent as subject, the page and its hash.
    done = await attest_application(m, key, respondent, scan["id"])
    claim = done["prepared"]["claim"]
    public, theirs = claim["public"], started["sign"]["claim"]["public"]
    for field in ("application", "court", "ground", "agreement", "signed_pdf_hash", "joint"):
        assert public[field] == theirs[field], field
    assert public["method"] == "paper" and public["subject"] == {"kind": "party", "id": respondent}
    assert public["scan"] == {"document": scan["id"], "sha256": sha256(APPLICATION_PAGE).hexdigest()}
    assert claim["type"] == "confirmation_applied" and claim["actor"] == {
        "kind": "staff",
        "id": world.ids["liu"],
        "role": "mediator",
    }
    seq = done["signed"]["seq"]

    # Everyone has signed: the application is with the court, and no second attestation is taken.
    view = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/confirmation"))["application"]
    assert view["status"] == "received" and view["submitted_at"]
    again = await attest_application(m, key, respondent, scan["id"], expect=409)
    assert again["error"]["reason"] == "submitted"
    assert (await m.liu.call("GET", form, expect=409))["error"]["reason"] == "submitted"
    mine = await m.respondent.call("GET", "/api/v1/party/confirmation")
    assert mine["application"]["status"] == "received"
    signed_by = {s["party_id"]: s for s in mine["application"]["signers"]}
    assert signed_by[respondent]["method"] == "paper" and signed_by[respondent]["signed_at"]

    # The statistics audited from the log count it as applied for: the attestation names the respondent.
    applied = await records_of(world, m.case_id, "confirmation_applied")
    facts = facts_from_records(applied, {}, as_of=utcnow(), workdays=world.services.statistics._workdays)
    assert facts.confirmation_applied is True
    assert (
        facts_from_records(applied[:1], {}, as_of=utcnow(), workdays=world.services.statistics._workdays).confirmation_applied
        is False
    )

    # The court sees who signed how, and who received the page on paper.
    judge = await world.staff("judge1")
    [listed] = (await judge.call("GET", "/api/v1/court/applications"))["items"]
    detail = await judge.call("GET", f"/api/v1/court/applications/{listed['id']}")
    by_party = {s["party_id"]: s for s in detail["signers"]}
    assert (by_party[applicant]["method"], by_party[applicant]["received_by"]) == ("sms_otp+device_key", None)
    assert (by_party[respondent]["method"], by_party[respondent]["received_by"], by_party[respondent]["seq"]) == (
        "paper", "刘调解员", seq,
    )  # fmt: skip
    assert sha256(APPLICATION_PAGE).hexdigest() in {d["sha256"] for d in detail["materials"]}
    assert detail["verification"]["ok"], detail["verification"]["report_en"]
    assert "当事人在纸质申请书上签名或按指印（原件存档），调解员收取后以本人密钥签名确认" in detail["verification"]["report_zh"]

    # The 申请书 filed with the court says how each applicant signed, with the records and the page.
    filed = pdf_text(
        await (await judge.request("GET", next(d["url"] for d in detail["materials"] if d["kind"] == "application"))).read()
    )
    assert (
        f"申请人签名方式：张三以本人密钥电子签名（证据日志第{own['seq']}条记录）；李四在纸质申请书上签名或按指印，"
        f"原件由调解员刘调解员收取，并以其本人密钥签名确认（证据日志第{seq}条记录）。"
    ) in filed, filed
    assert f"李四签名的纸质申请书扫描件（SHA-256{sha256(APPLICATION_PAGE).hexdigest()}" in filed, filed
    assert "申请人：张三、李四" in filed and "（签名或按指印）" not in filed

    # The history names the attestation and the submission.
    history = [e["kind"] for e in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/history"))["items"]]
    assert "confirmation_signed_on_paper" in history and "confirmation_submitted" in history

    # The bundle verifies offline: the attestation is the mediator's, for 李四, with the page as filed.
    bundle = await (await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")).read()
    path_ok = world.services.settings.data_dir / "application-paper.zip"
    path_ok.write_bytes(bundle)
    report = verify_bundle(path_ok)
    assert report.ok, render(report, "en")
    assert report.has("application_signed_on_paper", seq=seq)
    record = next(r for r in report.records if r.seq == seq)
    assert (record.type, record.method, record.actor_name) == ("confirmation_applied", "paper", "刘调解员")
    assert (report.people or {})[respondent] == "李四"
    assert "当事人在纸质申请书上签名或按指印" in render(report, "zh")

    # A page swapped in the bundle is caught.
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    name = next(n for n in files if files[n] == APPLICATION_PAGE)
    files[name] = AGREEMENT_PAGE
    tampered = world.services.settings.data_dir / "application-paper-tampered.zip"
    with zipfile.ZipFile(tampered, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    assert verify_bundle(tampered).has("document_altered", file=name)

    # Closed, the case file puts the page with the application (part 11), as the log holds it.
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/follow-ups", {"method": "phone", "performance": "已付清",
                     "satisfaction": "satisfied", "plan": "sealed_7"}, expect=201)  # fmt: skip
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/close", {"reason": "waived"}, expect=201)
    [made] = await records_of(world, m.case_id, "case_file_made")
    eleventh = [p for p in (await body_of(world, made))["parts"] if p["part"] == 11]
    assert [p["title"] for p in eleventh] == ["司法确认申请书纸质签名页（被申请人签名，调解员收取）", "司法确认申请书"], eleventh
    assert eleventh[0]["sha256"] == sha256(APPLICATION_PAGE).hexdigest()


def test_a_mediators_application_record_is_taken_only_as_an_attestation_for_a_joint_applicant() -> None:
    """A ``confirmation_applied`` a staff member signed that names no joint applicant, or no page as filed, is refused."""
    found: list[tuple[str, int | None]] = []

    def add(level: str, code: str, *, seq: int | None = None, **params: Any) -> None:
        found.append((code, seq))

    mediator = {"kind": "staff", "id": "liu", "role": "mediator"}
    base: dict[str, Any] = {"application": "a", "court": "c", "ground": "org_location", "agreement": "g", "signed_pdf_hash": "0" * 64,
            "joint": ["p1", "p2"]}  # fmt: skip
    page = {"document": "d", "sha256": "1" * 64}
    filed = Claim("log", "document_added", "case", {"kind": "platform", "id": "p"}, "2" * 64, page)
    kinds: dict[int, dict[str, Any]] = {
        2: {**base, "method": "paper", "subject": {"kind": "party", "id": "p2"}, "scan": page},  # as it should be
        3: {**base},  # no method, no party: a mediator applying by themselves
        4: {**base, "method": "paper", "subject": {"kind": "party", "id": "p9"}, "scan": page},  # not a joint applicant
        5: {**base, "method": "paper", "subject": {"kind": "party", "id": "p1"}, "scan": {**page, "sha256": "3" * 64}},
    }
    records = {1: Record(filed, 1, None, [])} | {
        seq: Record(Claim("log", "confirmation_applied", "case", mediator, "2" * 64, public), seq, None, [])
        for seq, public in kinds.items()
    }
    document_check.check(records, {}, add)
    assert [f for f in found if f[0] != "document_missing"] == [
        ("application_signed_on_paper", 2), ("application_not_party", 3), ("application_not_party", 4),
        ("paper_scan_unlogged", 5),
    ]  # fmt: skip
    for code in ("application_signed_on_paper", "application_not_party"):
        zh, en = TEXT[code]
        assert "{seq}" in zh and "{seq}" in en
