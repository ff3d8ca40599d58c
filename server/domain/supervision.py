"""Supervision: a supervisor's board of their subtree's cases, their instructions, and the replies.

A justice bureau guides the people's mediation of its area (人民调解法 art. 5), and a dispute
centre follows every case it routed until it is settled: accepted, routed, handled, supervised,
reported back (受理—分流—办理—督办—反馈). A supervisor of an organisation sees the cases of that
organisation and every organisation below it (server/domain/orgtree.py); they change none, but
issue an instruction on a case (``supervision_issued``: what to do, by when), which a mediator of
the handling organisation answers (``supervision_replied``). Both are records of the case's
evidence log, signed by the platform on the staff member's login, so that a bundle shows who
instructed what and what was answered.

The mediator is not sent a text or an e-mail: the outbox reaches parties, not staff. An instruction
awaiting a reply is shown on the case page and counted on the mediator's case list instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, orgtree
from server.domain.access import case_for_staff
from server.domain.clocks import Clock, case_mediation_clock, local_day
from server.domain.follow_through import Overdue, Plan, overdue_in, plans_of
from server.domain.ledger import Ledger
from server.domain.principal import Principal, require_staff
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from server.models import Case, MediationSession, Organisation, SupervisionInstruction, User, utcnow

MAX_TEXT = 2000


@dataclass(frozen=True)
class BoardCase:
    case: Case
    organisation: Organisation
    mediator: User
    next_session: MediationSession | None
    #: The case's instructions, oldest first; those without a reply await one.
    instructions: list[SupervisionInstruction]
    #: The 30-day mediation period (clocks.mediation_clock): running, due today, overdue or met.
    mediation: Clock | None = None
    #: Instalments of its sealed agreement past their last day (People's Mediation Law art. 31).
    overdue: tuple[Overdue, ...] = ()
    #: Follow-up visits (回访) whose day has come and that are not recorded.
    follow_ups_due: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class Board:
    #: The supervisor's organisation and those below it, by name (the board's filter).
    organisations: list[Organisation]
    cases: list[BoardCase]


def _text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"{field} is required", [FieldError(field, "required", "required")])
    if len(text) > MAX_TEXT:
        raise InvalidInput("too long", [FieldError(field, f"at most {MAX_TEXT} characters", "too_long", {"max": MAX_TEXT})])
    return text


class Supervision:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, workdays: Workdays | None = None) -> None:
        self._maker = maker
        self._ledger = ledger
        self._workdays = workdays or Workdays()

    async def board(self, principal: Principal | None, organisation_id: str | None = None) -> Board:
        """Every case of the supervisor's subtree (or of one organisation of it), newest first."""
        staff = require_staff(principal, "supervisor")
        if staff.organisation_id is None:
            raise Forbidden("a supervisor belongs to an organisation", reason="role_needed", roles=["supervisor"])
        async with self._maker() as db:
            subtree = await orgtree.subtree_of(db, staff.organisation_id)
            if organisation_id is not None and organisation_id not in subtree:
                raise Forbidden("this organisation is not below yours", reason="another_organisation")
            shown = {organisation_id} if organisation_id is not None else subtree
            organisations = list(
                await db.scalars(select(Organisation).where(Organisation.id.in_(subtree)).order_by(Organisation.name))
            )
            by_id = {o.id: o for o in organisations}
            rows = (
                await db.execute(
                    select(Case, User)
                    .join(User, User.id == Case.mediator_id)
                    .where(Case.organisation_id.in_(shown))
                    .order_by(Case.created_at.desc())
                )
            ).all()
            ids = [case.id for case, _ in rows]
            now = utcnow()
            upcoming = await db.scalars(
                select(MediationSession)
                .where(
                    MediationSession.case_id.in_(ids),
                    MediationSession.status == "scheduled",
                    MediationSession.ends_at > utcnow(),
                )
                .order_by(MediationSession.starts_at.desc())
            )
            nearest = {s.case_id: s for s in upcoming}  # latest first: the earliest is kept
            instructions: dict[str, list[SupervisionInstruction]] = {}
            for row in await db.scalars(
                select(SupervisionInstruction)
                .where(SupervisionInstruction.case_id.in_(ids))
                .order_by(SupervisionInstruction.issued_at, SupervisionInstruction.id)
            ):
                instructions.setdefault(row.case_id, []).append(row)
            today = local_day(now)
            overdue = await overdue_in(db, ids, today)
            open_ids = [case.id for case, _ in rows if case.case_closed_at is None]
            visits = {c: tuple(p for p in plans if p.due(today)) for c, plans in (await plans_of(db, open_ids)).items()}
        return Board(
            organisations,
            [
                BoardCase(
                    case,
                    by_id[case.organisation_id],
                    mediator,
                    nearest.get(case.id),
                    instructions.get(case.id, []),
                    case_mediation_clock(case, self._workdays, now),
                    tuple(overdue.get(case.id, [])),
                    visits.get(case.id, ()),
                )
                for case, mediator in rows
            ],
        )

    async def of_case(self, principal: Principal | None, case_id: str) -> list[SupervisionInstruction]:
        """The case's instructions and replies: for its supervisors and its organisation's mediators."""
        async with self._maker() as db:
            await case_for_staff(db, principal, case_id, supervise=True)
            return list(
                await db.scalars(
                    select(SupervisionInstruction)
                    .where(SupervisionInstruction.case_id == case_id)
                    .order_by(SupervisionInstruction.issued_at, SupervisionInstruction.id)
                )
            )

    async def issue(
        self, principal: Principal | None, case_id: str, *, text: str, due_date: date | None = None
    ) -> SupervisionInstruction:
        """A supervisor instructs the handling organisation on a case of their subtree (督办)."""
        staff = require_staff(principal, "supervisor")
        text = _text(text, "text")
        if due_date is not None and due_date < datetime.now(ZoneInfo(staff.timezone)).date():
            raise InvalidInput("the due date has passed", [FieldError("due_date", "today or later", "future")])
        async with self._maker() as db, db.begin():
            _, case = await case_for_staff(db, staff, case_id, supervise=True, changes=True)
            organisation = await db.get(Organisation, staff.organisation_id)
            assert organisation is not None
            appended = await self._ledger.append_platform(
                db,
                type="supervision_issued",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "text": text,
                    "due_date": due_date.isoformat() if due_date else None,
                    "supervisor": staff.display_name,
                    "organisation": organisation.name,
                },
                public={"due_date": due_date.isoformat() if due_date else None},
            )
            row = SupervisionInstruction(
                case_id=case.id,
                issued_by=staff.user_id,
                issued_by_name=staff.display_name,
                issued_by_organisation=organisation.name,
                text=text,
                due_date=due_date,
                issued_at=utcnow(),
                issued_seq=appended.record.seq,
            )
            db.add(row)
            await db.flush()
            due = due_date.isoformat() if due_date else None
            history.record(db, case.id, staff, "supervision_issued", instruction_id=row.id, due_date=due, seq=appended.record.seq)
            return row

    async def reply(self, principal: Principal | None, instruction_id: str, *, text: str) -> SupervisionInstruction:
        """A mediator of the handling organisation answers an instruction (反馈), once."""
        staff = require_staff(principal, "mediator")
        text = _text(text, "text")
        async with self._maker() as db, db.begin():
            row = await db.get(SupervisionInstruction, instruction_id, with_for_update=True)
            if row is None:
                raise NotFound("no such instruction", reason="no_such_instruction")
            # Its organisation's mediators answer, even once the case is before a court: a reply
            # changes nothing the court reviews.
            _, case = await case_for_staff(db, staff, row.case_id, changes=True)
            if row.replied_at is not None:
                raise Conflict(
                    f"{row.replied_by_name} has answered this instruction already",
                    reason="supervision_replied_already",
                    name=row.replied_by_name,
                )
            appended = await self._ledger.append_platform(
                db,
                type="supervision_replied",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={"text": text, "mediator": staff.display_name, "instruction": row.text, "supervisor": row.issued_by_name},
                public={"instruction_seq": row.issued_seq},
            )
            row.reply, row.replied_by, row.replied_by_name = text, staff.user_id, staff.display_name
            row.replied_at, row.replied_seq = utcnow(), appended.record.seq
            history.record(db, case.id, staff, "supervision_replied", instruction_id=row.id, seq=appended.record.seq)
            return row
