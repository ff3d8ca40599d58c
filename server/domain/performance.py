"""Performing the sealed agreement: each instalment reported by the one who owes, confirmed or disputed by the one owed.

People's Mediation Law art. 31: the parties must perform what they agreed, and the mediation
committee follows up on it ("人民调解委员会应当对调解协议的履行情况进行监督，督促当事人履行约定的义务").
So when an agreement is sealed its terms' structured obligations (server/domain/agreements/
obligation.py, composed into the signed text) become rows of ``obligations``, one per instalment
(``create_from_sealed`` in server/domain/agreements/sealing.py, in the sealing transaction: the rows are made from the sealed version's
content, so they say what the signed text says).

Each step is a record of the case's evidence log, in the same transaction as the change, with a
history line:

- ``performance_reported``: the one who owes says an instalment is done, on their own link
  (signed by the platform on their authenticated word, method ``party_link``, as a respondent's
  answer is in server/domain/willingness.py), optionally naming a proof already in the case file
  (a transfer screenshot or receipt, server/domain/documents.py) by its id and SHA-256. Reporting
  commits the one who owes to nothing they had not already agreed, and must never need a ceremony.
- ``performance_confirmed``: the one owed confirms receipt with their own key (the party signing
  ceremony, server/domain/party_signing.py): their word that the debt is discharged is what an
  enforcement court would weigh against them (Electronic Signature Law art. 13–14), so it is their
  signature, not the platform's. Or a mediator records a confirmation the one owed gave over video
  in a session (method ``over_video``): signed with the mediator's own key (bound to the case), with
  the mediator as actor, and shown as such; never as the party's signature.
- ``performance_disputed``: the one owed says it was not done, with a reason, signed with their key.
  The one who owes may then report again.

An instalment is ``overdue`` when its last day (a Beijing day, clocks.LEGAL_ZONE) has ended and it
is neither performed nor reported awaiting the other's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, reach
from server.domain.access import case_for_staff
from server.domain.agreements import text as words
from server.domain.agreements.obligation import KIND_WORDS, day_words, yuan
from server.domain.clocks import local_day
from server.domain.documents import visible_to_party
from server.domain.follow_up_plans import reminders_of
from server.domain.keybinding import current_party_key
from server.domain.ledger import Ledger
from server.domain.party_signing import PreparedStatement, Proof, body_method, prepare_statement, statement_to_sign
from server.domain.principal import PartyPrincipal, Principal, Staff, require_party
from server.domain.staffkeys import Prepared, StaffKeys
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body
from server.models import Case, CaseDocument, EvidenceKeyCase, Obligation, Party, utcnow
from server.settings import Settings

MAX_NOTE = 500
PURPOSE = "performance_answer"
#: The purpose of a mediator's signed record of a confirmation given on video (StaffKeys' hook: VideoConfirmed).
OVER_VIDEO_PURPOSE = "performance_over_video"
ANSWERS = ("confirm", "dispute")
RECORD_OF = {"confirm": "performance_confirmed", "dispute": "performance_disputed"}
CONFIRM_TEXT = "本人确认已收到{debtor}履行的{label}：{what}。I confirm that {debtor} performed {label_en}: {what}."
DISPUTE_TEXT = "本人对{debtor}所报{label}的履行有异议：{reason}。I dispute that {debtor} performed {label_en}: {reason}."


def label(row: Obligation) -> tuple[str, str]:
    """第二条第1期 / term 2, instalment 1 (a term of one instalment: just the term)."""
    zh = f"第{words.numeral(row.term)}条"
    en = f"term {row.term}"
    if row.instalments > 1:
        zh += f"第{row.instalment}期"
        en += f", instalment {row.instalment} of {row.instalments}"
    return zh, en


def performance_text(row: Obligation) -> str:
    """What this instalment asks, in words: 人民币1000.00元 (2027年1月10日前) or 交付车辆 …."""
    thing = yuan(row.amount_fen) if row.amount_fen is not None else f"{KIND_WORDS[row.kind][0]}{row.what}"
    return f"{thing}（{day_words(row.due_date)}前）"


def status_of(row: Obligation, today: date) -> str:
    """pending | reported | performed | disputed | overdue (see the module's docstring)."""
    return status_on(row.status, row.due_date, today)


def status_on(status: str, due_date: date, today: date) -> str:
    """``status_of`` from the two columns it reads (the statistics read them without the whole row)."""
    if status in ("pending", "disputed") and today > due_date:
        return "overdue"
    return status


@dataclass(frozen=True)
class ObligationView:
    row: Obligation
    debtor: Party
    creditor: Party
    proof: CaseDocument | None
    today: date
    #: The reminders of its last day queued for the one who owes, and what became of each (follow_through.py).
    reminders: tuple[dict[str, Any], ...] = ()
    #: The case is closed (结案, server/domain/closing.py): nothing more is reported or answered.
    case_closed: bool = False

    def to_json(self) -> dict[str, Any]:
        r = self.row
        zh, en = label(r)
        return {
            "id": r.id,
            "term": r.term,
            "instalment": r.instalment,
            "instalments": r.instalments,
            "label": {"zh": zh, "en": en},
            "kind": r.kind,
            "what": r.what,
            "amount_fen": r.amount_fen,
            "due_date": r.due_date.isoformat(),
            "wording": r.wording,
            "debtor": {"party_id": self.debtor.id, "name": self.debtor.name, "role": self.debtor.role},
            "creditor": {"party_id": self.creditor.id, "name": self.creditor.name, "role": self.creditor.role},
            "status": status_of(r, self.today),
            "overdue": r.status != "performed" and self.today > r.due_date,
            "reported_at": r.reported_at.isoformat() if r.reported_at else None,
            "report_seq": r.report_seq,
            "report_note": r.report_note,
            "proof": {"id": self.proof.id, "name": self.proof.name, "sha256": self.proof.sha256} if self.proof else None,
            "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
            "confirm_seq": r.confirm_seq,
            # party_key (the one owed signed with their own key) | over_video (a mediator recorded their word)
            "confirm_method": r.confirm_method,
            "disputed_at": r.disputed_at.isoformat() if r.disputed_at else None,
            "dispute_seq": r.dispute_seq,
            "dispute_reason": r.dispute_reason,
            "reminders": list(self.reminders),
            # Reminders go to the phone and e-mail of the one who owes: with neither, none can be sent.
            "reminder_unreachable": not (self.debtor.phone or self.debtor.email),
            "case_closed": self.case_closed,
        }


def _note(text: str | None, name: str, *, required: bool) -> str:
    value = (text or "").strip()
    if required and not value:
        raise InvalidInput(f"{name} is required", [FieldError(name, "required", "required")])
    if len(value) > MAX_NOTE:
        raise InvalidInput(
            f"{name} is too long", [FieldError(name, f"at most {MAX_NOTE} characters", "too_long", {"max": MAX_NOTE})]
        )
    return value


async def _open_for_performance(db: AsyncSession, case_id: str) -> None:
    """A closed case (结案, server/domain/closing.py) takes no further performance act."""
    if await db.scalar(select(Case.case_closed_at).where(Case.id == case_id)) is not None:
        raise Conflict("this case is closed; nothing more can be recorded on it", reason="case_concluded")


class Performance:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings, staff_keys: StaffKeys | None = None
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._staff_keys = staff_keys

    # -- reading --------------------------------------------------------------------------------

    async def _views(self, db: AsyncSession, case_id: str, now: datetime | None = None) -> list[ObligationView]:
        rows = list(
            await db.scalars(
                select(Obligation).where(Obligation.case_id == case_id).order_by(Obligation.term, Obligation.instalment)
            )
        )
        parties = {p.id: p for p in await db.scalars(select(Party).where(Party.case_id == case_id))}
        proofs = [r.proof_document_id for r in rows if r.proof_document_id]
        docs = {d.id: d for d in await db.scalars(select(CaseDocument).where(CaseDocument.id.in_(proofs)))} if proofs else {}
        today = local_day(now or utcnow())
        reminders = await reminders_of(db, case_id)
        closed = await db.scalar(select(Case.case_closed_at).where(Case.id == case_id)) is not None
        for messages in reminders.values():  # one nothing will send says so, never "sending" (reach.undelivered)
            for m in messages:
                waiting = m["status"] in ("pending", "sending")
                m["undelivered"] = reach.undelivered(self._settings, m["channel"], "performance_due") if waiting else None
        return [
            ObligationView(
                r,
                parties[r.debtor_party_id],
                parties[r.creditor_party_id],
                docs.get(r.proof_document_id or ""),
                today,
                tuple(reminders.get(r.id, [])),
                closed,
            )
            for r in rows
        ]

    async def of_case(self, principal: Principal | None, case_id: str, now: datetime | None = None) -> list[ObligationView]:
        """The case's instalments for its mediators, supervisors above, and staff a referral shares it with."""
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            return await self._views(db, case.id, now)

    async def for_party(self, principal: Principal | None, now: datetime | None = None) -> dict[str, list[ObligationView]]:
        """What this party owes and is owed (an agent or an interpreter sees neither: they are not bound)."""
        me = require_party(principal)
        async with self._maker() as db:
            views = await self._views(db, me.case_id, now)
        return {
            "owe": [v for v in views if v.row.debtor_party_id == me.party_id],
            "owed": [v for v in views if v.row.creditor_party_id == me.party_id],
        }

    async def _row(self, db: AsyncSession, case_id: str, obligation_id: str) -> Obligation:
        row = await db.get(Obligation, obligation_id, with_for_update=True)
        if row is None or row.case_id != case_id:
            raise NotFound("no such obligation in this case", reason="no_such_obligation")
        await _open_for_performance(db, case_id)
        return row

    async def _one(self, db: AsyncSession, row: Obligation) -> ObligationView:
        return next(v for v in await self._views(db, row.case_id) if v.row.id == row.id)

    # -- the one who owes reports ---------------------------------------------------------------

    async def report(
        self, principal: Principal | None, obligation_id: str, *, note: str = "", proof_document_id: str | None = None
    ) -> ObligationView:
        me = require_party(principal, changes=True)
        note = _note(note, "note", required=False)
        async with self._maker() as db, db.begin():
            row = await self._row(db, me.case_id, obligation_id)
            if row.debtor_party_id != me.party_id:
                raise Forbidden("only the party who owes this reports its performance", reason="not_the_debtor")
            if row.status == "performed":
                raise Conflict("this was confirmed as performed already", reason="performed_already")
            if row.status == "reported":
                raise Conflict("you reported this already; the other party has not answered yet", reason="reported_already")
            party = await db.get(Party, me.party_id)
            assert party is not None
            proof = None
            if proof_document_id is not None:
                proof = await db.get(CaseDocument, proof_document_id)
                if proof is None or proof.case_id != me.case_id or proof.uploaded_by_id != me.party_id or proof.kind != "upload":
                    raise InvalidInput(
                        "the proof must be a file you added to this case",
                        [FieldError("proof_document_id", "a file you uploaded", "not_your_document")],
                    )
                if not visible_to_party(proof, row.creditor_party_id):
                    raise InvalidInput(
                        "the other party cannot see this file",
                        [FieldError("proof_document_id", "shared with the party owed", "proof_not_shared")],
                    )
            zh = label(row)[0]
            appended = await self._ledger.append_platform(
                db,
                type="performance_reported",
                case=row.case_id,
                actor={"kind": "party", "id": party.id, "role": party.role},
                data={
                    "name": party.name,
                    "statement": f"{label(row)[0]}已履行：{performance_text(row)}",
                    "wording": row.wording,
                    "note": note,
                    "method": "party_link",
                },
                public={
                    "obligation": row.id,
                    "term": row.term,
                    "instalment": row.instalment,
                    "amount_fen": row.amount_fen,
                    "due_date": row.due_date.isoformat(),
                    "proof": {"document": proof.id, "sha256": proof.sha256} if proof else None,
                    "method": "party_link",
                },
            )
            row.status, row.reported_at, row.report_seq = "reported", utcnow(), appended.record.seq
            row.report_note, row.proof_document_id = note or None, proof.id if proof else None
            history.record(db, row.case_id, me, "performance_reported", label=zh, seq=appended.record.seq)
            return await self._one(db, row)

    # -- the one owed answers, with their own key -----------------------------------------------

    async def _answerable(self, db: AsyncSession, me: PartyPrincipal, obligation_id: str) -> tuple[Obligation, Party, Party]:
        row = await self._row(db, me.case_id, obligation_id)
        if row.creditor_party_id != me.party_id:
            raise Forbidden("only the party owed confirms or disputes this", reason="not_the_creditor")
        if row.status == "performed":
            raise Conflict("this was confirmed as performed already", reason="performed_already")
        if row.status != "reported":
            raise Conflict("the other party has not reported this as done", reason="not_reported")
        party, debtor = await db.get(Party, me.party_id), await db.get(Party, row.debtor_party_id)
        assert party is not None and debtor is not None
        return row, party, debtor

    def _claim(
        self, row: Obligation, party: Party, debtor: Party, answer: str, reason: str, method: str
    ) -> tuple[Claim, dict[str, Any]]:
        zh, en = label(row)
        who = f"{words.ROLE_WORDS.get(debtor.role, '')}{debtor.name}"
        if answer == "confirm":
            intent = CONFIRM_TEXT.format(debtor=who, label=zh, label_en=en, what=performance_text(row))
        else:
            intent = DISPUTE_TEXT.format(debtor=who, label=zh, label_en=en, reason=reason)
        body = make_body(
            {
                "name": party.name,
                "intent": intent,
                "method": method,
                "wording": row.wording,
                "reason": reason,
                "report_seq": row.report_seq,
            }
        )
        public = {
            "obligation": row.id,
            "term": row.term,
            "instalment": row.instalment,
            "report": row.report_seq,
            "role": party.role,
        }
        actor = {"kind": "party", "id": party.id, "role": party.role}
        return Claim(self._ledger.origin, RECORD_OF[answer], row.case_id, actor, body_hash(body), public), body

    async def prepare(self, principal: Principal | None, obligation_id: str, answer: str, reason: str = "") -> PreparedStatement:
        """The party's confirmation or dispute, prepared for their key (and a code where one reaches them)."""
        me = require_party(principal, changes=True)
        if answer not in ANSWERS:
            raise InvalidInput("answer confirm or dispute", [FieldError("answer", "confirm or dispute", "choice")])
        reason = _note(reason, "reason", required=answer == "dispute") if answer == "dispute" else ""
        async with self._maker() as db, db.begin():
            row, party, debtor = await self._answerable(db, me, obligation_id)
            key = await current_party_key(db, party)
            claim, body = self._claim(row, party, debtor, answer, reason, body_method(self._settings, party, key))
            use = "确认由您本人确认收到履行" if answer == "confirm" else "确认由您本人提出履行异议"
            return await prepare_statement(
                db, self._settings, me, party, key, claim, body,
                purpose=PURPOSE, use=use, extra={"obligation": row.id, "answer": answer, "reason": reason},
            )  # fmt: skip

    async def sign(self, principal: Principal | None, challenge: str, proof: Proof) -> ObligationView:
        """Log the party's signed confirmation (performed) or dispute (disputed)."""
        me = require_party(principal, changes=True)
        async with statement_to_sign(self._maker, self._ledger, me, challenge, PURPOSE) as (db, statement):
            row, _, _ = await self._answerable(db, me, str(statement.data["obligation"]))
            signed = await statement.sign(proof)
            answer, now = str(statement.data["answer"]), utcnow()
            zh = label(row)[0]
            if answer == "confirm":
                row.status, row.confirmed_at, row.confirm_seq, row.confirm_method = "performed", now, signed.seq, "party_key"
            else:
                row.status, row.disputed_at, row.dispute_seq = "disputed", now, signed.seq
                row.dispute_reason = str(statement.data["reason"])
            history.record(db, row.case_id, me, RECORD_OF[answer], label=zh, seq=signed.seq, method=signed.method)
            view = await self._one(db, row)
        return view

    # -- a mediator records a confirmation given over video --------------------------------------

    async def prepare_over_video(
        self, principal: Principal | None, case_id: str, obligation_id: str, *, key: str, note: str = ""
    ) -> Prepared:
        """The one owed said in a session, on video, that they received it: the mediator's own record of
        that, for their own key (bound to the case) to sign; logged by ``video_confirmed`` (StaffKeys' hook)."""
        if self._staff_keys is None:
            raise InvalidState("staff signatures are not available here", reason="no_staff_keys")
        note = _note(note, "note", required=False)
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True, assigned=True)
            row = await self._row(db, case.id, obligation_id)
            if row.status == "performed":
                raise Conflict("this was confirmed as performed already", reason="performed_already")
            info = await self._staff_keys.own_key(db, staff, key)
            if await db.get(EvidenceKeyCase, (info.id, case.id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            creditor = await db.get(Party, row.creditor_party_id)
            assert creditor is not None
            zh = label(row)[0]
            statement = f"{creditor.name}在视频调解中向调解员{staff.display_name}确认已收到{zh}的履行：{performance_text(row)}"
            body = make_body(
                {
                    "mediator": staff.display_name,
                    "statement": statement,
                    "wording": row.wording,
                    "note": note,
                    "method": "over_video",
                }
            )
            public = {
                "obligation": row.id,
                "term": row.term,
                "instalment": row.instalment,
                "report": row.report_seq,
                "confirmed_by": {"kind": "party", "id": creditor.id, "role": creditor.role},
                "method": "over_video",
            }
            actor = {"kind": "staff", "id": staff.user_id, "role": staff.role}
            claim = Claim(self._ledger.origin, "performance_confirmed", case.id, actor, body_hash(body), public)
            return await self._staff_keys.prepare(db, staff, info, claim, body, OVER_VIDEO_PURPOSE)

    async def video_confirmed(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int) -> None:
        """In the transaction that logs the mediator's signed record: the instalment is performed (once)."""
        row = await db.get(Obligation, str(claim.public["obligation"]), with_for_update=True)
        if row is None or row.case_id != claim.case:
            raise NotFound("no such obligation in this case", reason="no_such_obligation")
        await _open_for_performance(db, row.case_id)
        if row.status == "performed":
            raise Conflict("this was confirmed as performed already", reason="performed_already")
        creditor = await db.get(Party, row.creditor_party_id)
        assert creditor is not None
        row.status, row.confirmed_at, row.confirm_seq = "performed", utcnow(), seq
        row.confirm_method, row.confirmed_by_staff = "over_video", staff.user_id
        history.record(
            db,
            row.case_id,
            staff,
            "performance_confirmed",
            label=label(row)[0],
            seq=seq,
            method="over_video",
            party=creditor.name,
        )


class VideoConfirmed:
    """StaffKeys' hook on a mediator's signed record of a confirmation given on video."""

    def __init__(self, service: Performance) -> None:
        self._service = service

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        await self._service.video_confirmed(db, staff, claim, seq)

    async def after(self, staff: Staff, claim: Claim) -> None:
        return None


__all__ = ["OVER_VIDEO_PURPOSE", "Performance", "VideoConfirmed", "label", "performance_text", "status_of"]
