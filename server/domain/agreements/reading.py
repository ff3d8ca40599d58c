"""Reading an agreement: the row, a version, who must sign it, and what a reader is shown.

Drafting, signing, sealing and the documents all start here, so that each reads the agreement,
its case and its signers the same way. A party reads only their own case; staff read a case
as ``case_for_staff(court=True)`` lets them (its mediator, their organisation, the court it
was sent to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import particulars
from server.domain.access import case_for_staff
from server.domain.principal import PartyPrincipal, Principal, require_party
from server.errors import Forbidden, NotFound
from server.models import (
    Agreement,
    AgreementComment,
    AgreementSignature,
    AgreementVersion,
    Case,
    CaseDocument,
    Party,
    User,
)


@dataclass
class View:
    agreement: Agreement
    latest: AgreementVersion
    versions: list[AgreementVersion]
    comments: list[AgreementComment]
    signers: list[dict[str, Any]]
    pdf_sha256: str | None
    me: dict[str, Any] | None = None


async def load(db: AsyncSession, case_id: str, *, lock: bool = False) -> Agreement:
    query = select(Agreement).where(Agreement.case_id == case_id)
    if lock:
        query = query.with_for_update()
    agreement = await db.scalar(query)
    if agreement is None:
        raise NotFound("this case has no agreement yet", reason="no_agreement")
    return agreement


async def version_of(db: AsyncSession, agreement: Agreement, number: int) -> AgreementVersion:
    version = await db.get(AgreementVersion, (agreement.id, number))
    if version is None:
        raise NotFound(f"no version {number}", reason="no_version", n=number)
    return version


async def case_of(db: AsyncSession, principal: Principal | None, case_id: str | None) -> tuple[Case, Party | None]:
    """The case a reader means: a party's own (``case_id`` None or theirs), or one staff may read."""
    if isinstance(principal, PartyPrincipal):
        if case_id is not None and case_id != principal.case_id:
            raise Forbidden("this is another case", reason="another_case")
        case = await db.get(Case, principal.case_id)
        party = await db.get(Party, principal.party_id)
        assert case is not None and party is not None
        return case, party
    if case_id is None:
        require_party(principal)
    assert case_id is not None
    _, case = await case_for_staff(db, principal, case_id, court=True, supervise=True)
    return case, None


async def signers(db: AsyncSession, agreement: Agreement, case: Case) -> list[dict[str, Any]]:
    """Everyone who signs (the parties, then the case's mediator) and whether and how they have."""
    parties = particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id))))
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


async def view_of(db: AsyncSession, agreement: Agreement, case: Case, party: Party | None) -> View:
    versions = list(
        await db.scalars(
            select(AgreementVersion).where(AgreementVersion.agreement_id == agreement.id).order_by(AgreementVersion.number)
        )
    )
    query = select(AgreementComment).where(AgreementComment.agreement_id == agreement.id)
    if party is not None:  # a party sees their own comments; the mediator sees all
        query = query.where(AgreementComment.author_id == party.id)
    comments = list(await db.scalars(query.order_by(AgreementComment.created_at)))
    everyone = await signers(db, agreement, case)
    pdf = await db.get(CaseDocument, agreement.pdf_document_id) if agreement.pdf_document_id else None
    view = View(agreement, versions[-1], versions, comments, everyone, pdf.sha256 if pdf else None)
    if party is not None:
        mine = next((s for s in everyone if s["id"] == party.id), None)
        view.me = {"kind": "party", "id": party.id, "must_sign": mine is not None, "signed": bool(mine and mine["signed_at"])}
    return view
