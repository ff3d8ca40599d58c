"""A party who signs nothing with a device key: the agreement read to them, their signature on paper.

A party who joins by telephone (#25) has no browser and so no signing key; neither has an old
party who comes to the committee's window. People's Mediation Law art. 29 takes the signature
the committee has always taken: 调解协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会
印章之日起生效. So such a party's signature is collected on paper (at the window, or on a printout
carried to them) and the platform records it as what it is:

- ``agreement_read_aloud``: the mediator read the final text to the party (on the phone, in the
  session or at the window). Platform-signed, the mediator its actor: a statement of what they
  did, not the party's assent.
- ``signature`` with ``public.method`` ``paper``: the mediator who received the signed page scans
  it into the case file and signs, with their own key bound to the case, that this party signed
  this final version on paper. As with a caller's keypress consent (consent.py), a person's key
  signs only for its holder (FORMAT.md), so the record's actor is the mediator and
  ``public.subject`` names the party; ``public.scan`` names the scanned page and its SHA-256, so
  ``mediate verify`` can check the page in the bundle is the one attested.

The party's place among the signers is then filled (method ``paper``), the mediator signs last as
ever (signing.py), and the sealed document says of that line that the signature is on paper, kept
in the file, and who received it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, particulars
from server.domain.access import case_for_staff
from server.domain.agreements.reading import load, version_of
from server.domain.agreements.signing import INTENT, INTENT_TEXT, open_for_signing
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, require_staff
from server.domain.staffkeys import Prepared, StaffKeys
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body, sha256_hex
from server.models import Agreement, AgreementSignature, Case, CaseDocument, EvidenceKeyCase, Party, utcnow

#: The purpose of the mediator's statement that a party signed on paper (a staff-key hook).
PAPER_PURPOSE = "agreement_paper"
PAPER = "paper"
#: What a scan of a signed page may be: a photo or a PDF (the case file checks the bytes).
SCAN_TYPES = ("image/jpeg", "image/png", "application/pdf")
#: Where the mediator read the text to the party.
READ_METHODS = ("read_by_phone", "read_in_session", "read_in_person")
READ_TEXT = "调解员已向当事人完整宣读本协议定稿。The mediator read the final text of this agreement to the party in full."


async def signing_party(db: AsyncSession, case: Case, party_id: str) -> Party:
    """A party of the case who signs what the parties sign (an applicant or a respondent)."""
    party = await db.get(Party, party_id)
    if party is None or party.case_id != case.id:
        raise InvalidInput("no such party in this case", [FieldError("party_id", "not a party of this case", "not_party")])
    if party.id not in {p.id for p in particulars.signing_parties([party])}:
        raise InvalidInput(
            "only the parties themselves sign the agreement",
            [FieldError("party_id", "an applicant or respondent", "not_a_signer")],
        )
    return party


async def filed_scan(db: AsyncSession, case: Case, document_id: str) -> CaseDocument:
    """The photo or scan of a signed page, uploaded to this case's file (and not destroyed)."""
    scan = await db.get(CaseDocument, document_id)
    if scan is None or scan.case_id != case.id or scan.kind != "upload" or scan.destroyed_at is not None:
        raise InvalidInput(
            "no such scan in this case's file", [FieldError("document_id", "a file uploaded to this case", "no_scan")]
        )
    if scan.content_type not in SCAN_TYPES:
        raise InvalidInput("the scan must be a photo or a PDF", [FieldError("document_id", "JPEG, PNG or PDF", "scan_type")])
    return scan


class PaperSignatures:
    """Reading the final text to a party, and their signature on paper received and attested."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, staff_keys: StaffKeys) -> None:
        self._maker = maker
        self._ledger = ledger
        self._staff_keys = staff_keys

    async def read_aloud(self, principal: Principal | None, case_id: str, *, party_id: str, method: str) -> int:
        """Log that I read the final text to this party; returns the record's seq."""
        if method not in READ_METHODS:
            raise InvalidInput("unknown method", [FieldError("method", "one of " + ", ".join(READ_METHODS), "choice")])
        require_staff(principal, "mediator")
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True, assigned=True, changes=True)
            agreement = await load(db, case.id)
            if agreement.final_version is None:
                raise Conflict("there is no final version to read yet", reason="not_final")
            party = await signing_party(db, case, party_id)
            final = await version_of(db, agreement, agreement.final_version)
            appended = await self._ledger.append_platform(
                db,
                type="agreement_read_aloud",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={"name": party.name, "role": party.role, "reader": staff.display_name, "method": method,
                      "statement": READ_TEXT, "text": final.text},
                public={
                    "agreement": agreement.id,
                    "version": final.number,
                    "text_hash": final.text_sha256,
                    "method": method,
                    "subject": {"kind": "party", "id": party.id},
                },
            )  # fmt: skip
            history.record(db, case.id, staff, "agreement_read_aloud", seq=appended.record.seq, party_id=party.id, method=method)
            return appended.record.seq

    async def prepare(
        self, principal: Principal | None, case_id: str, *, party_id: str, document_id: str, key_id: str
    ) -> Prepared:
        """The statement that this party signed the final version on the scanned page, for my key."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, staff, case_id, write=True, assigned=True, changes=True)
            agreement = await load(db, case.id)
            open_for_signing(agreement, agreement.final_version or 0)
            party = await signing_party(db, case, party_id)
            if await db.get(AgreementSignature, (agreement.id, party.id)) is not None:
                raise Conflict(f"{party.name} has signed this agreement already", reason="signed", name=party.name)
            scan = await filed_scan(db, case, document_id)
            info = await self._staff_keys.own_key(db, staff, key_id)
            if await db.get(EvidenceKeyCase, (info.id, case.id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            claim, body = await self._claim(db, agreement, staff, party, scan)
            return await self._staff_keys.prepare(db, staff, info, claim, body, PAPER_PURPOSE)

    async def _claim(
        self, db: AsyncSession, agreement: Agreement, staff: Staff, party: Party, scan: CaseDocument
    ) -> tuple[Claim, dict[str, Any]]:
        assert agreement.final_version is not None and agreement.pdf_document_id is not None
        final = await version_of(db, agreement, agreement.final_version)
        pdf = await db.get(CaseDocument, agreement.pdf_document_id)
        assert pdf is not None
        body = make_body(
            {"name": party.name, "role": party.role, "intent": INTENT_TEXT, "method": PAPER, "text": final.text,
             "received_by": staff.display_name, "scan": scan.name}
        )  # fmt: skip
        public = {
            "agreement": agreement.id,
            "version": final.number,
            "text_hash": final.text_sha256,
            "pdf_hash": pdf.sha256,
            "role": party.role,
            "intent": INTENT,
            "method": PAPER,
            "subject": {"kind": "party", "id": party.id},
            "scan": {"document": scan.id, "sha256": scan.sha256},
        }
        actor = {"kind": "staff", "id": staff.user_id, "role": staff.role}
        return Claim(self._ledger.origin, "signature", agreement.case_id, actor, body_hash(body), public), body

    # -- the staff key's hook: the party's place among the signers, with the attesting record ----------

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        agreement = await db.scalar(select(Agreement).where(Agreement.id == claim.public["agreement"]).with_for_update())
        assert agreement is not None
        open_for_signing(agreement, int(claim.public["version"]))
        party = await db.get(Party, claim.public["subject"]["id"])
        if party is None:
            raise NotFound("no such party in this case", reason="no_such_party")
        if await db.get(AgreementSignature, (agreement.id, party.id)) is not None:
            raise Conflict(f"{party.name} has signed this agreement already", reason="signed", name=party.name)
        db.add(
            AgreementSignature(
                agreement_id=agreement.id,
                signer_id=party.id,
                signer_kind="party",
                role=party.role,
                name=party.name,
                version=int(claim.public["version"]),
                method=PAPER,
                key_id=key.id,
                seq=seq,
                claim_hash=sha256_hex(claim.statement),
                signed_at=utcnow(),
            )
        )
        history.record(db, agreement.case_id, staff, "agreement_signed_on_paper", seq=seq, party_id=party.id)

    async def after(self, staff: Staff, claim: Claim) -> None:
        """Nothing follows: the mediator signs last, as for any party (signing.py)."""
