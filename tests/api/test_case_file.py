"""The case file of a closed case (人民调解卷宗, #22): made when the case is closed, once; its contents list every part of
the Ministry's file in order, each piece with the SHA-256 the evidence log holds and its pages, the parts the case lacks
as 无; every page numbered; `case_file_made` lists the same; the case's staff read it, its mediators have one made."""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select, update

from server.domain.principal import SYSTEM
from server.evidence.records import Record, sha256_hex
from server.evidence.verify import Report, render, verify_bundle
from server.models import Case, CaseDocument, LogEntry, utcnow
from tests.api.agreement_helpers import Mediation, mediation
from tests.api.test_performance import answer, sealed
from tests.api.test_transcripts import closed, sign, written
from tests.conftest import PASSWORD, Actor, World
from tests.pdf_text import pdf_pages

VISIT = {"method": "phone", "performance": "第一期5000元已收到", "satisfaction": "satisfied"}


def screenshot() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (360, 640), (40, 160, 90)).save(out, "PNG")
    return out.getvalue()


async def records_of(world: World, case_id: str, kind: str) -> list[Record]:
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        query = select(LogEntry.entry).where(LogEntry.case_id == case_id, LogEntry.type == kind).order_by(LogEntry.seq)
        return [Record.from_entry(e) for e in await db.scalars(query)]


async def body_of(world: World, record: Record) -> dict[str, Any]:
    """The record's body, as the bundle carries it (the log holds its hash)."""
    async with world.services.links._maker() as db:
        bodies = await world.services.ledger.bodies(db, record.claim.case)
    data: Any = bodies[sha256_hex(record.claim.statement)]["data"]
    return dict(data)


async def bundle(world: World, m: Mediation) -> Report:
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    assert response.status == 200, await response.text()
    path = world.services.settings.data_dir / "case-file.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    return report


async def performed_and_closed(world: World, m: Mediation) -> dict[str, Any]:
    """A signed mediation record, a sealed agreement, the first instalment paid (a screenshot) and confirmed, a
    visit, the applicant's evidence; then closed, the rest given up."""
    await written(m)
    v1 = (await closed(m))["version"]
    check = {"party_id": m.party_id("applicant"), "method": "id_card_on_video", "result": "confirmed"}
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/identity-checks", check, expect=201)
    a, b, _ = await sealed(world, m)
    for signer in (a, b):
        await sign(world, m, signer, 1, v1["text_sha256"])
    evidence = await m.applicant.request(
        "POST", "/api/v1/party/documents?name=工资条.png", data=screenshot(), headers={"Content-Type": "image/png"}
    )
    assert evidence.status == 201
    path = f"/api/v1/party/documents?name=转账截图.png&visible_to={m.party_id('applicant')}"
    proof = await (await m.respondent.request("POST", path, data=screenshot(), headers={"Content-Type": "image/png"})).json()
    first = (await m.respondent.call("GET", "/api/v1/party/obligations"))["owe"][0]
    body = {"note": "已转账", "proof_document_id": proof["id"]}
    await m.respondent.call("POST", f"/api/v1/party/obligations/{first['id']}/report", body, expect=201)
    await answer(world, a, first["id"], "confirm")
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/follow-ups", {**VISIT, "plan": "sealed_7"}, expect=201)
    done: dict[str, Any] = await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/close", {"reason": "waived"}, expect=201)
    return done


async def test_closing_makes_one_case_file_listing_every_part_with_its_logged_hash_and_pages(world: World) -> None:
    m = await mediation(world)
    closing = await performed_and_closed(world, m)
    case_file = closing["case_file"]
    assert case_file is not None and case_file["name"] == "人民调解卷宗-（2026）朝调字第12号.pdf"
    response = await m.liu.request("GET", f"/api/v1/cases/{m.case_id}/case-file")
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
    pdf = await response.read()
    assert response.headers["ETag"] == f'"{case_file["sha256"]}"'
    # The signed record of its making: the PDF (a document of the case, logged) and every line of the contents.
    [made] = await records_of(world, m.case_id, "case_file_made")
    [filed] = [r for r in await records_of(world, m.case_id, "document_added") if r.claim.public["kind"] == "case_file"]
    assert filed.seq == made.seq - 1 and filed.claim.public["sha256"] == case_file["sha256"] == made.claim.public["sha256"]
    assert made.claim.actor == {"kind": "staff", "id": world.ids["liu"], "role": "mediator"}
    reader = PdfReader(io.BytesIO(pdf))
    assert made.claim.public["pages"] == len(reader.pages) and made.claim.public["document"] == case_file["id"]
    # No notice (no session was recorded, so no consent), authorisation, investigation note nor judicial confirmation.
    assert made.claim.public["absent"] == [2, 4, 5, 11]
    parts = (await body_of(world, made))["parts"]
    assert [p["part"] for p in parts] == sorted(p["part"] for p in parts), "the Ministry's order"
    assert sorted({p["part"] for p in parts}) == list(range(1, 13)), "every part, present or absent"
    # Each piece's hash is the one the log holds: a record's body hash, a document's logged SHA-256.
    logged = {r.seq: r for kind in ("case_registered", "identity_checked", "key_bound", "performance_reported",
              "performance_confirmed", "follow_up_recorded") for r in await records_of(world, m.case_id, kind)}  # fmt: skip
    documents = {d["id"]: d for d in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/documents"))["items"]}
    kinds: dict[int, list[str]] = {}
    for part in parts:
        source = part["source"]
        if source is None:
            assert part["sha256"] is None and part["first_page"] is None and part["pages"] == 0
            continue
        if "seq" in source:
            assert part["sha256"] == logged[source["seq"]].claim.body_hash, part
            kinds.setdefault(part["part"], []).append(logged[source["seq"]].claim.type)
        else:
            assert part["sha256"] == documents[source["document"]]["sha256"], part
            kinds.setdefault(part["part"], []).append(documents[source["document"]]["kind"])
    assert kinds[1] == ["case_registered"] and kinds[3] == ["identity_checked", "key_bound", "key_bound"]
    assert kinds[6] == ["upload"] and kinds[7] == ["transcript"] and kinds[8] == ["signed_agreement"]
    assert kinds[9] == ["performance_reported", "upload", "performance_confirmed"] and kinds[10] == ["follow_up_recorded"]
    assert kinds[12] == ["closing_report"]
    # The pieces follow one another with no gap, from the page after the contents to the one before the back cover.
    present = [p for p in parts if p["source"] is not None]
    assert all(a["first_page"] + a["pages"] == b["first_page"] for a, b in itertools.pairwise(present))
    assert present[-1]["first_page"] + present[-1]["pages"] == len(reader.pages)
    # The included PDFs are there page for page: the sealed agreement's pages are its own.
    [agreement] = [p for p in parts if p["part"] == 8]
    signed = await m.liu.request("GET", f"/api/v1/documents/{agreement['source']['document']}")
    assert agreement["pages"] == len(PdfReader(io.BytesIO(await signed.read())).pages)

    # What a reader sees: the cover, the contents with every part and each piece's hash and pages, numbered pages.
    text = pdf_pages(pdf)
    total = len(text)
    for number, page in enumerate(text, start=1):
        assert f"第{number}页/共{total}页" in page, number
    cover, contents = text[0], "".join(text[1 : present[0]["first_page"] - 1])
    for words in ("朝阳区人民调解委员会", "调解卷宗", "（2026）朝调字第12号", "申请人张三", "被申请人李四", "保管期限", "立卷人",
                  "刘调解员", "调解日期"):  # fmt: skip
        assert words in cover, words
    for title in ("人民调解申请书或人民调解受理登记表", "人民调解当事人权利义务告知书", "当事人身份证明", "授权委托书",
                  "人民调解调查记录", "人民调解证据材料", "人民调解记录", "人民调解协议书", "收条或汇款单等履行凭证",
                  "人民调解回访记录", "司法确认有关材料", "人民调解结案报告表"):  # fmt: skip
        assert title in contents, title
    assert contents.count("本案无此项") == 4
    for part in present:
        first, last = part["first_page"], part["first_page"] + part["pages"] - 1
        assert f"SHA-256：{part['sha256']}" in contents and f"{first}–{last}" in contents, part
    # A part made from a record says which record, with its hash; the screenshot is on a page of its own.
    [registered] = [p for p in parts if p["part"] == 1]
    page = text[registered["first_page"] - 1]
    assert "人民调解受理登记表" in page and registered["sha256"] in page and "登记人" in page
    [shot] = [p for p in parts if p["part"] == 9 and "document" in (p["source"] or {})]
    assert "转账截图.png" in text[shot["first_page"] - 1]
    assert (
        "卷内备考表" in text[-1]
        and f"本卷共{total}页" in text[-1]
        and "本案无：人民调解当事人权利义务告知书、授权委托书、人民调解调查记录、司法确认有关材料" in text[-1]
    )

    # One file per case: asking again gives the same one; it is a document no party sees, and the bundle verifies it.
    again = await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/case-file", {}, expect=201)
    assert again["id"] == case_file["id"]
    staff_docs = [d for d in documents.values() if d["kind"] == "case_file"]
    assert [d["id"] for d in staff_docs] == [case_file["id"]] and staff_docs[0]["visible_to"] == []
    for party in (m.applicant, m.respondent):
        assert case_file["id"] not in {d["id"] for d in (await party.call("GET", "/api/v1/party/documents"))["items"]}
    report = await bundle(world, m)
    [intact] = [f for f in report.findings if f.code == "case_file_intact"]
    assert intact.seq == made.seq and intact.params["parts"] == len(present)


async def supervisor(world: World) -> Actor:
    city = await world.services.accounts.create_organisation(SYSTEM, "乌兰市司法局", "bureau")
    await world.services.accounts.update_organisation(SYSTEM, world.org_a.id, {"parent_id": city.id})
    await world.services.accounts.create_user(
        SYSTEM, username="sup", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=city.id
    )
    return await world.staff("sup")


async def test_the_cases_staff_read_the_file_its_mediators_have_one_made_for_a_case_closed_without_one(world: World) -> None:
    m = await mediation(world)
    path = f"/api/v1/cases/{m.case_id}/case-file"
    # An open case has none, and none is made for it.
    assert (await m.liu.call("GET", path, expect=404))["error"]["reason"] == "no_case_file"
    assert (await m.liu.call("POST", path, {}, expect=409))["error"]["reason"] == "case_file_not_closed"
    # A case closed before case files were made (no closing report, no file): the mediator has one made.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(Case).where(Case.id == m.case_id).values(
                status="failed", closed_at=utcnow(), case_closed_at=utcnow(), case_closed_by=world.ids["liu"],
                closing_reason="other", closing_note="旧案",
            )
        )  # fmt: skip
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/closing"))["case_file"] is None
    for actor in (m.applicant, m.respondent):
        assert (await actor.request("GET", path)).status == 403
        assert (await actor.request("POST", path, json={})).status == 403
    zhao = await world.staff("zhao")
    assert (await zhao.call("POST", path, {}, expect=403))["error"]["reason"] == "another_organisation"
    sup = await supervisor(world)
    assert (await sup.call("POST", path, {}, expect=403))["error"]["reason"] == "supervisor_reads_only"
    made = await m.liu.call("POST", path, {}, expect=201)
    async with world.services.links._maker() as db:
        docs = list(
            await db.scalars(select(CaseDocument).where(CaseDocument.case_id == m.case_id, CaseDocument.kind == "case_file"))
        )
    assert [d.id for d in docs] == [made["id"]]
    # Its parts are what the case has: registered, no agreement, no record, no closing report (each 无).
    [record] = await records_of(world, m.case_id, "case_file_made")
    assert {2, 7, 8, 9, 10, 12} <= set(record.claim.public["absent"]) and 1 not in record.claim.public["absent"]
    # The supervisor above reads it, as the mediator does; another organisation's mediator does not.
    for reader in (m.liu, sup):
        response = await reader.request("GET", path)
        assert response.status == 200
        text = "".join(pdf_pages(await response.read()))
        assert re.search(r"8人民调解协议书无—必须；本案无此项", text), text[:400]
    assert (await zhao.call("GET", path, expect=403))["error"]["reason"] == "another_organisation"
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/closing"))["case_file"]["id"] == made["id"]
