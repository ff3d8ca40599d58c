"""After the agreement: reminding who owes before each last day, what is overdue, and the visits due.

People's Mediation Law art. 31: the parties must perform what they agreed, and the mediation
committee supervises the performance and urges the parties to perform ("人民调解委员会应当对调解
协议的履行情况进行监督，督促当事人履行约定的义务"). Three things follow from it here:

- **Reminders** (``PerformanceReminders``, a round of the outbox's loop like server/domain/turns.py):
  3 days and 1 day before an instalment's last day (a Beijing day, clocks.LEGAL_ZONE), the party who
  owes it is sent ``performance_due`` with a fresh personal link to their page, once per instalment
  and per reminder day (the outbox's ``dedupe_key`` makes a second round, or a second process, queue
  nothing). Nothing is sent for an instalment reported, performed, or of a closed case. A party with
  neither phone nor e-mail gets nothing, and the case page says so (``reminders_of``).
- **Overdue** instalments (performance.status_of: the last day has ended, not performed nor reported)
  are listed for the case's mediator (case list) and the supervisors above (supervision board).
- **Follow-up visits** (回访) are due by rule: 7 and 30 days after the agreement was sealed, and the
  day after each instalment's last day; or on a day the mediator set (server/domain/closing.py
  records them). A visit is due once its day has come and it is not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import notices
from server.domain.agreements.obligation import KIND_WORDS, yuan
from server.domain.clocks import end_of, local_day
from server.domain.follow_up_plans import KIND, Plan, plans_of, reminder_key, reminders_of
from server.domain.performance import label, performance_text, status_of
from server.domain.turns import notify_with_link
from server.models import Case, Obligation, OutboxMessage, Party, utcnow
from server.settings import Settings

#: Reminders before an instalment's last day (days before it); the nearest one due is sent.
REMINDER_DAYS = (3, 1)
#: A reminder's link opens until this long after the last day (the party may report late).
LINK_AFTER_DUE = timedelta(days=30)


def owed_thing(row: Obligation) -> str:
    """What the instalment asks, without its day: 人民币5000.00元, 交付车辆."""
    return yuan(row.amount_fen) if row.amount_fen is not None else f"{KIND_WORDS[row.kind][0]}{row.what}"


def reminder_day(due: date, today: date) -> int | None:
    """Which reminder is due today (3 or 1), or None (too early, or the last day has passed)."""
    left = (due - today).days
    if left < 0 or left > max(REMINDER_DAYS):
        return None
    return min(d for d in REMINDER_DAYS if d >= left)


class PerformanceReminders:
    """The round that reminds each party who owes an instalment of its last day (run by the outbox's loop)."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._maker = maker
        self._settings = settings

    async def queue_due(self, now: datetime | None = None) -> int:
        """Queue the reminders due. Safe to run often, from any process; returns how many parties were reminded."""
        now = now or utcnow()
        today = local_day(now)
        async with self._maker() as db:
            rows = list(
                await db.scalars(
                    select(Obligation)
                    .join(Case, Case.id == Obligation.case_id)
                    .where(
                        Obligation.status.in_(("pending", "disputed")),
                        Obligation.due_date >= today,
                        Obligation.due_date <= today + timedelta(days=max(REMINDER_DAYS)),
                        Case.case_closed_at.is_(None),
                    )
                    .order_by(Obligation.due_date, Obligation.id)
                )
            )
            wanted = [(row, days) for row in rows if (days := reminder_day(row.due_date, today)) is not None]
            keys = [f"{reminder_key(row.id, days)}:{channel}" for row, days in wanted for channel in ("sms", "email")]
            queued_already = {
                k.rsplit(":", 1)[0] for k in await db.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys)))
                if k
            }  # fmt: skip
        queued = 0
        for row, days in wanted:
            if reminder_key(row.id, days) not in queued_already:
                queued += await self._remind(row.id, days)
        return queued

    async def _remind(self, obligation_id: str, days: int) -> int:
        try:
            async with self._maker() as db, db.begin():
                row = await db.get(Obligation, obligation_id)
                assert row is not None
                case, debtor = await db.get(Case, row.case_id), await db.get(Party, row.debtor_party_id)
                assert case is not None and debtor is not None
                zh, en = notices.day_text(row.due_date)
                values = {"name": debtor.name, "case": case.case_number, "what": owed_thing(row), "days": str(days), "due": zh}
                sent = await notify_with_link(
                    db, self._settings, KIND, case, debtor, values, until=end_of(row.due_date) + LINK_AFTER_DUE,
                    english={"due_en": en, "what_en": f"{owed_thing(row)} ({label(row)[1]})"},
                    dedupe_key=reminder_key(row.id, days),
                )  # fmt: skip
                return 1 if sent else 0
        except IntegrityError:
            return 0  # queued already, by an earlier round or another process


@dataclass(frozen=True)
class Overdue:
    """An overdue instalment, as the mediator's list and the supervisor's board name it."""

    row: Obligation
    debtor: Party
    creditor: Party

    def to_json(self) -> dict[str, Any]:
        zh, en = label(self.row)
        return {
            "id": self.row.id,
            "label": {"zh": zh, "en": en},
            "what": performance_text(self.row),
            "amount_fen": self.row.amount_fen,
            "due_date": self.row.due_date.isoformat(),
            # Overdue from the day after the last day (its end is midnight, Beijing time).
            "overdue_since": (self.row.due_date + timedelta(days=1)).isoformat(),
            "status": self.row.status,
            "debtor": {"party_id": self.debtor.id, "name": self.debtor.name, "role": self.debtor.role},
            "creditor": {"party_id": self.creditor.id, "name": self.creditor.name, "role": self.creditor.role},
        }


async def overdue_in(db: AsyncSession, case_ids: list[str], today: date) -> dict[str, list[Overdue]]:
    """The overdue instalments of these cases (closed cases' included: closing does not perform them)."""
    if not case_ids:
        return {}
    rows = list(
        await db.scalars(
            select(Obligation)
            .where(
                Obligation.case_id.in_(case_ids),
                Obligation.status.in_(("pending", "disputed")),
                Obligation.due_date < today,
            )
            .order_by(Obligation.due_date, Obligation.term, Obligation.instalment)
        )
    )
    parties = {p.id: p for p in await db.scalars(select(Party).where(Party.case_id.in_({r.case_id for r in rows})))}
    found: dict[str, list[Overdue]] = {}
    for r in rows:
        if status_of(r, today) == "overdue":
            found.setdefault(r.case_id, []).append(Overdue(r, parties[r.debtor_party_id], parties[r.creditor_party_id]))
    return found


__all__ = ["KIND", "Overdue", "PerformanceReminders", "Plan", "overdue_in", "plans_of", "reminders_of"]
