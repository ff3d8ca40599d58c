"""Overdue items are told to the person handling them and to the supervisors above (督办, issue #21).

The supervision board and the mediator's case list already mark what is overdue; this sends the
same news to people who are not looking at a page: "overdue items are notified to the handler and
the supervisor". Two items are watched:

- a case's **mediation period** has passed with the case still open (在线调解规则 art. 24: 30 days
  unless both parties agree to extend; ``clocks.mediation_clock``): the case's mediator and every
  supervisor of its organisation or of one above it are told, once per last day (an extension
  makes a new last day, and a new notice if that one passes too);
- a supervisor's **instruction** whose reply was due by a day now past and is still unanswered:
  the case's mediator and the supervisor who issued it are told, once.

A staff member is reached on the phone and e-mail of their account; one with neither gets nothing
(and nothing claims otherwise: the board still shows the item). The messages go through the outbox
like every notice, with no case attached, so that a mediator's list of a case's messages to its
parties never shows a supervisor's phone number.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import notices, orgtree
from server.domain.clocks import LEGAL_ZONE, case_clocks
from server.domain.workdays import Workdays
from server.models import Case, Organisation, OutboxMessage, SupervisionInstruction, User, utcnow

MONTHS = "January February March April May June July August September October November December".split()


def _day(day: date) -> tuple[str, str]:
    """A last day as the message says it: 12月9日 / 9 December."""
    return f"{day.month}月{day.day}日", f"{day.day} {MONTHS[day.month - 1]}"


def notify_staff(
    db: AsyncSession, kind: str, user: User, values: dict[str, str], *, english: dict[str, str], dedupe_key: str
) -> list[OutboxMessage]:
    """One message per channel the staff member's account has (phone, e-mail); none without either."""
    params = notices.params_for(kind, {"name": user.display_name, **values})
    subject, body = notices.compose(kind, params, "zh+en", english=english)
    channels = [("sms", user.phone), ("email", user.email)]
    messages = []
    for channel, recipient in channels:
        if not recipient:
            continue
        message = OutboxMessage(
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            template_params=params if channel == "sms" else None,
            status="pending",
            dedupe_key=f"{dedupe_key}:{channel}",
            created_at=utcnow(),
        )
        db.add(message)
        messages.append(message)
    return messages


class OverdueNotices:
    def __init__(self, maker: async_sessionmaker[AsyncSession], workdays: Workdays) -> None:
        self._maker = maker
        self._workdays = workdays

    async def queue_due(self, now: datetime | None = None) -> int:
        """Queue the notices of what became overdue since the last round. Safe to run often, from any process."""
        now = now or utcnow()
        queued = 0
        async with self._maker() as db:
            parent_of = await orgtree.parents(db)
            supervisors: dict[str, list[User]] = {}
            for user in await db.scalars(select(User).where(User.role == "supervisor", User.is_active)):
                if user.organisation_id is not None:
                    supervisors.setdefault(user.organisation_id, []).append(user)
            rows = (
                await db.execute(
                    select(Case, Organisation, User)
                    .join(Organisation, Organisation.id == Case.organisation_id)
                    .join(User, User.id == Case.mediator_id)
                    .where(Case.status == "open")
                )
            ).all()
            instructions = (
                await db.execute(
                    select(SupervisionInstruction, Case, Organisation, User)
                    .join(Case, Case.id == SupervisionInstruction.case_id)
                    .join(Organisation, Organisation.id == Case.organisation_id)
                    .join(User, User.id == Case.mediator_id)
                    .where(SupervisionInstruction.replied_at.is_(None), SupervisionInstruction.due_date.is_not(None))
                )
            ).all()
            issuers = {u.id: u for u in await db.scalars(select(User).where(User.role == "supervisor"))}
            # The case's own mediation clock, as its page shows it (an extension both parties signed included).
            periods = {}
            for case, _, _ in rows:
                clock = next(c for c in await case_clocks(db, case, self._workdays, now) if c.rule.name == "mediation")
                periods[case.id] = clock
        today = now.astimezone(LEGAL_ZONE).date()
        for case, organisation, mediator in rows:
            clock = periods[case.id]
            if clock.state != "overdue":
                continue
            above = [organisation.id, *orgtree.ancestors(parent_of, organisation.id)]
            people = [mediator, *(s for org in above for s in supervisors.get(org, []))]
            zh, en = _day(clock.due_date)
            values = {"org": organisation.name, "case": case.case_number, "due": zh}
            for person in people:
                key = f"period_overdue:{case.id}:{clock.due_date.isoformat()}:{person.id}"
                queued += await self._queue("period_overdue", person, values, en, key)
        for instruction, case, organisation, mediator in instructions:
            if case.status != "open" or instruction.due_date is None or instruction.due_date >= today:
                continue
            zh, en = _day(instruction.due_date)
            values = {"org": organisation.name, "case": case.case_number, "due": zh}
            people = [mediator] + ([issuers[instruction.issued_by]] if instruction.issued_by in issuers else [])
            for person in people:
                queued += await self._queue("reply_overdue", person, values, en, f"reply_overdue:{instruction.id}:{person.id}")
        return queued

    async def _queue(self, kind: str, person: User, values: dict[str, str], due_en: str, key: str) -> int:
        try:
            async with self._maker() as db, db.begin():
                return len(notify_staff(db, kind, person, values, english={"due_en": due_en}, dedupe_key=key))
        except IntegrityError:
            return 0  # queued already, by an earlier round or another process
