"""Archiving a closed case (归档, #22) and destroying its file after the organisation's retention.

Only the case's own mediators archive it, once closed and once no application for judicial confirmation
awaits a court; the ``case_archived`` record says who, when and the retention that applies. Past the
retention's last day the file's documents are destroyed by ``purge`` (the server's hourly loop, or
``mediate casefiles purge``), each named with its hash in a ``case_file_destroyed`` record written
before the bytes go; the database lets a filed document's bytes go that way only; the bundle verifies
afterwards and says what was destroyed; a case that went to a court is kept. The clock is moved by
handing ``purge`` a later time, as the recordings' retention tests do.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from server.domain.archive import add_years
from server.domain.clocks import local_day
from server.domain.principal import SYSTEM
from server.errors import InvalidInput
from server.evidence.verify import render, verify_bundle
from server.models import Case, CaseDocument, ConfirmationApplication, Organisation, Party, utcnow
from tests.api.agreement_helpers import Mediation, mediation
from tests.api.test_case_files import PDF
from tests.api.test_performance import logged, sealed
from tests.conftest import PASSWORD, World
from tests.pdf_text import pdf_text

BEIJING = ZoneInfo("Asia/Shanghai")


def path(m: Mediation, tail: str) -> str:
    return f"/api/v1/cases/{m.case_id}/{tail}"


async def upload(m: Mediation, name: str = "工资条.pdf", data: bytes = PDF) -> dict[str, Any]:
    response = await m.liu.request(
        "POST", path(m, f"documents?name={name}"), data=data, headers={"Content-Type": "application/pdf"}
    )
    assert response.status == 201, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def closed(world: World, number: str = "（2026）朝调字第40号", hour: int = 10) -> Mediation:
    """A case whose mediation ended without agreement, with one file uploaded, and closed."""
    m = await mediation(world, number, hour=hour)
    await upload(m)
    await m.liu.call("POST", path(m, "outcome"), {"outcome": "failed", "reason": "divergence"})
    await m.liu.call("POST", path(m, "close"), {"reason": "other", "note": "调解不成，申请人另行起诉"}, expect=201)
    return m


def noon(day: Any) -> datetime:
    """A time on this Beijing day: what `purge` is handed to move the clock."""
    return datetime.combine(day, time(12), tzinfo=BEIJING)


async def documents_of(world: World, case_id: str) -> list[CaseDocument]:
    async with world.services.links._maker() as db:
        return list(await db.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id).order_by(CaseDocument.id)))


async def test_a_closed_case_is_archived_by_its_own_mediator_under_the_organisations_retention(world: World) -> None:
    m = await mediation(world)
    # Not before it is closed.
    refused = await m.liu.call("POST", path(m, "archive"), expect=409)
    assert refused["error"]["reason"] == "archive_not_closed"
    await m.liu.call("POST", path(m, "outcome"), {"outcome": "failed", "reason": "divergence"})
    await m.liu.call("POST", path(m, "close"), {"reason": "other", "note": "调解不成"}, expect=201)
    # Nobody but its own organisation's mediators: not a party, another organisation, a supervisor above.
    assert (await m.applicant.request("POST", path(m, "archive"))).status == 403
    zhao = await world.staff("zhao")
    assert (await zhao.call("POST", path(m, "archive"), expect=403))["error"]["reason"] == "another_organisation"
    city = await world.services.accounts.create_organisation(SYSTEM, "乌兰市司法局", "bureau")
    await world.services.accounts.update_organisation(SYSTEM, world.org_a.id, {"parent_id": city.id})
    await world.services.accounts.create_user(
        SYSTEM, username="sup", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=city.id
    )
    sup = await world.staff("sup")
    assert (await sup.call("POST", path(m, "archive"), expect=403))["error"]["reason"] == "supervisor_reads_only"
    before = await sup.call("GET", path(m, "archive"))
    assert before["archived"] is False and before["can_archive"] is True
    assert (before["retention_years"], before["retention_words"]) == (30, {"zh": "30年", "en": "30 years"})

    done = await m.liu.call("POST", path(m, "archive"), expect=201)
    until = add_years(local_day(utcnow()), 30)
    assert done["archived"] and done["archived_by"] == "刘调解员" and done["can_archive"] is False
    assert (done["retention_years"], done["retained_until"], done["destroyed_at"]) == (30, until.isoformat(), None)
    # Once: archiving it again is a change of an archived case like any other.
    assert (await m.liu.call("POST", path(m, "archive"), expect=409))["error"]["reason"] == "case_archived"

    record = await logged(world, m, "case_archived")
    assert record.claim.actor == {"kind": "staff", "id": world.ids["liu"], "role": "mediator"}
    assert record.claim.public == {"retention_years": 30, "retained_until": until.isoformat(), "documents": 2}
    assert record.seq == done["seq"]
    kase = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    assert kase["archived_at"] is not None
    assert kase["archive"] == {"retention_years": 30, "retained_until": until.isoformat(), "destroyed_at": None}
    listed = {c["id"]: c for c in (await m.liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed[m.case_id]["archived_at"] == kase["archived_at"]
    history = (await m.liu.call("GET", path(m, "history")))["items"]
    [line] = [e for e in history if e["kind"] == "case_archived"]
    assert line["actor_name"] == "刘调解员" and line["data"]["retained_until"] == until.isoformat()
    # Nothing is destroyed before the last day has passed: on it, nothing; the day after, the file.
    assert await world.services.archive.purge(noon(until)) == []
    [gone] = await world.services.archive.purge(noon(until + timedelta(days=1)))
    assert gone.destroyed and gone.documents == 2  # the closing report and the case file (人民调解卷宗)


async def test_archiving_follows_the_case_file_whose_cover_gives_the_organisations_retention(world: World) -> None:
    m = await mediation(world)
    await m.liu.call("POST", path(m, "outcome"), {"outcome": "failed", "reason": "divergence"})
    # Closed before case files were made (its closing set in the database, as an older case's was): none yet.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Case).where(Case.id == m.case_id).values(case_closed_at=utcnow(), closing_reason="other"))
    await m.liu.call("GET", path(m, "case-file"), expect=404)
    await m.liu.call("POST", path(m, "archive"), expect=201)
    [dossier] = [d for d in await documents_of(world, m.case_id) if d.kind == "case_file"]
    made, archived = await logged(world, m, "case_file_made"), await logged(world, m, "case_archived")
    assert made.claim.public["document"] == dossier.id and made.seq < archived.seq
    assert "保管期限30年" in pdf_text(dossier.data), "the cover gives the organisation's rule"


async def test_the_organisations_rule_sets_the_years_and_zero_keeps_the_file_for_good(world: World) -> None:
    accounts = world.services.accounts
    ten = await accounts.create_organisation(SYSTEM, "东城区人民调解委员会", "committee", case_file_retention_years=10)
    assert ten.case_file_retention_years == 10
    with pytest.raises(InvalidInput) as refused:
        await accounts.create_organisation(SYSTEM, "西城区人民调解委员会", "committee", case_file_retention_years=101)
    assert refused.value.fields[0].field == "case_file_retention_years"
    admin = await world.staff("admin1")
    made = await admin.call(
        "POST", "/api/v1/organisations", {"name": "丰台区人民调解委员会", "kind": "committee", "case_file_retention_years": 0},
        expect=201,
    )  # fmt: skip
    assert made["case_file_retention_years"] == 0

    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Organisation).where(Organisation.id == world.org_a.id).values(case_file_retention_years=0))
    m = await closed(world)
    [dossier] = [d for d in await documents_of(world, m.case_id) if d.kind == "case_file"]
    assert "保管期限永久" in pdf_text(dossier.data)
    done = await m.liu.call("POST", path(m, "archive"), expect=201)
    assert (done["retention_years"], done["retention_words"]["zh"], done["retained_until"]) == (0, "永久", None)
    assert (await logged(world, m, "case_archived")).claim.public["retained_until"] is None
    assert await world.services.archive.purge(noon(local_day(utcnow()) + timedelta(days=365 * 200))) == []
    assert all(d.destroyed_at is None and d.data for d in await documents_of(world, m.case_id))


async def test_past_its_retention_the_file_is_destroyed_after_its_record_and_the_bundle_still_verifies(
    world: World,
) -> None:
    m = await mediation(world)
    await sealed(world, m)
    await upload(m, "收条.pdf")
    await m.liu.call("POST", path(m, "close"), {"reason": "waived"}, expect=201)
    filed = await documents_of(world, m.case_id)
    assert {d.kind for d in filed} >= {"agreement", "signed_agreement", "upload", "closing_report", "case_file"}
    until = date_of((await m.liu.call("POST", path(m, "archive"), expect=201))["retained_until"])

    [gone] = await world.services.archive.purge(noon(until + timedelta(days=1)))
    assert gone.destroyed and gone.documents == len(filed) and gone.case_number == "（2026）朝调字第12号"
    record = await logged(world, m, "case_file_destroyed")
    assert record.seq == gone.seq and record.claim.actor == {"kind": "platform", "id": "platform"}
    public = record.claim.public
    assert (public["reason"], public["by"], public["retention_years"], public["retained_until"]) == (
        "retention", "retention_loop", 30, until.isoformat(),
    )  # fmt: skip
    assert sorted((d["document"], d["sha256"], d["bytes"]) for d in public["documents"]) == sorted(
        (d.id, d.sha256, d.size) for d in filed
    )
    # The bytes are gone, the rows (names, hashes, sizes) stay, naming the record; the log stays whole.
    after = await documents_of(world, m.case_id)
    assert all(d.data == b"" and d.destroyed_at is not None and d.destroyed_seq == gone.seq for d in after)
    assert [(d.id, d.sha256, d.size) for d in after] == [(d.id, d.sha256, d.size) for d in filed]
    async with world.services.links._maker() as db:
        case = await db.get(Case, m.case_id)
        assert case is not None and case.case_file_destroyed_seq == gone.seq
    assert await world.services.archive.purge(noon(until + timedelta(days=2))) == []  # once

    # Reading a destroyed document says so (410), the list marks it; the case says when.
    upload_doc = next(d for d in after if d.kind == "upload")
    refused = await m.liu.call("GET", f"/api/v1/documents/{upload_doc.id}", expect=410)
    assert refused["error"]["reason"] == "document_destroyed"
    listed = (await m.liu.call("GET", path(m, "documents")))["items"]
    assert all(d["destroyed_at"] and d["url"] is None for d in listed)
    signed = await m.applicant.call("GET", "/api/v1/party/agreement/pdf?kind=signed", expect=410)
    assert signed["error"]["reason"] == "document_destroyed"
    dossier = await m.liu.call("GET", path(m, "case-file"), expect=410)  # the case file (人民调解卷宗) too
    assert dossier["error"]["reason"] == "document_destroyed"
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}"))["archive"]["destroyed_at"] is not None
    history = (await m.liu.call("GET", path(m, "history")))["items"]
    [line] = [e for e in history if e["kind"] == "case_file_destroyed"]
    assert line["actor_kind"] == "system" and line["data"]["documents"] == len(filed)

    # The bundle (no documents in it now) verifies, each missing document explained by the record.
    response = await m.liu.request("POST", path(m, "evidence/bundle"))
    assert response.status == 200
    report = verify_bundle(io.BytesIO(await response.read()))
    assert report.ok, render(report, "en")  # the case file's parts still stand against the log, its PDF is destroyed
    destroyed = [f for f in report.warnings if f.code == "document_destroyed"]
    assert sorted(f.params["document"] for f in destroyed) == sorted(d.id for d in filed)
    assert {f.seq for f in destroyed} == {gone.seq}
    assert "已在卷宗保管期满后销毁" in render(report, "zh") and "卷宗保管期满销毁" in render(report, "zh")
    assert "destroyed after the case file's retention" in render(report, "en")


async def test_the_database_lets_a_filed_documents_bytes_go_only_by_a_destruction(world: World) -> None:
    m = await closed(world)
    [doc, *_] = await documents_of(world, m.case_id)
    changes: list[dict[str, Any]] = [
        {"name": "改过的名字.pdf"},  # any other change
        {"data": b""},  # bytes emptied without saying by which record
        {"destroyed_at": utcnow(), "destroyed_seq": 99},  # "destroyed", bytes kept
        {"data": b"", "destroyed_at": utcnow(), "destroyed_seq": 99, "sha256": "0" * 64},  # and the hash changed
    ]
    for change in changes:
        with pytest.raises(DBAPIError):
            async with world.services.links._maker() as db, db.begin():
                await db.execute(update(CaseDocument).where(CaseDocument.id == doc.id).values(**change))
    # A destruction passes once; then the row is as it stays.
    async with world.services.links._maker() as db, db.begin():
        destroyed = {"data": b"", "destroyed_at": utcnow(), "destroyed_seq": 99}
        await db.execute(update(CaseDocument).where(CaseDocument.id == doc.id).values(**destroyed))
    with pytest.raises(DBAPIError):
        async with world.services.links._maker() as db, db.begin():
            await db.execute(update(CaseDocument).where(CaseDocument.id == doc.id).values(destroyed_seq=100))
    with pytest.raises(DBAPIError):
        async with world.services.links._maker() as db, db.begin():
            await db.execute(delete(CaseDocument).where(CaseDocument.id == doc.id))


async def test_a_case_that_went_to_a_court_is_archived_once_decided_and_its_file_is_kept(world: World) -> None:
    m = await mediation(world)
    await sealed(world, m)
    await m.liu.call("POST", path(m, "close"), {"reason": "waived"}, expect=201)
    async with world.services.links._maker() as db, db.begin():
        agreement_id = (await m.liu.call("GET", path(m, "agreement")))["agreement"]["id"]
        applicant = await db.get(Party, m.party_id("applicant"))
        assert applicant is not None
        db.add(
            ConfirmationApplication(
                id="app-1", case_id=m.case_id, agreement_id=agreement_id, court_id=world.court.id, ground="org_location",
                status="received", started_by=applicant.id, submitted_at=utcnow(),
            )
        )  # fmt: skip
    refused = await m.liu.call("POST", path(m, "archive"), expect=409)
    assert refused["error"]["reason"] == "confirmation_pending"
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(ConfirmationApplication)
            .where(ConfirmationApplication.id == "app-1")
            .values(status="confirmed", decision="confirmed", decided_at=utcnow())
        )
    until = date_of((await m.liu.call("POST", path(m, "archive"), expect=201))["retained_until"])
    # The court reads the archived case; it changes it no more than anyone (its acts after a decision).
    judge = await world.staff("judge1")
    assert (await judge.call("GET", "/api/v1/court/applications/app-1"))["id"] == "app-1"
    for tail, body in (("notes", {"text": "已归档"}), ("status", {"status": "under_review"})):
        answer = await judge.call("POST", f"/api/v1/court/applications/app-1/{tail}", body, expect=409)
        assert answer["error"]["reason"] == "case_archived", tail
    [kept] = await world.services.archive.purge(noon(until + timedelta(days=1)))
    assert kept.destroyed is False and kept.case_id == m.case_id
    assert all(d.destroyed_at is None and d.data for d in await documents_of(world, m.case_id))


async def test_the_command_destroys_what_is_past_its_retention_and_mediate_verify_passes_on_the_bundle(
    world: World, tmp_path: Path
) -> None:
    m = await closed(world)
    await m.liu.call("POST", path(m, "archive"), expect=201)
    # The organisation's rule from the command line, as an operator sets it.
    made = await mediate(world, "org", "add", "--name", "石景山区人民调解委员会", "--kind", "committee",
                         "--case-file-retention-years", "10")  # fmt: skip
    org_id = made.stdout.strip().splitlines()[-1]
    assert {o.id: o.case_file_retention_years for o in await world.services.accounts.list_organisations(SYSTEM)}[org_id] == 10
    # Not yet past: nothing to do. Then the last day has passed (the day moved back rather than the clock on).
    assert (await mediate(world, "casefiles", "purge")).stdout.strip().endswith("0 case file(s) destroyed")
    async with world.services.links._maker() as db, db.begin():
        yesterday = local_day(utcnow()) - timedelta(days=1)
        await db.execute(update(Case).where(Case.id == m.case_id).values(retained_until=yesterday))
    out = (await mediate(world, "casefiles", "purge")).stdout
    assert f"{m.case_id}\t（2026）朝调字第40号\tdestroyed 3 document(s)" in out and "1 case file(s) destroyed" in out
    record = await logged(world, m, "case_file_destroyed")
    assert record.claim.public["by"] == "command_line"
    assert all(d.destroyed_at is not None and d.data == b"" for d in await documents_of(world, m.case_id))

    response = await m.liu.request("POST", path(m, "evidence/bundle"))
    bundle = tmp_path / "archived.zip"
    bundle.write_bytes(await response.read())
    checked = await mediate(world, "verify", str(bundle), "--lang", "en", data_dir=False)
    assert "Verification passed" in checked.stdout and "destroyed after the case file's retention" in checked.stdout


def date_of(text: str) -> Any:
    return datetime.fromisoformat(text).date()


async def mediate(world: World, *args: str, data_dir: bool = True) -> subprocess.CompletedProcess[str]:
    """The `mediate` command on the world's own database and data directory, as an operator runs it there."""
    settings = world.services.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    env["MEDIATE_DATABASE_URL"] = settings.resolved_database_url
    where = ["--data-dir", str(settings.data_dir)] if data_dir else []
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "server.cli", *args, *where], capture_output=True, text=True, env=env,
        check=True, timeout=120,
    )  # fmt: skip
