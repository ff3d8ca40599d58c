"""Follow-up visits (回访) due by rule, and what the mediator's case list counts after the agreement.

People's Mediation Law art. 31: the mediation committee supervises the agreement's performance. A
visit is due 7 and 30 days after the agreement was sealed (``sealed_7``, ``sealed_30``), the day
after each instalment's last day (``due:<obligation id>``), or on a day the mediator set
(``manual:<id>``); it is due once its day (a Beijing day) has come and it is not recorded
(server/domain/closing.py records it). This module reads only rows: the case list
(server/domain/cases.py) counts from it without importing the performance service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.clocks import local_day
from server.models import Agreement, Case, FollowUp, Obligation, OutboxMessage

#: Follow-up visits by rule: days after the agreement was sealed.
AFTER_SEAL_DAYS = (7, 30)
#: The reminder of an instalment's last day (server/domain/follow_through.py queues it).
KIND = "performance_due"


def reminder_key(obligation_id: str, days: int) -> str:
    return f"{KIND}:{obligation_id}:{days}"


async def reminders_of(db: AsyncSession, case_id: str) -> dict[str, list[dict[str, Any]]]:
    """Each instalment's reminders as queued, with what became of each message (say only what happened)."""
    found: dict[str, list[dict[str, Any]]] = {}
    rows = await db.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case_id, OutboxMessage.kind == KIND).order_by(OutboxMessage.id)
    )
    for m in rows:
        _, obligation_id, days, _channel = (m.dedupe_key or "::0:").split(":", 3)
        found.setdefault(obligation_id, []).append(
            {
                "id": m.id,
                "days": int(days),
                "channel": m.channel,
                "recipient": m.recipient,
                "status": m.status,
                "provider": m.provider,
                "attempts": m.attempts,
                "created_at": m.created_at.isoformat(),
                "failure_reason": m.failure_reason or m.last_error,
            }
        )
    return found


@dataclass(frozen=True)
class Plan:
    """A follow-up visit: why it is due (``plan``), on which day, and its record once made."""

    case_id: str
    plan: str
    planned_on: date
    record: FollowUp | None
    obligation: Obligation | None = None

    def due(self, today: date) -> bool:
        return (self.record is None or self.record.recorded_at is None) and self.planned_on <= today

    def to_json(self, today: date) -> dict[str, Any]:
        r = self.record
        rule = self.plan.split(":", 1)[0]
        return {
            "plan": self.plan,
            "rule": rule,
            "planned_on": self.planned_on.isoformat(),
            "due": self.due(today),
            # The instalment whose last day it follows (the page names it from the case's obligations).
            "obligation": {
                "id": self.obligation.id,
                "term": self.obligation.term,
                "instalment": self.obligation.instalment,
                "instalments": self.obligation.instalments,
                "due_date": self.obligation.due_date.isoformat(),
            }
            if self.obligation is not None
            else None,
            "recorded": r is not None and r.recorded_at is not None,
            "record": None
            if r is None or r.recorded_at is None
            else {
                "id": r.id,
                "recorded_at": r.recorded_at.isoformat(),
                "recorded_by": r.recorded_by,
                "seq": r.record_seq,
                "method": r.method,
                "performance": r.performance,
                "satisfaction": r.satisfaction,
                "risk": r.risk,
                "actions": r.actions,
            },
        }


async def plans_of(db: AsyncSession, case_ids: list[str]) -> dict[str, list[Plan]]:
    """Each case's follow-up visits, by day: the rule's (from the sealed agreement and its instalments) and the mediator's."""
    if not case_ids:
        return {}
    found: dict[str, list[Plan]] = {c: [] for c in case_ids}
    records = {(f.case_id, f.plan): f for f in await db.scalars(select(FollowUp).where(FollowUp.case_id.in_(case_ids)))}
    sealed = await db.execute(
        select(Agreement.case_id, Agreement.sealed_at).where(Agreement.case_id.in_(case_ids), Agreement.sealed_at.is_not(None))
    )
    for case_id, sealed_at in sealed.all():
        if sealed_at is None:
            continue
        for days in AFTER_SEAL_DAYS:
            plan = f"sealed_{days}"
            found[case_id].append(
                Plan(case_id, plan, local_day(sealed_at) + timedelta(days=days), records.pop((case_id, plan), None))
            )
    for ob in await db.scalars(select(Obligation).where(Obligation.case_id.in_(case_ids))):
        plan = f"due:{ob.id}"
        found[ob.case_id].append(
            Plan(ob.case_id, plan, ob.due_date + timedelta(days=1), records.pop((ob.case_id, plan), None), ob)
        )
    for (case_id, plan), row in records.items():  # by hand
        found[case_id].append(Plan(case_id, plan, row.planned_on, row))
    for plans in found.values():
        plans.sort(key=lambda p: (p.planned_on, p.plan))
    return found


async def counts(db: AsyncSession, case_ids: list[str], today: date) -> dict[str, tuple[int, int]]:
    """Per case: (overdue instalments, follow-up visits due), for the mediator's case list. Closed cases have no visits due."""
    overdue: dict[str, int] = {}
    if case_ids:
        for case_id in await db.scalars(
            select(Obligation.case_id).where(
                Obligation.case_id.in_(case_ids), Obligation.status.in_(("pending", "disputed")), Obligation.due_date < today
            )
        ):
            overdue[case_id] = overdue.get(case_id, 0) + 1
    closed = set(await db.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.case_closed_at.is_not(None))))
    plans = await plans_of(db, [c for c in case_ids if c not in closed])
    return {c: (overdue.get(c, 0), sum(1 for p in plans.get(c, []) if p.due(today))) for c in case_ids}


__all__ = ["AFTER_SEAL_DAYS", "KIND", "Plan", "counts", "plans_of", "reminder_key", "reminders_of"]
