"""An application as it is read, and how a status link finds it."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import notifications
from server.domain.accounts import token_hash
from server.domain.clocks import acceptance_clock
from server.domain.online_applications.form import ApplicationView
from server.domain.workdays import Workdays
from server.models import ApplicationFile, Case, MediationApplication, Organisation, User, utcnow
from server.settings import Settings


def status_url(settings: Settings, token: str) -> str:
    """The applicant's status page: the link shown on confirming, or the one texted with the answer."""
    return f"{settings.base_url}/apply/s/{token}"


def by_token(token: str) -> Select[MediationApplication]:
    """The application a status link opens: the link shown on confirming, or the one texted with the answer."""
    hashed = token_hash(token)
    return select(MediationApplication).where(
        or_(MediationApplication.status_token_hash == hashed, MediationApplication.notice_token_hash == hashed)
    )


async def view_of(db: AsyncSession, workdays: Workdays, application: MediationApplication) -> ApplicationView:
    """An application as its applicant and staff read it: the organisation, the acceptance clock, who
    decided, the case, the files, and what became of the text telling the answer."""
    org = await db.get(Organisation, application.organisation_id)
    assert org is not None
    clock = None
    if application.confirmed_at is not None:
        decided = application.decided_at if application.status in ("accepted", "declined") else None
        clock = acceptance_clock(application.confirmed_at, decided, utcnow(), workdays)
    preferred = await db.get(User, application.preferred_mediator_id) if application.preferred_mediator_id else None
    decided_by = await db.get(User, application.decided_by) if application.decided_by else None
    case = await db.get(Case, application.case_id) if application.case_id else None
    mediator = await db.get(User, case.mediator_id) if case is not None else None
    files = tuple(
        await db.scalars(
            select(ApplicationFile).where(ApplicationFile.application_id == application.id).order_by(ApplicationFile.created_at)
        )
    )
    notice = None
    if application.status in ("accepted", "declined"):
        texted = (await notifications.queued_under(db, [notice_key(application)]))[notice_key(application)]
        notice = notifications.Notice(tuple(texted))
    return ApplicationView(application, org, clock, preferred, decided_by, case, mediator, files, notice)


def notice_key(application: MediationApplication) -> str:
    """The outbox key of the text telling the applicant the answer: one answer, one text."""
    return f"application_decided:{application.id}"
