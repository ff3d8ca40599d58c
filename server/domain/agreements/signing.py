"""Signing the final version: each party with their own key, then the case's mediator with theirs.

People's Mediation Law art. 29: the agreement takes effect once the parties have signed it, the
mediator has signed it and the committee's seal is on it; the court rules for online mediation
(2021) accept electronic signatures for the first two. Each signature is a ``signature`` record:
the signer's statement, signed with their own key (Electronic Signature Law art. 13: under the
signer's sole control), naming the case, the version, the text's and the PDF's SHA-256, their
role and their intent.

A device key is confirmed again with a one-time code to the party's phone, a passkey by its
user verification: whoever holds an unlocked phone or laptop still cannot sign as the party.
The mediator signs last, through their staff key (server/domain/staffkeys.py); once that record
is logged the agreement is sealed (sealing.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, particulars
from server.domain.access import case_for_staff
from server.domain.agreements.reading import case_of, load, signers, version_of
from server.domain.documents import add_document, uploader_of
from server.domain.keybinding import current_party_key
from server.domain.ledger import Ledger
from server.domain.party_signing import (
    PreparedStatement,
    Proof,
    body_method,
    method_of,
    prepare_statement,
    statement_to_sign,
)
from server.domain.principal import Principal, Staff, require_party, require_staff
from server.domain.staffkeys import Prepared as StaffPrepared
from server.domain.staffkeys import StaffKeys
from server.errors import Conflict, FieldError, Forbidden, Gone, InvalidInput
from server.evidence.records import Claim, KeyInfo, body_hash, make_body, sha256_hex, unb64
from server.models import Agreement, AgreementSignature, CaseDocument, EvidenceKeyCase, Party, utcnow
from server.settings import Settings

INTENT = "agree_and_sign"
INTENT_TEXT = (
    "本人已完整阅读本协议，同意并自愿签署。I have read this agreement in full, agree to it and sign it of my own free will."
)
MAX_HANDWRITING = 150 * 1024  # under MEDIATE_MAX_BODY_BYTES once base64-encoded
PNG_DATA_URL = "data:image/png;base64,"


@dataclass(frozen=True)
class Prepared:
    """A party's signature of the final version, waiting for their key (and code)."""

    statement: PreparedStatement
    text_sha256: str
    pdf_sha256: str


def open_for_signing(agreement: Agreement, version: int) -> None:
    """Only the final version is signed, and only before its deadline and before it is sealed."""
    if agreement.status == "drafting":
        raise Conflict("this version is not final yet", reason="not_final")
    if agreement.status == "effective":
        raise Conflict("the agreement is signed and sealed", reason="signed")
    if version != agreement.final_version:
        raise Conflict(
            f"version {version} is superseded; version {agreement.final_version} is the one to sign", reason="superseded"
        )
    if agreement.deadline is not None and agreement.deadline <= utcnow():
        raise Gone("the deadline for signing has passed", reason="deadline")


class Signing:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings, staff_keys: StaffKeys
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._staff_keys = staff_keys

    async def _signature_claim(
        self, db: AsyncSession, agreement: Agreement, actor: dict[str, str], name: str, method: str
    ) -> tuple[Claim, dict[str, Any]]:
        assert agreement.final_version is not None and agreement.pdf_document_id is not None
        row = await version_of(db, agreement, agreement.final_version)
        pdf = await db.get(CaseDocument, agreement.pdf_document_id)
        assert pdf is not None
        body = make_body({"name": name, "intent": INTENT_TEXT, "method": method, "text": row.text})
        public = {
            "agreement": agreement.id,
            "version": row.number,
            "text_hash": row.text_sha256,
            "pdf_hash": pdf.sha256,
            "role": actor.get("role", ""),
            "intent": INTENT,
        }
        return Claim(self._ledger.origin, "signature", agreement.case_id, actor, body_hash(body), public), body

    # -- a party signs --------------------------------------------------------------------------

    async def prepare_party(self, principal: Principal | None, version: int, text_sha256: str | None) -> Prepared:
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            case, party = await case_of(db, me, None)
            assert party is not None
            agreement = await load(db, case.id)
            open_for_signing(agreement, version)
            if party.id not in {p.id for p in particulars.signing_parties([party])}:
                raise Forbidden("only the parties themselves sign the agreement", reason="not_a_signer")
            if await db.get(AgreementSignature, (agreement.id, party.id)) is not None:
                raise Conflict("you have signed this agreement already", reason="signed")
            final = await version_of(db, agreement, version)
            if text_sha256 is not None and text_sha256 != final.text_sha256:
                raise Conflict("the text you were shown is not the final text; reload it", reason="text_mismatch")
            key = await current_party_key(db, party)
            actor = {"kind": "party", "id": party.id, "role": party.role}
            claim, body = await self._signature_claim(db, agreement, actor, party.name, body_method(self._settings, party, key))
            prepared = await prepare_statement(
                db, self._settings, me, party, key, claim, body,
                purpose="agreement_sign", use="确认由您本人签署调解协议", extra={"agreement": agreement.id},
            )  # fmt: skip
        return Prepared(prepared, final.text_sha256, str(claim.public["pdf_hash"]))

    async def sign_party(
        self, principal: Principal | None, challenge: str, proof: Proof, *, handwriting: str | None = None
    ) -> int:
        me = require_party(principal, changes=True)
        drawn = _handwriting(handwriting)
        async with statement_to_sign(self._maker, self._ledger, me, challenge, "agreement_sign") as (db, statement):
            agreement = await db.scalar(select(Agreement).where(Agreement.id == statement.data["agreement"]).with_for_update())
            assert agreement is not None
            version = int(statement.data["claim"]["public"]["version"])
            open_for_signing(agreement, version)
            if await db.get(AgreementSignature, (agreement.id, me.party_id)) is not None:
                raise Conflict("you have signed this agreement already", reason="signed")
            signed = await statement.sign(proof)
            party = await db.get(Party, me.party_id)
            assert party is not None
            drawn_id = None
            if drawn is not None:
                doc = await add_document(
                    db, self._ledger, agreement.case_id, uploader_of(me, party), kind="handwriting",
                    name=f"手写签名-{party.name}.png", content_type="image/png", data=drawn, visible_to=[],
                )  # fmt: skip
                drawn_id = doc.id
            db.add(
                AgreementSignature(
                    agreement_id=agreement.id,
                    signer_id=party.id,
                    signer_kind="party",
                    role=party.role,
                    name=party.name,
                    version=version,
                    method=signed.method,
                    key_id=signed.key.id,
                    seq=signed.seq,
                    claim_hash=signed.claim_hash,
                    handwriting_document_id=drawn_id,
                    signed_at=utcnow(),
                )
            )
            history.record(
                db, agreement.case_id, me, "agreement_signed", seq=signed.seq, key_id=signed.key.id, method=signed.method
            )
        return signed.seq

    # -- the mediator signs last ----------------------------------------------------------------------

    async def prepare_mediator(self, principal: Principal | None, case_id: str, key_id: str) -> StaffPrepared:
        staff = require_staff(principal, "mediator")
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, staff, case_id, changes=True)
            if case.mediator_id != staff.user_id:
                raise Forbidden("the case's own mediator signs its agreement", reason="not_case_mediator")
            agreement = await load(db, case.id)
            open_for_signing(agreement, agreement.final_version or 0)
            everyone = await signers(db, agreement, case)
            missing = [s["name"] for s in everyone if s["kind"] == "party" and not s["signed_at"]]
            if missing:
                raise Conflict("the parties sign first: " + "、".join(missing), reason="parties_first", missing=missing)
            info = await self._staff_keys.own_key(db, staff, key_id)
            if await db.get(EvidenceKeyCase, (info.id, case.id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            actor = {"kind": "staff", "id": staff.user_id, "role": staff.role}
            claim, body = await self._signature_claim(db, agreement, actor, staff.display_name, "staff_key")
            return await self._staff_keys.prepare(db, staff, info, claim, body, "agreement_sign")

    async def mediator_signed(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        """The mediator's signature row, in the transaction that logs their ``signature`` record."""
        agreement = await db.scalar(select(Agreement).where(Agreement.id == claim.public["agreement"]).with_for_update())
        assert agreement is not None
        open_for_signing(agreement, int(claim.public["version"]))
        if await db.get(AgreementSignature, (agreement.id, staff.user_id)) is not None:
            raise Conflict("you have signed this agreement already", reason="signed")
        db.add(
            AgreementSignature(
                agreement_id=agreement.id,
                signer_id=staff.user_id,
                signer_kind="staff",
                role="mediator",
                name=staff.display_name,
                version=int(claim.public["version"]),
                method=method_of(key),
                key_id=key.id,
                seq=seq,
                claim_hash=sha256_hex(claim.statement),
                signed_at=utcnow(),
            )
        )


def _handwriting(value: str | None) -> bytes | None:
    if value is None or value == "":
        return None
    if not value.startswith(PNG_DATA_URL):
        raise InvalidInput(
            "the drawn signature must be a PNG image", [FieldError("handwriting", "data:image/png;base64,…", "handwriting")]
        )
    try:
        data = unb64(value[len(PNG_DATA_URL) :])
    except ValueError:
        raise InvalidInput(
            "the drawn signature is not base64", [FieldError("handwriting", "bad base64", "handwriting")]
        ) from None
    if len(data) > MAX_HANDWRITING or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidInput(
            "the drawn signature is not a PNG of at most 150 KB", [FieldError("handwriting", "PNG, ≤ 150 KB", "handwriting")]
        )
    return data
