"""The case file: uploads checked for type and size, hashed and logged, shown to whom the uploader chose."""

from __future__ import annotations

from hashlib import sha256

from server.evidence.verify import render, verify_bundle
from tests.api.agreement_helpers import mediation
from tests.conftest import World

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_uploads_are_shown_to_the_parties_chosen_and_logged(world: World) -> None:
    m = await mediation(world)
    applicant, respondent = m.party_id("applicant"), m.party_id("respondent")
    # The mediator files a PDF for the applicant only.
    response = await m.liu.request(
        "POST",
        f"/api/v1/cases/{m.case_id}/documents?name=工资条.pdf&visible_to={applicant}",
        data=PDF,
        headers={"Content-Type": "application/pdf"},
    )
    assert response.status == 201, await response.text()
    filed = await response.json()
    assert filed["sha256"] == sha256(PDF).hexdigest() and filed["visible_to"] == [applicant]
    assert [d["name"] for d in (await m.applicant.call("GET", "/api/v1/party/documents"))["items"]] == ["工资条.pdf"]
    assert (await m.respondent.call("GET", "/api/v1/party/documents"))["items"] == []
    assert await (await m.applicant.request("GET", filed["url"])).read() == PDF
    assert (await m.respondent.request("GET", filed["url"])).status == 404

    # A party files a photo for the mediator alone (an empty list): the other party never sees it.
    response = await m.respondent.request(
        "POST", "/api/v1/party/documents?name=转账记录.png&visible_to=", data=PNG, headers={"Content-Type": "image/png"}
    )
    assert response.status == 201, await response.text()
    photo = await response.json()
    assert photo["uploaded_by"] == {"kind": "party", "name": "李四"} and photo["visible_to"] == [respondent]
    assert (await m.applicant.request("GET", photo["url"])).status == 404
    assert [d["name"] for d in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/documents"))["items"]] == [
        "工资条.pdf",
        "转账记录.png",
    ]

    # Wrong types, lying content, unknown parties, oversize and other organisations are refused.
    for content_type, data, status, code in [
        ("text/plain", b"hello", 415, "unsupported_media_type"),
        ("application/pdf", b"<html>not a pdf</html>", 415, "unsupported_media_type"),
        ("image/png", b"", 422, "invalid_input"),
        ("application/pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), 413, "too_large"),
    ]:
        response = await m.applicant.request(
            "POST", "/api/v1/party/documents?name=x.pdf", data=data, headers={"Content-Type": content_type}
        )
        assert response.status == status, await response.text()
        assert (await response.json())["error"]["code"] == code
    response = await m.liu.request(
        "POST",
        f"/api/v1/cases/{m.case_id}/documents?name=a.pdf&visible_to=nobody",
        data=PDF,
        headers={"Content-Type": "application/pdf"},
    )
    assert response.status == 422
    zhao = await world.staff("zhao")
    await zhao.call("GET", f"/api/v1/cases/{m.case_id}/documents", expect=403)
    await zhao.call("GET", filed["url"], expect=403)
    assert len((await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/documents"))["items"]) == 2

    # Both files are in the bundle, each against the hash its record logged.
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    path = world.services.settings.data_dir / "files.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    assert sum(1 for f in report.findings if f.code == "document_intact") == 2
