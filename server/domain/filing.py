"""A failed case's materials as one package for a court's online filing (在线立案).

人民法院在线调解规则 art. 21: when online mediation reaches no agreement, the mediator records 调解基本
情况、调解不成的原因、导致其他当事人诉讼成本增加的行为以及需要向人民法院提示的其他情况; where the party applied
before filing, the mediator may suggest online filing, and **if the party chooses online filing** the
mediator sends the electronic mediation materials to the court (art. 21 ¶1 (一)); 特邀调解规定 art. 21
¶1 likewise sends a 委派's complaint and materials back to the court.

A court's platform cannot be reached from here, so nothing is sent: the package is made and
downloaded, and the mediator uploads it to the court's online filing platform. The page says so
("已生成移送材料，请上传至法院在线立案平台"), and the record is named for what happened,
``filing_package_made``, not "transferred": a log that said the court received it would say
something no one here knows.

**Consent.** The applicant's choice of online filing is recorded by the mediator: who chose it (an
applicant of the case) and how they said so (e.g. in the video session, by telephone, or on a signed
form). The mediator, not the party's page, records it because after mediation ends the parties'
links have usually expired (they open a session's page until its grace time), and art. 21 makes it the
mediator's step on the party's choice; the signed record names the mediator as the one who states it,
and the package's statement quotes it.

The package is a zip with a ``manifest.json`` listing every file with its SHA-256 and size, so the
court (or anyone) can check each part; the evidence bundle inside is the case's signed log with its
files, which ``mediate verify`` checks. Its parts, in the order a court reads a filing:

1. ``01-调解不成情况说明.pdf``: the art. 21 statement, in the four parts the article names, with the
   parties' particulars, the ground of art. 25 and the applicant's choice of online filing;
2. ``02-受理登记及当事人.json``: the registration (受理登记) and every party's particulars;
3. ``03-调解记录.json``: the case history (every step, who, when);
4. ``04-案件材料/``: the case files (uploads, agreement drafts);
5. ``05-证据包.zip``: the evidence bundle (stored, not deflated again: it is a zip already, and as big
   as the case's recordings; it is copied in from a temporary file a chunk at a time).
"""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.documents.ruling_pdf import RulingDoc, render_ruling
from server.domain import history, particulars
from server.domain.access import case_for_staff
from server.domain.confirmation.ruling import arabic_date, chinese_date
from server.domain.evidence import Evidence
from server.domain.ledger import Ledger
from server.domain.outcomes import ground_of
from server.domain.principal import Principal, require_staff
from server.errors import FieldError, InvalidInput, InvalidState
from server.evidence import zip_members
from server.models import CaseDocument, CaseEvent, MediationSession, Organisation, Party, User, utcnow
from server.models.cases import Case

FORMAT = "mediate-filing-package/1"
MAX_TEXT = 2000
ROLE_WORDS = {
    "applicant": "申请人",
    "respondent": "被申请人",
    "agent": "代理人",
    "interpreter": "翻译人员",
    "invited": "受邀参与人员",
}
STATEMENT = "01-调解不成情况说明.pdf"
REGISTRATION = "02-受理登记及当事人.json"
RECORD = "03-调解记录.json"
FILES = "04-案件材料"
BUNDLE = "05-证据包.zip"


@dataclass(frozen=True)
class Package:
    data: bytes  # the zip, unless it was written to the file ``make`` was given (then empty)
    filename: str
    sha256: str
    manifest: dict[str, Any]


def _text(value: str | None, field: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field} is required", [FieldError(field, "required", "required")])
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"{field} is too long", [FieldError(field, f"at most {MAX_TEXT} characters", "too_long", {"max": MAX_TEXT})]
        )
    return text


def _day(when: datetime, zone: str) -> date:
    return when.astimezone(ZoneInfo(zone)).date()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()


def _party(p: Party) -> dict[str, Any]:
    return {
        "role": p.role,
        "role_zh": ROLE_WORDS.get(p.role, p.role),
        "name": p.name,
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat() if p.birth_date else None,
        "age": p.age,
        "ethnicity": p.ethnicity,
        "occupation": p.occupation,
        "address": p.address,
        "id_number": p.id_number,
        "phone": p.phone,
        "email": p.email,
        "residence_region": p.residence_region,
        "authority": p.authority,
        "represents": p.represents_party_id,
        "id": p.id,
    }


class FilingPackages:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, evidence: Evidence, font: Path | None = None
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._evidence = evidence
        self._font = font

    async def make(
        self,
        principal: Principal | None,
        case_id: str,
        *,
        applicant_id: str,
        consent: str,
        cost_behaviour: str = "",
        court_notes: str = "",
        into: IO[bytes] | None = None,
    ) -> Package:
        """The case's mediator makes the package once mediation ended without agreement and an applicant chose online filing.

        ``into``: a seekable file open for reading too (``w+b``, as ``tempfile.TemporaryFile`` opens one):
        the zip is written to it and read back for its hash. Without it the zip is returned in memory.
        """
        staff = require_staff(principal, "mediator")
        consent = _text(consent, "consent", required=True)
        cost_behaviour = _text(cost_behaviour, "cost_behaviour", required=False)
        court_notes = _text(court_notes, "court_notes", required=False)
        async with self._maker() as db:
            staff, case = await case_for_staff(db, principal, case_id, changes=True)
            if case.status != "failed":
                raise InvalidState(
                    "only a case that ended without agreement goes to a court's online filing (art. 21)",
                    reason="not_failed" if case.status == "open" else case.status,
                )
            applicant = await db.get(Party, applicant_id)
            if applicant is None or applicant.case_id != case.id or applicant.role != "applicant":
                raise InvalidInput(
                    "not an applicant of this case", [FieldError("applicant_id", "an applicant of this case", "party_of_case")]
                )
            applicant_name = applicant.name
        # The evidence bundle first (it logs its own `export` record), then the rest around it. With its
        # recordings it is gigabytes for a long session: exported to a temporary file, hashed and copied
        # into the package from there a chunk at a time, never held whole.
        with await asyncio.to_thread(tempfile.TemporaryFile) as inner:
            exported = await self._evidence.export(principal, case_id, into=inner)
            bundle_sha256, bundle_size = await asyncio.to_thread(zip_members.file_sha256, inner)
            async with self._maker() as db, db.begin():
                _, case = await case_for_staff(db, principal, case_id, changes=True)
                organisation = await db.get(Organisation, case.organisation_id)
                mediator = await db.get(User, case.mediator_id)
                assert organisation is not None
                parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
                events = list(
                    await db.scalars(
                        select(CaseEvent)
                        .where(CaseEvent.case_id == case.id, CaseEvent.kind.not_in(history.COMPLAINT_KINDS))
                        .order_by(CaseEvent.id)
                    )
                )  # the mediator makes this package: a complaint about them is not theirs to read (satisfaction.py)
                documents = list(
                    await db.scalars(
                        select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.created_at)
                    )
                )
                sessions = await db.scalar(
                    select(func.count())
                    .select_from(MediationSession)
                    .where(MediationSession.case_id == case.id, MediationSession.status != "cancelled")
                )
                made_at = utcnow()
                ground = ground_of(case.outcome_reason)
                statement = statement_doc(
                    case=case,
                    organisation=organisation,
                    mediator=mediator.display_name if mediator is not None else "",
                    parties=parties,
                    sessions=int(sessions or 0),
                    applicant=applicant_name,
                    consent=consent,
                    cost_behaviour=cost_behaviour,
                    court_notes=court_notes,
                    today=_day(made_at, organisation.timezone),
                )
                pdf = await asyncio.to_thread(render_ruling, statement, self._font)
                registration = {
                    "case_number": case.case_number,
                    "organisation": organisation.name,
                    "dispute_type": case.dispute_type,
                    "summary": case.summary,
                    "amount_fen": case.amount_fen,
                    "source": case.source,
                    "source_reference": case.source_reference,
                    "registered_on": case.registered_on.isoformat(),
                    "collective": case.collective,
                    "mediator": mediator.display_name if mediator is not None else None,
                    "status": case.status,
                    "outcome_reason": case.outcome_reason,
                    "outcome_note": case.outcome_note,
                    "closed_at": case.closed_at.isoformat() if case.closed_at else None,
                    "parties": [_party(p) for p in parties],
                }
                record = [
                    {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor_name, "actor_kind": e.actor_kind, "data": e.data}
                    for e in events
                ]
                files: list[tuple[str, str, bytes, str]] = [
                    (STATEMENT, "调解不成情况说明（《人民法院在线调解规则》第二十一条）", pdf, "application/pdf"),
                    (REGISTRATION, "受理登记及当事人基本情况", _json(registration), "application/json"),
                    (RECORD, "调解记录（案件经过）", _json(record), "application/json"),
                ]
                for i, d in enumerate(documents, start=1):
                    files.append((f"{FILES}/{i:02d}-{d.name}", f"案件材料：{d.name}", d.data, d.content_type))
                listed = [
                    {"path": path, "title": title, "content_type": kind, "bytes": len(data), "sha256": sha256(data).hexdigest()}
                    for path, title, data, kind in files
                ]
                listed.append(
                    {
                        "path": BUNDLE,
                        "title": "证据包（可用 mediate verify 核验）",
                        "content_type": "application/zip",
                        "bytes": bundle_size,
                        "sha256": bundle_sha256,
                    }
                )
                manifest: dict[str, Any] = {
                    "format": FORMAT,
                    "case_number": case.case_number,
                    "organisation": organisation.name,
                    "made_at": made_at.isoformat(),
                    "made_by": staff.display_name,
                    "ground": {
                        "code": case.outcome_reason,
                        "zh": ground.zh if ground is not None else None,
                        "source": ground.source_zh if ground is not None else None,
                    },
                    "applicant_consent": {"applicant": applicant_name, "how": consent},
                    "note": "本材料包由调解平台生成，未发送至任何法院系统；请上传至法院在线立案平台。",
                    "bundle_manifest_hash": exported.manifest_hash,
                    "files": listed,
                }
                manifest_bytes = _json(manifest)
                out = io.BytesIO() if into is None else into
                small = [(path, data) for path, _, data, _ in files]
                digest = await asyncio.to_thread(write_package, out, manifest_bytes, small, inner, bundle_size)
                appended = await self._ledger.append_platform(
                    db,
                    type="filing_package_made",
                    case=case.id,
                    actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                    data={
                        "applicant": applicant_name,
                        "consent": consent,
                        "cost_behaviour": cost_behaviour,
                        "court_notes": court_notes,
                        "files": [{"path": f["path"], "sha256": f["sha256"]} for f in manifest["files"]],
                        "made_by": staff.display_name,
                    },
                    public={
                        "package_sha256": digest,
                        "manifest_sha256": sha256(manifest_bytes).hexdigest(),
                        "bundle_manifest_hash": exported.manifest_hash,
                        "consenting_party": applicant_id,
                    },
                )
                history.record(db, case.id, staff, "filing_package_made", applicant=applicant_name, seq=appended.record.seq)
                data = out.getvalue() if isinstance(out, io.BytesIO) else b""
                return Package(data, f"立案移送材料-{case.case_number}.zip", digest, manifest)


def write_package(out: IO[bytes], manifest: bytes, files: list[tuple[str, bytes]], bundle: IO[bytes], bundle_size: int) -> str:
    """The package zip: its manifest, the files, then the evidence bundle copied from its file a chunk at a
    time (stored: it is a zip already); returns the package's SHA-256, read back from ``out``."""
    start = out.tell()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        zip_members.write_member(z, "manifest.json", manifest)
        for path, data in files:
            zip_members.write_member(z, path, data)
        zip_members.copy_member(z, BUNDLE, bundle, bundle_size)
    return zip_members.file_sha256(out, start)[0]


def statement_doc(
    *,
    case: Case,
    organisation: Organisation,
    mediator: str,
    parties: list[Party],
    sessions: int,
    applicant: str,
    consent: str,
    cost_behaviour: str,
    court_notes: str,
    today: date,
) -> RulingDoc:
    """The art. 21 statement's words (pure: tested without a database)."""
    zone = organisation.timezone
    lines = []
    for p in parties:
        if p.role in ("applicant", "respondent", "agent"):
            lines.append(f"{ROLE_WORDS[p.role]}：{particulars.with_missing(p, phone=True)}。")
    ground = ground_of(case.outcome_reason)
    closed = case.closed_at or utcnow()
    source = f"（{ground.source_zh}）" if ground is not None else ""

    def said(text: str) -> str:
        text = text.strip()
        return text if text.endswith(("。", "！", "？", "；")) else text + "。" if text else "无。"

    body = [
        "一、调解基本情况",
        f"本组织于{arabic_date(case.registered_on)}受理本案，调解员{mediator}主持调解，共安排调解{sessions}次。纠纷概况：{case.summary.strip()}",
        "二、调解不成的原因",
        f"调解于{arabic_date(_day(closed, zone))}终结，终结情形为：{ground.zh if ground is not None else '未达成调解协议'}{source}。"
        + (f"具体原因：{said(case.outcome_note)}" if case.outcome_note else ""),
        "三、导致其他当事人诉讼成本增加的行为",
        said(cost_behaviour),
        "四、需要向人民法院提示的其他情况",
        said(court_notes),
        "五、当事人选择在线立案",
        f"申请人{applicant}选择通过在线立案解决纠纷（《人民法院在线调解规则》第二十一条第一款第（一）项）。选择方式：{said(consent)}",
    ]
    return RulingDoc(
        court=organisation.name,
        title="调解不成情况说明",
        case_number=case.case_number,
        parties=lines,
        body=body,
        operative=["本材料包由调解平台生成，由调解员上传至人民法院在线立案平台。"],
        signatures=[f"调解员　{mediator}", organisation.name, chinese_date(today)],
    )
