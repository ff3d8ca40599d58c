"""Cases and their parties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import follow_up_plans, history, orgtree, particulars, registration
from server.domain.access import case_for_staff, is_before_court, referral_sharing
from server.domain.case_values import format_amount, parse_amount
from server.domain.clocks import Clock, case_clocks, case_mediation_clock, local_day
from server.domain.group_commit import GroupCommit
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, require_staff
from server.domain.registration import ID_NUMBER, PHONE, Registrant
from server.domain.statistics_stream import index_registered
from server.domain.vocabulary import DISPUTE_TYPES, INVITED_AS, PARTY_ROLES, REPRESENTATIVE_ROLES
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.evidence.records import timestamp
from server.models import (
    Case,
    CaseEvent,
    MediationSession,
    Organisation,
    OutboxMessage,
    Party,
    Referral,
    SupervisionInstruction,
    User,
    utcnow,
)

#: What a mediator may change about a party after adding them (role and whom they act for stay).
EDITABLE = (
    "name", "phone", "email", "id_number", "residence_region",
    "sex", "birth_date", "age", "ethnicity", "occupation", "address", "authority",
)  # fmt: skip


def _check_invited(role: str, invited_as: str | None, represents_party_id: str | None) -> None:
    """An invited person says in what capacity they come and acts for nobody; nobody else has a capacity."""
    if role == "invited":
        if not invited_as:
            raise InvalidInput(
                "say in what capacity the person is invited",
                [FieldError("invited_as", "one of " + ", ".join(INVITED_AS), "invited_as_required")],
            )
        if invited_as not in INVITED_AS:
            raise InvalidInput("unknown capacity", [FieldError("invited_as", "not one of " + ", ".join(INVITED_AS), "choice")])
        if represents_party_id:
            raise InvalidInput(
                "an invited person acts for nobody",
                [FieldError("represents_party_id", "only an agent or interpreter acts for a party", "invited_represents")],
            )
    elif invited_as is not None:
        raise InvalidInput(
            "only an invited person has a capacity", [FieldError("invited_as", "only for role invited", "invited_as_only")]
        )


@dataclass(frozen=True)
class CaseView:
    case: Case
    mediator: User
    parties: list[Party]
    organisation: Organisation | None = None
    next_session: MediationSession | None = None
    #: A joint application for confirmation has been submitted: the case can no longer be changed.
    before_court: bool = False
    #: Its clocks (server/domain/clocks.py), where they stand when the case was read.
    clocks: tuple[Clock, ...] = ()
    #: How many applicants the case has (a collective case's list shows the number).
    applicant_count: int = 0
    #: Supervisors' instructions on the case that await its mediator's reply (server/domain/supervision.py).
    supervision_awaiting: int = 0
    #: Instalments of the sealed agreement overdue, and follow-up visits due (server/domain/follow_through.py).
    overdue_obligations: int = 0
    follow_ups_due: int = 0


@dataclass
class Registration:
    """A registration that passed its checks, from whichever door it came (window, hotline)."""

    organisation_id: str
    case_number: str
    dispute_type: str
    summary: str
    source: str
    source_reference: str | None
    registered_on: date
    people: Sequence[Registrant]
    applicant_count: int
    amount_fen: int | None = None
    property_region: str | None = None
    invited_by_court_id: str | None = None
    collective: bool = False


class Cases:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        ledger: Ledger,
        workdays: Workdays | None = None,
        group: GroupCommit | None = None,
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._workdays = workdays or Workdays()
        self._group = group or GroupCommit(maker, ledger)

    async def open_case(
        self,
        principal: Principal | None,
        *,
        case_number: str,
        dispute_type: str,
        summary: str,
        source: str,
        source_reference: str | None = None,
        registered_on: date | None = None,
        amount_in_dispute: str | None = None,
        mediator_id: str | None = None,
        property_region: str | None = None,
        invited_by_court_id: str | None = None,
        collective: bool = False,
        applicants: Sequence[Registrant] = (),
        respondents: Sequence[Registrant] = (),
        applicant_lines: str | None = None,
    ) -> CaseView:
        """Register a case (受理登记) with its source and, in the same transaction, its parties.

        The applicants are those given one by one and those of ``applicant_lines`` (a list pasted
        at the window, "name, phone" a line); a collective case (群体性纠纷) needs two or more. The
        case's first evidence record is ``case_registered`` (registration.py says what it holds).
        """
        staff = require_staff(principal, "mediator")
        # Committed with the registrations (and other records) of concurrent requests (group_commit.py).
        return await self._group.run(
            lambda db: self.register(
                db, staff, case_number=case_number, dispute_type=dispute_type, summary=summary, source=source,
                source_reference=source_reference, registered_on=registered_on, amount_in_dispute=amount_in_dispute,
                mediator_id=mediator_id, property_region=property_region, invited_by_court_id=invited_by_court_id,
                collective=collective, applicants=applicants, respondents=respondents, applicant_lines=applicant_lines,
            )
        )  # fmt: skip

    async def register(
        self,
        db: AsyncSession,
        staff: Staff,
        *,
        case_number: str,
        dispute_type: str,
        summary: str,
        source: str,
        source_reference: str | None = None,
        registered_on: date | None = None,
        amount_in_dispute: str | None = None,
        mediator_id: str | None = None,
        property_region: str | None = None,
        invited_by_court_id: str | None = None,
        collective: bool = False,
        applicants: Sequence[Registrant] = (),
        respondents: Sequence[Registrant] = (),
        applicant_lines: str | None = None,
        case_id: str | None = None,
        respondent_phone_optional: bool = False,
    ) -> CaseView:
        """``open_case`` in the caller's transaction. A party's application accepted
        (server/domain/online_applications/) registers its case this way, with the application's
        id as the case's (``case_id``), so that the case's log continues the application's chain,
        and the other side's phone may be missing (``respondent_phone_optional``): the applicant may
        not know it."""
        errors: list[FieldError] = []
        if dispute_type not in DISPUTE_TYPES:
            errors.append(FieldError("dispute_type", "not one of " + ", ".join(DISPUTE_TYPES), "choice"))
        errors += registration.check_source(source, source_reference, invited_by_court_id)
        today = datetime.now(ZoneInfo(staff.timezone)).date()
        errors += registration.check_registered_on(registered_on, today)
        errors += registration.check(list(applicants), "applicants")
        errors += registration.check(list(respondents), "respondents", phone_required=not respondent_phone_optional)
        if any(p.role != "applicant" for p in applicants) or any(p.role != "respondent" for p in respondents):
            raise InvalidInput("applicants are applicants, respondents respondents")
        listed: list[Registrant] = []
        bad_lines = 0
        try:
            listed = registration.parse_lines(applicant_lines) if applicant_lines else []
        except InvalidInput as refused:
            errors += refused.fields  # the lines it names are what to put right; the count waits for them
            bad_lines = int(refused.details.get("bad_lines", len(refused.fields)))
        people = [*applicants, *listed, *respondents]
        count = len(applicants) + len(listed)
        if collective and count < 2 and not any(e.field == "applicant_lines" for e in errors):
            errors.append(FieldError("collective", "a collective case has two or more applicants", "collective_applicants"))
        if len(people) > registration.MAX_PEOPLE:
            errors.append(FieldError("applicants", f"at most {registration.MAX_PEOPLE} people", "too_many_people", {"max": registration.MAX_PEOPLE}))  # fmt: skip
        amount = None
        try:
            amount = parse_amount(amount_in_dispute)
        except InvalidInput as refused:
            errors += refused.fields
        if errors:
            if bad_lines:  # the page says how many lines of the list to put right, and names each under it
                raise InvalidInput(f"{bad_lines} lines of the list cannot be read", errors, reason="bad_lines", lines=bad_lines)
            raise InvalidInput("the registration is not complete", errors)
        mediator = await self._mediator(db, staff, mediator_id or staff.user_id)
        if invited_by_court_id is not None:
            inviting = await db.get(Organisation, invited_by_court_id)
            if inviting is None or inviting.kind != "court":
                raise InvalidInput("no such court", [FieldError("invited_by_court_id", "a court's organisation id", "not_found")])
        assert staff.organisation_id is not None
        case, parties, organisation = await self.write_registration(
            db,
            Registration(
                organisation_id=staff.organisation_id,
                case_number=case_number,
                dispute_type=dispute_type,
                summary=summary,
                source=source,
                source_reference=source_reference or None,
                registered_on=registered_on or today,
                amount_fen=amount,
                property_region=property_region or None,
                invited_by_court_id=invited_by_court_id,
                collective=collective,
                people=people,
                applicant_count=count,
            ),
            mediator=mediator,
            by=staff,
            actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
            registered_by=staff.display_name,
            case_id=case_id,
        )
        return CaseView(case, mediator, parties, organisation, applicant_count=count)

    async def write_registration(
        self,
        db: AsyncSession,
        r: Registration,
        *,
        mediator: User,
        by: Principal,
        actor: dict[str, str],
        registered_by: str,
        created_by: str | None = None,
        case_id: str | None = None,
    ) -> tuple[Case, list[Party], Organisation]:
        """Write a registration checked already: the case, its parties, its history and its first record.

        One place for what every door does once it has decided to register a case: the window
        (``open_case``), a party's application accepted (``register``, with the application's id as
        the case's: ``case_id``) and a hotline's work order (server/domain/work_orders.py). ``actor`` is who
        the evidence record names (a staff member, or the platform for an order it received);
        ``by`` is who the case history names.
        """
        exists = await db.scalar(
            select(Case.id).where(Case.organisation_id == r.organisation_id, Case.case_number == r.case_number)
        )
        if exists:
            raise Conflict(
                f"case number {r.case_number} is already used in this organisation",
                case_id=exists,
                reason="case_number_taken",
                case_number=r.case_number,
            )
        case = Case(
            organisation_id=r.organisation_id,
            case_number=r.case_number,
            dispute_type=r.dispute_type,
            summary=r.summary,
            amount_fen=r.amount_fen,
            mediator_id=mediator.id,
            created_by=created_by or (by.user_id if isinstance(by, Staff) else mediator.id),
            property_region=r.property_region,
            invited_by_court_id=r.invited_by_court_id,
            source=r.source,
            source_reference=r.source_reference,
            registered_on=r.registered_on,
            collective=r.collective,
        )
        if case_id is not None:
            case.id = case_id
        db.add(case)
        await db.flush()
        # One flush for every party: a collective case of hundreds is one round of inserts.
        # Each a microsecond after the one before: the case lists its parties in the order registered.
        now = utcnow()
        parties = [person.party(case.id, now + timedelta(microseconds=i)) for i, person in enumerate(r.people)]
        db.add_all(parties)
        await db.flush()
        counts = {"applicants": r.applicant_count, "respondents": len(r.people) - r.applicant_count}
        history.record(
            db, case.id, by, "case_registered",
            case_number=r.case_number, dispute_type=r.dispute_type, source=r.source, collective=r.collective, **counts,
        )  # fmt: skip
        organisation = await db.get(Organisation, case.organisation_id)
        assert organisation is not None
        # The case's first evidence record: names and numbers go in the body, never the log.
        await self._ledger.append_platform(
            db,
            type="case_registered",
            case=case.id,
            actor=actor,
            data={
                "case_number": r.case_number,
                "dispute_type": r.dispute_type,
                "summary": r.summary,
                "amount_in_dispute": format_amount(r.amount_fen),
                "property_region": case.property_region,
                "source": r.source,
                "source_words": registration.source_words(r.source),
                "source_reference": case.source_reference,
                "registered_on": case.registered_on.isoformat(),
                # The instant the mediation period runs from (clocks.case_mediation_clock: the case's creation), so
                # that the records alone say when it is overdue (statistics/record_facts.py).
                "mediation_from": timestamp(case.created_at),
                "collective": r.collective,
                "organisation": organisation.name,
                "mediator": mediator.display_name,
                "registered_by": registered_by,
                "parties": [person.as_registered() for person in r.people],
            },
            public={"dispute_type": r.dispute_type, "source": r.source, "collective": r.collective, **counts},
        )
        # The organisation's statistics stream indexes the case it now leads (statistics_stream.py).
        await index_registered(db, self._ledger, case, organisation)
        return case, parties, organisation

    async def _mediator(self, db: AsyncSession, staff: Staff, mediator_id: str) -> User:
        mediator = await db.get(User, mediator_id)
        if mediator is None or mediator.role != "mediator" or mediator.organisation_id != staff.organisation_id:
            raise InvalidInput(
                "no such mediator here", [FieldError("mediator_id", "not a mediator of your organisation", "mediator_of_org")]
            )
        return mediator

    async def list_cases(self, principal: Principal | None) -> list[CaseView]:
        """A mediator's organisation's cases; a supervisor's, those of their organisation's subtree."""
        staff = require_staff(principal)
        if staff.role not in ("mediator", "supervisor") or staff.organisation_id is None:
            return []
        async with self._maker() as db:
            if staff.role == "supervisor":
                organisations = await orgtree.subtree_of(db, staff.organisation_id)
            else:
                organisations = {staff.organisation_id}
            visible: ColumnElement[bool] = Case.organisation_id.in_(organisations)
            if staff.role == "mediator":
                # And the cases a referral lets us read: those we assist on, or handed on as lead
                # (one awaiting our decision is in the referrals inbox, not here).
                pending = select(Referral.case_id).where(
                    Referral.to_organisation_id == staff.organisation_id, Referral.status == "pending"
                )
                visible = or_(visible, and_(Case.id.in_(referral_sharing(staff.organisation_id)), ~Case.id.in_(pending)))
            rows = (
                await db.execute(
                    select(Case, User).join(User, User.id == Case.mediator_id).where(visible).order_by(Case.created_at.desc())
                )
            ).all()
            upcoming = await db.scalars(
                select(MediationSession)
                .join(Case, Case.id == MediationSession.case_id)
                .where(
                    Case.organisation_id.in_(organisations),
                    MediationSession.status == "scheduled",
                    MediationSession.ends_at > utcnow(),
                )
                .order_by(MediationSession.starts_at.desc())
            )
            # Ordered latest first, so the earliest upcoming session of each case is kept.
            nearest = {s.case_id: s for s in upcoming}
            counted = await db.execute(
                select(Party.case_id, func.count())
                .where(Party.case_id.in_(select(Case.id).where(visible)), Party.role == "applicant")
                .group_by(Party.case_id)
            )
            applicants: dict[str, int] = {case_id: count for case_id, count in counted.all()}
            awaiting: dict[str, int] = {}
            for case_id in await db.scalars(
                select(SupervisionInstruction.case_id)
                .join(Case, Case.id == SupervisionInstruction.case_id)
                .where(Case.organisation_id.in_(organisations), SupervisionInstruction.replied_at.is_(None))
            ):
                awaiting[case_id] = awaiting.get(case_id, 0) + 1
            now = utcnow()
            after = await follow_up_plans.counts(db, [case.id for case, _ in rows], local_day(now))
            return [
                CaseView(
                    case,
                    mediator,
                    [],
                    next_session=nearest.get(case.id),
                    applicant_count=applicants.get(case.id, 0),
                    supervision_awaiting=awaiting.get(case.id, 0),
                    # The 30-day mediation period, so that the list marks a case past it.
                    clocks=(case_mediation_clock(case, self._workdays, now),),
                    overdue_obligations=after[case.id][0],
                    follow_ups_due=after[case.id][1],
                )
                for case, mediator in rows
            ]

    async def get(self, principal: Principal | None, case_id: str) -> CaseView:
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            mediator = await db.get(User, case.mediator_id)
            assert mediator is not None
            parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
            organisation = await db.get(Organisation, case.organisation_id)
            clocks = tuple(await case_clocks(db, case, self._workdays, utcnow()))
            count = sum(1 for p in parties if p.role == "applicant")
            before_court = await is_before_court(db, case.id)
            return CaseView(
                case, mediator, parties, organisation, before_court=before_court, clocks=clocks, applicant_count=count
            )

    async def add_party(
        self,
        principal: Principal | None,
        case_id: str,
        *,
        role: str,
        name: str,
        phone: str,
        email: str | None = None,
        id_number: str | None = None,
        represents_party_id: str | None = None,
        residence_region: str | None = None,
        sex: str | None = None,
        birth_date: date | None = None,
        age: int | None = None,
        ethnicity: str | None = None,
        occupation: str | None = None,
        address: str | None = None,
        authority: str | None = None,
        invited_as: str | None = None,
    ) -> Party:
        if role not in PARTY_ROLES:
            raise InvalidInput("unknown party role", [FieldError("role", "not one of " + ", ".join(PARTY_ROLES), "choice")])
        _check_invited(role, invited_as, represents_party_id)
        if not PHONE.match(phone):
            raise InvalidInput(
                "bad phone number", [FieldError("phone", "digits, spaces or dashes, optionally starting with +", "phone")]
            )
        if id_number and not ID_NUMBER.match(id_number):
            raise InvalidInput("bad ID number", [FieldError("id_number", "6 to 32 letters or digits", "id_number")])
        wrong = particulars.check(id_number.upper() if id_number else None, sex, birth_date)
        if wrong:
            raise InvalidInput("the particulars do not agree with the ID number", wrong)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            if represents_party_id:
                represented = await db.get(Party, represents_party_id)
                if represented is None or represented.case_id != case.id:
                    raise InvalidInput(
                        "no such party in this case", [FieldError("represents_party_id", "not a party of this case", "not_party")]
                    )
            elif role in REPRESENTATIVE_ROLES:
                raise InvalidInput(
                    f"an {role} acts for a party",
                    [FieldError("represents_party_id", f"required for an {role}", "represents_required", {"role": role})],
                )
            party = Party(
                case_id=case.id,
                role=role,
                name=name,
                phone=phone,
                email=email or None,
                id_number=id_number.upper() if id_number else None,
                represents_party_id=represents_party_id,
                residence_region=residence_region or None,
                sex=sex,
                birth_date=birth_date,
                age=age,
                ethnicity=ethnicity or None,
                occupation=occupation or None,
                address=address or None,
                authority=authority or None,
                invited_as=invited_as if role == "invited" else None,
            )
            db.add(party)
            await db.flush()
            if role == "invited":
                history.record(
                    db, case.id, staff, "person_invited", party_id=party.id, role=role, name=name, invited_as=invited_as
                )
            else:
                history.record(db, case.id, staff, "party_added", party_id=party.id, role=role, name=name)
        return party

    async def update_party(self, principal: Principal | None, case_id: str, party_id: str, changes: dict[str, Any]) -> Party:
        """The mediator completes or corrects a party's particulars (name, contact, ID, art. 29 details).

        ``changes`` holds only the fields given; an empty string or None clears an optional one.
        The agreement's text picks them up in its next version; a version made final keeps the
        words it was signed with.
        """
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidInput(
                "unknown fields", [FieldError(name, "cannot be changed", "unknown_field") for name in sorted(unknown)]
            )
        for required in ("name", "phone"):
            if required in changes and not changes[required]:
                raise InvalidInput(f"{required} is required", [FieldError(required, "required", "required")])
        if changes.get("phone") and not PHONE.match(changes["phone"]):
            raise InvalidInput("bad phone number", [FieldError("phone", "digits, spaces or dashes, optionally starting with +")])
        if changes.get("id_number"):
            if not ID_NUMBER.match(changes["id_number"]):
                raise InvalidInput("bad ID number", [FieldError("id_number", "6 to 32 letters or digits", "id_number")])
            changes["id_number"] = changes["id_number"].upper()
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            party = await db.get(Party, party_id, with_for_update=True)
            if party is None or party.case_id != case.id:
                raise NotFound("no such party in this case")
            merged = {name: changes.get(name, getattr(party, name)) for name in ("id_number", "sex", "birth_date")}
            wrong = particulars.check(merged["id_number"], merged["sex"], merged["birth_date"])
            if wrong:
                raise InvalidInput("the particulars do not agree with the ID number", wrong)
            for name, value in changes.items():
                setattr(party, name, value if value not in ("", None) else None)
            # The history names what changed, never the values: an ID number is not for the log.
            history.record(db, case.id, staff, "party_updated", party_id=party.id, name=party.name, fields=sorted(changes))
            return party

    async def find_id(self, reference: str) -> str:
        """A case by id, or by case number when only one organisation uses it (command line)."""
        async with self._maker() as db:
            if await db.get(Case, reference) is not None:
                return reference
            ids = list(await db.scalars(select(Case.id).where(Case.case_number == reference)))
        if len(ids) == 1:
            return ids[0]
        raise NotFound("no such case" if not ids else "several organisations use this case number; give the case id")

    async def reveal_id_number(self, principal: Principal | None, party_id: str) -> Party:
        """The full ID number, for the case's mediators (an assisting organisation's assigned one too,
        who checks it on video in the live room); each look is kept in the history."""
        async with self._maker() as db, db.begin():
            party = await db.get(Party, party_id)
            if party is None:
                raise NotFound("no such party", reason="no_such_party")
            staff, case = await case_for_staff(db, principal, party.case_id, assigned=True)
            history.record(db, case.id, staff, "identity_viewed", party_id=party.id)
            return party

    async def history(self, principal: Principal | None, case_id: str) -> list[CaseEvent]:
        async with self._maker() as db:
            staff, _ = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            if not (isinstance(staff, Staff) and staff.role == "supervisor"):
                # A party's complaint reaches the supervisors, never the mediator it is about (satisfaction.py).
                query = query.where(CaseEvent.kind.not_in(history.COMPLAINT_KINDS))
            return list(await db.scalars(query))

    async def outbox(self, principal: Principal | None, case_id: str) -> list[OutboxMessage]:
        async with self._maker() as db:
            await case_for_staff(db, principal, case_id)
            messages = list(
                await db.scalars(
                    # The text telling a party their complaint was answered is not the mediator's to read (satisfaction.py).
                    select(OutboxMessage)
                    .where(OutboxMessage.case_id == case_id, OutboxMessage.kind.not_in(history.COMPLAINT_KINDS))
                    .order_by(OutboxMessage.id.desc())
                )
            )
            for message in messages:
                if message.kind == "otp":
                    # A one-time code proves the party holds their phone; staff must never see it.
                    db.expunge(message)
                    message.body = "（验证码短信，内容不向工作人员显示 / one-time code, hidden from staff）"
                    message.template_params = None
            return messages
