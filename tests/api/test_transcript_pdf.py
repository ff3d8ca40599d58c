"""The mediation record's PDF (issue #22): made once every party has signed a version, filed in
the case (``document_added``), in the committee's form, with the version's hash as the log has it."""

from __future__ import annotations

from hashlib import sha256

from tests.api.agreement_helpers import bind_device_key, bind_passkey, mediation
from tests.api.test_transcripts import closed, logged, sign, verified, written
from tests.conftest import World
from tests.pdf_text import pdf_text


async def test_the_record_pdf_is_filed_once_every_party_signed_with_the_logged_hash(world: World) -> None:
    m = await mediation(world)
    zhang = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    li = await bind_passkey(world, m.respondent, m.party_id("respondent"))
    await written(m)
    v1 = (await closed(m))["version"]
    await sign(world, m, zhang, 1, v1["text_sha256"])
    # One signature of two: nothing is filed yet.
    files = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/documents")
    assert not [d for d in files["items"] if d["kind"] == "transcript"]
    note = "本人认为欠薪为两个月，不是三个月。"
    await sign(world, m, li, 1, v1["text_sha256"], note)

    files = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/documents")
    [doc] = [d for d in files["items"] if d["kind"] == "transcript"]
    assert doc["name"].startswith("人民调解记录（第1版）")
    response = await m.liu.request("GET", doc["url"])
    assert response.status == 200
    pdf = await response.read()
    assert sha256(pdf).hexdigest() == doc["sha256"]
    # Logged as document_added with the PDF's hash, so it is in the bundle.
    added = [r for r in await logged(world, m.case_id, "document_added") if r.claim.public["document"] == doc["id"]]
    assert added and added[0].claim.public["sha256"] == doc["sha256"]
    # The parts of the committee's form, the version's hash as transcript_version logged it, the note beside it.
    [version] = await logged(world, m.case_id, "transcript_version")
    text = pdf_text(pdf)
    for part in ("人民调解记录", "案号：", "时间：", "地点：线上视频调解", "事由：", "调解员：", "记录人：王调解员", "到场人员：",
                 "一、当事人陈述", "当事人签名（本人密钥电子签名）", "调解员、记录人签名", "调解员：刘调解员签名：", "记录人：王调解员签名："):  # fmt: skip
        assert part in text, part
    assert version.claim.public["text_hash"] in text and version.claim.public["text_hash"] == v1["text_sha256"]
    assert "申请人：张三已于" in text and "以本人密钥电子签名确认本记录第1版" in text
    assert f"不同意见：{note}" in text
    # The parties read it from their page too.
    mine = await li.actor.call("GET", "/api/v1/party/documents")
    assert doc["id"] in [d["id"] for d in mine["items"]]
    # The offline verifier finds the filed PDF whole in the case's bundle.
    await verified(world, m)
