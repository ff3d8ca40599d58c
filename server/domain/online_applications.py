"""A party applies for mediation online (当事人申请), from a public page a QR code opens.

People's Mediation Law art. 17: a party may apply to a people's mediation committee; the
Ministry's application form (人民调解申请书) names the applicant and the other side, what happened and
what the applicant asks (请求事项). The page is an open door, so:

- the application counts only once the applicant types the code sent to their phone
  (``server/domain/codes.py`` ``send_phone_code``; with no SMS service nothing is stored and the page
  says to apply at the window: it never says a message was sent when none was);
- submissions are limited per client address and per phone (``LIMITS``), with a 429 saying why and
  when to try again, besides the per-number limits of every code;
- an application never confirmed expires (``UNCONFIRMED_TTL``, 24 hours) without becoming a case; it
  is never shown to staff, and it is deleted with the next submission after that.

A confirmed application waits in its organisation's queue. The organisation answers within three
working days (在线调解规则 art. 12; ``clocks.acceptance_clock``). Its mediator accepts it: the case is
registered (``Cases.register``, source ``party_application``, the parties as applied, the case number
typed by staff as at the window, a mediator chosen) with the application's id as the case's id, and
the case's log holds ``case_registered`` then ``case_accepted`` (the application's time, its
confirmation and the clock); then the other side is asked whether they agree
(``willingness.ask_other_side``). Or the mediator declines it, with the reason and the routes still
open to the applicant (``case_declined``).

Either way the applicant is told by text message on the phone they confirmed, in the same
transaction as the answer (the outbox delivers it once it commits; a retried answer is refused, and
the message's key is the application's, so never two): the answer, the case number and mediator or
the reason's gist, and a link to their status page, which lists the routes still open. The link
shown when they confirmed is kept only as its hash, so the text carries a second token to the same
page (``notice_token_hash``). Staff see what became of the text beside the answer
(``ApplicationView.notice``): taken by the provider, delivered, failed and why, or only recorded
because no SMS service or template sends it.

Where a refusal lives. A declined application never becomes a case, yet the refusal is an act of the
organisation the applicant may need to show (a court or another organisation asks whether mediation
was tried, 人民调解法 art. 26 tells the parties their other routes). The evidence ledger keys its
chains by a 36-character id with no reference to the cases table (``EvidenceChain.case_id``), so the
``case_declined`` record is the first record of the chain under the application's own id: signed by
the platform, sequenced and covered by the log's checkpoints like every case record, and found again
from the application row (``MediationApplication.id``). An accepted application's case takes that
same id, so one id names the application's chain whether it ends in a refusal or goes on as a case.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, notices, notifications, orgtree, reach, registration, willingness
from server.domain.accounts import token_hash
from server.domain.cases import Cases, CaseView
from server.domain.clocks import Clock, acceptance_clock
from server.domain.codes import CodeSent, send_phone_code
from server.domain.documents import NAME, Uploader, add_document, check_content
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, require_staff
from server.domain.registration import Registrant
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, Forbidden, Gone, InvalidInput, NotFound, TooManyAttempts
from server.evidence.records import sha256_hex
from server.models import ApplicationFile, Case, MediationApplication, Organisation, User, utcnow
from server.settings import Settings

#: The kinds of organisation whose page takes applications (a court or a bureau does not mediate itself).
TAKES_APPLICATIONS = ("committee", "centre")
#: An application whose phone is never confirmed is gone after this.
UNCONFIRMED_TTL = timedelta(hours=24)
CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
STATUS_TOKEN_BYTES = 24
MAX_TEXT = 4000
MAX_RESPONDENTS = 10
#: Files an applicant may attach to one application (photos of the damage, a contract, an IOU).
MAX_FILES = 5
#: The routes a refused applicant still has (人民调解法 art. 26; 在线调解规则 art. 25): code -> (zh, en).
DECLINE_ROUTES: dict[str, tuple[str, str]] = {
    "court": ("向人民法院起诉", "Bring a lawsuit in a people's court"),
    "arbitration": (
        "申请仲裁（如有仲裁协议，或属劳动争议仲裁范围）",
        "Apply for arbitration (with an arbitration agreement, or a labour dispute)",
    ),
    "administrative": ("请求有关行政机关处理", "Ask the competent administrative authority to handle it"),
    "other_organisation": ("向其他调解组织申请调解", "Apply to another mediation organisation"),
}


@dataclass(frozen=True)
class Limit:
    """At most ``most`` submissions per ``window`` for one phone or one client address."""

    what: str  # phone | address
    window: timedelta
    most: int
    reason: str


#: One person applies once or twice; a public computer at a service hall (one address) a few times
#: an hour. More than that is someone filling the queue or sending strangers' phones codes.
LIMITS = (
    Limit("phone", timedelta(days=1), 3, "applications_per_phone"),
    Limit("address", timedelta(hours=1), 5, "applications_per_address"),
    Limit("address", timedelta(days=1), 20, "applications_per_address_day"),
)


@dataclass(frozen=True)
class Door:
    """What the public page of an organisation offers: itself, or for a centre the organisations below it too."""

    organisation: Organisation
    #: The organisations the applicant may choose (the page's own first), each with its mediators' names.
    choices: list[tuple[Organisation, list[User]]]
    #: Whether a code can reach a phone: without it the page says to apply at the window.
    phone_confirmation: bool

    @property
    def centre(self) -> bool:
        return self.organisation.kind == "centre"


@dataclass
class ApplicationForm:
    applicant: Registrant
    respondents: list[Registrant]
    facts: str
    requests: str
    #: The organisation chosen; None on a centre's page: 让中心分派.
    organisation_id: str | None = None
    preferred_mediator_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The page's language when they applied (zh | en): the text telling them the answer adds English for en.
    language: str = "zh"


@dataclass(frozen=True)
class Submitted:
    application: MediationApplication
    sent: CodeSent


@dataclass(frozen=True)
class ApplicationView:
    application: MediationApplication
    organisation: Organisation
    acceptance: Clock | None
    preferred_mediator: User | None = None
    decided_by: User | None = None
    case: Case | None = None
    mediator: User | None = None
    files: tuple[ApplicationFile, ...] = ()
    #: The text telling the applicant the answer (None before the answer).
    notice: notifications.Notice | None = None


def _code_hash(nonce: str, code: str) -> str:
    return hashlib.sha256(f"{nonce}:{code}".encode()).hexdigest()


def _text(value: str, name: str, *, required: bool = True) -> list[FieldError]:
    text = value.strip()
    if required and not text:
        return [FieldError(name, "required", "required")]
    if len(text) > MAX_TEXT:
        return [FieldError(name, f"at most {MAX_TEXT} characters", "too_long", {"max": MAX_TEXT})]
    return []


def check_form(form: ApplicationForm) -> list[FieldError]:
    """The registration's own checks of each person (registration.check), and the two texts.

    The other side's phone may be unknown to the applicant (then empty); their name is required.
    """
    errors = registration.check([form.applicant], "applicant")
    errors = [FieldError(e.field.replace("applicant.0.", "applicant."), e.reason, e.code, e.params) for e in errors]
    if not form.respondents:
        errors.append(FieldError("respondents", "name the other side", "required"))
    if len(form.respondents) > MAX_RESPONDENTS:
        errors.append(FieldError("respondents", f"at most {MAX_RESPONDENTS}", "too_many", {"max": MAX_RESPONDENTS}))
    for i, other in enumerate(form.respondents):
        if not other.name:
            errors.append(FieldError(f"respondents.{i}.name", "required", "required"))
        if other.phone and not registration.PHONE.match(other.phone):
            errors.append(FieldError(f"respondents.{i}.phone", "digits, spaces or dashes, optionally starting with +", "phone"))
    return errors + _text(form.facts, "facts") + _text(form.requests, "requests")


def _person(data: dict[str, Any], role: str) -> Registrant:
    born = data.get("birth_date")
    return Registrant(
        role,
        str(data.get("name") or ""),
        str(data.get("phone") or ""),
        sex=data.get("sex"),
        birth_date=date.fromisoformat(born) if born else None,
        age=data.get("age"),
        address=data.get("address"),
    )


def _stored(person: Registrant) -> dict[str, Any]:
    return {
        "name": person.name.strip(),
        "phone": (person.phone or "").strip(),
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "age": person.age,
        "address": (person.address or "").strip() or None,
    }


def _wait_text(reason: str, wait: int) -> str:
    when_zh = f"{wait}秒" if wait < 120 else (f"{math.ceil(wait / 60)}分钟" if wait < 7200 else f"{math.ceil(wait / 3600)}小时")
    when_en = f"{wait} seconds" if wait < 120 else (f"{math.ceil(wait / 60)} minutes" if wait < 7200 else f"{math.ceil(wait / 3600)} hours")  # fmt: skip
    why = {
        "applications_per_phone": ("这个手机号码今天提交的申请已达上限", "too many applications with this phone number today"),
        "applications_per_address": ("这台设备一小时内提交的申请已达上限", "too many applications from this device this hour"),
        "applications_per_address_day": ("这台设备今天提交的申请已达上限", "too many applications from this device today"),
    }[reason]
    return f"{why[0]}，请{when_zh}后再试，或到调解组织窗口申请。/ {why[1].capitalize()}; try again in {when_en}, or apply at the window."


class OnlineApplications:
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
                applicant=_stored(form.applicant) | {"language": "en" if form.language == "en" else "zh"},
                respondents=[_stored(r) for r in form.respondents],
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
            raise TooManyAttempts(_wait_text(reason, wait), retry_after=wait, reason=reason)

    async def _send_code(self, db: AsyncSession, application: MediationApplication) -> CodeSent:
        code = f"{secrets.randbelow(1_000_000):06d}"
        sent = await send_phone_code(db, self._settings, application.phone, code, use="确认调解申请")
        application.code_nonce = secrets.token_urlsafe(24)
        application.code_hash = _code_hash(application.code_nonce, code)
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
            if not hmac.compare_digest(application.code_hash, _code_hash(application.code_nonce, code.strip())):
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
        return f"{self._settings.base_url}/apply/s/{token}"

    @staticmethod
    def _by_token(token: str) -> Select[MediationApplication]:
        """The application a status link opens: the link shown on confirming, or the one texted with the answer."""
        hashed = token_hash(token)
        return select(MediationApplication).where(
            or_(MediationApplication.status_token_hash == hashed, MediationApplication.notice_token_hash == hashed)
        )

    async def status(self, token: str) -> ApplicationView:
        """The applicant's view of their application, by their status link."""
        async with self._maker() as db:
            application = await db.scalar(self._by_token(token))
            if application is None:
                raise NotFound("no such application", reason="no_such_application")
            return await self._view(db, application)

    async def _view(self, db: AsyncSession, application: MediationApplication) -> ApplicationView:
        org = await db.get(Organisation, application.organisation_id)
        assert org is not None
        clock = None
        if application.confirmed_at is not None:
            decided = application.decided_at if application.status in ("accepted", "declined") else None
            clock = acceptance_clock(application.confirmed_at, decided, utcnow(), self._workdays)
        preferred = await db.get(User, application.preferred_mediator_id) if application.preferred_mediator_id else None
        decided_by = await db.get(User, application.decided_by) if application.decided_by else None
        case = await db.get(Case, application.case_id) if application.case_id else None
        mediator = await db.get(User, case.mediator_id) if case is not None else None
        files = tuple(
            await db.scalars(
                select(ApplicationFile)
                .where(ApplicationFile.application_id == application.id)
                .order_by(ApplicationFile.created_at)
            )
        )
        notice = None
        if application.status in ("accepted", "declined"):
            texted = (await notifications.queued_under(db, [_notice_key(application)]))[_notice_key(application)]
            notice = notifications.Notice(tuple(texted))
        return ApplicationView(application, org, clock, preferred, decided_by, case, mediator, files, notice)

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
            application = await db.scalar(self._by_token(token).with_for_update())
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
            return await self._view(db, application)

    def _notice_link(self, application: MediationApplication) -> str:
        """A second link to the applicant's status page, for the text (the module's docstring says why)."""
        token = secrets.token_urlsafe(STATUS_TOKEN_BYTES)
        application.notice_token_hash = token_hash(token)
        return self.status_url(token)

    async def queue(self, principal: Principal | None) -> list[ApplicationView]:
        """Confirmed applications awaiting my organisation's answer, oldest first (mediators only)."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db:
            rows = await db.scalars(
                select(MediationApplication)
                .where(MediationApplication.organisation_id == staff.organisation_id, MediationApplication.status == "waiting")
                .order_by(MediationApplication.confirmed_at)
            )
            return [await self._view(db, a) for a in rows]

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
            applicant = _person(application.applicant, "applicant")
            respondents = [_person(r, "respondent") for r in application.respondents]
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
                dedupe_key=_notice_key(application),
            )  # fmt: skip
            await db.flush()
            return await self._view(db, application), view

    async def decline(
        self, principal: Principal | None, application_id: str, *, reason: str, routes: list[str]
    ) -> ApplicationView:
        """Decline, saying why and which routes stay open to the applicant (``case_declined``: the first
        record of the chain under the application's id; the module's docstring says why there)."""
        staff = require_staff(principal, "mediator")
        errors = _text(reason, "reason")
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
                url=url, dedupe_key=_notice_key(application),
            )  # fmt: skip
            await db.flush()
            return await self._view(db, application)


def _notice_key(application: MediationApplication) -> str:
    """The outbox key of the text telling the applicant the answer: one answer, one text."""
    return f"application_decided:{application.id}"
