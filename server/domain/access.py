"""Who on the staff may work on a case, read it or host its sessions: one place for the rule.

A case belongs to its lead organisation; its mediators (server/domain/assignment.py) work on it, a
referral lets other organisations read it (issue #21), supervisors read the cases below them, a
judge reads what was submitted to their court. Every service asks here (``case_for_staff``) before
it reads or changes a case for a member of staff.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import orgtree
from server.domain.archived import refuse_if_archived
from server.domain.principal import Principal, Staff, require_staff
from server.errors import Forbidden, InvalidState, NotFound
from server.models import (
    Case,
    CaseMediator,
    ConfirmationApplication,
    Referral,
    User,
)

#: A referral that makes its receiver an assisting organisation of the case (协办, accepted): the one
#: kind of sharing under which the receiver's mediators also mediate, once assigned (``assigned_mediators``).
ASSISTING = and_(Referral.role == "assisting", Referral.status == "accepted")


def referral_sharing(organisation_id: str | None) -> Select[str]:
    """The cases another organisation may read because of a referral: one place for the rule.

    A case belongs to its lead organisation (``Case.organisation_id``). A referral lets others
    read it, never change it (最高人民法院关于人民法院特邀调解的规定 arts. 11, 26; issue #21):

    - the organisation a referral awaits a decision from (pending): it reads the case to decide;
    - an organisation that accepted to assist (协办): it reads the case and reports its result on
      its task (through ``server.domain.referrals``, not through the case's own writes); the
      mediator it named on accepting co-mediates the case (``assigned_mediators``) and acts as one
      of its mediators where the caller says so (``case_for_staff``, ``assigned=True``);
    - the former lead, once its lead referral was accepted: it keeps sight of the case so that it
      sees the result (for a court, the result of its 委派 or 委托).

    A returned referral shares nothing.
    """
    return select(Referral.case_id).where(
        or_(
            and_(Referral.to_organisation_id == organisation_id, Referral.status == "pending"),
            and_(Referral.to_organisation_id == organisation_id, ASSISTING),
            and_(Referral.from_organisation_id == organisation_id, Referral.role == "lead", Referral.status == "accepted"),
        )
    )


async def assigned_mediators(db: AsyncSession, case_id: str) -> list[str]:
    """The user ids of the case's mediators, the lead (``Case.mediator_id``) first, then the
    co-mediators in the order they were assigned (server/domain/assignment.py).

    Mediators of the case's organisation count, and those of an organisation assisting it (协办, an
    accepted assisting referral, ``ASSISTING``: the forestry bureau's mediator beside the labour
    committee's, issue #21), whom that organisation named when it accepted. A former lead's
    mediators no longer count: a case referred elsewhere is mediated by the receiving organisation's.
    """
    case = await db.get(Case, case_id)
    if case is None:
        return []
    assisting = select(Referral.to_organisation_id).where(Referral.case_id == case_id, ASSISTING)
    rows = (
        await db.execute(
            select(CaseMediator.user_id)
            .join(User, User.id == CaseMediator.user_id)
            .where(
                CaseMediator.case_id == case_id,
                CaseMediator.ended_at.is_(None),
                or_(User.organisation_id == case.organisation_id, User.organisation_id.in_(assisting)),
                User.is_active.is_(True),
            )
            .order_by(CaseMediator.assigned_at, CaseMediator.id)
        )
    ).scalars()
    out = [case.mediator_id]
    out += [user_id for user_id in rows if user_id not in out]
    return out


async def case_for_staff(
    db: AsyncSession,
    principal: Principal | None,
    case_id: str,
    *,
    court: bool = False,
    write: bool = False,
    shared: bool = False,
    supervise: bool = False,
    assigned: bool = False,
    changes: bool = False,
) -> tuple[Staff, Case]:
    """The case if this staff member may work on it.

    Mediators see the cases of their own organisation. Judges see a case only for reading
    (``court=True``) and only once a joint application for its confirmation has been submitted
    to their own court; a court cannot browse a committee's other cases. Once the case is before
    a court, its mediators can no longer change it (``write=True``): what the court reviews
    stays what was submitted. Where the caller only reads (``shared=True``), the staff of an
    organisation a referral shares the case with may read it too (``referral_sharing``).

    Supervisors read the cases of their organisation and of every organisation below it
    (server/domain/orgtree.py), where the caller says the access only reads (``supervise=True``:
    the case, its parties, history, evidence log, files, agreement and sessions); everything
    else is refused them, naming what they can do instead (an instruction to the mediator).

    Where the caller acts as one of the case's mediators (``assigned=True``: hosting its live
    sessions, reading their chat, checking a party's identity on video, signing their own
    disclosure), a mediator of an organisation assisting the case who is assigned to it
    (``assigned_mediators``) may, as its own mediators do (人民调解法 art. 19: one or several
    mediators); anyone else of another organisation is refused as before.

    Once the case is archived (server/domain/archived.py) nobody changes it: a caller that changes the
    case says so, with ``write=True`` or, where the court's review does not stop the change (closing
    the case, a visit, hosting its live session, a supervisor's instruction), ``changes=True``; either
    is refused ``case_archived`` once the caller has been let in (another organisation's staff learn
    nothing of the case from the refusal).
    """
    staff, case = await _let_in(db, principal, case_id, court=court, write=write, shared=shared, supervise=supervise,
                                assigned=assigned)  # fmt: skip
    if write or changes:
        refuse_if_archived(case)
    if write and staff.role != "judge" and await is_before_court(db, case.id):
        raise InvalidState("the case is before the court for confirmation; it can no longer be changed", reason="submitted")
    return staff, case


async def _let_in(
    db: AsyncSession, principal: Principal | None, case_id: str, *, court: bool, write: bool, shared: bool, supervise: bool,
    assigned: bool,
) -> tuple[Staff, Case]:  # fmt: skip
    """Who may reach the case at all (``case_for_staff``'s rules), before whether they may change it."""
    staff = require_staff(principal)
    case = await db.get(Case, case_id)
    if case is None:
        raise NotFound("no such case", reason="no_such_case")
    if (
        shared
        and not write
        and staff.organisation_id is not None
        and staff.role in ("mediator", "judge")
        and case.organisation_id != staff.organisation_id
        and case.id in set(await db.scalars(referral_sharing(staff.organisation_id).where(Referral.case_id == case.id)))
    ):
        return staff, case
    if staff.role == "judge" and court and staff.organisation_id is not None:
        submitted = await db.scalar(
            select(ConfirmationApplication.id).where(
                ConfirmationApplication.case_id == case.id,
                ConfirmationApplication.court_id == staff.organisation_id,
                ConfirmationApplication.status != "awaiting_cosign",
            )
        )
        if submitted is not None:
            return staff, case
    if staff.role == "supervisor" and staff.organisation_id is not None:
        if not await orgtree.within(db, case.organisation_id, staff.organisation_id):
            raise Forbidden("this case belongs to another organisation", reason="another_organisation")
        if supervise and not write:
            return staff, case
        raise Forbidden(
            "a supervisor reads this case and may instruct its mediator, but does not change it", reason="supervisor_reads_only"
        )
    if staff.role != "mediator" or case.organisation_id != staff.organisation_id:
        if not (assigned and staff.role == "mediator" and staff.user_id in await assigned_mediators(db, case.id)):
            raise Forbidden("this case belongs to another organisation", reason="another_organisation")
    return staff, case


async def is_before_court(db: AsyncSession, case_id: str) -> bool:
    """Whether a joint application to confirm the case's agreement has been submitted (both parties signed)."""
    submitted = await db.scalar(
        select(ConfirmationApplication.id).where(
            ConfirmationApplication.case_id == case_id, ConfirmationApplication.status != "awaiting_cosign"
        )
    )
    return submitted is not None
