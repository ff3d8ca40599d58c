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
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.documents.agreement_pdf import AgreementDoc, CertificateLine, SignedDoc, SignerLine, render_agreement, render_signed
from server.documents.seal import Seal, SealAuthority, seal_pdf
from server.domain import agreement_text as words
from server.domain import history
from server.domain import links as party_links
from server.domain.ledger import Ledger
from server.domain.principal import Principal
from server.evidence.records import Record, sha256_hex
from server.models import (
    Agreement,
    AgreementDelivery,
    AgreementSignature,
    AgreementVersion,
    Case,
    CaseDocument,
    LogCheckpoint,
    LogEntry,
    MediationSession,
    Organisation,
    OutboxMessage,
    Party,
    utcnow,
)
from server.settings import Settings

#: How long after sealing a party's link still opens: People's Mediation Law art. 33 gives 30
#: days to apply for judicial confirmation, and the parties need their document for that.
AFTER_SEAL = timedelta(days=40)
METHOD_WORDS = {"device_key": "设备密钥 (ECDSA P-256) + 短信验证码", "passkey": "通行密钥 (WebAuthn，已验证本人)"}
EVENT_WORDS = {
    "case_opened": "立案",
    "key_bound": "签名密钥绑定",
    "identity_checked": "身份核验",
    "consent": "同意录音录像",
    "agreement_version": "协议文本定稿",
    "document_added": "协议文件生成",
    "signature": "签署协议",
}


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
        signer_lines = []
        for sig in sorted(signatures, key=lambda s: (order.get(s.role, 9), s.signed_at)):
            drawn = await db.get(CaseDocument, sig.handwriting_document_id) if sig.handwriting_document_id else None
            signer_lines.append(
                SignerLine(
                    name=sig.name,
                    role=words.ROLE_WORDS.get(sig.role, sig.role),
                    signed_at=_shown(sig.signed_at, zone),
                    method=METHOD_WORDS.get(sig.method, sig.method),
                    log_index=index_of.get(sig.seq),
                    seq=sig.seq,
                    key_id=sig.key_id,
                    handwriting_png=drawn.data if drawn else None,
                )
            )
        certificate = []
        for entry in entries:
            record = Record.from_entry(entry.entry)
            if record.claim.type not in EVENT_WORDS:
                continue
            if record.claim.type == "agreement_version" and not record.claim.public.get("final"):
                continue
            if record.claim.type == "document_added" and record.claim.public.get("kind") != "agreement":
                continue
            actor = record.claim.actor
            certificate.append(
                CertificateLine(
                    time=_shown(datetime.fromisoformat(record.claim.time.replace("Z", "+00:00")).astimezone(UTC), zone),
                    event=EVENT_WORDS[record.claim.type],
                    actor=words.ROLE_WORDS.get(actor.get("role", ""), actor.get("kind", "")),
                    seq=record.seq,
                    log_index=entry.idx,
                    record_hash=sha256_hex(entry.entry),
                )
            )
        checkpoint = await self._checkpoint_words(db)
        url = f"{self._settings.base_url}/v/{code}"
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
        )
        pdf = await asyncio.to_thread(render_signed, doc, self._font())
        seal = await self.seal_for(organisation.id, organisation.name)
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
        for party in words.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id)))):
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
            db.add(
                OutboxMessage(
                    case_id=case.id,
                    session_id=session.id if session else None,
                    party_id=party.id,
                    kind="agreement_delivered",
                    channel="sms",
                    recipient=party.phone,
                    subject="调解协议书已生效",
                    body=f"【在线调解】{party.name}，您的调解协议书（{case.case_number}）已由各方签署并加盖印章，现已生效。"
                    f"请打开 {url} 查看和下载，可在30日内共同申请司法确认。"
                    f" Your mediation agreement has been signed by everyone, sealed and is in effect: {url}",
                    status="pending",
                    created_at=utcnow(),
                )
            )

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
