"""Extending a case's mediation period by agreement of every party (``deadline_extended``).

人民法院在线调解规则 (法释〔2021〕23号) art. 24 and 最高人民法院关于人民法院特邀调解的规定 (法释〔2016〕14号)
art. 27 give mediation 30 days, "双方当事人同意延长调解期限的，不受此限" / "各方当事人同意延长的，不受此限":
the period is extended only when *every* party agrees, and neither rule caps the new period. The
mediator may not extend it alone, and neither may an agent or an invited person: the ones who agree
are the parties themselves, as for the agreement (server/domain/agreements/signing.py,
``particulars.signing_parties``: the applicants and respondents).

So the mediator proposes a new last day with a reason; each party agrees by signing a ``signature``
record with their own key through the party signing ceremony (server/domain/party_signing.py: a
code and the device key, a device key alone where no channel reaches them, or a passkey), its intent
``agree_extension``. When the last party has signed, a ``deadline_extended`` record, signed by the
platform, names the old and new last day, the reason and every party's signature record (seq and
statement hash: ``mediate verify`` checks each), and the case's clock moves
(``Case.mediation_extended_to``, clocks.mediation_clock). A party who declines ends the proposal
with the clock unchanged; the mediator may withdraw a proposal until it takes effect.

Each party who must agree is told by text message (and e-mail where they gave one) when the
mediator proposes, in the same transaction (the outbox sends it once the proposal commits; one
message per party and proposal, keyed so): the new last day, and a fresh personal link to their
page, where they agree or decline (``turns.notify_with_link``: a link of the case's latest session,
issued beside the ones they have, open until the proposed last day ends). The mediator's view of the
proposal says what became of each party's text, or why none went (no phone or e-mail; no session
booked yet, so no page of theirs to link to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, notices, notifications, particulars, turns
from server.domain.access import case_for_staff
from server.domain.clocks import case_mediation_clock, end_of
from server.domain.keybinding import current_party_key
from server.domain.ledger import Ledger
from server.domain.party_signing import PreparedStatement, Proof, body_method, prepare_statement, statement_to_sign
from server.domain.principal import PartyPrincipal, Principal, require_party, require_staff
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from server.evidence.records import Claim, body_hash, make_body
from server.models import Case, DeadlineExtension, ExtensionSigner, MediationSession, Party, User, utcnow
from server.settings import Settings

INTENT = "agree_extension"
INTENT_TEXT = "本人同意将本案调解期限延长至{day}。I agree to extend the mediation period of this case to {day}."
MAX_REASON = 2000
PURPOSE = "extension_sign"


@dataclass(frozen=True)
class ExtensionView:
    extension: DeadlineExtension
    proposed_by: str  # the mediator's name
    #: Every party who must agree, in signing order: {party_id, name, role, signed_at, seq, method}.
    signers: list[dict[str, Any]]
    declined_by: str | None = None  # the name of the party who declined
    #: For staff: each signer's text about the proposal, by party id (None on a party's page).
    notices: dict[str, notifications.Notice] | None = None


@dataclass(frozen=True)
class CaseExtensions:
    """A case's proposals (newest first), its last day now, and whether a new one may be proposed."""

    last_day: date
    extended: bool
    items: list[ExtensionView] = field(default_factory=list)


def _reason(text: str | None, name: str, *, required: bool) -> str:
    value = (text or "").strip()
    if required and not value:
        raise InvalidInput(f"{name} is required", [FieldError(name, "required", "required")])
    if len(value) > MAX_REASON:
        raise InvalidInput(
            f"{name} is too long", [FieldError(name, f"at most {MAX_REASON} characters", "too_long", {"max": MAX_REASON})]
        )
    return value


class Extensions:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings, workdays: Workdays | None = None
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._workdays = workdays or Workdays()

    def last_day(self, case: Case) -> date:
        """The mediation period's last day now: the 30 days, or the day the parties agreed to."""
        return case_mediation_clock(case, self._workdays, utcnow()).due_date

    # -- reading -----------------------------------------------------------------------------

    async def _view(self, db: AsyncSession, row: DeadlineExtension, *, staff: bool = False) -> ExtensionView:
        parties = particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == row.case_id))))
        signed = {s.party_id: s for s in await db.scalars(select(ExtensionSigner).where(ExtensionSigner.extension_id == row.id))}
        signers = []
        for p in parties:
            s = signed.get(p.id)
            signers.append(
                {
                    "party_id": p.id,
                    "name": p.name,
                    "role": p.role,
                    "signed_at": s.signed_at if s else None,
                    "seq": s.seq if s else None,
                    "method": s.method if s else None,
                    "declined": row.declined_by == p.id,
                }
            )
        mediator = await db.get(User, row.proposed_by)
        declined = await db.get(Party, row.declined_by) if row.declined_by else None
        told = None
        if staff:
            queued = await notifications.queued_under(db, [_notice_key(row, p) for p in parties])
            # Booked before the proposal (``_tell_parties`` asks the same when it queues).
            had_session = await db.scalar(
                select(MediationSession.id)
                .where(
                    MediationSession.case_id == row.case_id,
                    MediationSession.status != "cancelled",
                    MediationSession.created_at <= row.proposed_at,
                )
                .limit(1)
            )
            told = {}
            for p in parties:
                messages = tuple(queued[_notice_key(row, p)])
                missing = None
                if not messages:
                    missing = "no_contact" if not (p.phone or p.email) else None if had_session else "no_session"
                told[p.id] = notifications.Notice(messages, missing)
        return ExtensionView(row, mediator.display_name if mediator else "", signers, declined.name if declined else None, told)

    async def of_case(self, principal: Principal | None, case_id: str) -> CaseExtensions:
        """For the case's mediators (with what became of each party's text) and its supervisors (who read only)."""
        async with self._maker() as db:
            staff, case = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            rows = await db.scalars(
                select(DeadlineExtension)
                .where(DeadlineExtension.case_id == case.id)
                .order_by(DeadlineExtension.proposed_at.desc(), DeadlineExtension.id)
            )
            # The texts (their bodies carry the parties' links) only to those who read the case's outbox.
            own = staff.role == "mediator" and staff.organisation_id == case.organisation_id
            items = [await self._view(db, r, staff=own) for r in rows]
            return CaseExtensions(self.last_day(case), case.mediation_extended_to is not None, items)

    async def for_party(self, principal: Principal | None) -> tuple[ExtensionView | None, Party]:
        """The party's case's newest proposal (or None), and the party."""
        me = require_party(principal)
        async with self._maker() as db:
            party = await db.get(Party, me.party_id)
            if party is None:
                raise NotFound("no such party", reason="no_such_party")
            row = (
                await db.scalars(
                    select(DeadlineExtension)
                    .where(DeadlineExtension.case_id == me.case_id)
                    .order_by(DeadlineExtension.proposed_at.desc(), DeadlineExtension.id)
                    .limit(1)
                )
            ).first()
            return (await self._view(db, row) if row else None), party

    # -- the mediator --------------------------------------------------------------------------

    async def propose(self, principal: Principal | None, case_id: str, *, to_date: date, reason: str) -> ExtensionView:
        """The case's organisation's mediator proposes a new last day (after the current one), saying why."""
        require_staff(principal)
        reason = _reason(reason, "reason", required=True)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            case = await db.get(Case, case.id, with_for_update=True) or case
            if case.status != "open":
                raise Conflict(f"the case is {case.status} already", reason=case.status)
            current = self.last_day(case)
            if to_date <= current:
                raise InvalidInput(
                    "the new last day must come after the current one",
                    [
                        FieldError(
                            "to_date", f"after {current.isoformat()}", "not_after_last_day", {"last_day": current.isoformat()}
                        )
                    ],
                )
            waiting = await db.scalar(
                select(DeadlineExtension.id).where(DeadlineExtension.case_id == case.id, DeadlineExtension.status == "proposed")
            )
            if waiting is not None:
                raise Conflict("a proposal to extend awaits the parties; withdraw it first", reason="extension_pending")
            row = DeadlineExtension(
                case_id=case.id, from_date=current, to_date=to_date, reason=reason, status="proposed",
                proposed_by=staff.user_id, proposed_at=utcnow(),
            )  # fmt: skip
            db.add(row)
            await db.flush()
            history.record(
                db,
                case.id,
                staff,
                "extension_proposed",
                from_date=current.isoformat(),
                to_date=to_date.isoformat(),
                reason=reason,
            )
            await self._tell_parties(db, case, row, staff.display_name)
            return await self._view(db, row, staff=True)

    async def _tell_parties(self, db: AsyncSession, case: Case, row: DeadlineExtension, mediator: str) -> None:
        """Each party who must agree: a text (and e-mail) with the new day and a link to their page.

        Without a session there is no page of theirs to link to (signing takes a session's link):
        nothing is queued, and the mediator's view says so (``Notice.missing``).
        """
        if await turns.latest_session(db, case.id) is None:
            return
        zh, en = notices.day_text(row.to_date)
        for party in particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id)))):
            values = {"name": party.name, "mediator": mediator, "case": case.case_number, "due": zh}
            await turns.notify_with_link(
                db, self._settings, "extension_proposed", case, party, values, until=end_of(row.to_date),
                english={"due_en": en}, dedupe_key=_notice_key(row, party),
            )  # fmt: skip

    async def withdraw(self, principal: Principal | None, case_id: str, extension_id: str) -> ExtensionView:
        """The mediator takes a proposal back before every party has signed it."""
        require_staff(principal)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            row = await db.get(DeadlineExtension, extension_id, with_for_update=True)
            if row is None or row.case_id != case.id:
                raise NotFound("no such proposal", reason="no_such_extension")
            if row.status != "proposed":
                raise Conflict(f"this proposal was {row.status} already", reason=f"extension_{row.status}")
            row.status, row.decided_at = "withdrawn", utcnow()
            history.record(db, case.id, staff, "extension_withdrawn", to_date=row.to_date.isoformat())
            return await self._view(db, row, staff=True)

    # -- the parties -------------------------------------------------------------------------

    async def _open_for(self, db: AsyncSession, me: PartyPrincipal, extension_id: str | None) -> tuple[DeadlineExtension, Party]:
        """The proposal this party may sign or decline (locked), and the party."""
        party = await db.get(Party, me.party_id)
        if party is None:
            raise NotFound("no such party", reason="no_such_party")
        if extension_id is None:
            extension_id = await db.scalar(
                select(DeadlineExtension.id)
                .where(DeadlineExtension.case_id == me.case_id)
                .order_by(DeadlineExtension.proposed_at.desc(), DeadlineExtension.id)
                .limit(1)
            )
        row = await db.get(DeadlineExtension, extension_id, with_for_update=True) if extension_id else None
        if row is None or row.case_id != party.case_id:
            raise Conflict("the mediator has proposed no extension", reason="no_extension")
        if row.status != "proposed":
            raise Conflict(f"this proposal was {row.status} already", reason=f"extension_{row.status}")
        if party.id not in {p.id for p in particulars.signing_parties([party])}:
            raise Forbidden("only the parties themselves agree to extend the period", reason="not_a_signer")
        case = await db.get(Case, row.case_id)
        assert case is not None
        if case.status != "open":
            raise Conflict(f"the case is {case.status} already", reason=case.status)
        if await db.get(ExtensionSigner, (row.id, party.id)) is not None:
            raise Conflict("you have agreed to this extension already", reason="signed")
        return row, party

    def _claim(self, row: DeadlineExtension, party: Party, method: str) -> tuple[Claim, dict[str, Any]]:
        day = f"{row.to_date.year}年{row.to_date.month}月{row.to_date.day}日"
        body = make_body(
            {
                "name": party.name,
                "intent": INTENT_TEXT.format(day=day),
                "method": method,
                "reason": row.reason,
                "from_date": row.from_date.isoformat(),
                "to_date": row.to_date.isoformat(),
            }
        )
        public = {
            "extension": row.id,
            "from_date": row.from_date.isoformat(),
            "to_date": row.to_date.isoformat(),
            "role": party.role,
            "intent": INTENT,
        }
        actor = {"kind": "party", "id": party.id, "role": party.role}
        return Claim(self._ledger.origin, "signature", row.case_id, actor, body_hash(body), public), body

    async def prepare(self, principal: Principal | None) -> PreparedStatement:
        """The party's agreement, prepared for their key (and a code where one can reach them)."""
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            row, party = await self._open_for(db, me, None)
            key = await current_party_key(db, party)
            claim, body = self._claim(row, party, body_method(self._settings, party, key))
            return await prepare_statement(
                db, self._settings, me, party, key, claim, body,
                purpose=PURPOSE, use="确认由您本人同意延长调解期限", extra={"extension": row.id},
            )  # fmt: skip

    async def sign(self, principal: Principal | None, challenge: str, proof: Proof) -> tuple[int, ExtensionView]:
        """Log the party's signature; the last one logs ``deadline_extended`` and moves the clock."""
        me = require_party(principal, changes=True)
        async with statement_to_sign(self._maker, self._ledger, me, challenge, PURPOSE) as (db, statement):
            row, party = await self._open_for(db, me, str(statement.data["extension"]))
            signed = await statement.sign(proof)
            db.add(
                ExtensionSigner(
                    extension_id=row.id, party_id=party.id, seq=signed.seq, claim_hash=signed.claim_hash,
                    method=signed.method, signed_at=utcnow(),
                )
            )  # fmt: skip
            await db.flush()
            history.record(db, row.case_id, me, "extension_signed", seq=signed.seq, to_date=row.to_date.isoformat())
            await self._take_effect_if_all(db, row)
            view = await self._view(db, row)
        return signed.seq, view

    async def _take_effect_if_all(self, db: AsyncSession, row: DeadlineExtension) -> None:
        """Every party has signed: log ``deadline_extended`` and move the case's last day."""
        parties = particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == row.case_id))))
        signed = {s.party_id: s for s in await db.scalars(select(ExtensionSigner).where(ExtensionSigner.extension_id == row.id))}
        if not parties or any(p.id not in signed for p in parties):
            return
        case = await db.get(Case, row.case_id, with_for_update=True)
        assert case is not None
        mediator = await db.get(User, row.proposed_by)
        agreed = [
            {"party": p.id, "role": p.role, "seq": signed[p.id].seq, "claim_hash": signed[p.id].claim_hash} for p in parties
        ]
        appended = await self._ledger.append_platform(
            db,
            type="deadline_extended",
            case=row.case_id,
            actor={"kind": "platform", "id": "platform"},
            data={
                "from_date": row.from_date.isoformat(),
                "to_date": row.to_date.isoformat(),
                "reason": row.reason,
                "proposed_by": mediator.display_name if mediator else "",
                "parties": [{"name": p.name, "role": p.role, "seq": signed[p.id].seq} for p in parties],
                "rule": "《人民法院在线调解规则》第二十四条、《最高人民法院关于人民法院特邀调解的规定》第二十七条",
            },
            public={
                "extension": row.id,
                "from_date": row.from_date.isoformat(),
                "to_date": row.to_date.isoformat(),
                "signatures": agreed,
            },
        )
        row.status, row.decided_at, row.seq = "extended", utcnow(), appended.record.seq
        case.mediation_extended_to = row.to_date
        history.record(
            db, row.case_id, None, "deadline_extended",
            from_date=row.from_date.isoformat(), to_date=row.to_date.isoformat(), seq=appended.record.seq,
        )  # fmt: skip

    async def decline(self, principal: Principal | None, *, reason: str = "") -> ExtensionView:
        """A party says no: the proposal ends and the 30 days (or the last agreed day) stand."""
        me = require_party(principal, changes=True)
        reason = _reason(reason, "reason", required=False)
        async with self._maker() as db, db.begin():
            row, party = await self._open_for(db, me, None)
            row.status, row.decided_at, row.declined_by = "declined", utcnow(), party.id
            row.decline_reason = reason or None
            history.record(db, row.case_id, me, "extension_declined", to_date=row.to_date.isoformat(), reason=reason)
            return await self._view(db, row)


def _notice_key(row: DeadlineExtension, party: Party) -> str:
    """The outbox key of one party's text about one proposal: a proposal tells each party once."""
    return f"extension_proposed:{row.id}:{party.id}"
