"""Follow-up visits (回访, ``follow_up_recorded``) and closing the case (结案, ``case_closed``).

People's Mediation Law art. 31 binds the parties to perform the agreement and has the committee
supervise its performance; the Ministry of Justice's 人民调解工作若干规定 art. 39 (and the provincial
rules after it) asks the committee to visit the parties on the performance (回访) and to urge the one
who does not perform, telling the other they may sue on the agreement. The people's mediation file
(人民调解卷宗) ends with the 回访记录 and the 结案报告表; this module makes both.

- A **follow-up visit** is due by rule (server/domain/follow_up_plans.py) or on a day a mediator set;
  a mediator of the case records it: how (by phone, video or in person), the performance found, the
  parties' satisfaction, the remaining risk (隐患) and the actions taken (整改). Signed by the platform
  on the mediator's login, in the case's evidence log, with a history line.
- **Closing** the case: a mediator of the case closes it once mediation has ended (an agreement took
  effect, or mediation ended without one). With every obligation performed the reason is
  ``performed`` (协议已履行完毕); with any outstanding a reason must be given (the party owed gave it
  up, it went to court, or another, in words), never ``performed``. The ``case_closed`` record holds
  the reason and the obligations' state; the case-closing report (人民调解结案报告表,
  server/documents/closing_pdf.py) is made in the same transaction and added to the case files
  (``document_added``), so it is in the bundle; then the case file (人民调解卷宗,
  server/domain/case_file/), whose last part the report is, with its ``case_file_made``. After closing no performance is reported, confirmed,
  disputed or recorded, and no visit recorded: the case is read-only for them (reason ``case_concluded``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.documents.closing_pdf import render_closing
from server.domain import history
from server.domain.access import case_for_staff
from server.domain.case_file import existing, make_case_file
from server.domain.clocks import local_day
from server.domain.closing_report import METHODS, REASONS, SATISFACTION, STATUS_WORDS, build_report
from server.domain.documents import add_document, uploader_of
from server.domain.follow_up_plans import Plan, plans_of
from server.domain.ledger import Ledger
from server.domain.performance import label, performance_text, status_of
from server.domain.principal import Principal, Staff
from server.errors import Conflict, FieldError, InvalidInput, InvalidState
from server.models import Case, CaseDocument, FollowUp, Obligation, User, new_id, utcnow

MAX_TEXT = 2000
RULE_WORDS = {
    "sealed_7": "协议生效后7日回访",
    "sealed_30": "协议生效后30日回访",
    "due": "履行期限届满后回访",
    "manual": "调解员安排的回访",
}


def _text(value: str | None, name: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{name} is required", [FieldError(name, "required", "required")])
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"{name} is too long", [FieldError(name, f"at most {MAX_TEXT} characters", "too_long", {"max": MAX_TEXT})]
        )
    return text


def _choice(value: str, name: str, choices: dict[str, tuple[str, str]]) -> str:
    if value not in choices:
        raise InvalidInput(f"{name}: one of {', '.join(choices)}", [FieldError(name, f"one of {', '.join(choices)}", "choice")])
    return value


def refuse_if_closed(case: Case) -> None:
    """After closing, the case takes no further performance act nor visit."""
    if case.case_closed_at is not None:
        raise Conflict("this case is closed; nothing more can be recorded on it", reason="case_concluded")


@dataclass(frozen=True)
class ClosingView:
    case: Case
    plans: list[Plan]
    outstanding: int
    report: CaseDocument | None
    closed_by: str | None
    #: The case file (卷宗), made at closing; a case closed before files were made has none until a mediator asks.
    case_file: CaseDocument | None = None

    def to_json(self, today: date) -> dict[str, Any]:
        c = self.case
        return {
            "closed": c.case_closed_at is not None,
            "closed_at": c.case_closed_at.isoformat() if c.case_closed_at else None,
            "closed_by": self.closed_by,
            "seq": c.case_closed_seq,
            "reason": c.closing_reason,
            "reason_words": dict(zip(("zh", "en"), REASONS[c.closing_reason], strict=True)) if c.closing_reason else None,
            "note": c.closing_note,
            # Closing needs mediation to have ended; with obligations outstanding, a reason other than `performed`.
            "can_close": c.case_closed_at is None and c.status != "open",
            "outstanding": self.outstanding,
            "report": {"id": self.report.id, "name": self.report.name, "sha256": self.report.sha256} if self.report else None,
            "case_file": (
                {
                    "id": self.case_file.id,
                    "name": self.case_file.name,
                    "sha256": self.case_file.sha256,
                    "bytes": self.case_file.size,
                }
                if self.case_file
                else None
            ),
            "follow_ups": [p.to_json(today) for p in self.plans],
        }


class Closing:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, font: Path | None = None) -> None:
        self._maker = maker
        self._ledger = ledger
        self._font = font

    async def _view(self, db: AsyncSession, case: Case) -> ClosingView:
        plans = (await plans_of(db, [case.id]))[case.id]
        rows = list(await db.scalars(select(Obligation).where(Obligation.case_id == case.id)))
        report = (
            await db.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id, CaseDocument.kind == "closing_report"))
            if case.case_closed_at
            else None
        )
        closer = await db.get(User, case.case_closed_by) if case.case_closed_by else None
        case_file = await existing(db, case.id) if case.case_closed_at else None
        return ClosingView(case, plans, sum(1 for r in rows if r.status != "performed"), report,
                           closer.display_name if closer else None, case_file)  # fmt: skip

    async def view(self, principal: Principal | None, case_id: str) -> ClosingView:
        """The case's follow-up visits and its closing, for its mediators, supervisors above and sharing staff."""
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            return await self._view(db, case)

    # -- follow-up visits -----------------------------------------------------------------------

    async def plan_visit(self, principal: Principal | None, case_id: str, day: date) -> ClosingView:
        """A visit the mediator sets by hand (e.g. after a party's call): an act on the case, so a
        ``follow_up_planned`` record in its log (the visit itself is ``follow_up_recorded`` when made)."""
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, assigned=True, changes=True)
            refuse_if_closed(case)
            if day < local_day(utcnow()):
                raise InvalidInput("the day has passed", [FieldError("planned_on", "today or later", "visit_past_date")])
            plan_id = new_id()
            db.add(FollowUp(id=plan_id, case_id=case.id, plan=f"manual:{plan_id}", planned_on=day, created_by=staff.user_id))
            appended = await self._ledger.append_platform(
                db,
                type="follow_up_planned",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={"mediator": staff.display_name},
                public={"planned_on": day.isoformat()},
            )
            history.record(db, case.id, staff, "follow_up_planned", planned_on=day.isoformat(), seq=appended.record.seq)
            await db.flush()
            return await self._view(db, case)

    async def record_visit(
        self, principal: Principal | None, case_id: str, *, plan: str | None, method: str, performance: str,
        satisfaction: str, risk: str = "", actions: str = "",
    ) -> ClosingView:  # fmt: skip
        """Record a visit made: one that was due (``plan``), or one made unplanned (plan None)."""
        method = _choice(method, "method", METHODS)
        satisfaction = _choice(satisfaction, "satisfaction", SATISFACTION)
        performance = _text(performance, "performance", required=True)
        risk, actions = _text(risk, "risk", required=False), _text(actions, "actions", required=False)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, assigned=True, changes=True)
            refuse_if_closed(case)
            plans = {p.plan: p for p in (await plans_of(db, [case.id]))[case.id]}
            today = local_day(utcnow())
            if plan is None:
                row = FollowUp(id=new_id(), case_id=case.id, planned_on=today, created_by=staff.user_id)
                row.plan = f"manual:{row.id}"
                db.add(row)
            elif plan not in plans:
                raise InvalidInput(
                    "no such visit planned on this case", [FieldError("plan", "a visit of this case", "not_found")]
                )
            else:
                found = plans[plan]
                if found.record is not None and found.record.recorded_at is not None:
                    raise Conflict("this visit was recorded already", reason="recorded_already")
                row = found.record or FollowUp(id=new_id(), case_id=case.id, plan=plan, planned_on=found.planned_on)
                if found.record is None:
                    db.add(row)
            rule = row.plan.split(":", 1)[0]
            appended = await self._ledger.append_platform(
                db,
                type="follow_up_recorded",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "mediator": staff.display_name,
                    "method_words": METHODS[method][0],
                    "performance": performance,
                    "satisfaction_words": SATISFACTION[satisfaction][0],
                    "risk": risk,
                    "actions": actions,
                    "rule_words": RULE_WORDS.get(rule, ""),
                },
                public={"plan": rule, "planned_on": row.planned_on.isoformat(), "method": method, "satisfaction": satisfaction},
            )
            row.recorded_at, row.recorded_by, row.record_seq = utcnow(), staff.user_id, appended.record.seq
            row.method, row.performance, row.satisfaction, row.risk, row.actions = (
                method,
                performance,
                satisfaction,
                risk or None,
                actions or None,
            )
            history.record(
                db, case.id, staff, "follow_up_recorded", method=method, satisfaction=satisfaction, seq=appended.record.seq
            )
            await db.flush()
            return await self._view(db, case)

    # -- closing --------------------------------------------------------------------------------

    async def close(self, principal: Principal | None, case_id: str, *, reason: str | None, note: str = "") -> ClosingView:
        note = _text(note, "note", required=reason == "other")
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, assigned=True, changes=True)
            case = await db.get(Case, case.id, with_for_update=True) or case
            refuse_if_closed(case)
            if case.status == "open":
                raise InvalidState("mediation has not ended on this case", reason="mediation_not_ended")
            rows = list(await db.scalars(
                select(Obligation).where(Obligation.case_id == case.id).order_by(Obligation.term, Obligation.instalment)
            ))  # fmt: skip
            outstanding = [r for r in rows if r.status != "performed"]
            if reason is None:
                if outstanding:
                    raise InvalidInput(
                        "obligations are outstanding: say why the case is closed",
                        [
                            FieldError(
                                "reason", "a reason, since obligations are outstanding", "reason_needed", {"n": len(outstanding)}
                            )
                        ],
                    )
                reason = "performed"
            reason = _choice(reason, "reason", REASONS)
            if reason == "performed" and outstanding:
                raise InvalidInput(
                    "not every obligation is performed",
                    [FieldError("reason", "every obligation performed", "not_all_performed", {"n": len(outstanding)})],
                )
            now = utcnow()
            today = local_day(now)
            appended = await self._ledger.append_platform(
                db,
                type="case_closed",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "mediator": staff.display_name,
                    "reason_words": REASONS[reason][0],
                    "note": note,
                    "obligations": [f"{label(r)[0]}：{performance_text(r)}，{STATUS_WORDS[status_of(r, today)]}" for r in rows],
                },
                public={"reason": reason, "obligations": len(rows), "outstanding": len(outstanding)},
            )
            case.case_closed_at, case.case_closed_by, case.case_closed_seq = now, staff.user_id, appended.record.seq
            case.closing_reason, case.closing_note = reason, note or None
            history.record(db, case.id, staff, "case_closed", reason=reason, seq=appended.record.seq)
            pdf = await self._report(db, case, staff, rows, today)
            await add_document(
                db, self._ledger, case.id, uploader_of(staff), kind="closing_report",
                name=f"人民调解结案报告表-{case.case_number}.pdf", content_type="application/pdf", data=pdf,
            )  # fmt: skip
            await make_case_file(db, self._ledger, case, staff, self._font)
            await db.flush()
            return await self._view(db, case)

    async def _report(self, db: AsyncSession, case: Case, staff: Staff, rows: list[Obligation], today: date) -> bytes:
        doc = await build_report(db, case, staff, rows, today)
        return await asyncio.to_thread(render_closing, doc, self._font)


__all__ = ["METHODS", "REASONS", "SATISFACTION", "Closing", "ClosingView", "refuse_if_closed"]
