"""Parties rate the mediation and may complain about it to the organisation above the mediator's.

Issue #22 asks for both, citing 人民法院在线调解规则 (法释〔2021〕23号) art. 27 for the parties'
ratings feeding the mediator's record and art. 29 for a complaint that reaches the supervisor, not
the mediator (the pages cite the same articles; check their wording against the published text
before relying on it). Both are built on the party's own link:

- A rating (``satisfaction_rated``): 1 to 5 stars and an optional comment, for an *occasion*: a
  session that has ended (``session``, the session's id), or the mediation as a whole once the
  case is closed (``closing``, the case's id; the lead mediator is rated). One rating per party and occasion: a second
  is refused (409 ``already_rated``) rather than replacing the first, so that what a supervisor
  counts is what each party said once, not the last of several tries; a party who wants to say
  more after a later session rates that session. Only the parties themselves rate (applicants
  and respondents, ``particulars.signing_parties``), not agents or invited persons. The rating
  counts toward the session's mediator's record, which supervisors and administrators read
  (count, average, comments, with the case number but no party's name).
- A complaint (``complaint_filed``), about the mediator or the mediation, goes to the organisation
  that supervises the case's (its parent in the tree, server/domain/orgtree.py; the case's own
  when it has none). Its supervisors, and those above them, read it on their board and answer it
  once (``complaint_answered``); the party is texted a new link and reads the answer on their page. The mediator never
  reads it: no route of theirs lists it, the case history and the evidence list leave it out for
  anyone but a supervisor (server/domain/cases.py, server/domain/evidence.py), and the evidence
  log carries only the SHA-256 of its words and of the answer (a bundle a mediator exports must
  hold every record for its chain to verify, so it shows that a complaint was logged, never what
  it says); the words live in the ``complaints`` row.

Both the rating and the complaint are signed by the party with their own key, through the party
signing ceremony (server/domain/party_signing.py), so that nobody can rate or complain in their
name; the answer is signed by the platform on the supervisor's login, like a supervision
instruction (server/domain/supervision.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, orgtree, particulars, turns
from server.domain.keybinding import current_party_key
from server.domain.ledger import Ledger
from server.domain.party_signing import PreparedStatement, Proof, body_method, prepare_statement, statement_to_sign
from server.domain.principal import PartyPrincipal, Principal, require_party, require_staff
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotFound
from server.evidence.records import Claim, body_hash, make_body, sha256_hex
from server.models import (
    Case,
    Complaint,
    MediationSession,
    Organisation,
    Party,
    SatisfactionRating,
    User,
    new_id,
    utcnow,
)
from server.settings import Settings

MAX_COMMENT = 500
MAX_COMPLAINT = 2000
OCCASIONS = ("session", "closing")
ABOUT = ("mediator", "mediation")
#: The words of each number of stars, as the party's page shows them (web/js/satisfaction-i18n.js).
STAR_WORDS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
RATE_PURPOSE = "satisfaction_sign"
COMPLAINT_PURPOSE = "complaint_sign"
RULE_RATING = "《人民法院在线调解规则》第二十七条"
RULE_COMPLAINT = "《人民法院在线调解规则》第二十九条"
#: How long the link sent with a complaint's answer stays open.
READ_ANSWER = timedelta(days=30)


@dataclass(frozen=True)
class MediatorRecord:
    """One mediator's ratings, as a supervisor or an administrator reads them."""

    mediator: User
    organisation: Organisation
    count: int
    average: float | None
    #: Newest first: {stars, comment, rated_at, case_number, occasion}; never a party's name.
    ratings: list[dict[str, Any]]


@dataclass(frozen=True)
class ComplaintView:
    complaint: Complaint
    organisation: str  # the name of the organisation it is addressed to
    case_number: str
    party_name: str
    mediator_name: str


def _words(value: str, field: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field} is required", [FieldError(field, "required", "required")])
    if len(text) > limit:
        raise InvalidInput("too long", [FieldError(field, f"at most {limit} characters", "too_long", {"max": limit})])
    return text


def session_ended(session: MediationSession, now: datetime) -> bool:
    """A session a party may rate: held (not cancelled) and over (ended, or past its end)."""
    return session.status != "cancelled" and (session.status == "ended" or session.ends_at <= now)


async def receiving_organisation(db: AsyncSession, case: Case) -> Organisation:
    """The organisation a complaint about this case goes to: the one above the case's, or its own at the top."""
    parent_of = await orgtree.parents(db)
    above = parent_of.get(case.organisation_id)
    organisation = await db.get(Organisation, above or case.organisation_id)
    assert organisation is not None
    return organisation


class Satisfaction:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings

    # -- the party -----------------------------------------------------------------------------

    async def _rater(self, db: AsyncSession, me: PartyPrincipal) -> tuple[Party, Case]:
        party = await db.get(Party, me.party_id)
        case = await db.get(Case, me.case_id)
        assert party is not None and case is not None
        if party not in particulars.signing_parties([party]):
            raise Forbidden("only the parties themselves rate or complain", reason="parties_themselves_only")
        return party, case

    async def for_party(self, principal: Principal | None) -> dict[str, Any]:
        """The party's page: the sessions they may rate and their ratings, their complaints and the answers."""
        me = require_party(principal)
        now = utcnow()
        async with self._maker() as db:
            party = await db.get(Party, me.party_id)
            case = await db.get(Case, me.case_id)
            assert party is not None and case is not None
            sessions = list(
                await db.scalars(
                    select(MediationSession)
                    .where(MediationSession.case_id == case.id, MediationSession.status != "cancelled")
                    .order_by(MediationSession.starts_at)
                )
            )
            mine = {
                (r.occasion, r.occasion_ref): r
                for r in await db.scalars(select(SatisfactionRating).where(SatisfactionRating.party_id == party.id))
            }
            complaints = list(
                await db.scalars(select(Complaint).where(Complaint.party_id == party.id).order_by(Complaint.filed_at))
            )
            addressed = {c.organisation_id for c in complaints}
            names = {o.id: o.name for o in await db.scalars(select(Organisation).where(Organisation.id.in_(addressed)))}
            receiving = await receiving_organisation(db, case)
        return {
            "may_rate": bool(particulars.signing_parties([party])),
            "case_status": case.status,
            "receiving_organisation": receiving.name,
            "occasions": [
                {
                    "occasion": "session",
                    "session_id": s.id,
                    "starts_at": s.starts_at.isoformat(),
                    "ended": session_ended(s, now),
                    "rating": _rating_json(mine.get(("session", s.id))),
                }
                for s in sessions
            ]
            + (
                [
                    {
                        "occasion": "closing",
                        "session_id": None,
                        "starts_at": case.case_closed_at.isoformat(),
                        "ended": True,
                        "rating": _rating_json(mine.get(("closing", case.id))),
                    }
                ]
                if case.case_closed_at is not None
                else []
            ),
            "complaints": [_complaint_json(c, names.get(c.organisation_id, "")) for c in complaints],
        }

    async def _occasion(self, db: AsyncSession, case: Case, occasion: str, session_id: str | None) -> tuple[str, str, User]:
        """(occasion, its ref, the mediator rated), once the occasion may be rated."""
        if occasion == "closing":
            # At closing (结案, server/domain/closing.py) the parties rate the mediation as a whole: its lead mediator.
            if case.case_closed_at is None:
                raise InvalidState("the mediation is rated as a whole once the case is closed", reason="case_not_closed")
            lead = await db.get(User, case.mediator_id)
            assert lead is not None
            return occasion, case.id, lead
        if occasion != "session":
            raise InvalidInput(
                "rate a session that has ended, or the case once closed", [FieldError("occasion", "session or closing", "choice")]
            )
        session = await db.get(MediationSession, session_id) if session_id else None
        if session is None or session.case_id != case.id:
            raise NotFound("no such session of your case", reason="no_such_session")
        if not session_ended(session, utcnow()):
            raise InvalidState("a session is rated once it has ended", reason="session_not_ended")
        mediator = await db.get(User, session.mediator_id)
        assert mediator is not None
        return occasion, session.id, mediator

    async def prepare_rating(
        self, principal: Principal | None, *, occasion: str, session_id: str | None, stars: int, comment: str = ""
    ) -> PreparedStatement:
        """The party's rating, prepared for their key (and a code where one reaches them)."""
        me = require_party(principal, changes=True)
        if stars not in STAR_WORDS:
            raise InvalidInput("give 1 to 5 stars", [FieldError("stars", "1 to 5", "choice")])
        comment = _words(comment, "comment", MAX_COMMENT, required=False)
        async with self._maker() as db, db.begin():
            party, case = await self._rater(db, me)
            occasion, ref, mediator = await self._occasion(db, case, occasion, session_id)
            if await _rated(db, party.id, occasion, ref):
                raise Conflict("you have rated this already", reason="already_rated")
            key = await current_party_key(db, party)
            method = body_method(self._settings, party, key)
            body = make_body(
                {
                    "name": party.name,
                    "role": party.role,
                    "intent": f"本人对本次调解的评价：{STAR_WORDS[stars]}（{stars}星）。"
                    f"My rating of this mediation: {stars} of 5 stars.",
                    "stars": stars,
                    "comment": comment,
                    "mediator": mediator.display_name,
                    "method": method,
                    "rule": RULE_RATING,
                }
            )
            public = {"occasion": occasion, "ref": ref, "stars": stars, "mediator": mediator.id}
            actor = {"kind": "party", "id": party.id, "role": party.role}
            claim = Claim(self._ledger.origin, "satisfaction_rated", case.id, actor, body_hash(body), public)
            return await prepare_statement(
                db, self._settings, me, party, key, claim, body, purpose=RATE_PURPOSE, use="确认由您本人评价本次调解",
                extra={"occasion": occasion, "ref": ref, "stars": stars, "comment": comment, "mediator": mediator.id},
            )  # fmt: skip

    async def sign_rating(self, principal: Principal | None, challenge: str, proof: Proof) -> dict[str, Any]:
        """Log the signed rating; a second for the same occasion is refused, even under a race."""
        me = require_party(principal, changes=True)
        try:
            async with statement_to_sign(self._maker, self._ledger, me, challenge, RATE_PURPOSE) as (db, statement):
                data = statement.data
                party, case = await self._rater(db, me)
                if await _rated(db, party.id, data["occasion"], data["ref"]):
                    raise Conflict("you have rated this already", reason="already_rated")
                signed = await statement.sign(proof)
                rating = SatisfactionRating(
                    case_id=case.id, party_id=party.id, mediator_id=data["mediator"], occasion=data["occasion"],
                    occasion_ref=data["ref"], stars=data["stars"], comment=data["comment"], rated_at=utcnow(),
                    seq=signed.seq,
                )  # fmt: skip
                db.add(rating)
                await db.flush()
                history.record(
                    db, case.id, me, "satisfaction_rated", seq=signed.seq, occasion=data["occasion"], stars=data["stars"]
                )
        except IntegrityError:
            raise Conflict("you have rated this already", reason="already_rated") from None
        return await self.for_party(principal)

    async def prepare_complaint(self, principal: Principal | None, *, about: str, text: str) -> PreparedStatement:
        """The party's complaint, prepared for their key; the record will hold only its words' hash."""
        me = require_party(principal, changes=True)
        if about not in ABOUT:
            raise InvalidInput("about the mediator or the mediation", [FieldError("about", "mediator or mediation", "choice")])
        text = _words(text, "text", MAX_COMPLAINT, required=True)
        async with self._maker() as db, db.begin():
            party, case = await self._rater(db, me)
            organisation = await receiving_organisation(db, case)
            key = await current_party_key(db, party)
            complaint_id = new_id()
            text_hash = sha256_hex(text.encode())
            body = make_body(
                {
                    "name": party.name,
                    "role": party.role,
                    "intent": f"本人向{organisation.name}投诉。I complain to {organisation.name}.",
                    "about": about,
                    "organisation": organisation.name,
                    "text_sha256": text_hash,
                    "method": body_method(self._settings, party, key),
                    "rule": RULE_COMPLAINT,
                }
            )
            public = {"complaint": complaint_id, "about": about, "organisation": organisation.id, "text_sha256": text_hash}
            actor = {"kind": "party", "id": party.id, "role": party.role}
            claim = Claim(self._ledger.origin, "complaint_filed", case.id, actor, body_hash(body), public)
            return await prepare_statement(
                db, self._settings, me, party, key, claim, body, purpose=COMPLAINT_PURPOSE, use="确认由您本人提出投诉",
                extra={"complaint": complaint_id, "about": about, "text": text, "organisation": organisation.id},
            )  # fmt: skip

    async def sign_complaint(self, principal: Principal | None, challenge: str, proof: Proof) -> dict[str, Any]:
        me = require_party(principal, changes=True)
        async with statement_to_sign(self._maker, self._ledger, me, challenge, COMPLAINT_PURPOSE) as (db, statement):
            data = statement.data
            party, case = await self._rater(db, me)
            signed = await statement.sign(proof)
            db.add(
                Complaint(
                    id=data["complaint"], case_id=case.id, party_id=party.id, organisation_id=data["organisation"],
                    about=data["about"], mediator_id=case.mediator_id, text=data["text"], filed_at=utcnow(),
                    seq=signed.seq,
                )
            )  # fmt: skip
            await db.flush()
            history.record(db, case.id, me, "complaint_filed", seq=signed.seq, complaint_id=data["complaint"])
        return await self.for_party(principal)

    # -- supervisors -----------------------------------------------------------------------------

    async def complaints(self, principal: Principal | None) -> list[ComplaintView]:
        """The complaints addressed to the supervisor's organisation or any below it, newest first."""
        staff = require_staff(principal, "supervisor")
        if staff.organisation_id is None:
            raise Forbidden("a supervisor belongs to an organisation", reason="role_needed", roles=["supervisor"])
        async with self._maker() as db:
            subtree = await orgtree.subtree_of(db, staff.organisation_id)
            rows = (
                await db.execute(
                    select(Complaint, Case, Party, User, Organisation)
                    .join(Case, Case.id == Complaint.case_id)
                    .join(Party, Party.id == Complaint.party_id)
                    .join(User, User.id == Complaint.mediator_id)
                    .join(Organisation, Organisation.id == Complaint.organisation_id)
                    .where(Complaint.organisation_id.in_(subtree))
                    .order_by(Complaint.filed_at.desc())
                )
            ).all()
        return [ComplaintView(c, o.name, case.case_number, p.name, u.display_name) for c, case, p, u, o in rows]

    async def answer(self, principal: Principal | None, complaint_id: str, *, text: str) -> ComplaintView:
        """A supervisor answers a complaint addressed to their subtree, once; the party reads it on their page."""
        staff = require_staff(principal, "supervisor")
        text = _words(text, "text", MAX_COMPLAINT, required=True)
        async with self._maker() as db, db.begin():
            row = await db.get(Complaint, complaint_id, with_for_update=True)
            if (
                row is None
                or staff.organisation_id is None
                or not await orgtree.within(db, row.organisation_id, staff.organisation_id)
            ):
                raise NotFound("no such complaint", reason="no_such_complaint")
            if row.answered_at is not None:
                raise Conflict(
                    f"{row.answered_by_name} has answered this complaint already",
                    reason="complaint_answered_already",
                    name=row.answered_by_name,
                )
            own = await db.get(Organisation, staff.organisation_id)
            receiving = await db.get(Organisation, row.organisation_id)
            case = await db.get(Case, row.case_id)
            party = await db.get(Party, row.party_id)
            mediator = await db.get(User, row.mediator_id)
            assert own is not None and receiving is not None and case is not None and party is not None
            text_hash = sha256_hex(text.encode())
            appended = await self._ledger.append_platform(
                db,
                type="complaint_answered",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={"supervisor": staff.display_name, "organisation": own.name, "text_sha256": text_hash},
                public={"complaint_seq": row.seq, "text_sha256": text_hash},
            )
            row.answer, row.answered_by, row.answered_by_name = text, staff.user_id, staff.display_name
            row.answered_at, row.answer_seq = utcnow(), appended.record.seq
            history.record(db, case.id, staff, "complaint_answered", seq=appended.record.seq, complaint_id=row.id)
            # The party is told by text (and e-mail), with a link to their page open long enough to read it.
            await turns.notify_with_link(
                db, self._settings, "complaint_answered", case, party,
                {"name": party.name, "org": receiving.name, "case": case.case_number},
                until=utcnow() + READ_ANSWER, dedupe_key=f"complaint_answered:{row.id}",
            )  # fmt: skip
            return ComplaintView(row, receiving.name, case.case_number, party.name, mediator.display_name if mediator else "")

    async def mediator_records(self, principal: Principal | None) -> list[MediatorRecord]:
        """Each mediator's ratings (art. 27): a supervisor's subtree, an administrator's organisation (every one without)."""
        staff = require_staff(principal, "supervisor", "admin")
        async with self._maker() as db:
            if staff.organisation_id is None:
                shown = {o for o in await db.scalars(select(Organisation.id))}
            else:
                shown = await orgtree.subtree_of(db, staff.organisation_id)
            rows = (
                await db.execute(
                    select(User, Organisation)
                    .join(Organisation, Organisation.id == User.organisation_id)
                    .where(User.role == "mediator", User.organisation_id.in_(shown))
                    .order_by(Organisation.name, User.display_name)
                )
            ).all()
            ids = [u.id for u, _ in rows]
            ratings: dict[str, list[dict[str, Any]]] = {}
            for r, number in (
                await db.execute(
                    select(SatisfactionRating, Case.case_number)
                    .join(Case, Case.id == SatisfactionRating.case_id)
                    .where(SatisfactionRating.mediator_id.in_(ids))
                    .order_by(SatisfactionRating.rated_at.desc())
                )
            ).all():
                ratings.setdefault(r.mediator_id, []).append(
                    {
                        "stars": r.stars,
                        "comment": r.comment,
                        "rated_at": r.rated_at,
                        "case_number": number,
                        "occasion": r.occasion,
                    }
                )
        out = []
        for user, organisation in rows:
            mine = ratings.get(user.id, [])
            average = round(sum(r["stars"] for r in mine) / len(mine), 2) if mine else None
            out.append(MediatorRecord(user, organisation, len(mine), average, mine))
        return out


async def _rated(db: AsyncSession, party_id: str, occasion: str, ref: str) -> bool:
    found = await db.scalar(
        select(SatisfactionRating.id).where(
            SatisfactionRating.party_id == party_id,
            SatisfactionRating.occasion == occasion,
            SatisfactionRating.occasion_ref == ref,
        )
    )
    return found is not None


def _rating_json(r: SatisfactionRating | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"stars": r.stars, "comment": r.comment, "rated_at": r.rated_at.isoformat(), "seq": r.seq}


def _complaint_json(c: Complaint, organisation: str) -> dict[str, Any]:
    """A complaint as its own party reads it: what they wrote, to whom, and the answer once given."""
    return {
        "id": c.id,
        "about": c.about,
        "text": c.text,
        "filed_at": c.filed_at.isoformat(),
        "seq": c.seq,
        "organisation": organisation,
        "answer": c.answer,
        "answered_at": c.answered_at.isoformat() if c.answered_at else None,
    }


__all__ = ["MAX_COMMENT", "MAX_COMPLAINT", "ComplaintView", "MediatorRecord", "Satisfaction"]
