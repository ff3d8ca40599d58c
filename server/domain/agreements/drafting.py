"""Drafting the agreement: numbered versions the mediator saves, the parties' comments, the final version.

Each saved version is an ``agreement_version`` record in the case's evidence log, with the
SHA-256 of its text (the text is its body). The version declared final also carries the SHA-256
of its PDF and the signing deadline; from then on the text cannot change and the parties sign
it (signing.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, links, turns
from server.domain.access import case_for_staff
from server.domain.agreements import text as words
from server.domain.agreements.obligation import check_parties
from server.domain.agreements.reading import View, case_of, load, version_of, view_of
from server.domain.agreements.sealer import Sealer
from server.domain.clocks import local_day
from server.domain.documents import add_document, uploader_of
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, require_party
from server.errors import Conflict, FieldError, InvalidInput
from server.evidence.records import sha256_hex
from server.models import (
    Agreement,
    AgreementComment,
    AgreementVersion,
    Case,
    MediationSession,
    Organisation,
    Party,
    User,
    utcnow,
)
from server.settings import Settings

MAX_COMMENT = 2000


class Drafting:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings, sealer: Sealer) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._sealer = sealer

    # -- reading --------------------------------------------------------------------------------

    async def view(self, principal: Principal | None, case_id: str | None) -> View | None:
        async with self._maker() as db:
            case, party = await case_of(db, principal, case_id)
            agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
            if agreement is None:
                return None
            return await view_of(db, agreement, case, party)

    async def version(self, principal: Principal | None, case_id: str | None, number: int) -> AgreementVersion:
        async with self._maker() as db:
            case, _ = await case_of(db, principal, case_id)
            return await version_of(db, await load(db, case.id), number)

    async def diff(self, principal: Principal | None, case_id: str | None, old: int, new: int) -> list[dict[str, str]]:
        async with self._maker() as db:
            case, _ = await case_of(db, principal, case_id)
            agreement = await load(db, case.id)
            a, b = await version_of(db, agreement, old), await version_of(db, agreement, new)
        return words.diff(a.text, b.text)

    # -- drafting -------------------------------------------------------------------------------

    async def _compose(self, db: AsyncSession, case: Case, content: words.Content) -> str:
        organisation = await db.get(Organisation, case.organisation_id)
        assert organisation is not None
        parties = list(await db.scalars(select(Party).where(Party.case_id == case.id)))
        mediator = await db.get(User, case.mediator_id)
        return words.compose(content, case, organisation, parties, mediator.display_name if mediator else "")

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
                    raise InvalidInput("not a session of this case", [FieldError("session_id", "unknown", "not_found")])
            agreement = Agreement(case_id=case.id, session_id=session_id, created_by=staff.user_id, latest_version=0)
            db.add(agreement)
            await db.flush()
            await self._save_version(db, staff, case, agreement, words.template(case))
            return await view_of(db, agreement, case, None)

    async def save(self, principal: Principal | None, case_id: str, content: Any, based_on: int) -> View:
        parsed = words.parse_content(content)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            agreement = await load(db, case.id, lock=True)
            if agreement.status != "drafting":
                raise Conflict("the agreement is final; it can no longer be changed", reason="final")
            if based_on != agreement.latest_version:
                raise Conflict(
                    f"version {agreement.latest_version} was saved since you opened version {based_on}", reason="stale"
                )
            if words.obligations(parsed):
                parties = list(await db.scalars(select(Party).where(Party.case_id == case.id)))
                check_parties(words.obligations(parsed), parties, local_day(utcnow()))
            await self._save_version(db, staff, case, agreement, parsed)
            return await view_of(db, agreement, case, None)

    async def comment(
        self, principal: Principal | None, version: int, clause: str, text: str, proposal: str | None
    ) -> AgreementComment:
        me = require_party(principal, changes=True)
        text, proposal = text.strip(), (proposal or "").strip() or None
        if not text and not proposal:
            raise InvalidInput("write a comment or propose wording", [FieldError("text", "required", "comment_required")])
        if len(text) > MAX_COMMENT or len(proposal or "") > MAX_COMMENT:
            raise InvalidInput(
                "too long", [FieldError("text", f"at most {MAX_COMMENT} characters", "too_long", {"max": MAX_COMMENT})]
            )
        async with self._maker() as db, db.begin():
            case, party = await case_of(db, me, None)
            assert party is not None
            agreement = await load(db, case.id)
            if agreement.status != "drafting":
                raise Conflict("the agreement is final; comments are closed", reason="final")
            row = await version_of(db, agreement, version)
            if clause not in {c["id"] for c in words.clauses(words.parse_content(row.content))}:
                raise InvalidInput("no such clause", [FieldError("clause", "one of the version's clauses", "choice")])
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
            raise InvalidInput("the deadline must be in the future", [FieldError("deadline", "in the future", "future")])
        if deadline > utcnow() + timedelta(days=90):
            raise InvalidInput(
                "the deadline is too far away", [FieldError("deadline", "within 90 days", "within_days", {"days": 90})]
            )
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            agreement = await load(db, case.id, lock=True)
            if agreement.status != "drafting":
                raise Conflict("the agreement is final already", reason="final")
            if version != agreement.latest_version:
                raise Conflict(f"only the latest version ({agreement.latest_version}) can be made final", reason="stale")
            row = await version_of(db, agreement, version)
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
            await links.keep_open(db, case.id, deadline + timedelta(hours=1))
            await turns.ask_to_sign(db, self._settings, case, agreement)
            history.record(
                db, case.id, staff, "agreement_final", version=row.number, seq=appended.record.seq, pdf_sha256=doc.sha256
            )
            return await view_of(db, agreement, case, None)
