"""What a party, the case's mediator and the court see of an application to confirm an agreement.

A party reads their own case's application; staff read a case as ``case_for_staff(court=True)``
lets them. The court's view adds what its file holds: the materials, every party with their
contacts, and the judges' notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import particulars
from server.domain.access import case_for_staff
from server.domain.links import IssuedLink
from server.domain.principal import PartyPrincipal, Principal, require_party
from server.models import (
    Case,
    CaseDocument,
    CaseEvent,
    ConfirmationApplication,
    ConfirmationSigner,
    JudgeNote,
    MediationSession,
    Organisation,
    Party,
    User,
)

#: The history line of a mediator's attestation that a party co-signed the application on paper (#25).
PAPER_SIGNED = "confirmation_signed_on_paper"


@dataclass(frozen=True)
class PaperReceipt:
    """A party's signature on the paper application: who received and attested it, and the scanned page."""

    received_by: str
    document_id: str | None


async def paper_receipts(db: AsyncSession, case_id: str) -> dict[int, PaperReceipt]:
    """Each attested signature on paper by its record's seq, as the attestation's history line says
    (written in the same transaction as the record, by the mediator who signed it: paper.py)."""
    lines = await db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == PAPER_SIGNED))
    return {
        int(e.data["seq"]): PaperReceipt(e.actor_name, e.data.get("document_id"))
        for e in lines
        if isinstance(e.data.get("seq"), int)
    }


@dataclass
class ApplicationView:
    application: ConfirmationApplication
    case: Case
    organisation: Organisation
    court: Organisation
    signers: list[dict[str, Any]]
    judge: User | None
    hearing: MediationSession | None
    ruling: CaseDocument | None
    materials: list[CaseDocument] = field(default_factory=list)
    notes: list[JudgeNote] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)  # with their phone numbers and addresses, for the court
    #: Each party's way into a hearing just scheduled, with its PIN in clear: only in that answer (#25).
    hearing_links: list[IssuedLink] = field(default_factory=list)


async def case_of(db: AsyncSession, principal: Principal | None, case_id: str | None) -> Case:
    """A party's own case, or the one staff name (and may read)."""
    if isinstance(principal, PartyPrincipal):
        case = await db.get(Case, principal.case_id)
        assert case is not None
        return case
    if case_id is None:
        require_party(principal)
    assert case_id is not None
    _, case = await case_for_staff(db, principal, case_id, court=True, supervise=True)
    return case


async def view_of(db: AsyncSession, application: ConfirmationApplication, *, court: bool = False) -> ApplicationView:
    case = await db.get(Case, application.case_id)
    assert case is not None
    organisation = await db.get(Organisation, case.organisation_id)
    court_org = await db.get(Organisation, application.court_id)
    assert organisation is not None and court_org is not None
    signed = {
        s.party_id: s
        for s in await db.scalars(select(ConfirmationSigner).where(ConfirmationSigner.application_id == application.id))
    }
    parties = particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id))))
    receipts = await paper_receipts(db, case.id) if any(s.method == "paper" for s in signed.values()) else {}
    signers = [
        {
            "party_id": p.id,
            "name": p.name,
            "role": p.role,
            "signed_at": signed[p.id].signed_at.isoformat() if p.id in signed else None,
            "method": signed[p.id].method if p.id in signed else None,
            "seq": signed[p.id].seq if p.id in signed else None,
            # On paper (#25): the mediator who received the signed page and attested it with their key.
            "received_by": receipt.received_by if p.id in signed and (receipt := receipts.get(signed[p.id].seq)) else None,
        }
        for p in parties
    ]
    judge = await db.get(User, application.judge_id) if application.judge_id else None
    hearing = await db.get(MediationSession, application.hearing_session_id) if application.hearing_session_id else None
    ruling = await db.get(CaseDocument, application.decision_document_id) if application.decision_document_id else None
    view = ApplicationView(application, case, organisation, court_org, signers, judge, hearing, ruling)
    if court:
        view.materials = list(
            await db.scalars(
                select(CaseDocument)
                .where(
                    CaseDocument.case_id == case.id,
                    CaseDocument.kind.in_(("application", "agreement", "signed_agreement", "transcript", "upload", "ruling")),
                )
                .order_by(CaseDocument.created_at)
            )
        )
        view.parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
        view.notes = list(
            await db.scalars(select(JudgeNote).where(JudgeNote.application_id == application.id).order_by(JudgeNote.created_at))
        )
    return view
