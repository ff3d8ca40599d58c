"""The court's side of an application: its inbox, accepting and numbering, a hearing, notes, what it read.

Judges of the court the parties applied to, and no others, read the case
(``case_for_staff(court=True)``); every read of its evidence is logged as ``evidence_viewed``,
and the court sees that log (``access_log``). Accepting an application (立案) gives it the
court's own case number (court_numbers.py). The ruling itself is decision.py.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import court_numbers, history, links, notifications, phone_pins
from server.domain.accounts import check_timezone
from server.domain.archived import is_archived, refusal
from server.domain.booking import parse_start
from server.domain.confirmation.views import ApplicationView, view_of
from server.domain.evidence import Evidence
from server.domain.principal import Principal, Staff, require_staff
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotFound
from server.evidence.verify import render, verify_bundle
from server.models import (
    Case,
    CaseEvent,
    ConfirmationApplication,
    JudgeNote,
    MediationSession,
    Organisation,
    Party,
    User,
    utcnow,
)
from server.settings import Settings

JUDGE_STEPS = {"accepted": ("received",), "under_review": ("received", "accepted")}
MAX_NOTE = 5000


@dataclass(frozen=True)
class Verification:
    ok: bool
    report_zh: str
    report_en: str


async def for_judge(
    db: AsyncSession, principal: Principal | None, application_id: str, *, lock: bool = False, changes: bool = False
) -> tuple[Staff, ConfirmationApplication]:
    """A judge of the court the application was made to, and the application (once submitted).

    ``changes``: the judge acts on the case (a status, a hearing, a note, the decision), which an archived
    case refuses (server/domain/archived.py)."""
    staff = require_staff(principal, "judge")
    application = await db.get(ConfirmationApplication, application_id, with_for_update=lock)
    if application is None or application.status == "awaiting_cosign":
        raise NotFound("no such application", reason="no_such_application")
    if application.court_id != staff.organisation_id:
        raise Forbidden("this application was made to another court", reason="another_court")
    if changes and await is_archived(db, application.case_id):
        raise refusal()
    return staff, application


async def number(db: AsyncSession, application: ConfirmationApplication) -> None:
    """The court's own case number, given when it accepts the application (立案); see court_numbers."""
    if application.court_case_number is not None:
        return
    court = await db.get(Organisation, application.court_id)
    assert court is not None
    if not court.court_code:
        raise Conflict(
            "this court has no court code (法院代字, e.g. 蒙0105) for its case numbers; "
            "an administrator sets it on the admin page or with mediate org set --court-code",
            reason="no_court_code",
        )
    application.accepted_at = application.accepted_at or utcnow()
    application.court_case_number = await court_numbers.assign(db, court, application.accepted_at)


class Court:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings, evidence: Evidence) -> None:
        self._maker = maker
        self._settings = settings
        self._evidence = evidence
        #: case id -> (its records other than exports, what the verifier said of them)
        self._verified: dict[str, tuple[tuple[tuple[int, str], ...], Verification]] = {}

    async def judges(self, principal: Principal | None) -> list[User]:
        """The judges of my court, to assign an application to."""
        staff = require_staff(principal, "judge")
        async with self._maker() as db:
            query = select(User).where(
                User.organisation_id == staff.organisation_id, User.role == "judge", User.is_active.is_(True)
            )
            return list(await db.scalars(query.order_by(User.display_name)))

    async def inbox(self, principal: Principal | None) -> list[ApplicationView]:
        staff = require_staff(principal, "judge")
        async with self._maker() as db:
            rows = await db.scalars(
                select(ConfirmationApplication)
                .where(
                    ConfirmationApplication.court_id == staff.organisation_id, ConfirmationApplication.status != "awaiting_cosign"
                )
                .order_by(ConfirmationApplication.submitted_at.desc())
            )
            return [await view_of(db, a) for a in rows]

    async def detail(self, principal: Principal | None, application_id: str) -> ApplicationView:
        async with self._maker() as db, db.begin():
            staff, application = await for_judge(db, principal, application_id)
            history.record(db, application.case_id, staff, "evidence_viewed", what="application", application_id=application.id)
            return await view_of(db, application, court=True)

    async def verification(self, principal: Principal | None, application_id: str) -> Verification:
        """What ``mediate verify`` says of the case's bundle, in plain words.

        Checking means exporting, and each export is itself logged; so the answer is kept until the
        case has a record other than an export, and a judge opening the application again does not
        grow the case's log.
        """
        async with self._maker() as db:
            _, application = await for_judge(db, principal, application_id)
            case_id = application.case_id
        records = await self._evidence.records(principal, case_id)
        key = tuple((r.seq, r.type) for r in records if r.type not in ("export", "checkpoint_witnessed"))
        cached = self._verified.get(case_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        # Through a temporary file, not memory: with its recordings a case's bundle can be gigabytes.
        with await asyncio.to_thread(tempfile.TemporaryFile) as spool:
            await self._evidence.export(principal, case_id, into=spool)
            report = await asyncio.to_thread(verify_bundle, spool)
        found = Verification(report.ok, render(report, "zh"), render(report, "en"))
        self._verified[case_id] = (key, found)
        return found

    async def assign(self, principal: Principal | None, application_id: str, judge_id: str) -> ApplicationView:
        async with self._maker() as db, db.begin():
            staff, application = await for_judge(db, principal, application_id, lock=True, changes=True)
            judge = await db.get(User, judge_id)
            if judge is None or judge.role != "judge" or judge.organisation_id != staff.organisation_id:
                raise InvalidInput(
                    "not a judge of this court", [FieldError("judge_id", "a judge of this court", "judge_of_court")]
                )
            application.judge_id = judge.id
            history.record(db, application.case_id, staff, "confirmation_assigned", judge=judge.display_name)
            return await view_of(db, application, court=True)

    async def set_status(self, principal: Principal | None, application_id: str, status: str) -> ApplicationView:
        if status not in JUDGE_STEPS:
            raise InvalidInput("unknown status", [FieldError("status", "accepted or under_review", "choice")])
        async with self._maker() as db, db.begin():
            staff, application = await for_judge(db, principal, application_id, lock=True, changes=True)
            if application.status not in JUDGE_STEPS[status]:
                raise InvalidState(
                    f"an application that is {application.status} cannot become {status}", reason=application.status
                )
            if status == "accepted":
                await number(db, application)
                if application.judge_id is None:
                    application.judge_id = staff.user_id
            application.status = status
            history.record(
                db, application.case_id, staff, "confirmation_status", status=status, case_number=application.court_case_number
            )
            return await view_of(db, application, court=True)

    async def schedule_hearing(
        self, principal: Principal | None, application_id: str, *, starts_at: datetime, duration_minutes: int, timezone: str
    ) -> ApplicationView:
        """A short video hearing with both parties, the judge as host: a session of the case like any
        other (waiting room, recording with consent), reached through a new link sent to each party."""
        if not 10 <= duration_minutes <= 180:
            raise InvalidInput(
                "10 to 180 minutes", [FieldError("duration_minutes", "10 to 180", "range", {"min": 10, "max": 180})]
            )
        starts = parse_start(starts_at, check_timezone(timezone))
        if starts <= utcnow():
            raise InvalidInput("the hearing must be in the future", [FieldError("starts_at", "in the future", "future")])
        async with self._maker() as db, db.begin():
            staff, application = await for_judge(db, principal, application_id, lock=True, changes=True)
            if application.status not in ("accepted", "under_review", "hearing_scheduled"):
                raise InvalidState(
                    "accept the application before scheduling a hearing", reason=application.status, need="accept_first"
                )
            case = await db.get(Case, application.case_id)
            court = await db.get(Organisation, application.court_id)
            judge = await db.get(User, staff.user_id)
            assert case is not None and court is not None and judge is not None
            session = MediationSession(
                case_id=case.id, mediator_id=judge.id, starts_at=starts, ends_at=starts + timedelta(minutes=duration_minutes),
                timezone=timezone, ical_uid=f"{uuid.uuid4()}@mediate", sequence=0, updated_at=utcnow(),
            )  # fmt: skip
            db.add(session)
            await db.flush()
            ctx = notifications.Context(case, session, court, judge)
            issued_links = []
            for party in await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)):
                issued = await links.issue(db, self._settings, staff, session, party)
                phone = phone_pins.notice_values(self._settings, issued.pin)
                notifications.enqueue(db, "hearing", ctx, party, issued.url, phone=phone)
                issued_links.append(issued)
            application.hearing_session_id, application.status = session.id, "hearing_scheduled"
            application.judge_id = application.judge_id or staff.user_id
            history.record(db, case.id, staff, "hearing_scheduled", session_id=session.id, starts_at=starts.isoformat())
            view = await view_of(db, application, court=True)
            view.hearing_links = issued_links  # the PINs are in clear only now: the judge can tell a caller theirs
            return view

    async def add_note(self, principal: Principal | None, application_id: str, text: str) -> JudgeNote:
        text = text.strip()
        if not text or len(text) > MAX_NOTE:
            raise InvalidInput(
                "write a note", [FieldError("text", f"1 to {MAX_NOTE} characters", "length", {"min": 1, "max": MAX_NOTE})]
            )
        async with self._maker() as db, db.begin():
            staff, application = await for_judge(db, principal, application_id, changes=True)
            note = JudgeNote(
                application_id=application.id,
                author_id=staff.user_id,
                author_name=staff.display_name,
                text=text,
                created_at=utcnow(),
            )
            db.add(note)
            return note

    async def access_log(self, principal: Principal | None, application_id: str) -> list[CaseEvent]:
        """Every time the court opened the case's evidence (judges' reads are logged as ``evidence_viewed``)."""
        async with self._maker() as db:
            _, application = await for_judge(db, principal, application_id)
            court_staff = select(User.id).where(User.organisation_id == application.court_id)
            return list(
                await db.scalars(
                    select(CaseEvent)
                    .where(
                        CaseEvent.case_id == application.case_id,
                        CaseEvent.kind.in_(("evidence_viewed", "recording_viewed", "evidence_exported")),
                        CaseEvent.actor_id.in_(court_staff),
                    )
                    .order_by(CaseEvent.at)
                )
            )

    async def log_view(self, principal: Principal | None, case_id: str, what: str, detail: str = "") -> None:
        """A judge read evidence of the case (called after the read succeeded)."""
        if not isinstance(principal, Staff) or principal.role != "judge":
            return
        async with self._maker() as db, db.begin():
            history.record(db, case_id, principal, "evidence_viewed", what=what, detail=detail)
