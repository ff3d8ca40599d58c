"""A party who signs nothing with a key (#25, a caller by phone): the agreement read to them, their
signature on paper received and attested by the mediator, the agreement sealed, and the bundle
saying exactly that when `mediate verify` reads it offline."""

from __future__ import annotations

import io
import zipfile
from hashlib import sha256
from typing import Any

from PIL import Image
from pypdf import PdfReader

from server.evidence.records import DeviceKey, b64, unb64
from server.evidence.verify import render, verify_bundle
from tests.api.agreement_helpers import (
    Mediation,
    bind_device_key,
    draft_and_finalise,
    mediation,
    mediator_key,
    party_signs,
)
from tests.api.test_case_file import body_of, records_of
from tests.conftest import World


def photo_of_page() -> bytes:
    """A signed page as a phone's camera saves it."""
    out = io.BytesIO()
    Image.new("RGB", (420, 594), (250, 250, 245)).save(out, "JPEG")
    return out.getvalue()


SCAN = photo_of_page()


async def upload_scan(m: Mediation, name: str = "李四签名页.jpg", data: bytes = SCAN) -> dict[str, Any]:
    response = await m.liu.request(
        "POST",
        f"/api/v1/cases/{m.case_id}/documents?name={name}&visible_to=",
        data=data,
        headers={"Content-Type": "image/jpeg"},
    )
    assert response.status == 201, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def attest(m: Mediation, key: Any, party_id: str, document_id: str, expect: int = 201) -> dict[str, Any]:
    base = f"/api/v1/cases/{m.case_id}/agreement/paper-signatures"
    prepared: dict[str, Any] = await m.liu.call(
        "POST", base, {"party_id": party_id, "document_id": document_id, "key_id": key.info.id}, expect=expect
    )
    if expect != 201:
        return prepared
    signed: dict[str, Any] = await m.liu.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )
    return {"prepared": prepared, "signed": signed}


async def test_a_caller_hears_the_agreement_signs_it_on_paper_and_the_mediator_attests_it(world: World) -> None:
    m = await mediation(world)
    base = f"/api/v1/cases/{m.case_id}/agreement"
    applicant, respondent = m.party_id("applicant"), m.party_id("respondent")
    a = await bind_device_key(world, m.applicant, applicant)
    key = await mediator_key(m.liu, m.case_id)

    # Nothing to read or sign before a version is final.
    early = await m.liu.call("POST", f"{base}/read-aloud", {"party_id": respondent, "method": "read_by_phone"}, expect=404)
    assert early["error"]["reason"] == "no_agreement"
    final = (await draft_and_finalise(m))["agreement"]

    # The respondent joins by phone: the mediator reads them the final text and says so.
    read = await m.liu.call("POST", f"{base}/read-aloud", {"party_id": respondent, "method": "read_by_phone"}, expect=201)
    bad = await m.liu.call("POST", f"{base}/read-aloud", {"party_id": respondent, "method": "read_by_fax"}, expect=422)
    assert bad["error"]["fields"][0]["field"] == "method"
    # Nobody but the parties themselves signs (an unknown id is named as the field at fault).
    stranger = await m.liu.call("POST", f"{base}/read-aloud", {"party_id": "nobody", "method": "read_by_phone"}, expect=422)
    assert stranger["error"]["fields"][0]["field"] == "party_id"

    # The applicant signs with their key; the respondent's signed page is scanned into the file.
    await party_signs(world, a)
    scan = await upload_scan(m)
    signed_twice = await attest(m, key, applicant, scan["id"], expect=409)
    assert signed_twice["error"]["reason"] == "signed"
    missing = await attest(m, key, respondent, "no-such-document", expect=422)
    assert missing["error"]["fields"][0]["field"] == "document_id"
    # A key of the mediator's that is not bound to the case attests nothing (it says which step is missing).
    loose = DeviceKey.generate({"kind": "staff", "id": world.ids["liu"]})
    await m.liu.call("POST", "/api/v1/me/keys/device", {"spki": b64(loose.info.spki)}, expect=201)
    unbound = await attest(m, loose, respondent, scan["id"], expect=409)
    assert unbound["error"]["reason"] == "key_not_bound"
    # The party cannot attest for themselves; the mediator's statement names the party, the page and its hash.
    await m.respondent.call(
        "POST", f"{base}/paper-signatures", {"party_id": respondent, "document_id": scan["id"], "key_id": key.info.id}, expect=403
    )
    done = await attest(m, key, respondent, scan["id"])
    public = done["prepared"]["claim"]["public"]
    assert public["method"] == "paper" and public["subject"] == {"kind": "party", "id": respondent}
    assert public["scan"] == {"document": scan["id"], "sha256": sha256(SCAN).hexdigest()}
    assert (public["text_hash"], public["pdf_hash"]) == (final["text_sha256"], final["pdf_sha256"])
    assert done["prepared"]["claim"]["actor"]["kind"] == "staff"
    again = await attest(m, key, respondent, scan["id"], expect=409)
    assert again["error"]["reason"] == "signed"

    # The respondent's place among the signers is filled, on paper; their own page says they have signed.
    view = (await m.liu.call("GET", base))["agreement"]
    assert [(s["role"], s["method"]) for s in view["signers"]] == [
        ("applicant", "sms_otp+device_key"), ("respondent", "paper"), ("mediator", None),
    ]  # fmt: skip
    mine = (await m.respondent.call("GET", "/api/v1/party/agreement"))["agreement"]["me"]
    assert mine == {"kind": "party", "id": respondent, "must_sign": True, "signed": True}

    # The mediator signs last and the agreement is sealed as ever.
    prepared = await m.liu.call("POST", f"{base}/sign", {"key_id": key.info.id}, expect=201)
    await m.liu.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )
    sealed = (await m.liu.call("GET", base))["agreement"]
    assert sealed["status"] == "effective"

    # The sealed document's signature page says the respondent signed on paper and who received it.
    signed_pdf = await (await m.liu.request("GET", f"{base}/pdf?kind=signed")).read()
    texts = ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(signed_pdf)).pages]
    page = next(text for text in texts if "由以下各方以电子方式签署" in text)
    assert "当事人在纸质协议上签名（原件存档），调解员收取后以本人密钥签名确认" in page, page
    assert "收取人：刘调解员" in page and page.index("李四") < page.index("收取人：刘调解员")

    # The history names both acts; the bundle verifies, names the people right, and checks the page.
    history = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/history")
    kinds = [e["kind"] for e in history["items"]]
    assert "agreement_read_aloud" in kinds and "agreement_signed_on_paper" in kinds
    bundle = await (await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")).read()
    path = world.services.settings.data_dir / "paper.zip"
    path.write_bytes(bundle)
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    [summary] = report.agreements
    assert len(summary["signatures"]) == 3 and summary["sealed"]
    records = {r.seq: r for r in report.records}
    assert records[read["seq"]].type == "agreement_read_aloud"
    paper = next(r for r in report.records if r.type == "signature" and r.method == "paper")
    assert paper.actor_name == "刘调解员", paper
    people = report.people or {}
    assert people[respondent] == "李四" and people[world.ids["liu"]] == "刘调解员"

    # Closed, the case file puts the page and the reading with the agreement (part 8), as the log holds them.
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/follow-ups", {"method": "phone", "performance": "已付清",
                     "satisfaction": "satisfied", "plan": "sealed_7"}, expect=201)  # fmt: skip
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/close", {"reason": "waived"}, expect=201)
    [made] = await records_of(world, m.case_id, "case_file_made")
    eighth = [p for p in (await body_of(world, made))["parts"] if p["part"] == 8]
    assert [p["title"] for p in eighth] == [
        "调解协议宣读记录（向被申请人宣读）", "人民调解协议书纸质签名页（被申请人签名，调解员收取）", "人民调解协议书（已签署、盖章）",
    ], eighth  # fmt: skip
    [reading] = await records_of(world, m.case_id, "agreement_read_aloud")
    assert eighth[1]["sha256"] == sha256(SCAN).hexdigest() and eighth[0]["sha256"] == reading.claim.body_hash

    # A scanned page swapped in the bundle is caught.
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    name = next(n for n in files if files[n] == SCAN)
    files[name] = SCAN + b"forged"
    tampered = world.services.settings.data_dir / "paper-tampered.zip"
    with zipfile.ZipFile(tampered, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    assert verify_bundle(tampered).has("document_altered", file=name)
