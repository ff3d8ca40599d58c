"""The mediation agreement: drafted in numbered versions, made final, signed by each party with
their own key, then by the mediator, sealed by the organisation and delivered.

People's Mediation Law art. 29: a written agreement takes effect once the parties have signed
(or sealed, or thumb-printed) it, the mediator has signed it and the committee's seal is on it.
The court rules for online mediation (2021) accept electronic signatures for the first two and
ask for delivery through the platform. Here every step is a record in the case's evidence log:

- ``agreement_version``: each saved version's number and text hash (the text is its body); the
  version declared final carries the SHA-256 of its PDF and the signing deadline;
- ``signature``: a party's or the mediator's statement, signed with their own key (Electronic
  Signature Law art. 13: under the signer's sole control), naming the case, the version, the
  text's and the PDF's SHA-256, their role and their intent;
- ``agreement_sealed``: the final document (signature page, evidence certificate) sealed with
  the organisation's PAdES signature;
- ``delivery``: the sealed document made available to each party, and their receipt.

A device key is confirmed again with a one-time code to the party's phone, a passkey by its
user verification: whoever holds an unlocked phone or laptop still cannot sign as the party.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import agreement_text as words
from server.domain import history
from server.domain.agreement_seal import AFTER_SEAL, Sealer
from server.domain.cases import case_for_staff
from server.domain.documents import Uploader, add_document, uploader_of
from server.domain.keybinding import (
    current_party_key,
    refuse_code,
)
from server.domain.ledger import Ledger
from server.domain.party_signing import (
    PreparedStatement,
    body_method,
    method_of,
    open_statement,
    prepare_statement,
    sign_statement,
)
from server.domain.principal import PartyPrincipal, Principal, Staff, require_party, require_staff
from server.domain.staffkeys import StaffKeys
from server.errors import Conflict, FieldError, Forbidden, Gone, InvalidInput, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body, sha256_hex, unb64
from server.models import (
    Agreement,
    AgreementComment,
    AgreementSignature,
    AgreementVersion,
    AuthSession,
    Case,
    CaseDocument,
    EvidenceKeyCase,
    LogEntry,
    MediationSession,
    Organisation,
    Party,
    PartyLink,
    User,
    utcnow,
)
from server.settings import Settings

log = logging.getLogger(__name__)

INTENT = "agree_and_sign"
INTENT_TEXT = (
    "本人已完整阅读本协议，同意并自愿签署。I have read this agreement in full, agree to it and sign it of my own free will."
)
MAX_COMMENT = 2000
MAX_HANDWRITING = 150 * 1024  # under MEDIATE_MAX_BODY_BYTES once base64-encoded
PNG_DATA_URL = "data:image/png;base64,"


@dataclass(frozen=True)
class Prepared:
    """A party's signature of the final version, waiting for their key (and code)."""

    statement: PreparedStatement
    text_sha256: str
    pdf_sha256: str


@dataclass
class View:
    agreement: Agreement
    latest: AgreementVersion
    versions: list[AgreementVersion]
    comments: list[AgreementComment]
    signers: list[dict[str, Any]]
    pdf_sha256: str | None
    me: dict[str, Any] | None = None


class Agreements:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        ledger: Ledger,
        settings: Settings,
        staff_keys: StaffKeys,
        sealer: Sealer,
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._staff_keys = staff_keys
        self._sealer = sealer
        staff_keys.hooks["agreement_sign"] = _MediatorSigned(self)

    @property
    def sealer(self) -> Sealer:
        return self._sealer

    # -- reading --------------------------------------------------------------------------------

    async def _load(self, db: AsyncSession, case_id: str, *, lock: bool = False) -> Agreement:
        query = select(Agreement).where(Agreement.case_id == case_id)
        if lock:
            query = query.with_for_update()
        agreement = await db.scalar(query)
        if agreement is None:
            raise NotFound("this case has no agreement yet", reason="no_agreement")
        return agreement

    async def _version(self, db: AsyncSession, agreement: Agreement, number: int) -> AgreementVersion:
        version = await db.get(AgreementVersion, (agreement.id, number))
        if version is None:
            raise NotFound(f"no version {number}")
        return version

    async def _case_of(self, db: AsyncSession, principal: Principal | None, case_id: str | None) -> tuple[Case, Party | None]:
        if isinstance(principal, PartyPrincipal):
            if case_id is not None and case_id != principal.case_id:
                raise Forbidden("this is another case")
            case = await db.get(Case, principal.case_id)
            party = await db.get(Party, principal.party_id)
            assert case is not None and party is not None
            return case, party
        if case_id is None:
            require_party(principal)
        assert case_id is not None
        _, case = await case_for_staff(db, principal, case_id, court=True)
        return case, None

    async def _signers(self, db: AsyncSession, agreement: Agreement, case: Case) -> list[dict[str, Any]]:
        parties = words.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id))))
        mediator_name = await db.scalar(select(User.display_name).where(User.id == case.mediator_id))
        given = {
            s.signer_id: s
            for s in await db.scalars(select(AgreementSignature).where(AgreementSignature.agreement_id == agreement.id))
        }
        out = []
        wanted: list[tuple[str, str, str, str]] = [("party", p.id, p.name, p.role) for p in parties]
        wanted.append(("staff", case.mediator_id, str(mediator_name or ""), "mediator"))
        for kind, who, name, role in wanted:
            sig = given.get(who)
            out.append(
                {
                    "kind": kind,
                    "id": who,
                    "name": sig.name if sig else name,
                    "role": role,
                    "signed_at": sig.signed_at.isoformat() if sig else None,
                    "method": sig.method if sig else None,
                    "seq": sig.seq if sig else None,
                    "has_handwriting": bool(sig and sig.handwriting_document_id),
                }
            )
        return out

    async def _view(self, db: AsyncSession, agreement: Agreement, case: Case, party: Party | None) -> View:
        versions = list(
            await db.scalars(
                select(AgreementVersion).where(AgreementVersion.agreement_id == agreement.id).order_by(AgreementVersion.number)
            )
        )
        query = select(AgreementComment).where(AgreementComment.agreement_id == agreement.id)
        if party is not None:  # a party sees their own comments; the mediator sees all
            query = query.where(AgreementComment.author_id == party.id)
        comments = list(await db.scalars(query.order_by(AgreementComment.created_at)))
        signers = await self._signers(db, agreement, case)
        pdf = await db.get(CaseDocument, agreement.pdf_document_id) if agreement.pdf_document_id else None
        view = View(agreement, versions[-1], versions, comments, signers, pdf.sha256 if pdf else None)
        if party is not None:
            mine = next((s for s in signers if s["id"] == party.id), None)
            view.me = {"kind": "party", "id": party.id, "must_sign": mine is not None, "signed": bool(mine and mine["signed_at"])}
        return view

    async def view(self, principal: Principal | None, case_id: str | None) -> View | None:
        async with self._maker() as db:
            case, party = await self._case_of(db, principal, case_id)
            agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
            if agreement is None:
                return None
            return await self._view(db, agreement, case, party)

    async def version(self, principal: Principal | None, case_id: str | None, number: int) -> AgreementVersion:
        async with self._maker() as db:
            case, _ = await self._case_of(db, principal, case_id)
            return await self._version(db, await self._load(db, case.id), number)

    async def diff(self, principal: Principal | None, case_id: str | None, old: int, new: int) -> list[dict[str, str]]:
        async with self._maker() as db:
            case, _ = await self._case_of(db, principal, case_id)
            agreement = await self._load(db, case.id)
            a, b = await self._version(db, agreement, old), await self._version(db, agreement, new)
        return words.diff(a.text, b.text)

    # -- drafting -------------------------------------------------------------------------------

    async def _compose(self, db: AsyncSession, case: Case, content: words.Content) -> str:
        organisation = await db.get(Organisation, case.organisation_id)
        assert organisation is not None
        parties = list(await db.scalars(select(Party).where(Party.case_id == case.id)))
        return words.compose(content, case, organisation, parties)

    async def _save_version(
        self, db: AsyncSession, staff: Staff, case: Case, agreement: Agreement, content: words.Content
    ) -> AgreementVersion:
        text = await self._compose(db, case, content)
        number = agreement.latest_version + 1
        digest = sha256_hex(text.encode())
        appended = await self._ledger.append_platform(
            db,
            type="agreement_version",
            case=case.id,
            actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
            data={"text": text, "author": staff.display_name},
            public={"agreement": agreement.id, "version": number, "text_hash": digest, "final": False},
        )
        version = AgreementVersion(
            agreement_id=agreement.id,
            number=number,
            content=content.to_json(),
            text=text,
            text_sha256=digest,
            author_id=staff.user_id,
            author_name=staff.display_name,
            final=False,
            seq=appended.record.seq,
            created_at=utcnow(),
        )
        db.add(version)
        agreement.latest_version = number
        history.record(db, case.id, staff, "agreement_version", version=number, text_sha256=digest, seq=appended.record.seq)
        return version

    async def create(self, principal: Principal | None, case_id: str, session_id: str | None) -> View:
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            if await db.scalar(select(Agreement.id).where(Agreement.case_id == case.id)) is not None:
                raise Conflict("this case has an agreement already", reason="exists")
            if case.status != "open":
                raise Conflict("this case is closed", reason="closed")
            if session_id is not None:
                session = await db.get(MediationSession, session_id)
                if session is None or session.case_id != case.id:
                    raise InvalidInput("not a session of this case", [FieldError("session_id", "unknown")])
            agreement = Agreement(case_id=case.id, session_id=session_id, created_by=staff.user_id, latest_version=0)
            db.add(agreement)
            await db.flush()
            await self._save_version(db, staff, case, agreement, words.template(case))
            return await self._view(db, agreement, case, None)

    async def save(self, principal: Principal | None, case_id: str, content: Any, based_on: int) -> View:
        parsed = words.parse_content(content)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            agreement = await self._load(db, case.id, lock=True)
            if agreement.status != "drafting":
                raise Conflict("the agreement is final; it can no longer be changed", reason="final")
            if based_on != agreement.latest_version:
                raise Conflict(
                    f"version {agreement.latest_version} was saved since you opened version {based_on}", reason="stale"
                )
            await self._save_version(db, staff, case, agreement, parsed)
            return await self._view(db, agreement, case, None)

    async def comment(
        self, principal: Principal | None, version: int, clause: str, text: str, proposal: str | None
    ) -> AgreementComment:
        me = require_party(principal)
        text, proposal = text.strip(), (proposal or "").strip() or None
        if not text and not proposal:
            raise InvalidInput("write a comment or propose wording", [FieldError("text", "required")])
        if len(text) > MAX_COMMENT or len(proposal or "") > MAX_COMMENT:
            raise InvalidInput("too long", [FieldError("text", f"at most {MAX_COMMENT} characters")])
        async with self._maker() as db, db.begin():
            case, party = await self._case_of(db, me, None)
            assert party is not None
            agreement = await self._load(db, case.id)
            if agreement.status != "drafting":
                raise Conflict("the agreement is final; comments are closed", reason="final")
            row = await self._version(db, agreement, version)
            if clause not in {c["id"] for c in words.clauses(words.parse_content(row.content))}:
                raise InvalidInput("no such clause", [FieldError("clause", "one of the version's clauses")])
            comment = AgreementComment(
                agreement_id=agreement.id,
                version=version,
                clause=clause,
                author_kind="party",
                author_id=party.id,
                author_name=party.name,
                author_role=party.role,
                text=text,
                proposal=proposal,
                created_at=utcnow(),
            )
            db.add(comment)
            history.record(db, case.id, me, "agreement_comment", version=version, clause=clause)
            return comment

    # -- making it final ------------------------------------------------------------------------

    async def finalise(self, principal: Principal | None, case_id: str, version: int, deadline: datetime) -> View:
        if deadline <= utcnow() + timedelta(minutes=5):
            raise InvalidInput("the deadline must be in the future", [FieldError("deadline", "in the future")])
        if deadline > utcnow() + timedelta(days=90):
            raise InvalidInput("the deadline is too far away", [FieldError("deadline", "within 90 days")])
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            agreement = await self._load(db, case.id, lock=True)
            if agreement.status != "drafting":
                raise Conflict("the agreement is final already", reason="final")
            if version != agreement.latest_version:
                raise Conflict(f"only the latest version ({agreement.latest_version}) can be made final", reason="stale")
            row = await self._version(db, agreement, version)
            organisation = await db.get(Organisation, case.organisation_id)
            assert organisation is not None
            pdf = await self._sealer.agreement_pdf(organisation.name, case.case_number, row.number, row.text, row.text_sha256)
            doc = await add_document(
                db,
                self._ledger,
                case.id,
                uploader_of(staff),
                kind="agreement",
                name=f"调解协议书-第{row.number}版.pdf",
                content_type="application/pdf",
                data=pdf,
            )
            appended = await self._ledger.append_platform(
                db,
                type="agreement_version",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={"text": row.text, "author": staff.display_name},
                public={
                    "agreement": agreement.id,
                    "version": row.number,
                    "text_hash": row.text_sha256,
                    "final": True,
                    "pdf_hash": doc.sha256,
                    "document": doc.id,
                    "deadline": deadline.isoformat(),
                },
            )
            agreement.status, agreement.final_version = "final", row.number
            agreement.deadline, agreement.pdf_document_id = deadline, doc.id
            await self._keep_links_open(db, case.id, deadline + timedelta(hours=1))
            history.record(
                db, case.id, staff, "agreement_final", version=row.number, seq=appended.record.seq, pdf_sha256=doc.sha256
            )
            return await self._view(db, agreement, case, None)

    async def _keep_links_open(self, db: AsyncSession, case_id: str, until: datetime) -> None:
        """A party signs later, or fetches the sealed document, from the link they already have."""
        parties = select(Party.id).where(Party.case_id == case_id)
        for table in (PartyLink, AuthSession):
            await db.execute(
                update(table)
                .where(table.party_id.in_(parties), table.revoked_at.is_(None), table.expires_at < until)
                .values(expires_at=until)
            )

    # -- a party signs --------------------------------------------------------------------------

    def _open_for_signing(self, agreement: Agreement, version: int) -> None:
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

    async def _signature_claim(
        self, db: AsyncSession, agreement: Agreement, actor: dict[str, str], name: str, method: str
    ) -> tuple[Claim, dict[str, Any]]:
        assert agreement.final_version is not None and agreement.pdf_document_id is not None
        row = await self._version(db, agreement, agreement.final_version)
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

    async def prepare_party(self, principal: Principal | None, version: int, text_sha256: str | None) -> Prepared:
        me = require_party(principal)
        async with self._maker() as db, db.begin():
            case, party = await self._case_of(db, me, None)
            assert party is not None
            agreement = await self._load(db, case.id)
            self._open_for_signing(agreement, version)
            if party.id not in {p.id for p in words.signing_parties([party])}:
                raise Forbidden("only the parties themselves sign the agreement")
            if await db.get(AgreementSignature, (agreement.id, party.id)) is not None:
                raise Conflict("you have signed this agreement already", reason="signed")
            final = await self._version(db, agreement, version)
            if text_sha256 is not None and text_sha256 != final.text_sha256:
                raise Conflict("the text you were shown is not the final text; reload it", reason="text_mismatch")
            key = await current_party_key(db, party)
            actor = {"kind": "party", "id": party.id, "role": party.role}
            claim, body = await self._signature_claim(db, agreement, actor, party.name, body_method(key))
            prepared = await prepare_statement(
                db, self._settings, me, party, key, claim, body,
                purpose="agreement_sign", use="确认由您本人签署调解协议", extra={"agreement": agreement.id},
            )  # fmt: skip
        return Prepared(prepared, final.text_sha256, str(claim.public["pdf_hash"]))

    async def sign_party(
        self,
        principal: Principal | None,
        challenge: str,
        *,
        code: str | None = None,
        signature: str | None = None,
        credential: dict[str, Any] | None = None,
        handwriting: str | None = None,
    ) -> int:
        me = require_party(principal)
        drawn = _handwriting(handwriting)
        tries_left: int | None = None
        seq = 0
        async with self._maker() as db, db.begin():
            row = await open_statement(db, me, challenge, "agreement_sign")
            assert row.data is not None
            agreement = await db.scalar(select(Agreement).where(Agreement.id == row.data["agreement"]).with_for_update())
            assert agreement is not None
            version = int(row.data["claim"]["public"]["version"])
            self._open_for_signing(agreement, version)
            if await db.get(AgreementSignature, (agreement.id, me.party_id)) is not None:
                raise Conflict("you have signed this agreement already", reason="signed")
            signed = await sign_statement(db, self._ledger, row, challenge, code=code, signature=signature, credential=credential)
            if isinstance(signed, int):
                tries_left = signed
            else:
                seq = signed.seq
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
                        method=method_of(signed.key),
                        key_id=signed.key.id,
                        seq=seq,
                        claim_hash=signed.claim_hash,
                        handwriting_document_id=drawn_id,
                        signed_at=utcnow(),
                    )
                )
                history.record(
                    db, agreement.case_id, me, "agreement_signed", seq=seq, key_id=signed.key.id, method=method_of(signed.key)
                )
        if tries_left is not None:
            raise refuse_code(tries_left)
        return seq

    # -- the mediator signs, then the seal ----------------------------------------------------------

    async def prepare_mediator(self, principal: Principal | None, case_id: str, key_id: str) -> Any:
        staff = require_staff(principal, "mediator")
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, staff, case_id)
            if case.mediator_id != staff.user_id:
                raise Forbidden("the case's own mediator signs its agreement")
            agreement = await self._load(db, case.id)
            self._open_for_signing(agreement, agreement.final_version or 0)
            signers = await self._signers(db, agreement, case)
            missing = [s["name"] for s in signers if s["kind"] == "party" and not s["signed_at"]]
            if missing:
                raise Conflict("the parties sign first: " + "、".join(missing), reason="parties_first", missing=missing)
            info = await self._staff_keys.own_key(db, staff, key_id)
            if await db.get(EvidenceKeyCase, (info.id, case.id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            actor = {"kind": "staff", "id": staff.user_id, "role": staff.role}
            claim, body = await self._signature_claim(db, agreement, actor, staff.display_name, "staff_key")
            return await self._staff_keys.prepare(db, staff, info, claim, body, "agreement_sign")

    async def mediator_signed(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        agreement = await db.scalar(select(Agreement).where(Agreement.id == claim.public["agreement"]).with_for_update())
        assert agreement is not None
        self._open_for_signing(agreement, int(claim.public["version"]))
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

    async def seal(self, agreement_id: str) -> None:
        """Make the final document, seal it, log it, deliver it. Safe to run again after a crash."""
        await self._ledger.settle()  # the signature page names each signature's place in the log
        async with self._maker() as db, db.begin():
            agreement = await db.scalar(select(Agreement).where(Agreement.id == agreement_id).with_for_update())
            if agreement is None or agreement.status != "final":
                return
            case = await db.get(Case, agreement.case_id)
            assert case is not None
            signers = await self._signers(db, agreement, case)
            if not all(s["signed_at"] for s in signers):
                return
            organisation = await db.get(Organisation, case.organisation_id)
            assert organisation is not None
            code = agreement.verify_code or _verify_code()
            document = await self._sealer.sealed_document(db, agreement, case, organisation, code)
            doc = await add_document(
                db, self._ledger, case.id, Uploader("platform", None, organisation.name, "platform"), kind="signed_agreement",
                name=f"调解协议书-{case.case_number}-已签署.pdf", content_type="application/pdf", data=document.pdf,
            )  # fmt: skip
            await self._ledger.append_platform(
                db,
                type="agreement_sealed",
                case=case.id,
                actor={"kind": "platform", "id": "platform"},
                data={"organisation": organisation.name, "seal_certificate": document.certificate_pem},
                public={
                    "agreement": agreement.id,
                    "version": agreement.final_version,
                    "document": doc.id,
                    "signed_pdf_hash": doc.sha256,
                    "pdf_hash": document.agreement_pdf_sha256,
                    "seal_certificate_sha256": document.certificate_sha256,
                    "signatures": [s["seq"] for s in signers],
                },
            )
            agreement.status, agreement.signed_document_id = "effective", doc.id
            agreement.verify_code, agreement.sealed_at = code, utcnow()
            case.status, case.closed_at = "settled", utcnow()
            await self._keep_links_open(db, case.id, utcnow() + AFTER_SEAL)
            history.record(db, case.id, None, "agreement_sealed", document_id=doc.id, sha256=doc.sha256)
            await self._sealer.deliver(db, self._ledger, agreement, case, doc)

    async def recover(self) -> None:
        """Seal what a crash left fully signed but unsealed."""
        async with self._maker() as db:
            ids = list(await db.scalars(select(Agreement.id).where(Agreement.status == "final")))
        for agreement_id in ids:
            await self.seal(agreement_id)

    # -- the documents ------------------------------------------------------------------------------

    async def pdf(self, principal: Principal | None, case_id: str | None, kind: str) -> CaseDocument:
        async with self._maker() as db, db.begin():
            case, party = await self._case_of(db, principal, case_id)
            agreement = await self._load(db, case.id)
            wanted = agreement.pdf_document_id if kind == "agreement" else agreement.signed_document_id
            if wanted is None:
                raise NotFound("there is no such document yet", reason="not_ready")
            doc = await db.get(CaseDocument, wanted)
            assert doc is not None
            if party is not None and kind == "signed":
                await self._sealer.receipt(db, self._ledger, agreement, party, principal)
            return doc

    async def verification(self, code: str) -> dict[str, Any]:
        """What anyone holding the document's code may learn: hashes, roles, times; names masked."""
        code = code.strip().upper()
        if len(code) != 9:
            raise NotFound("no agreement has this code")
        async with self._maker() as db:
            agreement = await db.scalar(select(Agreement).where(Agreement.verify_code == code))
            if agreement is None or agreement.final_version is None:
                raise NotFound("no agreement has this code")
            case = await db.get(Case, agreement.case_id)
            organisation = await db.get(Organisation, case.organisation_id) if case else None
            version = await self._version(db, agreement, agreement.final_version)
            pdf = await db.get(CaseDocument, agreement.pdf_document_id) if agreement.pdf_document_id else None
            signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
            signatures = list(await db.scalars(select(AgreementSignature).where(AgreementSignature.agreement_id == agreement.id)))
            index = {e.seq: e.idx for e in await db.scalars(select(LogEntry).where(LogEntry.case_id == agreement.case_id))}
            assert case is not None and organisation is not None
        order = {"applicant": 0, "respondent": 1, "mediator": 2}
        return {
            "case_number": case.case_number,
            "organisation": organisation.name,
            "title": words.TITLE,
            "version": version.number,
            "status": agreement.status,
            "text_sha256": version.text_sha256,
            "pdf_sha256": pdf.sha256 if pdf else None,
            "signed_pdf_sha256": signed.sha256 if signed else None,
            "sealed_at": agreement.sealed_at.isoformat() if agreement.sealed_at else None,
            "signers": [
                {
                    "role": s.role,
                    "name": s.name[:1] + "*" * max(1, len(s.name) - 1),
                    "signed_at": s.signed_at.isoformat(),
                    "log_index": index.get(s.seq),
                }
                for s in sorted(signatures, key=lambda s: (order.get(s.role, 9), s.signed_at))
            ],
        }


class _MediatorSigned:
    def __init__(self, agreements: Agreements) -> None:
        self._agreements = agreements

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        await self._agreements.mediator_signed(db, staff, claim, seq, key)

    async def after(self, staff: Staff, claim: Claim) -> None:
        # The signature is logged whatever happens here; a seal that fails is applied on the next start.
        try:
            await self._agreements.seal(str(claim.public["agreement"]))
        except Exception:
            log.exception("sealing agreement %s failed; it is retried when the server starts", claim.public["agreement"])


def _handwriting(value: str | None) -> bytes | None:
    if value is None or value == "":
        return None
    if not value.startswith(PNG_DATA_URL):
        raise InvalidInput("the drawn signature must be a PNG image", [FieldError("handwriting", "data:image/png;base64,…")])
    try:
        data = unb64(value[len(PNG_DATA_URL) :])
    except ValueError:
        raise InvalidInput("the drawn signature is not base64", [FieldError("handwriting", "bad base64")]) from None
    if len(data) > MAX_HANDWRITING or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidInput("the drawn signature is not a PNG of at most 150 KB", [FieldError("handwriting", "PNG, ≤ 150 KB")])
    return data


ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone


def _verify_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"
