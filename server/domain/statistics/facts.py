"""One case's facts as the ledger and the statistics read them, from the rows its signed records made.

Each field comes from a row written in the same transaction as a record of the case's evidence log
(``Case.status`` with ``agreement_sealed`` or ``mediation_ended``, ``Obligation.status`` with
``performance_confirmed``, ``ConfirmationApplication.status`` with ``confirmation_applied`` and the
court's decision, ``Case.case_closed_at`` with ``case_closed``, ``SatisfactionRating`` with
``satisfaction_rated``). What each figure makes of them is in ``definitions.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.clocks import case_mediation_clock, local_day
from server.domain.performance import status_on
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
    #: Each instalment's status today (performance.status_on: pending | reported | performed | disputed | overdue).
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


#: The columns of a case that its facts read: a statistics query loads these and no more
#: (``load_only``), so that a year of a county's cases does not carry every case's notes.
CASE_COLUMNS = (
    Case.id, Case.case_number, Case.organisation_id, Case.registered_on, Case.source, Case.dispute_type,
    Case.amount_fen, Case.mediator_id, Case.status, Case.outcome_reason, Case.case_closed_at, Case.closing_reason,
    Case.created_at, Case.closed_at, Case.mediation_extended_to,
)  # fmt: skip


def _among(values: Any, column: Any) -> ColumnElement[bool]:
    in_: ColumnElement[bool] = column.in_(values)
    return in_


def _batches(ids: Sequence[str], where: Sequence[ColumnElement[bool]] | None) -> Iterator[Callable[[Any], ColumnElement[bool]]]:
    """How the rows related to the cases are selected: by the cases' ids, a chunk at a time, or (given the
    conditions that selected the cases) by those conditions, in one query per table."""
    if where is None:
        for chunk in _chunks(ids):
            yield partial(_among, chunk)
        return
    yield partial(_among, select(Case.id).where(*where))


async def facts_of(
    db: AsyncSession,
    cases: Sequence[Case],
    now: datetime,
    workdays: Workdays,
    where: Sequence[ColumnElement[bool]] | None = None,
) -> list[CaseFacts]:
    """The facts of ``cases``, in their order, with their related rows read in batches.

    Related rows are read as the few columns the facts need, not as whole objects: at a year of a
    county's cases (3,000, and 12,000 rows related to them) building objects was most of the time
    (`mediate bench stats`). ``where``: the conditions that selected ``cases`` (all of them): a year's
    statistics read the related rows of thousands of cases by those conditions rather than by their ids
    in hundreds of queries."""
    ids = [c.id for c in cases]
    today = local_day(now)
    organisations = dict(
        (
            await db.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_({c.organisation_id for c in cases}))
            )
        ).all()
    )
    parties: dict[str, dict[str, list[str]]] = {}
    mediators: dict[str, list[str]] = {}
    #: case id -> (status, sealed_at) of its agreement
    agreements: dict[str, tuple[str, datetime | None]] = {}
    #: case id -> (status, due_date, amount_fen) of each instalment, in the agreement's order
    obligations: dict[str, list[tuple[str, date, int | None]]] = {}
    #: case id -> its applications' statuses, oldest first
    applications: dict[str, list[str]] = {}
    ratings: dict[str, list[int]] = {}
    for within in _batches(ids, where):
        for case_id, role, name in (
            await db.execute(
                select(Party.case_id, Party.role, Party.name)
                .where(within(Party.case_id), Party.role.in_(("applicant", "respondent")))
                .order_by(Party.created_at, Party.id)
            )
        ).all():
            parties.setdefault(case_id, {}).setdefault(role, []).append(name)
        for case_id, user_id in (
            await db.execute(
                select(CaseMediator.case_id, CaseMediator.user_id)
                .where(within(CaseMediator.case_id), CaseMediator.ended_at.is_(None))
                .order_by(CaseMediator.assigned_at, CaseMediator.id)
            )
        ).all():
            mediators.setdefault(case_id, []).append(user_id)
        for case_id, status, sealed_at in (
            await db.execute(select(Agreement.case_id, Agreement.status, Agreement.sealed_at).where(within(Agreement.case_id)))
        ).all():
            agreements[case_id] = (status, sealed_at)
        for case_id, status, due_date, amount_fen in (
            await db.execute(
                select(Obligation.case_id, Obligation.status, Obligation.due_date, Obligation.amount_fen)
                .where(within(Obligation.case_id))
                .order_by(Obligation.term, Obligation.instalment)
            )
        ).all():
            obligations.setdefault(case_id, []).append((status, due_date, amount_fen))
        for case_id, status in (
            await db.execute(
                select(ConfirmationApplication.case_id, ConfirmationApplication.status)
                .where(within(ConfirmationApplication.case_id))
                .order_by(ConfirmationApplication.created_at, ConfirmationApplication.id)
            )
        ).all():
            applications.setdefault(case_id, []).append(status)
        for case_id, stars in (
            await db.execute(
                select(SatisfactionRating.case_id, SatisfactionRating.stars).where(within(SatisfactionRating.case_id))
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
        agreement_status, sealed_at = agreement if agreement is not None else (None, None)
        # Only the agreement in effect binds anyone: a draft's obligations do not exist yet.
        rows = obligations.get(case.id, []) if agreement_status == "effective" else []
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
                agreement_status=agreement_status,
                sealed_on=local_day(sealed_at) if sealed_at else None,
                obligations=tuple(status_on(status, due, today) for status, due, _ in rows),
                agreement_amount_fen=sum(amount or 0 for _, _, amount in rows),
                confirmation=apps[-1] if apps else None,
                confirmation_applied=any(a != SUBMITTED_NOT for a in apps),
                confirmed=any(a == "confirmed" for a in apps),
                closed_on=local_day(case.case_closed_at) if case.case_closed_at else None,
                closing_reason=case.closing_reason,
                overdue_mediation=case.status == "open"
                and case.case_closed_at is None
                and case_mediation_clock(case, workdays, now).state == "overdue",
                ratings=tuple(ratings.get(case.id, [])),
            )
        )
    return out
