"""Telling each person when it is their turn: to sign the agreement, to co-sign the application
for judicial confirmation, and that a deadline is near.

Each notice carries a fresh personal link that opens until the step's own end (links are
bound to a session: the case's latest one that is not cancelled), issued beside the links the
party already has so their open page keeps working (``links.issue(keep_others=True)``).

Deadlines: the signing deadline the mediator set when making the agreement final, and the 30
days after it took effect within which the parties may jointly apply for judicial confirmation
(People's Mediation Law art. 33). A reminder goes 3 days and 1 day before, once each (keyed like
the session reminders), and not to a party who was sent the notice itself within the last day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import links, notices, notifications, particulars
from server.models import (
    Agreement,
    AgreementSignature,
    Case,
    ConfirmationApplication,
    ConfirmationSigner,
    MediationSession,
    Organisation,
    OutboxMessage,
    Party,
    utcnow,
)
from server.settings import Settings

#: Reminders before a deadline, and how soon after the step's own notice one is not needed.
REMINDER_DAYS = (3, 1)
FRESH_NOTICE = timedelta(days=1)


async def latest_session(db: AsyncSession, case_id: str) -> MediationSession | None:
    return await db.scalar(
        select(MediationSession)
        .where(MediationSession.case_id == case_id, MediationSession.status != "cancelled")
        .order_by(MediationSession.starts_at.desc())
        .limit(1)
    )


async def notify_with_link(
    db: AsyncSession,
    settings: Settings,
    kind: str,
    case: Case,
    party: Party,
    values: dict[str, str],
    *,
    until: datetime,
    english: dict[str, str] | None = None,
    dedupe_key: str | None = None,
) -> list[OutboxMessage]:
    """A notice with a new personal link that opens until ``until`` (none if the case has no session)."""
    session = await latest_session(db, case.id)
    url = None
    if session is not None:
        url = (await links.issue(db, settings, None, session, party, until=until, keep_others=True)).url
        values = values | {"link": notices.link_param(url)}
    return notifications.notify(
        db, kind, party, values, url=url, case_id=case.id, session_id=session.id if session else None,
        english=english, dedupe_key=dedupe_key,
    )  # fmt: skip


def _when(settings: Settings, session: MediationSession | None, at: datetime) -> tuple[str, str]:
    zone = session.timezone if session is not None else settings.default_timezone
    return notifications.local_time_text(at, zone), notifications.local_time_text_en(at, zone)


async def ask_to_sign(db: AsyncSession, settings: Settings, case: Case, agreement: Agreement) -> None:
    """The agreement is final: each party who signs is asked to, before the deadline (art. 29)."""
    assert agreement.deadline is not None
    deadline, deadline_en = _when(settings, await latest_session(db, case.id), agreement.deadline)
    parties = particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id))))
    for party in parties:
        await notify_with_link(
            db, settings, "agreement_to_sign", case, party, {"name": party.name, "case": case.case_number, "deadline": deadline},
            until=agreement.deadline + timedelta(hours=1), english={"deadline_en": deadline_en},
        )  # fmt: skip


async def ask_to_cosign(
    db: AsyncSession, settings: Settings, application: ConfirmationApplication, *, deadline: datetime, until: datetime
) -> None:
    """One party started the joint application (art. 33): every other party is asked to co-sign."""
    case = await db.get(Case, application.case_id)
    court = await db.get(Organisation, application.court_id)
    applicant = await db.get(Party, application.started_by)
    assert case is not None and court is not None and applicant is not None
    by, by_en = _when(settings, await latest_session(db, case.id), deadline)
    for party in particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id)))):
        if party.id == applicant.id:
            continue
        values = {"name": party.name, "other": applicant.name, "court": court.name, "case": case.case_number, "deadline": by}
        await notify_with_link(
            db, settings, "cosign_needed", case, party, values, until=until, english={"deadline_en": by_en},
            dedupe_key=f"cosign_needed:{application.id}:{party.id}",
        )  # fmt: skip


class Turns:
    """The round that reminds people of deadlines near (run by the outbox's loop)."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        confirmation_window: timedelta,
        after_seal: timedelta,
    ) -> None:
        self._maker = maker
        self._settings = settings
        self._window = confirmation_window
        self._after_seal = after_seal

    async def queue_due(self, now: datetime | None = None) -> int:
        """Queue the deadline reminders that are due. Safe to run often; returns how many were queued."""
        now = now or utcnow()
        return await self._signing(now) + await self._confirmation(now)

    async def _signing(self, now: datetime) -> int:
        async with self._maker() as db:
            agreements = list(
                await db.scalars(
                    select(Agreement).where(
                        Agreement.status == "final", Agreement.deadline > now, Agreement.deadline <= now + timedelta(days=3)
                    )
                )
            )
        queued = 0
        for agreement in agreements:
            assert agreement.deadline is not None
            days = 1 if agreement.deadline - now <= timedelta(days=1) else 3
            async with self._maker() as db:
                signed = set(
                    await db.scalars(select(AgreementSignature.signer_id).where(AgreementSignature.agreement_id == agreement.id))
                )
            queued += await self._remind(
                "signing_deadline", agreement.case_id, agreement.deadline, days, f"{agreement.id}", signed,
                until=agreement.deadline + timedelta(hours=1), fresh_kind="agreement_to_sign", now=now,
            )  # fmt: skip
        return queued

    async def _confirmation(self, now: datetime) -> int:
        async with self._maker() as db:
            agreements = list(
                await db.scalars(
                    select(Agreement).where(
                        Agreement.status == "effective",
                        Agreement.sealed_at > now - self._window,
                        Agreement.sealed_at <= now - self._window + timedelta(days=3),
                    )
                )
            )
        queued = 0
        for agreement in agreements:
            assert agreement.sealed_at is not None
            deadline = agreement.sealed_at + self._window
            days = 1 if deadline - now <= timedelta(days=1) else 3
            async with self._maker() as db:
                application = await db.scalar(
                    select(ConfirmationApplication).where(ConfirmationApplication.case_id == agreement.case_id)
                )
                if application is not None and application.status != "awaiting_cosign":
                    continue  # submitted: the deadline is met
                done = (
                    set(
                        await db.scalars(
                            select(ConfirmationSigner.party_id).where(ConfirmationSigner.application_id == application.id)
                        )
                    )
                    if application is not None
                    else set()
                )
            queued += await self._remind(
                "confirmation_deadline", agreement.case_id, deadline, days, agreement.id, done,
                until=agreement.sealed_at + self._after_seal, fresh_kind="cosign_needed", now=now,
            )  # fmt: skip
        return queued

    async def _remind(
        self, kind: str, case_id: str, deadline: datetime, days: int, key: str, done: set[str], *,
        until: datetime, fresh_kind: str, now: datetime,
    ) -> int:  # fmt: skip
        async with self._maker() as db:
            case = await db.get(Case, case_id)
            assert case is not None
            parties = particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case_id))))
            fresh = set(
                await db.scalars(
                    select(OutboxMessage.party_id).where(
                        OutboxMessage.case_id == case_id,
                        OutboxMessage.kind == fresh_kind,
                        OutboxMessage.created_at > now - FRESH_NOTICE,
                    )
                )
            )
            sent = set(
                await db.scalars(
                    select(OutboxMessage.party_id).where(
                        OutboxMessage.case_id == case_id, OutboxMessage.dedupe_key.like(f"{kind}:{key}:{days}:%")
                    )
                )
            )
        queued = 0
        for party in parties:
            if party.id in done or party.id in fresh or party.id in sent:
                continue
            try:
                async with self._maker() as db, db.begin():
                    when, when_en = _when(self._settings, await latest_session(db, case_id), deadline)
                    values = {"name": party.name, "case": case.case_number, "days": str(days), "deadline": when}
                    await notify_with_link(
                        db, self._settings, kind, case, party, values, until=until, english={"deadline_en": when_en},
                        dedupe_key=f"{kind}:{key}:{days}:{party.id}",
                    )  # fmt: skip
                queued += 1
            except IntegrityError:
                pass  # queued already, by this or another process
        return queued
