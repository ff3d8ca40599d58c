"""The mediation record's PDF, filed in the case once every party has signed a version.

When: the record the committee files is the one its parties have read and signed (人民调解法
art. 28–30 and the case-file rule "记录经当事人校阅…由当事人、调解员、记录人签名"). A PDF at each
close would file drafts that a later version replaces, and the case file never drops a document
(server/domain/documents.py), so the PDF is made once per version, in the transaction of the last
party's signature, and only then: it prints every signature with its date, method and log record,
and each party's disagreement beside it. A version some party never signs has no PDF; the case page
and the log still show it and who signed.

It goes into the case file with ``add_document`` (logged ``document_added``, with its SHA-256), so
it is in the case's evidence bundle; every party of the case and the case's staff read it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.documents.transcript_pdf import TranscriptDoc, TranscriptSignature, render_transcript
from server.domain import history, particulars
from server.domain import transcript_text as words
from server.domain.documents import Uploader, add_document
from server.domain.ledger import Ledger
from server.domain.principal import Principal
from server.evidence.vocabulary import method_words
from server.models import (
    Case,
    CaseDocument,
    MediationRecord,
    MediationSession,
    Organisation,
    Party,
    TranscriptSigner,
    TranscriptVersion,
    utcnow,
)
from server.settings import Settings

KIND = "transcript"
#: A signature row's method code -> the code the vocabulary has words for.
METHOD_CODES = {"passkey": "passkey_uv"}


def _display(when: datetime, zone: str) -> str:
    local = when.astimezone(ZoneInfo(zone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


async def file_when_all_signed(
    db: AsyncSession,
    ledger: Ledger,
    settings: Settings,
    principal: Principal,
    record: MediationRecord,
    version: TranscriptVersion,
) -> CaseDocument | None:
    """Make and file the PDF if this version now has every party's signature (in the caller's transaction)."""
    case = await db.get(Case, record.case_id)
    session = await db.get(MediationSession, record.session_id)
    assert case is not None and session is not None
    parties = particulars.signing_parties(
        list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at, Party.id)))
    )
    signed = {s.party_id: s for s in await db.scalars(select(TranscriptSigner).where(TranscriptSigner.version_id == version.id))}
    if not parties or any(p.id not in signed for p in parties):
        return None
    organisation = await db.get(Organisation, case.organisation_id)
    zone = session.timezone
    content = words.Content.from_json(version.content)
    head = next((line for line in version.text.split("\n") if line.startswith("调解员：")), "调解员：")
    doc = TranscriptDoc(
        case_number=case.case_number,
        organisation=organisation.name if organisation else "",
        version=version.number,
        text=version.text,
        text_sha256=version.text_sha256,
        version_seq=version.seq,
        signatures=[
            TranscriptSignature(
                name=p.name,
                role=words.role_word(p.role),
                signed_at=_display(signed[p.id].signed_at, zone),
                method=method_words(METHOD_CODES.get(signed[p.id].method, signed[p.id].method)),
                seq=signed[p.id].seq,
                disagreement=signed[p.id].disagreement or "",
            )
            for p in parties
        ],
        mediators=[m for m in head.removeprefix("调解员：").split("、") if m],
        recorder=content.recorder,
        made_at=_display(utcnow(), zone),
    )
    data = await asyncio.to_thread(render_transcript, doc, settings.pdf_font)
    name = f"人民调解记录（第{version.number}版）-{case.case_number}.pdf"
    filed = await add_document(
        db, ledger, case.id, Uploader("platform", None, "平台", "platform"),
        kind=KIND, name=name, content_type="application/pdf", data=data,
    )  # fmt: skip
    history.record(db, case.id, principal, "document_added", document_id=filed.id, name=name, sha256=filed.sha256)
    return filed
