"""A failed case's materials as one package for a court's online filing (在线调解规则 art. 21; issue #21):
who may make it and when, what it holds (opened as a court would: the manifest, each file's hash, the
statement's words, a bundle that verifies) and the signed record that says it was made, not sent."""

from __future__ import annotations

import io
import json
import zipfile
from hashlib import sha256
from typing import Any

from server.evidence.verify import render, verify_bundle
from tests.api.agreement_helpers import Mediation, mediation
from tests.conftest import World
from tests.pdf_text import pdf_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONSENT = "申请人于12月5日在视频调解中明确表示选择在线立案"


def package_body(m: Mediation, **more: Any) -> dict[str, Any]:
    return {"applicant_id": m.party_id("applicant"), "consent": CONSENT, **more}


async def test_a_failed_case_becomes_one_package_for_online_filing_with_a_manifest_and_the_statement(world: World) -> None:
    m = await mediation(world)
    path = f"/api/v1/cases/{m.case_id}/filing-package"
    upload = await m.liu.request(
        "POST", f"/api/v1/cases/{m.case_id}/documents?name=工资条.pdf", data=PDF, headers={"Content-Type": "application/pdf"}
    )
    assert upload.status == 201
    # Not while mediation goes on.
    early = await m.liu.call("POST", path, package_body(m), expect=409)
    assert early["error"]["reason"] == "not_failed"
    await m.liu.call(
        "POST", f"/api/v1/cases/{m.case_id}/outcome",
        {"outcome": "failed", "reason": "divergence", "note": "被申请人只同意支付一半工资"},
    )  # fmt: skip
    # The applicant's choice is required, and it must be an applicant's.
    missing = await m.liu.call("POST", path, {"applicant_id": m.party_id("applicant"), "consent": " "}, expect=422)
    assert [(f["field"], f["code"]) for f in missing["error"]["fields"]] == [("consent", "required")]
    wrong = await m.liu.call("POST", path, package_body(m, applicant_id=m.party_id("respondent")), expect=422)
    assert [(f["field"], f["code"]) for f in wrong["error"]["fields"]] == [("applicant_id", "party_of_case")]

    response = await m.liu.request(
        "POST", path, json=package_body(m, cost_behaviour="被申请人两次无故缺席视频调解", court_notes="")
    )
    assert response.status == 200 and response.content_type == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    data = await response.read()
    assert response.headers["X-Package-SHA256"] == sha256(data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        files = {name: z.read(name) for name in names}
    assert manifest["format"] == "mediate-filing-package/1" and manifest["case_number"] == m.case["case_number"]
    assert "未发送至任何法院系统" in manifest["note"] and manifest["applicant_consent"]["how"] == CONSENT
    listed = [f["path"] for f in manifest["files"]]
    assert listed == [
        "01-调解不成情况说明.pdf",
        "02-受理登记及当事人.json",
        "03-调解记录.json",
        "04-案件材料/01-工资条.pdf",
        "05-证据包.zip",
    ]
    assert sorted(names) == sorted(["manifest.json", *listed])
    for f in manifest["files"]:
        assert sha256(files[f["path"]]).hexdigest() == f["sha256"] and len(files[f["path"]]) == f["bytes"], f["path"]
    assert files["04-案件材料/01-工资条.pdf"] == PDF

    statement = pdf_text(files["01-调解不成情况说明.pdf"])
    applicant = next(p["name"] for p in m.case["parties"] if p["role"] == "applicant")
    for words in (
        "调解不成情况说明", m.case["case_number"], f"申请人：{applicant}", "一、调解基本情况", "二、调解不成的原因",
        "当事人分歧较大且难以达成调解协议", "被申请人只同意支付一半工资", "三、导致其他当事人诉讼成本增加的行为",
        "被申请人两次无故缺席视频调解", "四、需要向人民法院提示的其他情况", "五、当事人选择在线立案", CONSENT, "调解员刘调解员",
    ):  # fmt: skip
        assert words in statement, words
    registration = json.loads(files["02-受理登记及当事人.json"])
    assert registration["outcome_reason"] == "divergence"
    assert {p["role"] for p in registration["parties"]} >= {"applicant", "respondent"}
    assert any(e["kind"] == "mediation_ended" for e in json.loads(files["03-调解记录.json"]))
    bundle = world.services.settings.data_dir / "filing-bundle.zip"
    bundle.write_bytes(files["05-证据包.zip"])
    report = verify_bundle(bundle)
    assert report.ok, render(report, "en")

    # The record says the package was made, with its hash, and by whom; never that a court received it.
    await world.services.ledger.settle()
    records = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/evidence"))["items"]
    assert [r["type"] for r in records][-3:] == ["mediation_ended", "export", "filing_package_made"]
    history = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/history"))["items"]
    assert any(e["kind"] == "filing_package_made" for e in history)


async def test_only_the_cases_mediators_make_the_package(world: World) -> None:
    m = await mediation(world)
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/outcome", {"outcome": "failed", "reason": "divergence"})
    path = f"/api/v1/cases/{m.case_id}/filing-package"
    zhao, judge = await world.staff("zhao"), await world.staff("judge1")
    assert (await zhao.call("POST", path, package_body(m), expect=403))["error"]["reason"] == "another_organisation"
    await judge.call("POST", path, package_body(m), expect=403)
    refused = await m.applicant.call("POST", path, package_body(m), expect=403)
    assert refused["error"]["reason"] == "staff_only"
