"""Staff's side of online applications: the queue, accept (the case is registered) or decline."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, notices, notifications, willingness
from server.domain.accounts import token_hash
from server.domain.cases import Cases, CaseView
from server.domain.clocks import acceptance_clock
from server.domain.documents import Uploader, add_document
from server.domain.ledger import Ledger
from server.domain.online_applications.form import DECLINE_ROUTES, STATUS_TOKEN_BYTES, ApplicationView, person_of, text_errors
from server.domain.online_applications.views import notice_key, status_url, view_of
from server.domain.principal import Principal, Staff, require_staff
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from server.models import ApplicationFile, MediationApplication, Organisation, User, utcnow
from server.settings import Settings


class Answers:
    """Staff's side: the queue of confirmed applications, and the answer (accept or decline)."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        ledger: Ledger,
        settings: Settings,
        cases: Cases,
        workdays: Workdays | None = None,
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._cases = cases
        self._workdays = workdays or Workdays()

    async def file_for_staff(self, principal: Principal | None, application_id: str, file_id: str) -> ApplicationFile:
        """A file of an application that awaits my organisation's answer (afterwards it is in the case file)."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db:
            application = await db.get(MediationApplication, application_id)
            file = await db.get(ApplicationFile, file_id)
            if (
                application is None
                or application.status == "unconfirmed"
                or file is None
                or file.application_id != application.id
            ):
                raise NotFound("no such file", reason="no_such_document")
            if application.organisation_id != staff.organisation_id:
                raise Forbidden("this application was made to another organisation", reason="another_organisation")
            return file

    # -- staff -------------------------------------------------------------------------------

    async def for_staff(self, principal: Principal | None, application_id: str) -> ApplicationView:
        """One application made to my organisation, waiting or answered, with what became of the text
        telling the applicant the answer (the queue's card follows it after answering)."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db:
            application = await db.get(MediationApplication, application_id)
            if application is None or application.status == "unconfirmed":
                raise NotFound("no such application", reason="no_such_application")
            if application.organisation_id != staff.organisation_id:
                raise Forbidden("this application was made to another organisation", reason="another_organisation")
            return await view_of(db, self._workdays, application)

    def _notice_link(self, application: MediationApplication) -> str:
        """A second link to the applicant's status page, for the text (the module's docstring says why)."""
        token = secrets.token_urlsafe(STATUS_TOKEN_BYTES)
        application.notice_token_hash = token_hash(token)
        return status_url(self._settings, token)

    async def queue(self, principal: Principal | None) -> list[ApplicationView]:
        """Confirmed applications awaiting my organisation's answer, oldest first (mediators only)."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db:
            rows = await db.scalars(
                select(MediationApplication)
                .where(MediationApplication.organisation_id == staff.organisation_id, MediationApplication.status == "waiting")
                .order_by(MediationApplication.confirmed_at)
            )
            return [await view_of(db, self._workdays, a) for a in rows]

    async def count_waiting(self, principal: Principal | None) -> int:
        staff = require_staff(principal, "mediator")
        async with self._maker() as db:
            found = await db.scalar(
                select(func.count()).where(
                    MediationApplication.organisation_id == staff.organisation_id, MediationApplication.status == "waiting"
                )
            )
            return int(found or 0)

    async def _waiting(self, db: AsyncSession, staff: Staff, application_id: str) -> MediationApplication:
        application = await db.get(MediationApplication, application_id, with_for_update=True)
        if application is None or application.status == "unconfirmed":
            # An unconfirmed application does not exist for staff.
            raise NotFound("no such application", reason="no_such_application")
        if application.organisation_id != staff.organisation_id:
            raise Forbidden("this application was made to another organisation", reason="another_organisation")
        if application.status != "waiting":
            raise Conflict(f"this application was {application.status} already", reason=f"application_{application.status}")
        return application

    async def accept(
        self,
        principal: Principal | None,
        application_id: str,
        *,
        case_number: str,
        dispute_type: str,
        mediator_id: str | None = None,
    ) -> tuple[ApplicationView, CaseView]:
        """Accept: the case is registered as at the window (``Cases.register``), under the application's
        id, with the parties applied for; ``case_accepted`` follows ``case_registered`` in its log;
        the other side is then asked (``willingness.ask_other_side``). The mediator is the one chosen,
        by default the one the applicant asked for (在线调解规则 art. 5 lets parties choose)."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db, db.begin():
            application = await self._waiting(db, staff, application_id)
            org = await db.get(Organisation, application.organisation_id)
            assert org is not None and application.confirmed_at is not None
            mediator_id = mediator_id or application.preferred_mediator_id or staff.user_id
            applicant = person_of(application.applicant, "applicant")
            respondents = [person_of(r, "respondent") for r in application.respondents]
            view = await self._cases.register(
                db, staff,
                case_number=case_number, dispute_type=dispute_type, summary=application.facts,
                source="party_application", mediator_id=mediator_id,
                applicants=[applicant], respondents=respondents, respondent_phone_optional=True,
                case_id=application.id,
            )  # fmt: skip
            now = utcnow()
            # What the applicant attached joins the case file as their own uploads (their eyes and the
            # mediators' only, until the applicant shares them: the case file's rule).
            applicant_party = next(p for p in view.parties if p.role == "applicant")
            who = Uploader("party", applicant_party.id, applicant_party.name, "applicant")
            for file in await db.scalars(
                select(ApplicationFile)
                .where(ApplicationFile.application_id == application.id)
                .order_by(ApplicationFile.created_at)
            ):
                await add_document(
                    db, self._ledger, view.case.id, who, kind="upload", name=file.name, content_type=file.content_type,
                    data=file.data, visible_to=[applicant_party.id],
                )  # fmt: skip
            clock = acceptance_clock(application.confirmed_at, now, now, self._workdays)
            application.status, application.decided_at, application.decided_by = "accepted", now, staff.user_id
            application.case_id = view.case.id
            preferred = await db.get(User, application.preferred_mediator_id) if application.preferred_mediator_id else None
            appended = await self._ledger.append_platform(
                db,
                type="case_accepted",
                case=view.case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "organisation": org.name,
                    "accepted_by": staff.display_name,
                    "mediator": view.mediator.display_name,
                    "preferred_mediator": preferred.display_name if preferred else None,
                    "centre_assigns": application.centre_assigns,
                    "facts": application.facts,
                    "requests": application.requests,
                    "applied_at": application.created_at.isoformat(),
                    "confirmed_at": application.confirmed_at.isoformat(),
                    "due_date": clock.due_date.isoformat() if clock.due_date else None,
                },
                public={
                    "application": application.id,
                    "phone_confirmed": "sms_otp",
                    "due_date": clock.due_date.isoformat() if clock.due_date else None,
                    "on_time": clock.state == "met" and not clock.met_late,
                },
            )
            history.record(
                db, view.case.id, staff, "case_accepted", application=application.id, seq=appended.record.seq,
                mediator=view.mediator.display_name,
            )  # fmt: skip
            await willingness.ask_other_side(db, view.case, settings=self._settings, principal=staff, workdays=self._workdays)
            # The applicant hears the answer on the phone they confirmed (the party's phone is that number).
            applicant_party.language = application.applicant.get("language") or "zh"
            url = self._notice_link(application)
            values = {
                "name": applicant_party.name,
                "org": org.name,
                "case": view.case.case_number,
                "mediator": view.mediator.display_name,
                "link": notices.link_param(url, "application_accepted"),
            }
            notifications.notify(
                db, "application_accepted", applicant_party, values, url=url, case_id=view.case.id,
                dedupe_key=notice_key(application),
            )  # fmt: skip
            await db.flush()
            return await view_of(db, self._workdays, application), view

    async def decline(
        self, principal: Principal | None, application_id: str, *, reason: str, routes: list[str]
    ) -> ApplicationView:
        """Decline, saying why and which routes stay open to the applicant (``case_declined``: the first
        record of the chain under the application's id; the module's docstring says why there)."""
        staff = require_staff(principal, "mediator")
        errors = text_errors(reason, "reason")
        unknown = [r for r in routes if r not in DECLINE_ROUTES]
        if not routes:
            errors.append(FieldError("routes", "say at least one route open to the applicant", "required"))
        elif unknown:
            errors.append(FieldError("routes", "not one of " + ", ".join(DECLINE_ROUTES), "choice"))
        if errors:
            raise InvalidInput("say why, and the routes still open", errors)
        routes = list(dict.fromkeys(routes))
        async with self._maker() as db, db.begin():
            application = await self._waiting(db, staff, application_id)
            org = await db.get(Organisation, application.organisation_id)
            assert org is not None and application.confirmed_at is not None
            now = utcnow()
            clock = acceptance_clock(application.confirmed_at, now, now, self._workdays)
            application.status, application.decided_at, application.decided_by = "declined", now, staff.user_id
            application.decline_reason, application.decline_routes = reason.strip(), routes
            await self._ledger.append_platform(
                db,
                type="case_declined",
                case=application.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "organisation": org.name,
                    "declined_by": staff.display_name,
                    "reason": reason.strip(),
                    "routes": [DECLINE_ROUTES[r][0] for r in routes],
                    "applicant": application.applicant.get("name"),
                    "applied_at": application.created_at.isoformat(),
                    "confirmed_at": application.confirmed_at.isoformat(),
                },
                public={
                    "application": application.id,
                    "routes": routes,
                    "due_date": clock.due_date.isoformat() if clock.due_date else None,
                    "on_time": not clock.met_late,
                },
            )
            # No case, so no party: the text goes to the phone they confirmed. The reason's gist (a
            # template variable holds 35 characters); the status page has it whole, and the routes.
            url = self._notice_link(application)
            values = {
                "name": str(application.applicant.get("name") or ""),
                "org": org.name,
                "reason": reason.strip(),
                "link": notices.link_param(url, "application_declined"),
            }
            notifications.notify_phone(
                db, "application_declined", application.phone, values, language=application.applicant.get("language") or "zh",
                url=url, dedupe_key=notice_key(application),
            )  # fmt: skip
            await db.flush()
            return await view_of(db, self._workdays, application)
