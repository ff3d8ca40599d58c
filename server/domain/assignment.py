"""The mediators of a case: who is assigned, their conflict-of-interest disclosures, and a party's
request for another mediator.

人民调解法 art. 19: a committee may designate one or several mediators for a dispute, or the parties
may choose one or several. One of them leads (``Case.mediator_id``, the handling mediator every
other part of the platform knows); the others are co-mediators (hosts in the live room as well,
which is why ``assigned_mediators`` is the one answer to "who mediates this case"). Each
assignment is a ``mediator_assigned`` record, made by a mediator of the case's organisation (the
committee's staff), or following a party's choice from the directory (在线调解规则 art. 5), or by
an organisation assisting the case (协办), which names its own mediator as it accepts the referral
(``designate_assisting``, issue #21): mediators of several organisations then mediate one case.

在线调解规则 art. 13: whoever presides over or takes part in mediating must disclose, before accepting
or during the mediation, what might affect impartial mediation (being a party or a close relative
of a party or agent, an interest in the dispute, another relationship with a party or agent). Each
assigned mediator signs a ``disclosure_signed`` statement with their own key (staffkeys.py): no
conflict, or the conflict described; until they have, the case page reminds them.

在线调解规则 art. 14 (回避): a party who knows of such a circumstance may ask for the mediator to be
replaced. The party asks with a reason (``mediator_change_requested``); the organisation decides
(``mediator_change_decided``): granted, another mediator takes the place; refused, with a reason
the party reads on their page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.access import assigned_mediators, case_for_staff
from server.domain.ledger import Ledger
from server.domain.principal import PartyPrincipal, Principal, Staff, require_party
from server.domain.staffkeys import Prepared, StaffKeys
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body, sha256_hex
from server.models import (
    Case,
    CaseMediator,
    EvidenceBody,
    EvidenceKeyCase,
    MediatorChangeRequest,
    MediatorDisclosure,
    Party,
    User,
    utcnow,
)

ROLES = ("lead", "co")
#: Who may ask for another mediator: the disputants and those who act for them (not an interpreter
#: or an invited person, who take part but have no say over who mediates).
ASKING_ROLES = ("applicant", "respondent", "agent")
DISCLOSURE_PURPOSE = "disclosure_sign"
MAX_TEXT = 2000
#: The sentence a mediator signs, in both languages, ahead of their statement (在线调解规则 art. 13).
DISCLOSURE_DECLARATION = (
    "本人已如实披露可能影响公正调解的事由（在线调解规则第十三条）",
    "I have truthfully disclosed any circumstance that might affect impartial mediation (Online Mediation Rules art. 13)",
)


@dataclass(frozen=True)
class Assigned:
    user: User
    role: str
    #: The assignment row; None for a lead who opened the case and was never assigned.
    row: CaseMediator | None
    #: Their latest signed disclosure on the case, if any.
    disclosure: MediatorDisclosure | None
    chosen_by: str | None = None  # the party's name when a party chose them


@dataclass(frozen=True)
class CaseMediators:
    case: Case
    mediators: list[Assigned]
    requests: list[MediatorChangeRequest]
    #: user id -> display name, for everyone the requests name.
    names: dict[str, str] = field(default_factory=dict)
    #: party id -> name.
    parties: dict[str, str] = field(default_factory=dict)

    def name(self, user_id: str | None) -> str | None:
        return self.names.get(user_id) if user_id else None


def _text(value: str | None, field_name: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field_name} is required", [FieldError(field_name, "required", "required")])
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"{field_name} is too long",
            [FieldError(field_name, f"at most {MAX_TEXT} characters", "too_long", {"max": MAX_TEXT})],
        )
    return text


def _actor(staff: Staff) -> dict[str, str]:
    return {"kind": "staff", "id": staff.user_id, "role": staff.role}


async def _mediator_of(db: AsyncSession, case: Case, user_id: str | None, field_name: str) -> User:
    user = await db.get(User, user_id) if user_id else None
    if user is None or user.role != "mediator" or not user.is_active or user.organisation_id != case.organisation_id:
        raise InvalidInput(
            "no such mediator here", [FieldError(field_name, "not a mediator of the case's organisation", "mediator_of_org")]
        )
    return user


async def _open_case(db: AsyncSession, case_id: str) -> Case:
    case = await db.get(Case, case_id, with_for_update=True)
    assert case is not None
    if case.status != "open":
        raise Conflict(f"the case is {case.status} already", reason=case.status)
    return case


async def designate_lead(db: AsyncSession, ledger: Ledger, staff: Staff, case: Case, mediator: User) -> CaseMediator:
    """An organisation taking the lead of a referred case names the mediator who leads it
    (server/domain/referrals.py): a ``mediator_assigned`` record, in the caller's transaction."""
    return await _assign(db, ledger, staff, case, mediator, "lead")


async def designate_assisting(db: AsyncSession, ledger: Ledger, staff: Staff, case: Case, mediator: User) -> CaseMediator:
    """An organisation accepting to assist a case (协办) names the mediator who takes part in mediating
    it beside the lead organisation's (server/domain/referrals.py; issue #21): a co-mediator's
    ``mediator_assigned`` record, in the caller's transaction, by the assisting organisation's staff.
    From then on they host the case's sessions as its own co-mediators do (``assigned_mediators``)."""
    return await _assign(db, ledger, staff, case, mediator, "co")


async def _assign(
    db: AsyncSession,
    ledger: Ledger,
    staff: Staff,
    case: Case,
    mediator: User,
    role: str,
    *,
    party: Party | None = None,
    replacing: str | None = None,
) -> CaseMediator:
    """Assign ``mediator`` (a new lead replaces the old one; ``replacing``: the one who steps aside)."""
    current = await assigned_mediators(db, case.id)
    active = {
        r.user_id: r
        for r in await db.scalars(select(CaseMediator).where(CaseMediator.case_id == case.id, CaseMediator.ended_at.is_(None)))
    }
    now = utcnow()
    if mediator.id in current and replacing is None:
        # The lead who opened or received the case may still be designated formally (one record
        # saying who mediates); once designated, or as a co-mediator, they are assigned already.
        is_lead = mediator.id == case.mediator_id
        if (is_lead and (role == "co" or mediator.id in active)) or (not is_lead and role == "co"):
            raise Conflict(
                f"{mediator.display_name} mediates this case already", reason="already_assigned", name=mediator.display_name
            )
    if replacing is not None:
        role = "lead" if replacing == case.mediator_id else "co"
        if replacing in active:
            active[replacing].ended_at, active[replacing].ended_reason = now, "withdrawn"
    if mediator.id in active:  # a co-mediator becoming the lead
        active[mediator.id].ended_at, active[mediator.id].ended_reason = now, "replaced"
    previous = case.mediator_id
    if role == "lead":
        if previous in active and previous != replacing:
            active[previous].ended_at, active[previous].ended_reason = now, "replaced"
        case.mediator_id = mediator.id
    stepping_aside = replacing or (previous if role == "lead" and previous != mediator.id else None)
    previous_user = await db.get(User, stepping_aside) if stepping_aside else None
    data: dict[str, object] = {
        "mediator": mediator.display_name,
        "role": role,
        "assigned_by": staff.display_name,
        "chosen_by": party.name if party is not None else None,
        "replaces": previous_user.display_name if previous_user is not None else None,
    }
    public: dict[str, object] = {"mediator": mediator.id, "role": role, "chosen_by": "party" if party else "organisation"}
    appended = await ledger.append_platform(
        db, type="mediator_assigned", case=case.id, actor=_actor(staff), data=data, public=public
    )
    row = CaseMediator(
        case_id=case.id,
        user_id=mediator.id,
        role=role,
        assigned_by=staff.user_id,
        chosen_by_party_id=party.id if party is not None else None,
        assigned_at=now,
        assigned_seq=appended.record.seq,
    )
    db.add(row)
    history.record(
        db, case.id, staff, "mediator_assigned", mediator=mediator.display_name, role=role,
        chosen_by=party.name if party is not None else None, seq=appended.record.seq,
    )  # fmt: skip
    await db.flush()
    return row


class Assignment:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, staff_keys: StaffKeys) -> None:
        self._maker = maker
        self._ledger = ledger
        self._staff_keys = staff_keys

    # -- reading -----------------------------------------------------------------------------

    async def of_case(self, principal: Principal | None, case_id: str) -> CaseMediators:
        """The case's mediators and the parties' requests: for its staff and supervisors."""
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, shared=True, supervise=True)
            return await self._view(db, case)

    async def for_party(self, principal: Principal | None) -> tuple[PartyPrincipal, CaseMediators]:
        """What a party sees: who mediates their case, and their own requests (not the other side's)."""
        me = require_party(principal)
        async with self._maker() as db:
            case = await db.get(Case, me.case_id)
            assert case is not None
            view = await self._view(db, case)
            mine = [r for r in view.requests if r.party_id == me.party_id]
            return me, CaseMediators(view.case, view.mediators, mine, view.names, view.parties)

    async def _view(self, db: AsyncSession, case: Case) -> CaseMediators:
        ids = await assigned_mediators(db, case.id)
        users = {u.id: u for u in await db.scalars(select(User).where(User.id.in_(ids)))}
        rows = {
            r.user_id: r
            for r in await db.scalars(
                select(CaseMediator)
                .where(CaseMediator.case_id == case.id, CaseMediator.ended_at.is_(None))
                .order_by(CaseMediator.assigned_at)
            )
        }
        disclosures: dict[str, MediatorDisclosure] = {}
        for d in await db.scalars(
            select(MediatorDisclosure).where(MediatorDisclosure.case_id == case.id).order_by(MediatorDisclosure.seq)
        ):
            disclosures[d.user_id] = d  # the latest holds
        parties = {p.id: p.name for p in await db.scalars(select(Party).where(Party.case_id == case.id))}
        requests = list(
            await db.scalars(
                select(MediatorChangeRequest)
                .where(MediatorChangeRequest.case_id == case.id)
                .order_by(MediatorChangeRequest.requested_at, MediatorChangeRequest.id)
            )
        )
        named = {i for r in requests for i in (r.mediator_id, r.preferred_id, r.decided_by, r.replacement_id) if i}
        names = {u.id: u.display_name for u in await db.scalars(select(User).where(User.id.in_(named | set(ids))))}
        mediators = []
        for user_id in ids:
            row = rows.get(user_id)
            chooser = parties.get(row.chosen_by_party_id) if row is not None and row.chosen_by_party_id else None
            role = "lead" if user_id == case.mediator_id else "co"
            mediators.append(Assigned(users[user_id], role, row, disclosures.get(user_id), chooser))
        return CaseMediators(case, mediators, requests, names, parties)

    # -- assigning ---------------------------------------------------------------------------

    async def assign(self, principal: Principal | None, case_id: str, *, mediator_id: str, role: str) -> CaseMediators:
        """A mediator of the case's organisation assigns a lead or a co-mediator (人民调解法 art. 19)."""
        if role not in ROLES:
            raise InvalidInput("unknown role", [FieldError("role", "one of " + ", ".join(ROLES), "choice")])
        async with self._maker() as db, db.begin():
            staff, _ = await case_for_staff(db, principal, case_id, write=True)
            case = await _open_case(db, case_id)
            mediator = await _mediator_of(db, case, mediator_id, "mediator_id")
            await _assign(db, self._ledger, staff, case, mediator, role)
            return await self._view(db, case)

    # -- the disclosure (在线调解规则 art. 13) ---------------------------------------------------

    async def prepare_disclosure(
        self, principal: Principal | None, case_id: str, *, key: str, conflict: bool, statement: str
    ) -> Prepared:
        """The ``disclosure_signed`` statement for an assigned mediator's own key (bound to the case)."""
        text = _text(statement, "statement", required=conflict)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, assigned=True, changes=True)
            if staff.user_id not in await assigned_mediators(db, case.id):
                raise Forbidden("only a mediator assigned to this case discloses on it", reason="not_assigned")
            info = await self._staff_keys.own_key(db, staff, key)
            if await db.get(EvidenceKeyCase, (info.id, case.id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            role = "lead" if staff.user_id == case.mediator_id else "co"
            body = make_body(
                {
                    "mediator": staff.display_name,
                    "role": role,
                    "conflict": conflict,
                    "statement": text,
                    "declaration": DISCLOSURE_DECLARATION[0],
                    "method": "staff_key",
                }
            )
            public = {"conflict": conflict, "role": role, "method": "staff_key"}
            claim = Claim(self._ledger.origin, "disclosure_signed", case.id, _actor(staff), body_hash(body), public)
            return await self._staff_keys.prepare(db, staff, info, claim, body, DISCLOSURE_PURPOSE)

    async def disclosed(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        """In the transaction that logs the signed disclosure: keep it for the case page."""
        stored = await db.get(EvidenceBody, sha256_hex(claim.statement))
        body = dict(stored.body.get("data") or {}) if stored is not None else {}
        db.add(
            MediatorDisclosure(
                case_id=claim.case,
                user_id=staff.user_id,
                conflict=bool(claim.public.get("conflict")),
                statement=str(body.get("statement", "")),
                key_id=key.id,
                signed_at=utcnow(),
                seq=seq,
            )
        )

    # -- a party asks for another mediator (在线调解规则 art. 14) --------------------------------

    async def request_change(
        self, principal: Principal | None, *, mediator_id: str | None, preferred_id: str | None, reason: str
    ) -> MediatorChangeRequest:
        """A party asks for an assigned mediator to be replaced, or for a mediator of the directory, saying why."""
        me = require_party(principal, changes=True)
        reason = _text(reason, "reason", required=True)
        if not mediator_id and not preferred_id:
            raise InvalidInput(
                "name the mediator to replace or the one you would like",
                [FieldError("mediator_id", "required without preferred_id", "required")],
            )
        async with self._maker() as db, db.begin():
            party = await db.get(Party, me.party_id)
            assert party is not None
            if party.role not in ASKING_ROLES:
                raise Forbidden("the parties and their agents ask for another mediator", reason="disputants_only")
            case = await _open_case(db, me.case_id)
            current = await assigned_mediators(db, case.id)
            if mediator_id and mediator_id not in current:
                raise InvalidInput(
                    "this mediator does not mediate your case",
                    [FieldError("mediator_id", "not a mediator of this case", "not_assigned")],
                )
            preferred = await _mediator_of(db, case, preferred_id, "preferred_id") if preferred_id else None
            if preferred is not None and preferred.id in current:
                raise InvalidInput(
                    "this mediator mediates your case already",
                    [FieldError("preferred_id", "assigned already", "already_assigned", {"name": preferred.display_name})],
                )
            pending = await db.scalar(
                select(MediatorChangeRequest.id).where(
                    MediatorChangeRequest.case_id == case.id,
                    MediatorChangeRequest.party_id == party.id,
                    MediatorChangeRequest.status == "pending",
                )
            )
            if pending is not None:
                raise Conflict("your earlier request awaits the organisation's decision", reason="change_request_pending")
            replaced = await db.get(User, mediator_id) if mediator_id else None
            appended = await self._ledger.append_platform(
                db,
                type="mediator_change_requested",
                case=case.id,
                actor={"kind": "party", "id": party.id, "role": party.role},
                data={
                    "party": party.name,
                    "mediator": replaced.display_name if replaced is not None else None,
                    "preferred": preferred.display_name if preferred is not None else None,
                    "reason": reason,
                },
                public={"mediator": mediator_id, "preferred": preferred_id},
            )
            row = MediatorChangeRequest(
                case_id=case.id,
                party_id=party.id,
                mediator_id=mediator_id,
                preferred_id=preferred_id,
                reason=reason,
                requested_at=utcnow(),
                requested_seq=appended.record.seq,
                status="pending",
            )
            db.add(row)
            await db.flush()
            history.record(
                db, case.id, me, "mediator_change_requested", request_id=row.id,
                mediator=replaced.display_name if replaced is not None else None, seq=appended.record.seq,
            )  # fmt: skip
            return row

    async def decide_change(
        self,
        principal: Principal | None,
        request_id: str,
        *,
        grant: bool,
        replacement_id: str | None = None,
        reason: str = "",
    ) -> CaseMediators:
        """The organisation decides a party's request: granted, ``replacement_id`` (the party's
        preference unless another is named) takes the place; refused, with a reason for the party."""
        async with self._maker() as db, db.begin():
            request = await db.get(MediatorChangeRequest, request_id, with_for_update=True)
            if request is None:
                raise NotFound("no such request", reason="no_such_change_request")
            staff, _ = await case_for_staff(db, principal, request.case_id, write=True)
            if request.status != "pending":
                raise Conflict(f"this request was {request.status} already", reason=f"change_{request.status}")
            case = await _open_case(db, request.case_id)
            party = await db.get(Party, request.party_id)
            assert party is not None
            text = _text(reason, "reason", required=not grant)
            replacement = None
            if grant:
                chosen = replacement_id or request.preferred_id
                if not chosen:
                    raise InvalidInput(
                        "choose the mediator who takes the place", [FieldError("replacement_id", "required", "required")]
                    )
                replacement = await _mediator_of(db, case, chosen, "replacement_id")
                if request.mediator_id is not None and request.mediator_id not in await assigned_mediators(db, case.id):
                    raise InvalidState("that mediator no longer mediates this case", reason="not_assigned")
                if replacement.id == request.mediator_id:
                    raise InvalidInput(
                        "choose another mediator",
                        [FieldError("replacement_id", "the mediator the party asked to replace", "same_mediator")],
                    )
            request.status = "granted" if grant else "refused"
            request.decided_by, request.decided_at, request.decision_reason = staff.user_id, utcnow(), text or None
            request.replacement_id = replacement.id if replacement is not None else None
            appended = await self._ledger.append_platform(
                db,
                type="mediator_change_decided",
                case=case.id,
                actor=_actor(staff),
                data={
                    "decision": request.status,
                    "party": party.name,
                    "reason": text,
                    "replacement": replacement.display_name if replacement is not None else None,
                    "decided_by": staff.display_name,
                },
                public={"request_seq": request.requested_seq, "decision": request.status},
            )
            request.decided_seq = appended.record.seq
            history.record(
                db, case.id, staff, "mediator_change_decided", request_id=request.id, decision=request.status,
                seq=appended.record.seq,
            )  # fmt: skip
            if replacement is not None:
                chosen_by_party = party if replacement.id == request.preferred_id else None
                if replacement.id in await assigned_mediators(db, case.id):
                    if request.mediator_id is None:
                        raise Conflict(
                            f"{replacement.display_name} mediates this case already",
                            reason="already_assigned",
                            name=replacement.display_name,
                        )
                await _assign(
                    db,
                    self._ledger,
                    staff,
                    case,
                    replacement,
                    "co",
                    party=chosen_by_party,
                    replacing=request.mediator_id,
                )
            await db.flush()
            return await self._view(db, case)


class DisclosureSigned:
    """The hook on a mediator's signed disclosure (StaffKeys)."""

    def __init__(self, service: Assignment) -> None:
        self._service = service

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        await self._service.disclosed(db, staff, claim, seq, key)

    async def after(self, staff: Staff, claim: Claim) -> None:
        return None
