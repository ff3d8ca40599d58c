"""The agreement's documents: the PDF the parties sign, and the sealed document delivered to them.

Rendering and the PAdES seal are CPU work of a second or so; they run in a worker thread (or
pyHanko's own async signer) so that live sessions on the same event loop are not held up.
The sealed document's signature page and evidence certificate name each record's place in the
public log, so the log is settled before it is made.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.documents.agreement_pdf import AgreementDoc, CertificateLine, SignedDoc, SignerLine, render_agreement, render_signed
from server.documents.ruling_pdf import RulingDoc, render_ruling
from server.documents.seal import Seal, SealAuthority, seal_pdf
from server.domain import history, notices, notifications, particulars
from server.domain import links as party_links
from server.domain.agreements import text as words
from server.domain.ledger import Ledger
from server.domain.principal import Principal
from server.evidence.records import Record, sha256_hex
from server.evidence.vocabulary import method_words, record_words, signature_words
from server.models import (
    Agreement,
    AgreementDelivery,
    AgreementSignature,
    AgreementVersion,
    Case,
    CaseDocument,
    EvidenceBody,
    LogCheckpoint,
    LogEntry,
    MediationSession,
    Organisation,
    Party,
    utcnow,
)
from server.settings import Settings

#: How long after sealing a party's link still opens: People's Mediation Law art. 33 gives 30
#: days to apply for judicial confirmation, and the parties need their document for that.
AFTER_SEAL = timedelta(days=40)
#: The records the evidence certificate lists (named in words by server.evidence.vocabulary).
CERTIFIED = (
    "case_registered",
    "case_opened",
    "key_bound",
    "identity_checked",
    "consent",
    "agreement_version",
    "document_added",
    "signature",
)


async def _signed_with(db: AsyncSession, claim_hash: str) -> dict[str, Any]:
    """What the signature record's body says: how the signer was confirmed (``method``) and, for a
    signature on paper, who received the page (``received_by``)."""
    body = await db.get(EvidenceBody, claim_hash)
    data = body.body.get("data") if body is not None else None
    return data if isinstance(data, dict) else {}


def _method_line(data: dict[str, Any], bound_with: object) -> str:
    """A signature line's method. On paper (#25) it names the mediator who received the page: the key
    that signed is theirs, so how it was bound says nothing of the party."""
    if data.get("method") == "paper":
        return f"{method_words('paper')}\n收取人：{data.get('received_by') or ''}"
    return signature_words(data.get("method"), bound_with)


@dataclass(frozen=True)
class SealedDocument:
    pdf: bytes
    agreement_pdf_sha256: str
    certificate_pem: str
    certificate_sha256: str


def _shown(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S") + f" ({zone})"


class Sealer:
    def __init__(self, settings: Settings, log_origin: str) -> None:
        self._settings = settings
        self._origin = log_origin
        self._authority: SealAuthority | None = None

    @property
    def authority(self) -> SealAuthority:
        """Opened on first use: a server that never seals an agreement makes no CA."""
        if self._authority is None:
            self._authority = SealAuthority.open(self._settings.resolved_seals_dir)
        return self._authority

    async def seal_document(self, pdf: bytes, organisation_id: str, organisation_name: str, reason: str) -> tuple[bytes, Seal]:
        """The organisation's PAdES seal on a PDF (an agreement's final document, a court's ruling)."""
        seal = await self.seal_for(organisation_id, organisation_name)
        sealed = await seal_pdf(pdf, seal, reason=reason, location=organisation_name, name=organisation_name)
        return sealed, seal

    async def seal_for(self, organisation_id: str, organisation_name: str) -> Seal:
        """The organisation's seal, made when the organisation is set up (or on first use)."""
        return await asyncio.to_thread(self.authority.seal_for, organisation_id, organisation_name)

    async def install(self, organisation_id: str, cert_pem: bytes, key_pem: bytes, chain_pem: bytes | None) -> Seal:
        """Replace the platform-issued seal with one from a real CA (the old files are kept)."""
        return await asyncio.to_thread(self.authority.install, organisation_id, cert_pem, key_pem, chain_pem)

    def _font(self) -> Path | None:
        return self._settings.pdf_font

    async def agreement_pdf(
        self, organisation: str, case_number: str, version: int, text: str, text_sha256: str, title: str = words.TITLE
    ) -> bytes:
        """A titled text as a PDF (the agreement; also an application or a ruling), its hash on every page."""
        doc = AgreementDoc(
            organisation=organisation,
            case_number=case_number,
            title=title,
            version=version,
            text=text,
            text_sha256=text_sha256,
            generated_at=_shown(utcnow(), "Asia/Shanghai"),
        )
        return await asyncio.to_thread(render_agreement, doc, self._font())

    async def ruling_pdf(self, doc: RulingDoc) -> bytes:
        """A court's ruling as a PDF (sealed afterwards with ``seal_document``)."""
        return await asyncio.to_thread(render_ruling, doc, self._font())

    async def sealed_document(
        self, db: AsyncSession, agreement: Agreement, case: Case, organisation: Organisation, code: str
    ) -> SealedDocument:
        assert agreement.final_version is not None and agreement.pdf_document_id is not None
        version = await db.get(AgreementVersion, (agreement.id, agreement.final_version))
        signed_pdf = await db.get(CaseDocument, agreement.pdf_document_id)
        assert version is not None and signed_pdf is not None
        zone = organisation.timezone
        entries = list(await db.scalars(select(LogEntry).where(LogEntry.case_id == case.id).order_by(LogEntry.seq)))
        index_of = {e.seq: e.idx for e in entries}
        signatures = list(await db.scalars(select(AgreementSignature).where(AgreementSignature.agreement_id == agreement.id)))
        order = {"applicant": 0, "respondent": 1, "mediator": 2}
        records = [Record.from_entry(e.entry) for e in entries]
        # How each key was bound: the key_bound record of the case that carries it.
        bound = {str((r.claim.public.get("key") or {}).get("id")): r.claim.public.get("method") for r in records
                 if r.claim.type == "key_bound"}  # fmt: skip
        signer_lines = []
        for sig in sorted(signatures, key=lambda s: (order.get(s.role, 9), s.signed_at)):
            drawn = await db.get(CaseDocument, sig.handwriting_document_id) if sig.handwriting_document_id else None
            signer_lines.append(
                SignerLine(
                    name=sig.name,
                    role=words.ROLE_WORDS.get(sig.role, sig.role),
                    signed_at=_shown(sig.signed_at, zone),
                    method=_method_line(await _signed_with(db, sig.claim_hash), bound.get(sig.key_id)),
                    log_index=index_of.get(sig.seq),
                    seq=sig.seq,
                    key_id=sig.key_id,
                    handwriting_png=drawn.data if drawn else None,
                )
            )
        certificate = []
        for entry, record in zip(entries, records, strict=True):
            if record.claim.type not in CERTIFIED:
                continue
            if record.claim.type == "agreement_version" and not record.claim.public.get("final"):
                continue
            if record.claim.type == "document_added" and record.claim.public.get("kind") != "agreement":
                continue
            if record.claim.type == "signature" and "agreement" not in record.claim.public:
                continue  # a party's agreement to extend the mediation period (server/domain/extensions.py)
            actor = record.claim.actor
            certificate.append(
                CertificateLine(
                    time=_shown(datetime.fromisoformat(record.claim.time.replace("Z", "+00:00")).astimezone(UTC), zone),
                    event=record_words(record.claim.type, "zh", record.claim.public.get("intent"))
                    + ("（定稿）" if record.claim.type == "agreement_version" else ""),
                    actor=words.ROLE_WORDS.get(actor.get("role", ""), actor.get("kind", "")),
                    seq=record.seq,
                    log_index=entry.idx,
                    record_hash=sha256_hex(entry.entry),
                )
            )
        checkpoint = await self._checkpoint_words(db)
        url = f"{self._settings.base_url}/v/{code}"
        seal = await self.seal_for(organisation.id, organisation.name)
        doc = SignedDoc(
            agreement=AgreementDoc(
                organisation=organisation.name,
                case_number=case.case_number,
                title=words.TITLE,
                version=version.number,
                text=version.text,
                text_sha256=version.text_sha256,
                generated_at=_shown(utcnow(), zone),
            ),
            agreement_pdf_sha256=signed_pdf.sha256,
            signers=signer_lines,
            certificate=certificate,
            verify_url=url,
            verify_code=code,
            log_origin=self._origin,
            checkpoint=checkpoint,
            seal_organisation=organisation.name,
            seal_method=method_words("org_seal"),
            seal_certificate_sha256=seal.certificate_sha256(),
        )
        pdf = await asyncio.to_thread(render_signed, doc, self._font())
        sealed = await seal_pdf(
            pdf, seal, reason="人民调解协议书 调解组织印章", location=organisation.name, name=organisation.name
        )
        return SealedDocument(sealed, signed_pdf.sha256, seal.certificate_pem.decode(), seal.certificate_sha256())

    async def _checkpoint_words(self, db: AsyncSession) -> str | None:
        row = await db.scalar(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))
        return None if row is None else f"size {row.size}, root {row.root[:16]}…"

    async def deliver(self, db: AsyncSession, ledger: Ledger, agreement: Agreement, case: Case, doc: CaseDocument) -> None:
        """Each party gets the sealed document on their page and a message with a fresh link."""
        session = await db.get(MediationSession, agreement.session_id) if agreement.session_id else None
        if session is None:
            session = await db.scalar(
                select(MediationSession)
                .where(MediationSession.case_id == case.id, MediationSession.status != "cancelled")
                .order_by(MediationSession.starts_at.desc())
                .limit(1)
            )
        for party in particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id)))):
            appended = await ledger.append_platform(
                db,
                type="delivery",
                case=case.id,
                actor={"kind": "platform", "id": "platform"},
                data={"name": party.name, "channel": "platform"},
                public={"document": doc.id, "sha256": doc.sha256, "party": party.id, "event": "delivered"},
            )
            db.add(
                AgreementDelivery(
                    agreement_id=agreement.id, party_id=party.id, document_id=doc.id, delivered_seq=appended.record.seq
                )
            )
            url = ""
            if session is not None:
                issued = await party_links.issue(
                    db, self._settings, None, session, party, until=utcnow() + AFTER_SEAL, keep_others=True
                )
                url = issued.url
            notifications.notify(
                db, "agreement_delivered", party, {"name": party.name, "case": case.case_number, "link": notices.link_param(url)},
                url=url or None, case_id=case.id, session_id=session.id if session else None,
            )  # fmt: skip

    async def receipt(
        self, db: AsyncSession, ledger: Ledger, agreement: Agreement, party: Party, principal: Principal | None
    ) -> None:
        """The party's first download of the sealed document is their receipt of it."""
        delivery = await db.get(AgreementDelivery, (agreement.id, party.id), with_for_update=True)
        if delivery is None or delivery.received_at is not None:
            return
        doc = await db.get(CaseDocument, delivery.document_id)
        assert doc is not None
        appended = await ledger.append_platform(
            db,
            type="delivery",
            case=agreement.case_id,
            actor={"kind": "party", "id": party.id, "role": party.role},
            data={"name": party.name, "channel": "platform"},
            public={"document": doc.id, "sha256": doc.sha256, "party": party.id, "event": "received"},
        )
        delivery.received_at, delivery.received_seq = utcnow(), appended.record.seq
        history.record(db, agreement.case_id, principal, "agreement_received", seq=appended.record.seq)
