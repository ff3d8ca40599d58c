"""One case's facts as the ledger and the statistics read them, from the rows its signed records made.

Each field comes from a row written in the same transaction as a record of the case's evidence log
(``Case.status`` with ``agreement_sealed`` or ``mediation_ended``, ``Obligation.status`` with
``performance_confirmed``, ``ConfirmationApplication.status`` with ``confirmation_applied`` and the
court's decision, ``Case.case_closed_at`` with ``case_closed``, ``SatisfactionRating`` with
``satisfaction_rated``). What each figure makes of them is in ``definitions.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.clocks import case_mediation_clock, local_day
from server.domain.performance import status_of
from server.domain.workdays import Workdays
from server.models import (
    Agreement,
    Case,
    CaseMediator,
    ConfirmationApplication,
    Obligation,
    Organisation,
    Party,
    SatisfactionRating,
    User,
)

#: How many ids go into one ``IN (…)``: well under SQLite's and PostgreSQL's limits on parameters.
CHUNK = 500
#: A court's decision in the applications' statuses; any status but awaiting_cosign was submitted.
SUBMITTED_NOT = "awaiting_cosign"


@dataclass(frozen=True)
class CaseFacts:
    id: str
    case_number: str
    organisation_id: str
    organisation: str
    registered_on: date
    source: str
    dispute_type: str
    applicants: tuple[str, ...]
    respondents: tuple[str, ...]
    #: The amount in dispute registered with the case (fen), if any.
    case_amount_fen: int | None
    #: The lead mediator first, then the co-mediators: (user id, name).
    mediators: tuple[tuple[str, str], ...]
    #: open | settled | failed (Case.status) and, when failed, the ground (outcomes.py).
    status: str
    outcome_reason: str | None
    #: drafting | final | effective, or None without an agreement; the Beijing day it took effect.
    agreement_status: str | None
    sealed_on: date | None
    #: Each instalment's status today (performance.status_of: pending | reported | performed | disputed | overdue).
    obligations: tuple[str, ...]
    #: The sum of the agreement's money instalments (fen).
    agreement_amount_fen: int
    #: The latest application for judicial confirmation's status, and whether any was submitted or confirmed.
    confirmation: str | None
    confirmation_applied: bool
    confirmed: bool
    closed_on: date | None
    closing_reason: str | None
    #: Still being mediated past the mediation period (clocks.case_mediation_clock).
    overdue_mediation: bool
    #: The stars of every rating its parties gave.
    ratings: tuple[int, ...]

    @property
    def stage(self) -> str:
        """closed | settled | failed | open (definitions.STAGES)."""
        if self.closed_on is not None:
            return "closed"
        return self.status if self.status in ("settled", "failed") else "open"

    @property
    def successful(self) -> bool:
        return self.status == "settled" and self.agreement_status == "effective"

    @property
    def with_obligations(self) -> bool:
        return self.successful and bool(self.obligations)

    @property
    def performed(self) -> bool:
        return self.with_obligations and all(s == "performed" for s in self.obligations)

    @property
    def overdue_performance(self) -> bool:
        return any(s in ("overdue", "disputed") for s in self.obligations)

    @property
    def resolved(self) -> bool:
        return self.successful and not self.overdue_performance

    @property
    def amount_fen(self) -> int:
        """The amount involved: the registered amount in dispute, else what the agreement pays."""
        return self.case_amount_fen if self.case_amount_fen is not None else self.agreement_amount_fen

    @property
    def days_to_agreement(self) -> int | None:
        return (self.sealed_on - self.registered_on).days if self.successful and self.sealed_on else None

    @property
    def days_to_closing(self) -> int | None:
        return (self.closed_on - self.registered_on).days if self.closed_on else None

    @property
    def month(self) -> str:
        return self.registered_on.strftime("%Y-%m")

    @property
    def performance(self) -> str | None:
        """none | performing | performed | overdue, or None without obligations in effect."""
        if not self.with_obligations:
            return None
        if self.performed:
            return "performed"
        return "overdue" if self.overdue_performance else "performing"


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


async def facts_of(db: AsyncSession, cases: Sequence[Case], now: datetime, workdays: Workdays) -> list[CaseFacts]:
    """The facts of ``cases``, in their order, with their related rows read in batches."""
    ids = [c.id for c in cases]
    today = local_day(now)
    organisations = {
        o.id: o.name
        for o in await db.scalars(select(Organisation).where(Organisation.id.in_({c.organisation_id for c in cases})))
    }
    parties: dict[str, dict[str, list[str]]] = {}
    mediators: dict[str, list[str]] = {}
    agreements: dict[str, Agreement] = {}
    obligations: dict[str, list[Obligation]] = {}
    applications: dict[str, list[ConfirmationApplication]] = {}
    ratings: dict[str, list[int]] = {}
    for chunk in _chunks(ids):
        for party in await db.scalars(
            select(Party)
            .where(Party.case_id.in_(chunk), Party.role.in_(("applicant", "respondent")))
            .order_by(Party.created_at, Party.id)
        ):
            parties.setdefault(party.case_id, {}).setdefault(party.role, []).append(party.name)
        for case_id, user_id in (
            await db.execute(
                select(CaseMediator.case_id, CaseMediator.user_id)
                .where(CaseMediator.case_id.in_(chunk), CaseMediator.ended_at.is_(None))
                .order_by(CaseMediator.assigned_at, CaseMediator.id)
            )
        ).all():
            mediators.setdefault(case_id, []).append(user_id)
        for found in await db.scalars(select(Agreement).where(Agreement.case_id.in_(chunk))):
            agreements[found.case_id] = found
        for row in await db.scalars(
            select(Obligation).where(Obligation.case_id.in_(chunk)).order_by(Obligation.term, Obligation.instalment)
        ):
            obligations.setdefault(row.case_id, []).append(row)
        for application in await db.scalars(
            select(ConfirmationApplication)
            .where(ConfirmationApplication.case_id.in_(chunk))
            .order_by(ConfirmationApplication.created_at, ConfirmationApplication.id)
        ):
            applications.setdefault(application.case_id, []).append(application)
        for case_id, stars in (
            await db.execute(
                select(SatisfactionRating.case_id, SatisfactionRating.stars).where(SatisfactionRating.case_id.in_(chunk))
            )
        ).all():
            ratings.setdefault(case_id, []).append(stars)
    user_ids = {c.mediator_id for c in cases} | {u for us in mediators.values() for u in us}
    names: dict[str, str] = {}
    for chunk in _chunks(sorted(user_ids)):
        names.update((await db.execute(select(User.id, User.display_name).where(User.id.in_(chunk)))).all())
    out: list[CaseFacts] = []
    for case in cases:
        agreement = agreements.get(case.id)
        # Only the agreement in effect binds anyone: a draft's obligations do not exist yet.
        rows = obligations.get(case.id, []) if agreement is not None and agreement.status == "effective" else []
        apps = applications.get(case.id, [])
        lead = [case.mediator_id] + [u for u in mediators.get(case.id, []) if u != case.mediator_id]
        out.append(
            CaseFacts(
                id=case.id,
                case_number=case.case_number,
                organisation_id=case.organisation_id,
                organisation=organisations.get(case.organisation_id, case.organisation_id),
                registered_on=case.registered_on,
                source=case.source,
                dispute_type=case.dispute_type,
                applicants=tuple(parties.get(case.id, {}).get("applicant", [])),
                respondents=tuple(parties.get(case.id, {}).get("respondent", [])),
                case_amount_fen=case.amount_fen,
                mediators=tuple((u, names.get(u, u)) for u in dict.fromkeys(lead)),
                status=case.status,
                outcome_reason=case.outcome_reason,
                agreement_status=agreement.status if agreement is not None else None,
                sealed_on=local_day(agreement.sealed_at) if agreement is not None and agreement.sealed_at else None,
                obligations=tuple(status_of(r, today) for r in rows),
                agreement_amount_fen=sum(r.amount_fen or 0 for r in rows),
                confirmation=apps[-1].status if apps else None,
                confirmation_applied=any(a.status != SUBMITTED_NOT for a in apps),
                confirmed=any(a.status == "confirmed" for a in apps),
                closed_on=local_day(case.case_closed_at) if case.case_closed_at else None,
                closing_reason=case.closing_reason,
                overdue_mediation=case.status == "open"
                and case.case_closed_at is None
                and case_mediation_clock(case, workdays, now).state == "overdue",
                ratings=tuple(ratings.get(case.id, [])),
            )
        )
    return out
