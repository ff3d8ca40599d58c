"""What goes into a closed case's file (人民调解卷宗), part by part, from the case's log and documents.

The parts are those of the Ministry of Justice's file (司法部《关于印发人民调解文书格式和统计报表的
通知》, 2010; its 卷内目录 is cited in server/documents/case_file_pdf.py), in its order; each part is
``必须`` (required) or ``按需`` (as needed) as the list says. Each piece of a part is one source the
evidence log holds, so that its SHA-256 is one the log already carries:

- a **document** of the case (``document_added``): its SHA-256 is the logged file's;
- a **record** of the log: its SHA-256 is the record's ``body_hash`` (SHA-256 of the body's salt and
  canonical data, FORMAT.md "Bodies"), which the signed claim carries, so the page made from the
  body can be checked against the log.

Where each piece comes from, and what the platform does not have:

1. 申请书 / 受理登记表: the ``case_registered`` record (the registration form's fields), an online
   application's ``case_accepted`` (what the applicant wrote), or an old case's ``case_opened``.
2. 权利义务告知书: the platform gives no separate notice of rights; what it told the parties and
   they answered is here as recorded: each party's ``consent`` (the recording notice and session
   rules, signed with their key) and a respondent's ``mediation_accepted`` (the question whether they
   agree, telling them mediation is voluntary, 人民调解法 art. 17). A case with neither has none.
3. 当事人身份证明 (as recorded): the mediator's ``identity_checked`` records and each party's
   ``key_bound`` (how their signing key was bound to them). Identity card images are not kept.
4.–6. 授权委托书, 调查记录, 证据材料: files uploaded to the case. The platform does not ask what an
   upload is, so its name tells: one named with 委托 is an authorisation, one with 调查 an
   investigation note, the rest evidence (a proof of performance goes to 9).
7. 人民调解记录: the mediation record's PDF once every party signed a version (``transcript``);
   where no version was signed by all, the newest version's record, laid out from its text.
8. 人民调解协议书: the sealed agreement's PDF (``signed_agreement``); for a party who signed on paper
   (#25), the scanned page their attested ``signature`` names and the ``agreement_read_aloud`` record.
9. 履行凭证: each ``performance_reported`` / ``performance_confirmed`` / ``performance_disputed``
   record, the proof a report names (its file) after it.
10. 回访记录: each ``follow_up_recorded`` record.
11. 司法确认有关材料: the joint application (``application``), the court's ruling (``ruling``) and a
   payee's application for enforcement (``enforcement``); for a party who signed the application on
   paper (#25), the scanned page the mediator's attesting ``confirmation_applied`` names.
12. 卷宗情况说明: the case-closing report (``closing_report``, 人民调解结案报告表).

A part with no piece is listed as absent (无), never invented. Titles name roles, never people:
they go into the log's public part (FORMAT.md: no personal data there); names are in ``detail``,
which goes into the record's body and the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.agreements.text import ROLE_WORDS
from server.evidence.records import Record, sha256_hex
from server.models import CaseDocument, EvidenceBody, EvidencePending, LogEntry


@dataclass(frozen=True)
class Part:
    number: int
    key: str
    title: str
    required: bool


PARTS: tuple[Part, ...] = (
    Part(1, "application", "人民调解申请书或人民调解受理登记表", True),
    Part(2, "notice", "人民调解当事人权利义务告知书", True),
    Part(3, "identity", "当事人身份证明", True),
    Part(4, "authorisation", "授权委托书", False),
    Part(5, "investigation", "人民调解调查记录", False),
    Part(6, "evidence", "人民调解证据材料", False),
    Part(7, "record", "人民调解记录", True),
    Part(8, "agreement", "人民调解协议书", True),
    Part(9, "performance", "收条或汇款单等履行凭证", False),
    Part(10, "follow_up", "人民调解回访记录", False),
    Part(11, "confirmation", "司法确认有关材料", False),
    Part(12, "closing", "卷宗情况说明（人民调解结案报告表）", False),
)
PART_OF = {p.key: p for p in PARTS}
#: The case file's own kind in the case's documents (the column holds 20 characters).
KIND = "case_file"

APPLICATION_TITLES = {"case_registered": "人民调解受理登记表", "case_accepted": "人民调解申请书（网上申请及受理）",
                      "case_opened": "立案记录"}  # fmt: skip
PERFORMANCE_TITLES = {"performance_reported": "履行报告", "performance_confirmed": "确认收到履行",
                      "performance_disputed": "履行异议"}  # fmt: skip
#: A page a party signed on paper, attested by the mediator's record of this type (#25): its part, what was signed.
PAPER_PAGES = {"signature": ("agreement", "人民调解协议书"), "confirmation_applied": ("confirmation", "司法确认申请书")}
CONFIRMATION_TITLES = {"application": "司法确认申请书", "ruling": "民事裁定书（司法确认）", "enforcement": "强制执行申请书"}


@dataclass(frozen=True)
class Logged:
    """A record of the case's log (sequenced or still pending), with its body's data if kept."""

    record: Record
    data: dict[str, Any]

    @property
    def seq(self) -> int:
        return self.record.seq

    @property
    def type(self) -> str:
        return self.record.claim.type

    @property
    def public(self) -> dict[str, Any]:
        return self.record.claim.public


@dataclass(frozen=True)
class Source:
    """One piece of the file: a record or a document of the case, under a part."""

    part: Part
    title: str  # no names: it is logged in public
    detail: str  # names, the file's name: in the body and the PDF
    sha256: str
    logged: Logged | None = None
    document: CaseDocument | None = None

    def public(self) -> dict[str, Any]:
        """How ``case_file_made`` names the source: a record by its seq, a document by its id."""
        if self.logged is not None:
            return {"seq": self.logged.seq}
        assert self.document is not None
        return {"document": self.document.id}


async def case_records(db: AsyncSession, case_id: str) -> list[Logged]:
    """Every record of the case, in order: those in the log and those accepted in this transaction."""
    entries = list(await db.scalars(select(LogEntry.entry).where(LogEntry.case_id == case_id)))
    entries += list(await db.scalars(select(EvidencePending.entry).where(EvidencePending.case_id == case_id)))
    bodies = {b.claim_hash: b.body for b in await db.scalars(select(EvidenceBody).where(EvidenceBody.case_id == case_id))}
    out: dict[int, Logged] = {}
    for entry in entries:
        record = Record.from_entry(entry)
        body = bodies.get(sha256_hex(record.claim.statement)) or {}
        data = body.get("data") if isinstance(body, dict) else None
        out[record.seq] = Logged(record, data if isinstance(data, dict) else {})
    return [out[seq] for seq in sorted(out)]


def _role(logged: Logged) -> str:
    """Whose the piece is: the party checked, for a mediator's identity check; else the record's actor."""
    role = logged.data.get("party_role") or logged.record.claim.actor.get("role") or logged.data.get("role") or ""
    return ROLE_WORDS.get(str(role), "")


def _upload_part(doc: CaseDocument) -> Part:
    if "委托" in doc.name:
        return PART_OF["authorisation"]
    if "调查" in doc.name:
        return PART_OF["investigation"]
    return PART_OF["evidence"]


def _doc(part: Part, title: str, doc: CaseDocument) -> Source:
    detail = doc.name if doc.uploaded_by_kind == "platform" else f"{doc.name}，{doc.uploaded_by_name}提交"
    return Source(part, title, detail, doc.sha256, document=doc)


def _rec(part: Part, title: str, logged: Logged, detail: str = "") -> Source:
    return Source(part, title, detail or f"证据日志第{logged.seq}条记录", logged.record.claim.body_hash, logged=logged)


def gather(records: list[Logged], documents: list[CaseDocument]) -> list[Source]:
    """The pieces of the file, in the official order, each part's pieces in the order they were made."""
    by_part: dict[str, list[tuple[int, Source]]] = {p.key: [] for p in PARTS}

    def put(source: Source, order: int) -> None:
        by_part[source.part.key].append((order, source))

    docs = {d.id: d for d in documents}
    placed: set[str] = set()
    latest_version: dict[str, Logged] = {}
    for r in records:
        who = _role(r)
        name = str(r.data.get("name") or r.data.get("party") or "")
        if r.type in APPLICATION_TITLES:
            put(_rec(PART_OF["application"], APPLICATION_TITLES[r.type], r), r.seq)
        elif r.type == "consent" and r.record.claim.actor.get("kind") == "party":
            put(_rec(PART_OF["notice"], f"录音录像告知与调解规则（{who}签署）", r, f"{name}，证据日志第{r.seq}条记录"), r.seq)
        elif r.type == "consent" and r.public.get("method") == "dtmf":  # a caller's keypress, the mediator's witness (#25)
            witness = str(r.data.get("witness") or "")
            title = f"录音录像告知与调解规则（{name}电话按键同意，{witness}见证）"
            put(_rec(PART_OF["notice"], title, r, f"{name}，证据日志第{r.seq}条记录"), r.seq)
        elif r.type == "mediation_accepted":
            put(_rec(PART_OF["notice"], f"调解意愿告知及答复（{who}同意调解）", r, f"{name}，证据日志第{r.seq}条记录"), r.seq)
        elif r.type == "identity_checked":
            put(_rec(PART_OF["identity"], f"身份核验记录（{who}）", r, f"{name}，证据日志第{r.seq}条记录"), r.seq)
        elif r.type == "key_bound" and r.record.claim.actor.get("kind") == "party":
            put(_rec(PART_OF["identity"], f"签名密钥绑定记录（{who}）", r, f"{name}，证据日志第{r.seq}条记录"), r.seq)
        elif r.type == "transcript_version":
            latest_version[str(r.public.get("record"))] = r
        elif r.type in PERFORMANCE_TITLES:
            put(
                _rec(PART_OF["performance"], f"{PERFORMANCE_TITLES[r.type]}（{who}）", r, f"{name}，证据日志第{r.seq}条记录"),
                r.seq,
            )
            proof = r.public.get("proof")
            doc = docs.get(str(proof.get("document"))) if isinstance(proof, dict) else None
            if doc is not None and doc.id not in placed:
                placed.add(doc.id)
                put(_doc(PART_OF["performance"], "履行凭证（当事人提交的文件）", doc), r.seq)
        elif r.type in PAPER_PAGES and r.public.get("method") == "paper":  # a page signed on paper, attested (#25)
            scan = r.public.get("scan")
            page = docs.get(str(scan.get("document"))) if isinstance(scan, dict) else None
            if page is not None and page.id not in placed:
                placed.add(page.id)
                section, what = PAPER_PAGES[r.type]
                party = ROLE_WORDS.get(str(r.data.get("role") or ""), "")
                put(_doc(PART_OF[section], f"{what}纸质签名页（{party}签名，调解员收取）", page), r.seq)
        elif r.type == "agreement_read_aloud":
            party = ROLE_WORDS.get(str(r.data.get("role") or ""), "")
            put(_rec(PART_OF["agreement"], f"调解协议宣读记录（向{party}宣读）", r, f"{name}，证据日志第{r.seq}条记录"), r.seq)
        elif r.type == "follow_up_recorded":
            put(_rec(PART_OF["follow_up"], "回访记录", r, f"{r.data.get('mediator') or ''}，证据日志第{r.seq}条记录"), r.seq)
    transcripts = [d for d in documents if d.kind == "transcript"]
    for doc in documents:
        order = doc.seq or 0
        if doc.kind == "upload" and doc.id not in placed:
            part = _upload_part(doc)
            put(_doc(part, f"{part.title.removeprefix('人民调解')}（上传文件）", doc), order)
        elif doc.kind == "transcript":
            put(_doc(PART_OF["record"], "人民调解记录（经当事人签名）", doc), order)
        elif doc.kind == "signed_agreement":
            put(_doc(PART_OF["agreement"], "人民调解协议书（已签署、盖章）", doc), order)
        elif doc.kind in CONFIRMATION_TITLES:
            put(_doc(PART_OF["confirmation"], CONFIRMATION_TITLES[doc.kind], doc), order)
        elif doc.kind == "closing_report":
            put(_doc(PART_OF["closing"], "人民调解结案报告表", doc), order)
    if not transcripts:
        for r in latest_version.values():
            title = f"人民调解记录（第{r.public.get('version')}版，未经全部当事人签名）"
            put(_rec(PART_OF["record"], title, r), r.seq)
    return [source for part in PARTS for _, source in sorted(by_part[part.key], key=lambda pair: pair[0])]


__all__ = ["KIND", "PARTS", "Logged", "Part", "Source", "case_records", "gather"]
