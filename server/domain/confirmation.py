"""Judicial confirmation (司法确认): from an effective agreement to a court's signed ruling.

People's Mediation Law art. 33 and Civil Procedure Law arts. 205–206: the parties *jointly*
apply, within 30 days of the agreement taking effect, to a basic-level court of the place of the
mediation organisation, of a party's residence or of the property (or to the court that invited
the mediation); the court rules the agreement valid, and it can then be enforced, or rejects it.
The court's rules for online mediation (2021) let all of this happen online.

Here each party signs a ``confirmation_applied`` statement with their own key; the application
reaches the court only when every party has signed. Judges of that court, and no others, then
read the case (``case_for_staff(court=True)``), and the ruling is a ``confirmation_decided``
record signed with the judge's own key, with a PDF sealed by the court.
"""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import agreement_text as words
from server.domain import history, links, notifications
from server.domain.accounts import check_timezone
from server.domain.agreement_seal import Sealer
from server.domain.booking import parse_start
from server.domain.cases import case_for_staff
from server.domain.documents import Uploader, add_document
from server.domain.evidence import Evidence
from server.domain.keybinding import current_party_key, refuse_code
from server.domain.ledger import Ledger
from server.domain.party_signing import (
    PreparedStatement,
    body_method,
    method_of,
    open_statement,
    prepare_statement,
    sign_statement,
)
from server.domain.principal import PartyPrincipal, Principal, Staff, require_party, require_staff
from server.domain.staffkeys import Prepared as StaffPrepared
from server.domain.staffkeys import StaffKeys
from server.errors import Conflict, FieldError, Forbidden, Gone, InvalidInput, InvalidState, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body, sha256_hex
from server.evidence.verify import render, verify_bundle
from server.models import (
    Agreement,
    Case,
    CaseDocument,
    CaseEvent,
    ConfirmationApplication,
    ConfirmationSigner,
    EvidenceBody,
    EvidenceKeyCase,
    JudgeNote,
    MediationSession,
    Organisation,
    OutboxMessage,
    Party,
    User,
    utcnow,
)
from server.settings import Settings

log = logging.getLogger(__name__)

#: People's Mediation Law art. 33: within 30 days of the agreement taking effect.
WINDOW = timedelta(days=30)
#: Why a court may hear the application (the connecting points of art. 33 and CPL art. 205).
GROUNDS: dict[str, tuple[str, str]] = {
    "org_location": ("调解组织所在地", "where the mediation organisation is"),
    "residence": ("当事人住所地", "where a party lives"),
    "property": ("标的物所在地", "where the property in dispute is"),
    "inviting_court": ("委派调解的人民法院", "the court that invited the mediation"),
}
#: Why a court does not confirm an agreement (the Supreme People's Court's provisions on judicial
#: confirmation and the Civil Procedure Law interpretation; check the article numbers cited in rulings).
REJECTION_GROUNDS: dict[str, tuple[str, str]] = {
    "violates_mandatory_law": ("违反法律强制性规定", "violates a mandatory provision of law"),
    "harms_interests": ("损害国家利益、社会公共利益或者他人合法权益", "harms state, public or third-party interests"),
    "public_order": ("违背公序良俗", "against public order or good morals"),
    "not_voluntary": ("违反自愿原则", "not voluntary"),
    "unclear": ("内容不明确", "its content is unclear"),
    "personal_status": ("涉及身份关系、收养关系或者婚姻关系", "concerns personal status, adoption or marriage"),
    "other": ("其他不能进行司法确认的情形", "another ground on which it cannot be confirmed"),
}
JUDGE_STEPS = {"accepted": ("received",), "under_review": ("received", "accepted")}
DECIDABLE = ("accepted", "under_review", "hearing_scheduled")
MAX_NOTE = 5000


@dataclass
class ApplicationView:
    application: ConfirmationApplication
    case: Case
    organisation: Organisation
    court: Organisation
    signers: list[dict[str, Any]]
    judge: User | None
    hearing: MediationSession | None
    ruling: CaseDocument | None
    materials: list[CaseDocument] = field(default_factory=list)
    notes: list[JudgeNote] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)  # with their phone numbers and addresses, for the court


@dataclass(frozen=True)
class Verification:
    ok: bool
    report_zh: str
    report_en: str


@dataclass(frozen=True)
class Eligibility:
    effective_at: datetime | None
    deadline: datetime | None
    reason: str | None  # not_effective | out_of_time | None when an application may be made
    courts: list[tuple[Organisation, list[str]]]


class Confirmations:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        ledger: Ledger,
        settings: Settings,
        staff_keys: StaffKeys,
        sealer: Sealer,
        evidence: Evidence,
    ) -> None:
        self._evidence = evidence
        #: case id -> (its records other than exports, what the verifier said of them)
        self._verified: dict[str, tuple[tuple[tuple[int, str], ...], Verification]] = {}
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._staff_keys = staff_keys
        self._sealer = sealer
        staff_keys.hooks["confirmation_decide"] = _Decided(self)

    # -- who may apply where, and until when ---------------------------------------------------

    async def _eligibility(self, db: AsyncSession, case: Case) -> tuple[Agreement | None, Eligibility]:
        agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
        if agreement is None or agreement.status != "effective" or agreement.sealed_at is None:
            return agreement, Eligibility(None, None, "not_effective", [])
        deadline = agreement.sealed_at + WINDOW
        organisation = await db.get(Organisation, case.organisation_id)
        assert organisation is not None
        residences = {
            p.residence_region for p in await db.scalars(select(Party).where(Party.case_id == case.id)) if p.residence_region
        }
        places: dict[str, set[str]] = {
            "org_location": {organisation.region} if organisation.region else set(),
            "residence": residences,
            "property": {case.property_region} if case.property_region else set(),
        }
        courts = []
        for court in await db.scalars(select(Organisation).where(Organisation.kind == "court").order_by(Organisation.name)):
            grounds = [g for g, regions in places.items() if court.region and court.region in regions]
            if case.invited_by_court_id == court.id:
                grounds.append("inviting_court")
            if grounds:
                courts.append((court, grounds))
        reason = "out_of_time" if utcnow() > deadline else None
        return agreement, Eligibility(agreement.sealed_at, deadline, reason, courts)

    async def eligibility(
        self, principal: Principal | None, case_id: str | None = None
    ) -> tuple[Eligibility, ApplicationView | None]:
        """For a party (their case) or the case's mediator: the deadline, the courts, the application."""
        async with self._maker() as db:
            case = await self._case(db, principal, case_id)
            _, eligible = await self._eligibility(db, case)
            application = await db.scalar(select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id))
            view = await self._view(db, application) if application else None
        return eligible, view

    async def _case(self, db: AsyncSession, principal: Principal | None, case_id: str | None) -> Case:
        if isinstance(principal, PartyPrincipal):
            case = await db.get(Case, principal.case_id)
            assert case is not None
            return case
        if case_id is None:
            require_party(principal)
        assert case_id is not None
        _, case = await case_for_staff(db, principal, case_id, court=True)
        return case

    # -- parties apply, jointly ------------------------------------------------------------------

    def _claim(self, application: ConfirmationApplication, court: Organisation, agreement: Agreement, signed_sha: str,
               party: Party, joint: list[str]) -> tuple[Claim, dict[str, Any]]:  # fmt: skip
        body = make_body(
            {
                "name": party.name,
                "court": court.name,
                "statement": f"本人{party.name}与对方当事人共同向{court.name}申请确认人民调解协议的效力。"
                "I apply, jointly with the other party, for the court to confirm the mediation agreement.",
            }
        )
        public = {
            "application": application.id,
            "court": court.id,
            "ground": application.ground,
            "agreement": agreement.id,
            "signed_pdf_hash": signed_sha,
            "joint": joint,
        }
        actor = {"kind": "party", "id": party.id, "role": party.role}
        return Claim(self._ledger.origin, "confirmation_applied", application.case_id, actor, body_hash(body), public), body

    async def _prepare(self, db: AsyncSession, me: PartyPrincipal, application: ConfirmationApplication) -> PreparedStatement:
        party = await db.get(Party, me.party_id)
        agreement = await db.get(Agreement, application.agreement_id)
        court = await db.get(Organisation, application.court_id)
        assert party is not None and agreement is not None and court is not None
        if party.role not in ("applicant", "respondent"):
            raise Forbidden("only the parties themselves apply for confirmation")
        if await db.get(ConfirmationSigner, (application.id, party.id)) is not None:
            raise Conflict("you have signed this application already", reason="signed")
        signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
        assert signed is not None
        joint = [p.id for p in words.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == party.case_id))))]
        key = await current_party_key(db, party)
        claim, body = self._claim(application, court, agreement, signed.sha256, party, joint)
        body["data"]["method"] = body_method(key)
        claim.body_hash = body_hash(body)
        return await prepare_statement(
            db, self._settings, me, party, key, claim, body,
            purpose="confirmation_apply", use="确认由您本人申请司法确认", extra={"application": application.id},
        )  # fmt: skip

    async def apply(self, principal: Principal | None, court_id: str, ground: str) -> tuple[ApplicationView, PreparedStatement]:
        me = require_party(principal)
        if ground not in GROUNDS:
            raise InvalidInput("unknown ground", [FieldError("ground", "one of " + ", ".join(GROUNDS))])
        async with self._maker() as db, db.begin():
            case = await self._case(db, me, None)
            agreement, eligible = await self._eligibility(db, case)
            if eligible.reason == "not_effective" or agreement is None:
                raise Conflict("the agreement is not in effect yet", reason="not_effective")
            if eligible.reason == "out_of_time":
                raise Gone(
                    "more than 30 days have passed since the agreement took effect (People's Mediation Law art. 33); "
                    "the court can no longer be asked to confirm it this way",
                    reason="out_of_time",
                )
            if await db.scalar(select(ConfirmationApplication.id).where(ConfirmationApplication.case_id == case.id)):
                raise Conflict("an application has been started already; co-sign it instead", reason="exists")
            if not any(court.id == court_id and ground in grounds for court, grounds in eligible.courts):
                raise InvalidInput(
                    "this court cannot hear it on that ground", [FieldError("court_id", "not eligible on this ground")]
                )
            application = ConfirmationApplication(
                case_id=case.id, agreement_id=agreement.id, court_id=court_id, ground=ground, started_by=me.party_id,
                status="awaiting_cosign", created_at=utcnow(),
            )  # fmt: skip
            db.add(application)
            await db.flush()
            history.record(db, case.id, me, "confirmation_started", court_id=court_id, ground=ground)
            prepared = await self._prepare(db, me, application)
            view = await self._view(db, application)
        return view, prepared

    async def prepare_signature(self, principal: Principal | None) -> PreparedStatement:
        me = require_party(principal)
        async with self._maker() as db, db.begin():
            application = await db.scalar(select(ConfirmationApplication).where(ConfirmationApplication.case_id == me.case_id))
            if application is None:
                raise Conflict("no application has been started", reason="not_started")
            if application.status != "awaiting_cosign":
                raise Conflict("the application has been submitted", reason="signed")
            await self._check_window(db, application)
            return await self._prepare(db, me, application)

    async def _check_window(self, db: AsyncSession, application: ConfirmationApplication) -> None:
        agreement = await db.get(Agreement, application.agreement_id)
        assert agreement is not None and agreement.sealed_at is not None
        if utcnow() > agreement.sealed_at + WINDOW:
            raise Gone("more than 30 days have passed since the agreement took effect (art. 33)", reason="out_of_time")

    async def sign(
        self,
        principal: Principal | None,
        challenge: str,
        *,
        code: str | None = None,
        signature: str | None = None,
        credential: dict[str, Any] | None = None,
    ) -> tuple[int, ApplicationView]:
        me = require_party(principal)
        tries_left: int | None = None
        seq = 0
        async with self._maker() as db, db.begin():
            row = await open_statement(db, me, challenge, "confirmation_apply")
            assert row.data is not None
            application = await db.get(ConfirmationApplication, row.data["application"], with_for_update=True)
            assert application is not None
            if application.status != "awaiting_cosign":
                raise Conflict("the application has been submitted", reason="signed")
            await self._check_window(db, application)
            if await db.get(ConfirmationSigner, (application.id, me.party_id)) is not None:
                raise Conflict("you have signed this application already", reason="signed")
            signed = await sign_statement(db, self._ledger, row, challenge, code=code, signature=signature, credential=credential)
            if isinstance(signed, int):
                tries_left = signed
            else:
                seq = signed.seq
                db.add(ConfirmationSigner(application_id=application.id, party_id=me.party_id, seq=seq,
                                          method=method_of(signed.key), signed_at=utcnow()))  # fmt: skip
                await db.flush()
                history.record(db, application.case_id, me, "confirmation_signed", seq=seq)
                joint = list(signed.claim.public.get("joint") or [])
                done = set(
                    await db.scalars(
                        select(ConfirmationSigner.party_id).where(ConfirmationSigner.application_id == application.id)
                    )
                )
                if joint and set(joint) <= done:
                    # Only a joint application is submitted (art. 33: "双方当事人 … 共同申请").
                    application.status, application.submitted_at = "received", utcnow()
                    await self._application_document(db, application)
                    history.record(db, application.case_id, None, "confirmation_submitted", court_id=application.court_id)
            view = await self._view(db, application)
        if tries_left is not None:
            raise refuse_code(tries_left)
        return seq, view

    async def _application_document(self, db: AsyncSession, application: ConfirmationApplication) -> None:
        """The application itself as a PDF for the court's file (the signatures are the log's records)."""
        case = await db.get(Case, application.case_id)
        court = await db.get(Organisation, application.court_id)
        agreement = await db.get(Agreement, application.agreement_id)
        assert case is not None and court is not None and agreement is not None and agreement.sealed_at is not None
        organisation = await db.get(Organisation, case.organisation_id)
        signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
        assert organisation is not None and signed is not None
        parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
        signers = {
            s.party_id: s.seq
            for s in await db.scalars(select(ConfirmationSigner).where(ConfirmationSigner.application_id == application.id))
        }
        text = application_text(application, case, organisation, court, agreement, signed.sha256, parties, signers)
        pdf = await self._sealer.agreement_pdf(
            court.name, case.case_number, 1, text, sha256_hex(text.encode()), title="司法确认申请书"
        )
        await add_document(
            db, self._ledger, case.id, Uploader("platform", None, organisation.name, "platform"), kind="application",
            name=f"司法确认申请书-{case.case_number}.pdf", content_type="application/pdf", data=pdf,
        )  # fmt: skip

    # -- views -------------------------------------------------------------------------------------

    async def _view(self, db: AsyncSession, application: ConfirmationApplication, *, court: bool = False) -> ApplicationView:
        case = await db.get(Case, application.case_id)
        assert case is not None
        organisation = await db.get(Organisation, case.organisation_id)
        court_org = await db.get(Organisation, application.court_id)
        assert organisation is not None and court_org is not None
        signed = {
            s.party_id: s
            for s in await db.scalars(select(ConfirmationSigner).where(ConfirmationSigner.application_id == application.id))
        }
        parties = words.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id))))
        signers = [
            {
                "party_id": p.id,
                "name": p.name,
                "role": p.role,
                "signed_at": signed[p.id].signed_at.isoformat() if p.id in signed else None,
                "method": signed[p.id].method if p.id in signed else None,
                "seq": signed[p.id].seq if p.id in signed else None,
            }
            for p in parties
        ]
        judge = await db.get(User, application.judge_id) if application.judge_id else None
        hearing = await db.get(MediationSession, application.hearing_session_id) if application.hearing_session_id else None
        ruling = await db.get(CaseDocument, application.decision_document_id) if application.decision_document_id else None
        view = ApplicationView(application, case, organisation, court_org, signers, judge, hearing, ruling)
        if court:
            view.materials = list(
                await db.scalars(
                    select(CaseDocument)
                    .where(
                        CaseDocument.case_id == case.id,
                        CaseDocument.kind.in_(("application", "agreement", "signed_agreement", "upload", "ruling")),
                    )
                    .order_by(CaseDocument.created_at)
                )
            )
            view.parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
            view.notes = list(
                await db.scalars(
                    select(JudgeNote).where(JudgeNote.application_id == application.id).order_by(JudgeNote.created_at)
                )
            )
        return view

    # -- the court ---------------------------------------------------------------------------------

    async def _for_judge(
        self, db: AsyncSession, principal: Principal | None, application_id: str, *, lock: bool = False
    ) -> tuple[Staff, ConfirmationApplication]:
        staff = require_staff(principal, "judge")
        application = await db.get(ConfirmationApplication, application_id, with_for_update=lock)
        if application is None or application.status == "awaiting_cosign":
            raise NotFound("no such application")
        if application.court_id != staff.organisation_id:
            raise Forbidden("this application was made to another court")
        return staff, application

    async def judges(self, principal: Principal | None) -> list[User]:
        """The judges of my court, to assign an application to."""
        staff = require_staff(principal, "judge")
        async with self._maker() as db:
            query = select(User).where(
                User.organisation_id == staff.organisation_id, User.role == "judge", User.is_active.is_(True)
            )
            return list(await db.scalars(query.order_by(User.display_name)))

    async def inbox(self, principal: Principal | None) -> list[ApplicationView]:
        staff = require_staff(principal, "judge")
        async with self._maker() as db:
            rows = await db.scalars(
                select(ConfirmationApplication)
                .where(
                    ConfirmationApplication.court_id == staff.organisation_id, ConfirmationApplication.status != "awaiting_cosign"
                )
                .order_by(ConfirmationApplication.submitted_at.desc())
            )
            return [await self._view(db, a) for a in rows]

    async def detail(self, principal: Principal | None, application_id: str) -> ApplicationView:
        async with self._maker() as db, db.begin():
            staff, application = await self._for_judge(db, principal, application_id)
            history.record(db, application.case_id, staff, "evidence_viewed", what="application", application_id=application.id)
            return await self._view(db, application, court=True)

    async def verification(self, principal: Principal | None, application_id: str) -> Verification:
        """What ``mediate verify`` says of the case's bundle, in plain words.

        Checking means exporting, and each export is itself logged; so the answer is kept until the
        case has a record other than an export, and a judge opening the application again does not
        grow the case's log.
        """
        async with self._maker() as db:
            _, application = await self._for_judge(db, principal, application_id)
            case_id = application.case_id
        records = await self._evidence.records(principal, case_id)
        key = tuple((r.seq, r.type) for r in records if r.type not in ("export", "checkpoint_witnessed"))
        cached = self._verified.get(case_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        exported = await self._evidence.export(principal, case_id)
        report = await asyncio.to_thread(verify_bundle, io.BytesIO(exported.data))
        found = Verification(report.ok, render(report, "zh"), render(report, "en"))
        self._verified[case_id] = (key, found)
        return found

    async def assign(self, principal: Principal | None, application_id: str, judge_id: str) -> ApplicationView:
        async with self._maker() as db, db.begin():
            staff, application = await self._for_judge(db, principal, application_id, lock=True)
            judge = await db.get(User, judge_id)
            if judge is None or judge.role != "judge" or judge.organisation_id != staff.organisation_id:
                raise InvalidInput("not a judge of this court", [FieldError("judge_id", "a judge of this court")])
            application.judge_id = judge.id
            history.record(db, application.case_id, staff, "confirmation_assigned", judge=judge.display_name)
            return await self._view(db, application, court=True)

    async def set_status(self, principal: Principal | None, application_id: str, status: str) -> ApplicationView:
        if status not in JUDGE_STEPS:
            raise InvalidInput("unknown status", [FieldError("status", "accepted or under_review")])
        async with self._maker() as db, db.begin():
            staff, application = await self._for_judge(db, principal, application_id, lock=True)
            if application.status not in JUDGE_STEPS[status]:
                raise InvalidState(
                    f"an application that is {application.status} cannot become {status}", reason=application.status
                )
            application.status = status
            if status == "accepted" and application.judge_id is None:
                application.judge_id = staff.user_id
            history.record(db, application.case_id, staff, "confirmation_status", status=status)
            return await self._view(db, application, court=True)

    async def schedule_hearing(
        self, principal: Principal | None, application_id: str, *, starts_at: datetime, duration_minutes: int, timezone: str
    ) -> ApplicationView:
        """A short video hearing with both parties, the judge as host: a session of the case like any
        other (waiting room, recording with consent), reached through a new link sent to each party."""
        if not 10 <= duration_minutes <= 180:
            raise InvalidInput("10 to 180 minutes", [FieldError("duration_minutes", "10 to 180")])
        starts = parse_start(starts_at, check_timezone(timezone))
        if starts <= utcnow():
            raise InvalidInput("the hearing must be in the future", [FieldError("starts_at", "in the future")])
        async with self._maker() as db, db.begin():
            staff, application = await self._for_judge(db, principal, application_id, lock=True)
            if application.status not in ("accepted", "under_review", "hearing_scheduled"):
                raise InvalidState("accept the application before scheduling a hearing", reason=application.status)
            case = await db.get(Case, application.case_id)
            court = await db.get(Organisation, application.court_id)
            judge = await db.get(User, staff.user_id)
            assert case is not None and court is not None and judge is not None
            session = MediationSession(
                case_id=case.id, mediator_id=judge.id, starts_at=starts, ends_at=starts + timedelta(minutes=duration_minutes),
                timezone=timezone, ical_uid=f"{uuid.uuid4()}@mediate", sequence=0, updated_at=utcnow(),
            )  # fmt: skip
            db.add(session)
            await db.flush()
            ctx = notifications.Context(case, session, court, judge)
            for party in await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)):
                issued = await links.issue(db, self._settings, staff, session, party)
                notifications.enqueue(db, "hearing", ctx, party, issued.url)
            application.hearing_session_id, application.status = session.id, "hearing_scheduled"
            application.judge_id = application.judge_id or staff.user_id
            history.record(db, case.id, staff, "hearing_scheduled", session_id=session.id, starts_at=starts.isoformat())
            return await self._view(db, application, court=True)

    async def add_note(self, principal: Principal | None, application_id: str, text: str) -> JudgeNote:
        text = text.strip()
        if not text or len(text) > MAX_NOTE:
            raise InvalidInput("write a note", [FieldError("text", f"1 to {MAX_NOTE} characters")])
        async with self._maker() as db, db.begin():
            staff, application = await self._for_judge(db, principal, application_id)
            note = JudgeNote(
                application_id=application.id,
                author_id=staff.user_id,
                author_name=staff.display_name,
                text=text,
                created_at=utcnow(),
            )
            db.add(note)
            return note

    async def access_log(self, principal: Principal | None, application_id: str) -> list[CaseEvent]:
        """Every time the court opened the case's evidence (judges' reads are logged as ``evidence_viewed``)."""
        async with self._maker() as db:
            _, application = await self._for_judge(db, principal, application_id)
            court_staff = select(User.id).where(User.organisation_id == application.court_id)
            return list(
                await db.scalars(
                    select(CaseEvent)
                    .where(
                        CaseEvent.case_id == application.case_id,
                        CaseEvent.kind.in_(("evidence_viewed", "recording_viewed", "evidence_exported")),
                        CaseEvent.actor_id.in_(court_staff),
                    )
                    .order_by(CaseEvent.at)
                )
            )

    async def log_view(self, principal: Principal | None, case_id: str, what: str, detail: str = "") -> None:
        """A judge read evidence of the case (called after the read succeeded)."""
        if not isinstance(principal, Staff) or principal.role != "judge":
            return
        async with self._maker() as db, db.begin():
            history.record(db, case_id, principal, "evidence_viewed", what=what, detail=detail)

    # -- the ruling ----------------------------------------------------------------------------------

    async def prepare_decision(
        self, principal: Principal | None, application_id: str, *, decision: str, grounds: list[str], reasons: str, key_id: str
    ) -> StaffPrepared:
        if decision not in ("confirmed", "rejected"):
            raise InvalidInput("confirm or reject", [FieldError("decision", "confirmed or rejected")])
        unknown = [g for g in grounds if g not in REJECTION_GROUNDS]
        if unknown or (decision == "rejected" and not grounds) or (decision == "confirmed" and grounds):
            raise InvalidInput(
                "choose the grounds for rejecting (and none for confirming)", [FieldError("grounds", "statutory grounds")]
            )
        reasons = reasons.strip()
        if not reasons or len(reasons) > MAX_NOTE:
            raise InvalidInput("write the reasons", [FieldError("reasons", f"1 to {MAX_NOTE} characters")])
        async with self._maker() as db, db.begin():
            staff, application = await self._for_judge(db, principal, application_id)
            if application.status not in DECIDABLE:
                raise InvalidState("accept the application before deciding it", reason=application.status)
            info = await self._staff_keys.own_key(db, staff, key_id)
            if await db.get(EvidenceKeyCase, (info.id, application.case_id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            agreement = await db.get(Agreement, application.agreement_id)
            court = await db.get(Organisation, application.court_id)
            assert agreement is not None and court is not None
            signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
            assert signed is not None
            body = make_body({"reasons": reasons, "judge": staff.display_name, "court": court.name,
                              "grounds": [REJECTION_GROUNDS[g][0] for g in grounds]})  # fmt: skip
            public = {"application": application.id, "decision": decision, "grounds": grounds, "agreement": agreement.id,
                      "signed_pdf_hash": signed.sha256, "court": court.id}  # fmt: skip
            actor = {"kind": "staff", "id": staff.user_id, "role": "judge"}
            claim = Claim(self._ledger.origin, "confirmation_decided", application.case_id, actor, body_hash(body), public)
            return await self._staff_keys.prepare(db, staff, info, claim, body, "confirmation_decide")

    async def decided(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        application = await db.get(ConfirmationApplication, claim.public["application"], with_for_update=True)
        assert application is not None
        if application.status not in DECIDABLE or application.decision is not None:
            raise InvalidState("this application has been decided", reason=application.status)
        stored = await db.get(EvidenceBody, sha256_hex(claim.statement))
        body = dict(stored.body.get("data") or {}) if stored is not None else {}
        application.decision = str(claim.public["decision"])
        application.status = application.decision
        application.decision_grounds = {"codes": list(claim.public.get("grounds") or [])}
        application.decision_reasons = str(body.get("reasons", ""))
        application.decided_at = utcnow()
        application.judge_id = application.judge_id or staff.user_id
        history.record(db, application.case_id, staff, "confirmation_decided", decision=application.decision, seq=seq)

    async def ruling_document(self, application_id: str) -> None:
        """The ruling as a PDF sealed by the court, filed and delivered. Safe to run again."""
        async with self._maker() as db, db.begin():
            application = await db.get(ConfirmationApplication, application_id, with_for_update=True)
            if application is None or application.decision is None or application.decision_document_id is not None:
                return
            case = await db.get(Case, application.case_id)
            court = await db.get(Organisation, application.court_id)
            judge = await db.get(User, application.judge_id) if application.judge_id else None
            assert case is not None and court is not None
            text = ruling_text(
                application, case, court, judge, list(await db.scalars(select(Party).where(Party.case_id == case.id)))
            )
            pdf = await self._sealer.agreement_pdf(
                court.name, case.case_number, 1, text, sha256_hex(text.encode()), title="民事裁定书"
            )
            sealed, _ = await self._sealer.seal_document(pdf, court.id, court.name, "民事裁定书 人民法院印章")
            doc = await add_document(
                db, self._ledger, case.id, Uploader("platform", None, court.name, "platform"), kind="ruling",
                name=f"民事裁定书-{case.case_number}.pdf", content_type="application/pdf", data=sealed,
            )  # fmt: skip
            application.decision_document_id = doc.id
            for party in words.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id)))):
                await self._ledger.append_platform(
                    db, type="delivery", case=case.id, actor={"kind": "platform", "id": "platform"},
                    data={"name": party.name, "channel": "platform"},
                    public={"document": doc.id, "sha256": doc.sha256, "party": party.id, "event": "delivered"},
                )  # fmt: skip
                outcome = "确认调解协议有效" if application.decision == "confirmed" else "驳回申请"
                db.add(
                    OutboxMessage(
                        case_id=case.id, party_id=party.id, kind="confirmation_decided", channel="sms", recipient=party.phone,
                        subject="司法确认裁定", status="pending", created_at=utcnow(),
                        body=f"【在线调解】{party.name}，{court.name}已就您的司法确认申请（{case.case_number}）作出裁定：{outcome}。"
                        f"请打开您的调解页面查看和下载裁定书。 The court has ruled on your application: {application.decision}.",
                    )
                )  # fmt: skip

    async def recover(self) -> None:
        """Make the rulings a crash left decided but without their document."""
        async with self._maker() as db:
            ids = list(
                await db.scalars(
                    select(ConfirmationApplication.id).where(
                        ConfirmationApplication.decision.is_not(None), ConfirmationApplication.decision_document_id.is_(None)
                    )
                )
            )
        for application_id in ids:
            await self.ruling_document(application_id)

    async def ruling(
        self, principal: Principal | None, case_id: str | None = None, application_id: str | None = None
    ) -> CaseDocument:
        async with self._maker() as db:
            if application_id is not None:
                _, application = await self._for_judge(db, principal, application_id)
            else:
                case = await self._case(db, principal, case_id)
                found = await db.scalar(select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id))
                if found is None:
                    raise NotFound("no application", reason="not_started")
                application = found
            if application.decision_document_id is None:
                raise NotFound("there is no ruling yet", reason="not_ready")
            doc = await db.get(CaseDocument, application.decision_document_id)
            assert doc is not None
            return doc


def application_text(
    application: ConfirmationApplication,
    case: Case,
    organisation: Organisation,
    court: Organisation,
    agreement: Agreement,
    signed_sha256: str,
    parties: list[Party],
    signers: dict[str, int],
) -> str:
    """The joint application as the court files it: who applies, how to reach them, what is asked."""
    assert agreement.sealed_at is not None
    lines = ["司法确认申请书", f"受理法院：{court.name}", ""]
    for p in parties:
        role = words.ROLE_WORDS.get(p.role, p.role)
        contact = f"，联系电话：{p.phone}" + (f"，电子邮箱：{p.email}" if p.email else "")
        place = f"，住所地：{p.residence_region}" if p.residence_region else ""
        signed = f"（以本人密钥签署申请，证据日志第{signers[p.id]}条记录）" if p.id in signers else ""
        lines.append(f"{role}：{p.name}{contact}{place}{signed}")
    effective = agreement.sealed_at.strftime("%Y年%m月%d日")
    lines += [
        "",
        "请求事项：",
        f"请求确认申请人于{effective}经{organisation.name}主持调解达成的人民调解协议（编号{case.case_number}）有效。",
        "",
        "事实与理由：",
        f"申请人之间的纠纷经{organisation.name}调解，达成调解协议，协议经双方当事人签名、调解员签名并加盖调解组织印章，"
        f"于{effective}生效。双方自愿于协议生效之日起三十日内共同申请司法确认（《中华人民共和国人民调解法》第三十三条）。",
        f"向本院申请的依据：{GROUNDS[application.ground][0]}。",
        "",
        "送达：申请人同意通过本平台接收法律文书，并以上列联系电话接收通知。",
        f"附：调解协议书（已签署盖章，PDF SHA-256 {signed_sha256}）；当事人签名密钥绑定与身份核验记录；案件材料。",
    ]
    return "\n".join(lines)


def ruling_text(
    application: ConfirmationApplication, case: Case, court: Organisation, judge: User | None, parties: list[Party]
) -> str:
    lines = [f"{court.name}", "民事裁定书", f"（调解协议：{case.case_number}）", ""]
    for p in words.signing_parties(parties):
        lines.append(f"申请人：{p.name}")
    lines += [
        "",
        "申请人于" + (application.submitted_at or utcnow()).strftime("%Y年%m月%d日") + "共同向本院申请确认人民调解协议的效力。",
        "",
    ]
    if application.decision == "confirmed":
        lines.append(
            "本院经审查认为，该调解协议符合司法确认的条件。依照《中华人民共和国人民调解法》第三十三条、《中华人民共和国民事诉讼法》第二百零六条之规定，裁定如下："
        )
        lines.append(
            "申请人之间的人民调解协议有效。当事人应当按照调解协议履行；一方拒绝履行或者未全部履行的，对方当事人可以向人民法院申请执行。"
        )
    else:
        codes = (application.decision_grounds or {}).get("codes") or []
        grounds = "；".join(REJECTION_GROUNDS[c][0] for c in codes if c in REJECTION_GROUNDS)
        lines.append(
            f"本院经审查认为，该调解协议{grounds}，不符合司法确认的条件。依照《中华人民共和国民事诉讼法》第二百零六条之规定，裁定如下："
        )
        lines.append(
            "驳回申请人的司法确认申请。当事人可以通过调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼。"
        )
    lines += ["", "理由：", application.decision_reasons or "", "", f"审判员：{judge.display_name if judge else ''}",
              (application.decided_at or utcnow()).strftime("%Y年%m月%d日")]  # fmt: skip
    return "\n".join(lines)


class _Decided:
    def __init__(self, confirmations: Confirmations) -> None:
        self._confirmations = confirmations

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        await self._confirmations.decided(db, staff, claim, seq, key)

    async def after(self, staff: Staff, claim: Claim) -> None:
        try:
            await self._confirmations.ruling_document(str(claim.public["application"]))
        except Exception:
            log.exception("making the ruling document of %s failed", claim.public["application"])
