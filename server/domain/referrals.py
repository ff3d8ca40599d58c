"""Referral of a case between organisations (分流, 委派, 委托), and the assisting organisations' results.

A case has one lead organisation (主办, ``Case.organisation_id``) and may have assisting ones (协办),
each with its own task and, later, its result. The lead's mediator refers the case (``case_referred``);
the receiving organisation accepts (``referral_accepted``) or returns it with a reason
(``referral_returned``), once; an assisting organisation records its result (``assistance_reported``).
Each is a signed record in the case's evidence log, written in the same transaction as the change.

A court's referral is its 委派 (before filing) or 委托 (after filing) to an invited mediation
organisation (最高人民法院关于人民法院特邀调解的规定 art. 11). When mediation of a case referred
by a court ends, the mediator must report to that court in writing and hand over the materials
(art. 26 ¶2; an agreement reached on a 委派 is filed with the court, art. 19; a 委托's agreement
goes to the court for its 调解书, art. 20; a 委派 without agreement sends the complaint back, art.
21). ``court_report`` says where that stands; the court's staff read the case and its referrals
(``server.domain.cases.referral_sharing``).

Who may read a case because of a referral is decided in one place, ``referral_sharing``; this
module decides who may act on a referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.access import case_for_staff, is_before_court
from server.domain.archived import refuse_if_archived
from server.domain.assignment import designate_assisting, designate_lead
from server.domain.clocks import Clock, acceptance_clock
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, require_staff
from server.domain.statistics_stream import index_referred
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotFound
from server.models import Case, Organisation, Referral, User, utcnow

ROLES = ("lead", "assisting")
COURT_STAGES = ("before_filing", "after_filing")  # 委派 | 委托 (特邀调解规定 art. 11)
MAX_TEXT = 2000


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    case: Case
    from_organisation: Organisation
    to_organisation: Organisation
    #: user id -> display name, for everyone the referral names.
    names: dict[str, str]
    #: The receiving organisation's 3-working-day clock to accept or return (clocks.acceptance_clock).
    acceptance: Clock | None = None

    def name(self, user_id: str | None) -> str | None:
        return self.names.get(user_id) if user_id else None

    @property
    def acceptance_due(self) -> datetime | None:
        """When the referral must be accepted or returned: the end of the third working day after the
        day it was made (clocks.acceptance_clock, 在线调解规则 art. 12), holidays and make-up workdays
        counted. A court referral's mediation period then runs from acceptance (``decided_at``: the
        day the materials are signed for, 特邀调解规定 art. 27: 30 days for 委派, 15 or 7 for 委托)."""
        return self.acceptance.due_at if self.acceptance is not None else None

    @property
    def court_report(self) -> dict[str, Any] | None:
        """A court's lead referral, accepted: the written result report the court is owed (art. 26 ¶2).

        ``due`` once mediation ended (an agreement in effect, or ended without one); until then
        the court sees that mediation goes on.
        """
        r = self.referral
        if self.from_organisation.kind != "court" or r.role != "lead" or r.status != "accepted":
            return None
        return {
            "court": self.from_organisation.name,
            "stage": r.court_stage,
            "due": self.case.status != "open",
            "outcome": self.case.status,
            "outcome_reason": self.case.outcome_reason,
            "outcome_note": self.case.outcome_note,
            "closed_at": self.case.closed_at,
            # The written report (server.domain.court_reports), once the mediator made it.
            "report": {"made_at": r.report_at, "made_by": self.name(r.report_by), "sha256": r.report_sha256}
            if r.report_sha256 is not None
            else None,
        }


def _text(value: str | None, field: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field} is required", [FieldError(field, "required", "required")])
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"{field} is too long", [FieldError(field, f"at most {MAX_TEXT} characters", "too_long", {"max": MAX_TEXT})]
        )
    return text


def _actor(staff: Staff) -> dict[str, str]:
    return {"kind": "staff", "id": staff.user_id, "role": staff.role}


class Referrals:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, workdays: Workdays | None = None) -> None:
        self._maker = maker
        self._ledger = ledger
        self._workdays = workdays or Workdays()

    # -- reading -----------------------------------------------------------------------------

    async def destinations(self, principal: Principal | None) -> list[Organisation]:
        """The organisations my organisation may refer a case to: every other one.

        (The organisation tree of issue #21 may narrow this later.)
        """
        staff = require_staff(principal, "mediator", "judge")
        async with self._maker() as db:
            query = select(Organisation).where(Organisation.id != staff.organisation_id).order_by(Organisation.name)
            return list(await db.scalars(query))

    async def of_case(self, principal: Principal | None, case_id: str) -> list[ReferralView]:
        """A case's referrals, oldest first, for whoever may read the case."""
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            rows = list(await db.scalars(select(Referral).where(Referral.case_id == case.id).order_by(Referral.referred_at)))
            return await self._views(db, rows)

    async def inbox(self, principal: Principal | None, box: str) -> list[ReferralView]:
        """``incoming``: referrals awaiting my organisation's decision; ``sent``: those it made."""
        staff = require_staff(principal, "mediator", "judge")
        async with self._maker() as db:
            if box == "incoming":
                query = select(Referral).where(Referral.to_organisation_id == staff.organisation_id, Referral.status == "pending")
            else:
                query = select(Referral).where(Referral.from_organisation_id == staff.organisation_id)
            return await self._views(db, list(await db.scalars(query.order_by(Referral.referred_at))))

    async def _views(self, db: AsyncSession, rows: list[Referral]) -> list[ReferralView]:
        views = []
        for r in rows:
            case = await db.get(Case, r.case_id)
            source = await db.get(Organisation, r.from_organisation_id)
            target = await db.get(Organisation, r.to_organisation_id)
            assert case is not None and source is not None and target is not None
            ids = {i for i in (r.referred_by, r.decided_by, r.mediator_id, r.reported_by, r.report_by) if i}
            names = {u.id: u.display_name for u in await db.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
            decided = r.decided_at if r.status != "pending" else None
            clock = acceptance_clock(r.referred_at, decided, utcnow(), self._workdays)
            views.append(ReferralView(r, case, source, target, names, clock))
        return views

    # -- acting ------------------------------------------------------------------------------

    async def refer(
        self,
        principal: Principal | None,
        case_id: str,
        *,
        to_organisation_id: str,
        role: str,
        reason: str,
        task: str = "",
        court_stage: str | None = None,
    ) -> ReferralView:
        """The lead organisation's mediator (or, for a court, its judge) sends the case on.

        One lead referral may wait at a time (a case has one lead); an organisation is asked to
        assist once.
        """
        staff = require_staff(principal, "mediator", "judge")
        if role not in ROLES:
            raise InvalidInput("unknown role", [FieldError("role", "one of " + ", ".join(ROLES), "choice")])
        reason = _text(reason, "reason", required=True)
        task = _text(task, "task", required=role == "assisting")
        async with self._maker() as db, db.begin():
            case = await db.get(Case, case_id, with_for_update=True)
            if case is None:
                raise NotFound("no such case", reason="no_such_case")
            source = await db.get(Organisation, case.organisation_id)
            assert source is not None
            if staff.organisation_id != case.organisation_id or (staff.role == "judge" and source.kind != "court"):
                raise Forbidden("only the lead organisation's staff may refer this case", reason="not_lead_organisation")
            refuse_if_archived(case)
            if case.status != "open":
                raise Conflict(f"the case is {case.status} already", reason=case.status)
            if await is_before_court(db, case.id):
                raise InvalidState(
                    "the case is before the court for confirmation; it can no longer be changed", reason="submitted"
                )
            target = await db.get(Organisation, to_organisation_id)
            if target is None:
                raise InvalidInput(
                    "no such organisation", [FieldError("to_organisation_id", "no such organisation", "not_found")]
                )
            if target.id == source.id:
                raise InvalidInput(
                    "a case is referred to another organisation",
                    [FieldError("to_organisation_id", "your own organisation", "own_organisation")],
                )
            if source.kind == "court":
                if court_stage not in COURT_STAGES:
                    raise InvalidInput(
                        "a court refers before or after filing",
                        [FieldError("court_stage", "one of " + ", ".join(COURT_STAGES), "choice")],
                    )
            else:
                court_stage = None
            open_ones = list(
                await db.scalars(
                    select(Referral).where(Referral.case_id == case.id, Referral.status.in_(("pending", "accepted")))
                )
            )
            if role == "lead" and any(r.role == "lead" and r.status == "pending" for r in open_ones):
                raise Conflict("a lead referral of this case awaits a decision", reason="lead_referral_pending")
            if any(
                r.to_organisation_id == target.id and r.role == role and r.from_organisation_id == source.id for r in open_ones
            ):
                raise Conflict(
                    f"this case is already referred to {target.name}", reason="already_referred", organisation=target.name
                )
            referral = Referral(
                case_id=case.id,
                from_organisation_id=source.id,
                to_organisation_id=target.id,
                role=role,
                reason=reason,
                task=task,
                court_stage=court_stage,
                referred_by=staff.user_id,
                referred_at=utcnow(),
            )
            db.add(referral)
            await db.flush()
            appended = await self._ledger.append_platform(
                db,
                type="case_referred",
                case=case.id,
                actor=_actor(staff),
                data={
                    "from": source.name,
                    "to": target.name,
                    "role": role,
                    "reason": reason,
                    "task": task,
                    "court_stage": court_stage,
                    "referred_by": staff.display_name,
                },
                public={
                    "referral": referral.id,
                    "role": role,
                    "from_organisation": source.id,
                    "to_organisation": target.id,
                },
            )
            history.record(
                db, case.id, staff, "case_referred",
                organisation=target.name, role=role, reason=reason, seq=appended.record.seq,
            )  # fmt: skip
            # The acceptance clock starts at referral.referred_at (ReferralView.acceptance_due).
            return (await self._views(db, [referral]))[0]

    async def _pending(self, db: AsyncSession, staff: Staff, referral_id: str) -> tuple[Referral, Case]:
        """A referral the receiving organisation may still decide on, with its case (locked)."""
        referral = await db.get(Referral, referral_id, with_for_update=True)
        if referral is None:
            raise NotFound("no such referral", reason="no_such_referral")
        if staff.organisation_id != referral.to_organisation_id:
            raise Forbidden("only the organisation the case was referred to may decide", reason="not_receiving_organisation")
        if referral.status != "pending":
            raise Conflict(f"this referral was {referral.status} already", reason=f"referral_{referral.status}")
        case = await db.get(Case, referral.case_id, with_for_update=True)
        assert case is not None
        refuse_if_archived(case)
        return referral, case

    async def accept(self, principal: Principal | None, referral_id: str, *, mediator_id: str | None = None) -> ReferralView:
        """The receiving organisation accepts. A lead referral names the mediator who handles the case:
        the case's organisation and mediator become theirs. An assisting one may name one of its
        mediators, who is then assigned to the case as a co-mediator (``designate_assisting``)."""
        staff = require_staff(principal, "mediator", "judge")
        async with self._maker() as db, db.begin():
            referral, case = await self._pending(db, staff, referral_id)
            mediator = None
            if referral.role == "lead" or mediator_id:
                if not mediator_id:
                    raise InvalidInput(
                        "choose the mediator who handles the case", [FieldError("mediator_id", "required", "required")]
                    )
                mediator = await db.get(User, mediator_id)
                if (
                    mediator is None
                    or mediator.role != "mediator"
                    or not mediator.is_active
                    or mediator.organisation_id != staff.organisation_id
                ):
                    raise InvalidInput(
                        "no such mediator here",
                        [FieldError("mediator_id", "not a mediator of your organisation", "mediator_of_org")],
                    )
            if case.status != "open":
                raise Conflict(f"the case is {case.status} already", reason=case.status)
            target = await db.get(Organisation, referral.to_organisation_id)
            assert target is not None
            passed_on: Organisation | None = None
            if referral.role == "lead":
                if case.organisation_id != referral.from_organisation_id:
                    raise Conflict("the case has another lead organisation now", reason="lead_changed")
                taken = await db.scalar(
                    select(Case.id).where(Case.organisation_id == target.id, Case.case_number == case.case_number)
                )
                if taken is not None:
                    raise Conflict(
                        f"case number {case.case_number} is already used in this organisation",
                        reason="case_number_taken",
                        case_number=case.case_number,
                    )
                assert mediator is not None
                passed_on = await db.get(Organisation, case.organisation_id)
                case.organisation_id, case.mediator_id = target.id, mediator.id
            referral.status, referral.decided_by, referral.decided_at = "accepted", staff.user_id, utcnow()
            referral.mediator_id = mediator.id if mediator is not None else None
            public: dict[str, object] = {"referral": referral.id, "role": referral.role}
            if mediator is not None:
                public["mediator"] = mediator.id
            appended = await self._ledger.append_platform(
                db,
                type="referral_accepted",
                case=case.id,
                actor=_actor(staff),
                data={
                    "organisation": target.name,
                    "role": referral.role,
                    "accepted_by": staff.display_name,
                    "mediator": mediator.display_name if mediator is not None else None,
                },
                public=public,
            )
            if referral.role == "lead" and passed_on is not None:
                # The case leaves the one's statistics index and enters the other's (statistics_stream.py).
                await index_referred(db, self._ledger, case, referral.id, passed_on, target)
            history.record(
                db, case.id, staff, "referral_accepted", organisation=target.name, role=referral.role,
                mediator=mediator.display_name if mediator is not None else None, seq=appended.record.seq,
            )  # fmt: skip
            if referral.role == "lead" and mediator is not None:
                # Taking the lead names who mediates (人民调解法 art. 19): the same record as an
                # assignment on the case page, so the log says who mediates from here on.
                await designate_lead(db, self._ledger, staff, case, mediator)
            elif mediator is not None:
                # Assisting, the mediator named takes part in mediating beside the lead's (a
                # co-mediator: the case's sessions, their own disclosure), by the same record.
                await designate_assisting(db, self._ledger, staff, case, mediator)
            await db.flush()
            return (await self._views(db, [referral]))[0]

    async def return_(self, principal: Principal | None, referral_id: str, *, reason: str) -> ReferralView:
        """The receiving organisation sends the referral back, saying why; the case stays where it was."""
        staff = require_staff(principal, "mediator", "judge")
        reason = _text(reason, "reason", required=True)
        async with self._maker() as db, db.begin():
            referral, case = await self._pending(db, staff, referral_id)
            target = await db.get(Organisation, referral.to_organisation_id)
            assert target is not None
            referral.status, referral.decided_by, referral.decided_at = "returned", staff.user_id, utcnow()
            referral.return_reason = reason
            appended = await self._ledger.append_platform(
                db,
                type="referral_returned",
                case=case.id,
                actor=_actor(staff),
                data={"organisation": target.name, "role": referral.role, "reason": reason, "returned_by": staff.display_name},
                public={"referral": referral.id, "role": referral.role},
            )
            history.record(
                db, case.id, staff, "referral_returned", organisation=target.name, reason=reason, seq=appended.record.seq
            )
            await db.flush()
            return (await self._views(db, [referral]))[0]

    async def report(self, principal: Principal | None, referral_id: str, *, result: str) -> ReferralView:
        """An assisting organisation records its result on its task, once."""
        staff = require_staff(principal, "mediator", "judge")
        result = _text(result, "result", required=True)
        async with self._maker() as db, db.begin():
            referral = await db.get(Referral, referral_id, with_for_update=True)
            if referral is None:
                raise NotFound("no such referral", reason="no_such_referral")
            if staff.organisation_id != referral.to_organisation_id:
                raise Forbidden("only the assisting organisation reports on its task", reason="not_receiving_organisation")
            case = await db.get(Case, referral.case_id)
            assert case is not None
            refuse_if_archived(case)
            if referral.role != "assisting":
                raise Conflict("a lead referral has no assisting result", reason="not_assisting")
            if referral.status != "accepted":
                raise Conflict(f"this referral is {referral.status}, not accepted", reason=f"referral_{referral.status}")
            if referral.result is not None:
                raise Conflict("the result was reported already", reason="already_reported")
            target = await db.get(Organisation, referral.to_organisation_id)
            assert target is not None
            referral.result, referral.reported_by, referral.reported_at = result, staff.user_id, utcnow()
            appended = await self._ledger.append_platform(
                db,
                type="assistance_reported",
                case=referral.case_id,
                actor=_actor(staff),
                data={"organisation": target.name, "task": referral.task, "result": result, "reported_by": staff.display_name},
                public={"referral": referral.id},
            )
            history.record(db, referral.case_id, staff, "assistance_reported", organisation=target.name, seq=appended.record.seq)
            await db.flush()
            return (await self._views(db, [referral]))[0]
