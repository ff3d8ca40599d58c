"""The applicant's side: the public page, the form, the phone's code, the status link and its files."""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import orgtree, reach
from server.domain.accounts import token_hash
from server.domain.codes import CodeSent, send_phone_code
from server.domain.documents import NAME, check_content
from server.domain.online_applications.form import (
    CODE_TTL,
    LIMITS,
    MAX_CODE_ATTEMPTS,
    MAX_FILES,
    STATUS_TOKEN_BYTES,
    TAKES_APPLICATIONS,
    UNCONFIRMED_TTL,
    ApplicationForm,
    ApplicationView,
    Door,
    Submitted,
    check_form,
    code_hash,
    stored,
    wait_text,
)
from server.domain.online_applications.views import by_token, status_url, view_of
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, Gone, InvalidInput, NotFound, TooManyAttempts
from server.evidence.records import sha256_hex
from server.models import ApplicationFile, MediationApplication, Organisation, User, utcnow
from server.settings import Settings


class OnlineApplications:
    """The applicant's side: nothing here writes to a case or its log (staff's ``Answers`` do)."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings, workdays: Workdays | None = None) -> None:
        self._maker = maker
        self._settings = settings
        self._workdays = workdays or Workdays()

    # -- the public page ---------------------------------------------------------------------

    async def open_doors(self) -> tuple[list[Organisation], bool]:
        """The organisations that take applications (``/apply``), and whether a phone can be confirmed."""
        async with self._maker() as db:
            orgs = list(
                await db.scalars(
                    select(Organisation).where(Organisation.kind.in_(TAKES_APPLICATIONS)).order_by(Organisation.name)
                )
            )
        return orgs, reach.sms_configured(self._settings)

    async def door(self, organisation_id: str) -> Door:
        async with self._maker() as db:
            return await self._door(db, organisation_id)

    async def _door(self, db: AsyncSession, organisation_id: str) -> Door:
        org = await db.get(Organisation, organisation_id)
        if org is None or org.kind not in TAKES_APPLICATIONS:
            raise NotFound("this organisation takes no applications here", reason="no_such_organisation")
        ids = [org.id]
        if org.kind == "centre":
            below = await orgtree.subtree_of(db, org.id)
            others = await db.scalars(
                select(Organisation)
                .where(Organisation.id.in_(below - {org.id}), Organisation.kind.in_(TAKES_APPLICATIONS))
                .order_by(Organisation.name)
            )
            ids += [o.id for o in others]
        choices = []
        for oid in ids:
            o = await db.get(Organisation, oid)
            assert o is not None
            mediators = list(
                await db.scalars(
                    select(User)
                    .where(User.organisation_id == oid, User.role == "mediator", User.is_active.is_(True))
                    .order_by(User.display_name)
                )
            )
            choices.append((o, mediators))
        return Door(org, choices, reach.sms_configured(self._settings))

    async def submit(self, organisation_id: str, form: ApplicationForm, client_address: str) -> Submitted:
        """Keep the application (unconfirmed) and send the code to the applicant's phone."""
        errors = check_form(form)
        if errors:
            raise InvalidInput("the application is not complete", errors)
        now = utcnow()
        async with self._maker() as db, db.begin():
            door = await self._door(db, organisation_id)
            if not door.phone_confirmation:
                raise Conflict(
                    "本平台未开通短信，无法确认您的手机号码，在线申请暂不能提交。请到调解组织窗口申请。"
                    " / No SMS service here: your phone cannot be confirmed. Apply at the organisation's window.",
                    reason="no_sms_service",
                )
            choices = {o.id: (o, mediators) for o, mediators in door.choices}
            chosen = form.organisation_id or None
            centre_assigns = chosen is None and door.centre
            target = chosen or door.organisation.id
            if target not in choices:
                raise InvalidInput(
                    "not an organisation of this page",
                    [FieldError("organisation_id", "one of the organisations this page offers", "choice")],
                )
            preferred = form.preferred_mediator_id or None
            if preferred is not None and preferred not in {m.id for m in choices[target][1]}:
                raise InvalidInput(
                    "no such mediator there",
                    [FieldError("preferred_mediator_id", "a mediator of the organisation chosen", "mediator_of_org")],
                )
            # Applications never confirmed, past their day: gone, with the applicant's particulars.
            await db.execute(
                delete(MediationApplication).where(
                    MediationApplication.status == "unconfirmed", MediationApplication.expires_at <= now
                )
            )
            phone = form.applicant.phone.strip()
            await self._check_limits(db, phone, client_address, now)
            application = MediationApplication(
                organisation_id=target,
                centre_assigns=centre_assigns,
                preferred_mediator_id=preferred,
                applicant=stored(form.applicant) | {"language": "en" if form.language == "en" else "zh"},
                respondents=[stored(r) for r in form.respondents],
                facts=form.facts.strip(),
                requests=form.requests.strip(),
                phone=phone,
                client_address=client_address[:64],
                status="unconfirmed",
                created_at=now,
                expires_at=now + UNCONFIRMED_TTL,
                code_attempts=0,
            )
            db.add(application)
            await db.flush()
            sent = await self._send_code(db, application)
            return Submitted(application, sent)

    async def _check_limits(self, db: AsyncSession, phone: str, address: str, now: datetime) -> None:
        waits: list[tuple[int, str]] = []
        for limit in LIMITS:
            column = MediationApplication.phone if limit.what == "phone" else MediationApplication.client_address
            value = phone if limit.what == "phone" else address[:64]
            times = list(
                await db.scalars(
                    select(MediationApplication.created_at)
                    .where(column == value, MediationApplication.created_at > now - limit.window)
                    .order_by(MediationApplication.created_at.desc())
                )
            )
            if len(times) >= limit.most:
                waits.append((max(1, math.ceil((times[limit.most - 1] + limit.window - now).total_seconds())), limit.reason))
        if waits:
            wait, reason = max(waits)
            raise TooManyAttempts(wait_text(reason, wait), retry_after=wait, reason=reason)

    async def _send_code(self, db: AsyncSession, application: MediationApplication) -> CodeSent:
        code = f"{secrets.randbelow(1_000_000):06d}"
        sent = await send_phone_code(db, self._settings, application.phone, code, use="确认调解申请")
        application.code_nonce = secrets.token_urlsafe(24)
        application.code_hash = code_hash(application.code_nonce, code)
        application.code_expires_at = utcnow() + CODE_TTL
        application.code_attempts = 0
        return sent

    async def _unconfirmed(self, db: AsyncSession, application_id: str) -> MediationApplication:
        application = await db.get(MediationApplication, application_id, with_for_update=True)
        if application is None:
            raise NotFound("no such application", reason="no_such_application")
        if application.status != "unconfirmed":
            raise Conflict("this application was confirmed already", reason="already_confirmed")
        if application.expires_at <= utcnow():
            raise Gone("this application expired unconfirmed; fill in the form again", reason="application_expired")
        return application

    async def resend_code(self, application_id: str) -> CodeSent:
        """A new code (the old one no longer works), within the per-number limits of every code."""
        async with self._maker() as db, db.begin():
            application = await self._unconfirmed(db, application_id)
            return await self._send_code(db, application)

    async def confirm(self, application_id: str, code: str) -> tuple[MediationApplication, str]:
        """The applicant's code: the application now counts and waits in the queue. Returns it and the
        status token (shown once, in the applicant's status link)."""
        async with self._maker() as db, db.begin():
            application = await self._unconfirmed(db, application_id)
            if application.code_hash is None or application.code_nonce is None or application.code_expires_at is None:
                raise Conflict("ask for a code first", reason="no_code")
            if application.code_expires_at <= utcnow():
                raise Gone("this code has expired; ask for a new one", reason="expired")
            if application.code_attempts >= MAX_CODE_ATTEMPTS:
                raise TooManyAttempts("too many wrong codes; ask for a new one", retry_after=0, reason="too_many_wrong_codes")
            if not hmac.compare_digest(application.code_hash, code_hash(application.code_nonce, code.strip())):
                application.code_attempts += 1
                left = MAX_CODE_ATTEMPTS - application.code_attempts
                # Committed with the refusal below (the transaction ends on the raise): answered outside it.
                wrong = InvalidInput(
                    "wrong code", [FieldError("code", f"wrong code; {left} tries left", "wrong_code", {"tries_left": left})]
                )
            else:
                wrong = None
                token = secrets.token_urlsafe(STATUS_TOKEN_BYTES)
                application.status = "waiting"
                application.confirmed_at = utcnow()
                application.code_hash = application.code_nonce = None  # a code works once
                application.status_token_hash = token_hash(token)
        if wrong is not None:
            raise wrong
        return application, token

    def status_url(self, token: str) -> str:
        return status_url(self._settings, token)

    async def status(self, token: str) -> ApplicationView:
        """The applicant's view of their application, by their status link."""
        async with self._maker() as db:
            application = await db.scalar(by_token(token))
            if application is None:
                raise NotFound("no such application", reason="no_such_application")
            return await view_of(db, self._workdays, application)

    async def may_attach(self, token: str) -> None:
        """Asked before an upload's bytes are read: a live status link of an application that waits."""
        view = await self.status(token)
        if view.application.status != "waiting":
            status = view.application.status
            raise Conflict(f"this application was {status} already", reason=f"application_{status}")

    async def attach(self, token: str, *, name: str, content_type: str, data: bytes) -> ApplicationFile:
        """The applicant adds a file by their status link, while the application waits: the case file's
        types and size (``documents.check_content``), at most ``MAX_FILES``. A file needs the phone
        confirmed first, so the open door takes no anonymous uploads."""
        name = name.strip()
        if not NAME.match(name):
            raise InvalidInput("bad file name", [FieldError("name", "1 to 200 characters, no slashes", "file_name")])
        kind = check_content(content_type, data, self._settings.max_upload_bytes)
        async with self._maker() as db, db.begin():
            application = await db.scalar(by_token(token).with_for_update())
            if application is None:
                raise NotFound("no such application", reason="no_such_application")
            if application.status != "waiting":
                raise Conflict(f"this application was {application.status} already", reason=f"application_{application.status}")
            count = await db.scalar(select(func.count()).where(ApplicationFile.application_id == application.id))
            if int(count or 0) >= MAX_FILES:
                raise Conflict(f"at most {MAX_FILES} files", reason="too_many_files", max=MAX_FILES)
            file = ApplicationFile(
                application_id=application.id, name=name, content_type=kind, sha256=sha256_hex(data), size=len(data),
                data=data, created_at=utcnow(),
            )  # fmt: skip
            db.add(file)
            await db.flush()
            return file
