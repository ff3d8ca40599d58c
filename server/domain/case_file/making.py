"""Making a closed case's file (立卷): the PDF, its place in the case's documents, and ``case_file_made``.

Made once per closed case (人民调解法 art. 27: the committee files the registration, the record of the
mediation and the agreement, 立卷归档), in the transaction that closes it (server/domain/closing.py,
after the case-closing report, which is the file's part 12) or, for a case closed before files
were made, when a mediator asks (server/domain/case_file/service.py). A second call finds the first
file and returns it: one file per case.

The PDF (server/documents/case_file_pdf.py) is added to the case's documents as kind ``case_file``
(``document_added``, so it is in the case's evidence bundle), seen by the case's staff and no party
(it holds every party's files, some shown only to one of them). Then ``case_file_made`` is logged: its
public part names the PDF's document, SHA-256 and page count and which parts the case lacks; its
body lists every part {order, part, title, detail, source (a record's seq or a document's id),
sha256, first_page, pages}, so that ``mediate verify`` can check each against the log
(server/evidence/verify/case_file_check.py). The list is in the body, not the public part, because
it names people (a file's name, whose it is) and a collective case's list can be long.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.documents.case_file_pages import BodyPage
from server.documents.case_file_pdf import CaseFileDoc, Cover, ImagePage, Piece, Rendered, render_case_file
from server.domain import history
from server.domain.access import assigned_mediators
from server.domain.agreements.obligation import day_words
from server.domain.agreements.text import ROLE_WORDS
from server.domain.archived import retention_words
from server.domain.case_file.parts import KIND, PARTS, Source, case_records, gather
from server.domain.case_file.record_pages import local_time, record_page
from server.domain.clocks import local_day
from server.domain.closing_report import DISPUTE_WORDS
from server.domain.documents import Uploader, add_document
from server.domain.ledger import Ledger
from server.domain.principal import Staff
from server.models import Case, CaseDocument, Organisation, Party, User, utcnow

#: 保管期限 on the cover. The Ministry's file leaves it to the committee, by the dispute and what was
#: agreed: the organisation's rule (``Organisation.case_file_retention_years``, server/domain/archive.py)
#: says it; this is said only of a case whose organisation is not found.
DEFAULT_RETENTION = "长期"
MOST_NAMED = 3  # a collective case's cover names three people of a side, then says how many there are


@dataclass(frozen=True)
class Made:
    document: CaseDocument
    pages: int
    seq: int | None  # the case_file_made record; None when the file existed already


def _side(parties: list[Party], role: str) -> str:
    named = [p.name for p in parties if p.role == role]
    if len(named) > MOST_NAMED:
        return f"{'、'.join(named[:MOST_NAMED])}等{len(named)}人"
    return "、".join(named)


def _piece(source: Source) -> Piece:
    part, doc = source.part, source.document
    pdf: bytes | None = None
    page: BodyPage | None = None
    if source.logged is not None:
        page = record_page(source.logged)
    elif doc is not None and doc.content_type == "application/pdf":
        pdf = doc.data
    elif doc is not None:
        caption = [f"文件名：{doc.name}", f"提交人：{doc.uploaded_by_name}；提交时间：{local_time(doc.created_at.isoformat())}",
                   f"文件 SHA-256：{doc.sha256}（证据日志第{doc.seq}条记录登记）"]  # fmt: skip
        page = ImagePage(source.title, doc.data, caption)
    return Piece(part.number, part.title, part.required, source.title, source.detail, source.sha256, pdf=pdf, page=page)


def _pieces(sources: list[Source]) -> tuple[list[Piece], list[Source | None]]:
    """Every part in the official order: its pieces, or one absent piece (no pages) for a part the case lacks."""
    pieces: list[Piece] = []
    order: list[Source | None] = []
    for part in PARTS:
        mine = [s for s in sources if s.part.key == part.key]
        for source in mine:
            pieces.append(_piece(source))
            order.append(source)
        if not mine:
            pieces.append(Piece(part.number, part.title, part.required, part.title, "", None))
            order.append(None)
    return pieces, order


async def _doc(db: AsyncSession, case: Case, staff: Staff, pieces: list[Piece], retention: str) -> CaseFileDoc:
    organisation = await db.get(Organisation, case.organisation_id)
    assert organisation is not None and case.case_closed_at is not None
    parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at, Party.id)))
    dispute = DISPUTE_WORDS.get(case.dispute_type, case.dispute_type)
    applicants, respondents = _side(parties, "applicant"), _side(parties, "respondent")
    mediators = [u.display_name for i in (await assigned_mediators(db, case.id) or [case.mediator_id])
                 if (u := await db.get(User, i)) is not None]  # fmt: skip
    now = utcnow()
    closed, today = local_day(case.case_closed_at), day_words(local_day(now))
    who = "；".join(f"{ROLE_WORDS[r]}{s}" for r, s in (("applicant", applicants), ("respondent", respondents)) if s)
    cover = Cover(
        organisation=organisation.name,
        title=f"{applicants}与{respondents}{dispute}" if respondents else f"{applicants}{dispute}",
        case_number=case.case_number,
        rows=[
            ("调解组织", organisation.name), ("当事人", who), ("纠纷类型", dispute), ("人民调解员", "、".join(mediators)),
            ("调解日期", f"{day_words(case.registered_on)}（受理）至{day_words(closed)}（结案）"),
            ("立卷人", staff.display_name), ("立卷日期", today), ("保管期限", retention),
            ("备注", "本卷宗由在线调解平台依据本案证据日志立卷；卷内每件文书的 SHA-256 见卷内目录。"),
        ],
    )  # fmt: skip
    present = [p for p in pieces if p.present]
    absent = [p.part for p in pieces if not p.present]
    lines = [
        f"本卷共 {{pages}} 页，收入文书 {len(present)} 件。",
        ("本案无：" + "、".join(absent) + "。") if absent else "卷内目录所列各项本案均有。",
        "卷内每件文书均注明其 SHA-256：并入的文件为该文件的哈希；据证据日志记录制作的页为该记录内容（body）的哈希。"
        "二者均载于本案证据日志（“文件入卷”记录或该记录本身）。",
        "本卷宗的制作记载于本案证据日志的“制作卷宗”记录（case_file_made），其中列明每件文书的来源、哈希、起始页和页数，"
        "以及本卷宗 PDF 的哈希；用 mediate verify 核验本案证据包时逐项核对。",
        "并入本卷的 PDF 文件保持原样；其原件（包括调解协议书和民事裁定书的电子印章）保存在证据包的 documents/ 目录中。",
    ]
    rows = [("立卷人", staff.display_name), ("检查人", ""), ("立卷时间", today)]
    return CaseFileDoc(cover, pieces, rows, lines, now, f"{case.case_number} 卷宗")


def _listed(pieces: list[Piece], order: list[Source | None], rendered: Rendered) -> list[dict[str, Any]]:
    return [
        {
            "order": i,
            "part": piece.number,
            "title": piece.title,
            "detail": piece.detail,
            "source": source.public() if source is not None else None,
            "sha256": piece.sha256,
            "first_page": placed.first_page,
            "pages": placed.pages,
        }
        for i, (piece, source, placed) in enumerate(zip(pieces, order, rendered.placed, strict=True), start=1)
    ]


async def existing(db: AsyncSession, case_id: str) -> CaseDocument | None:
    return await db.scalar(select(CaseDocument).where(CaseDocument.case_id == case_id, CaseDocument.kind == KIND).limit(1))


async def make_case_file(
    db: AsyncSession, ledger: Ledger, case: Case, staff: Staff, font: Path | None, *, retention: str | None = None
) -> Made:
    """The case's file, made now in the caller's transaction (which holds the case's row), or the one it has.

    ``retention``: its 保管期限; by default the organisation's rule for its case files ("30年", "永久")."""
    found = await existing(db, case.id)
    if found is not None:
        return Made(found, 0, None)
    if retention is None:
        rule = await db.get(Organisation, case.organisation_id)
        retention = retention_words(rule.case_file_retention_years)[0] if rule else DEFAULT_RETENTION
    sources = gather(await case_records(db, case.id), list(await db.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.created_at, CaseDocument.id)
    )))  # fmt: skip
    pieces, order = _pieces(sources)
    doc = await _doc(db, case, staff, pieces, retention)
    rendered = await asyncio.to_thread(render_case_file, doc, font)
    organisation = doc.cover.organisation
    filed = await add_document(
        db, ledger, case.id, Uploader("platform", None, organisation, "platform"), kind=KIND,
        name=f"人民调解卷宗-{case.case_number}.pdf", content_type="application/pdf", data=rendered.pdf, visible_to=[],
    )  # fmt: skip
    parts = _listed(pieces, order, rendered)
    appended = await ledger.append_platform(
        db,
        type="case_file_made",
        case=case.id,
        actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
        data={"made_by": staff.display_name, "case_number": case.case_number, "retention": retention, "parts": parts},
        public={
            "document": filed.id,
            "sha256": filed.sha256,
            "pages": rendered.pages,
            "parts": sum(1 for p in parts if p["source"] is not None),
            "absent": sorted({p["part"] for p in parts if p["source"] is None}),
        },
    )
    history.record(
        db, case.id, staff, "case_file_made", document_id=filed.id, sha256=filed.sha256, pages=rendered.pages,
        seq=appended.record.seq,
    )  # fmt: skip
    return Made(filed, rendered.pages, appended.record.seq)


__all__ = ["DEFAULT_RETENTION", "Made", "existing", "make_case_file"]
