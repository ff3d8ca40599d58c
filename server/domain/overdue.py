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

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import notifications, orgtree
from server.domain.clocks import LEGAL_ZONE, MEDIATION, case_mediation_clock
from server.domain.notices import MONTHS
from server.domain.workdays import Workdays
from server.models import Case, Organisation, OutboxMessage, SupervisionInstruction, User, utcnow

#: How a staff member is reached: the phone and the e-mail address of their account.
CHANNELS = ("sms", "email")


def _contacts(user: User) -> dict[str, str | None]:
    return {"sms": user.phone, "email": user.email}


def _day(day: date) -> tuple[str, str]:
    """A last day as the message says it: 12月9日 / 9 December."""
    return f"{day.month}月{day.day}日", f"{day.day} {MONTHS[day.month - 1]}"


def notify_staff(
    db: AsyncSession, kind: str, user: User, values: dict[str, str], *, english: dict[str, str], dedupe_key: str
) -> list[OutboxMessage]:
    """One message per channel the staff member's account has (phone, e-mail); none without either."""
    return notifications.queue(
        db, kind, {"name": user.display_name, **values}, "zh+en", list(_contacts(user).items()), english=english,
        dedupe_key=dedupe_key,
    )  # fmt: skip


class OverdueNotices:
    def __init__(self, maker: async_sessionmaker[AsyncSession], workdays: Workdays) -> None:
        self._maker = maker
        self._workdays = workdays

    async def queue_due(self, now: datetime | None = None) -> int:
        """Queue the notices of what became overdue since the last round. Safe to run often, from any process.

        A round reads only what can be overdue (a case registered at least the period's days ago, an
        instruction whose day has passed) and skips the notices queued already, so the rounds that
        find nothing new (almost all of them) write nothing.
        """
        now = now or utcnow()
        today = now.astimezone(LEGAL_ZONE).date()
        wanted: list[tuple[str, User, dict[str, str], str, str]] = []  # (kind, person, values, due in English, key)
        async with self._maker() as db:
            parent_of = await orgtree.parents(db)
            supervisors: dict[str, list[User]] = {}
            for user in await db.scalars(select(User).where(User.role == "supervisor", User.is_active)):
                if user.organisation_id is not None:
                    supervisors.setdefault(user.organisation_id, []).append(user)
            # A period ends no sooner than its days after registration (an extension only moves it later).
            cases = await db.execute(
                select(Case, Organisation, User)
                .join(Organisation, Organisation.id == Case.organisation_id)
                .join(User, User.id == Case.mediator_id)
                .where(Case.status == "open", Case.created_at <= now - timedelta(days=MEDIATION.days or 0))
            )
            for case, organisation, mediator in cases.all():
                clock = case_mediation_clock(case, self._workdays, now)  # as the case page shows it
                if clock.state != "overdue":
                    continue
                above = [organisation.id, *orgtree.ancestors(parent_of, organisation.id)]
                zh, en = _day(clock.due_date)
                values = {"org": organisation.name, "case": case.case_number, "due": zh}
                for person in [mediator, *(s for org in above for s in supervisors.get(org, []))]:
                    key = f"period_overdue:{case.id}:{clock.due_date.isoformat()}:{person.id}"
                    wanted.append(("period_overdue", person, values, en, key))
            instructions = await db.execute(
                select(SupervisionInstruction, Case, Organisation, User)
                .join(Case, Case.id == SupervisionInstruction.case_id)
                .join(Organisation, Organisation.id == Case.organisation_id)
                .join(User, User.id == Case.mediator_id)
                .where(
                    Case.status == "open",
                    SupervisionInstruction.replied_at.is_(None),
                    SupervisionInstruction.due_date < today,
                )
            )
            for instruction, case, organisation, mediator in instructions.all():
                assert instruction.due_date is not None
                zh, en = _day(instruction.due_date)
                values = {"org": organisation.name, "case": case.case_number, "due": zh}
                issuer = await db.get(User, instruction.issued_by)
                for person in [mediator] + ([issuer] if issuer is not None and issuer.role == "supervisor" else []):
                    wanted.append(("reply_overdue", person, values, en, f"reply_overdue:{instruction.id}:{person.id}"))
            keys = [f"{key}:{channel}" for *_, key in wanted for channel in CHANNELS]
            queued_already = set(await db.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))))
        queued = 0
        for kind, person, values, due_en, key in wanted:
            reachable = [channel for channel, address in _contacts(person).items() if address]
            if reachable and not all(f"{key}:{channel}" in queued_already for channel in reachable):
                queued += await self._queue(kind, person, values, due_en, key)
        return queued

    async def _queue(self, kind: str, person: User, values: dict[str, str], due_en: str, key: str) -> int:
        try:
            async with self._maker() as db, db.begin():
                return len(notify_staff(db, kind, person, values, english={"due_en": due_en}, dedupe_key=key))
        except IntegrityError:
            return 0  # queued already, by an earlier round or another process
