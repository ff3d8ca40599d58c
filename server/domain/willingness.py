"""Whether the other side agrees to mediation: asked of each respondent, answered by them alone.

People's Mediation Law art. 17: mediation rests on both sides' will, and "当事人一方明确拒绝调解的，
不得调解". 人民法院在线调解规则 art. 15 likewise has the other side asked, before mediation
starts, whether they agree. So when a case comes from one party (an online application accepted
by staff, which calls ``ask_other_side``; or a case registered at the window, from its page),
each respondent is asked through their own personal link. Their answer is a record of the case's
evidence log: ``mediation_accepted`` or ``mediation_refused`` (with their reason, if they give
one), in the same transaction as the change.

How the answer is signed: like ``consent_withdrawn`` (server/domain/consent.py), by the platform
on the respondent's authenticated word, i.e. the request made with the cookie of their own
link, which only they received. Not with a key of their own: a respondent who has never used the
platform has none, and binding one (a code, or the mediator's check of their ID card on video)
is a ceremony that must never stand between a person and their refusal (art. 17), nor make an
acceptance, which commits them to nothing but talking (they may still end mediation at any
time, art. 23), harder than a phone call would. The record's body keeps the exact question shown
(Chinese and English) and its hash, so it says what was answered, not just that something was.

Refusal ends the case at once, and so does silence when the deadline passes
(``other_side_refused``, ``other_side_silent``: the statutory end of server/domain/outcomes.py,
``mediation_ended``, written by the platform). Silence is detected without anyone acting: the
outbox's periodic round calls ``Willingness.sweep(now)`` (server/services.py), like the
deadline reminders of server/domain/turns.py. Every party is told; the applicants get a link to
their page, which names the routes still open to them (art. 26: arbitration, the authorities,
the courts).

The deadline: by default the end of the third working day after the day of asking (China's
holidays and make-up workdays counted, server/domain/workdays.py). That is the measure the
rules use for the platform's own answer to an application (在线调解规则 art. 12, three working
days to accept it, server/domain/clocks.py), and the common practice of people's mediation
committees when they telephone the other side: long enough to ask a relative or a lawyer, short
enough that an applicant who will not get mediation learns it within a week and can go to a court
or arbitration. A mediator asking from the case page may set another day (up to 30 days ahead,
the whole mediation period of art. 24).

Sessions may still be booked while an answer is awaited: a mediator often telephones the other
side and books a first talk in the same call, and the booking is what the invitation carries.
The case page and the parties' pages say that the other side has not agreed yet; a refusal ends
the case (its sessions can then no longer be joined as for any ended case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, links, notices, notifications
from server.domain.access import case_for_staff
from server.domain.clocks import end_of, local_day
from server.domain.ledger import Ledger
from server.domain.outcomes import AUTOMATIC_GROUNDS, ROUTES_EN, ROUTES_ZH
from server.domain.principal import CaseParty, PartyPrincipal, Principal, Staff, refuse_if_archived_party
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotAuthenticated
from server.evidence.records import sha256_hex
from server.models import Case, Organisation, Party, User, WillingnessQuestion, utcnow
from server.settings import Settings

#: Working days the other side has to answer, after the day they are asked (see the docstring).
DEFAULT_WORKDAYS = 3
#: The latest day a mediator may set: the 30 days of the mediation period (在线调解规则 art. 24).
MAX_DAYS = 30
MAX_REASON = 500
ANSWERS = ("accepted", "refused")
RECORD_OF = {"accepted": "mediation_accepted", "refused": "mediation_refused"}
#: How long an applicant's or respondent's link stays open after the question is settled, to read the outcome.
READ_AFTER = timedelta(days=30)


def default_due(asked_at: datetime, workdays: Workdays) -> datetime:
    """The end (midnight, Beijing time) of the third working day after the day of asking."""
    return end_of(workdays.add_workdays(local_day(asked_at), DEFAULT_WORKDAYS))


def question_text(applicants: list[str], organisation: str, summary: str) -> tuple[str, str]:
    """The question exactly as the respondent's page shows it (Chinese, English)."""
    who = "、".join(applicants) or "对方当事人"
    who_en = ", ".join(applicants) or "The other party"
    zh = (
        f"{who}向{organisation}申请调解您与其之间的纠纷：{summary}\n"
        "调解须双方自愿（《人民调解法》第十七条）。您是否同意由调解员主持调解？"
        "同意后，您仍可以随时要求终止调解；不同意的，调解不再进行。"
    )
    en = (
        f"{who_en} asked {organisation} to mediate the dispute between you: {summary}\n"
        "Mediation needs both sides' free agreement (People's Mediation Law art. 17). Do you agree to mediation? "
        "If you agree you may still end it at any time; if you do not, there will be no mediation."
    )
    return zh, en


@dataclass(frozen=True)
class Answer:
    """One respondent's question as the pages show it."""

    question: WillingnessQuestion
    name: str

    def to_json(self) -> dict[str, Any]:
        q = self.question
        return {
            "id": q.id,
            "party_id": q.party_id,
            "name": self.name,
            "answer": q.answer,
            "answered_at": q.answered_at.isoformat() if q.answered_at else None,
            "reason": q.reason,
            "asked_at": q.asked_at.isoformat(),
            "due_at": q.due_at.isoformat(),
            "due_date": local_day(q.due_at - timedelta(microseconds=1)).isoformat(),
        }


@dataclass(frozen=True)
class CaseAnswers:
    """Every respondent's answer, and where the case stands because of them."""

    answers: list[Answer]
    case: Case

    @property
    def state(self) -> str:
        """``none`` (nobody asked) | ``waiting`` | ``accepted`` (every respondent) | ``refused`` | ``silent``."""
        given = [a.question.answer for a in self.answers]
        if not given:
            return "none"
        for ending in ("refused", "silent"):
            if ending in given:
                return ending
        return "accepted" if all(g == "accepted" for g in given) else "waiting"

    def to_json(self) -> dict[str, Any]:
        ended = self.case.outcome_reason if self.case.outcome_reason in ("other_side_refused", "other_side_silent") else None
        return {
            "state": self.state,
            "answers": [a.to_json() for a in self.answers],
            "ended": {"reason": ended, "zh": AUTOMATIC_GROUNDS[ended].zh, "en": AUTOMATIC_GROUNDS[ended].en} if ended else None,
        }


async def _respondents(db: AsyncSession, case_id: str) -> list[Party]:
    query = select(Party).where(Party.case_id == case_id, Party.role == "respondent").order_by(Party.created_at)
    return list(await db.scalars(query))


async def _applicant_names(db: AsyncSession, case_id: str) -> list[str]:
    query = select(Party.name).where(Party.case_id == case_id, Party.role == "applicant").order_by(Party.created_at)
    return list(await db.scalars(query))


async def _answers(db: AsyncSession, case: Case) -> CaseAnswers:
    rows = (
        await db.execute(
            select(WillingnessQuestion, Party.name)
            .join(Party, Party.id == WillingnessQuestion.party_id)
            .where(WillingnessQuestion.case_id == case.id)
            .order_by(Party.created_at)
        )
    ).all()
    return CaseAnswers([Answer(q, name) for q, name in rows], case)


async def ask_other_side(
    db: AsyncSession,
    case: Case,
    *,
    settings: Settings | None = None,
    principal: Principal | None = None,
    due_at: datetime | None = None,
    workdays: Workdays | None = None,
    now: datetime | None = None,
) -> list[WillingnessQuestion]:
    """Ask each respondent of ``case`` not asked yet whether they agree to mediation, in the caller's transaction.

    Called when staff accept an online application (the platform asks: ``principal`` None) and
    from the case page (the mediator asks). ``due_at`` defaults to ``default_due``. With
    ``settings`` each respondent is sent their link at once; without, the next outbox round
    sends it (``Willingness.sweep``). Returns the new questions (none if all were asked).
    """
    now = now or utcnow()
    due = due_at or default_due(now, workdays or Workdays())
    asked = set(await db.scalars(select(WillingnessQuestion.party_id).where(WillingnessQuestion.case_id == case.id)))
    staff_id = principal.user_id if isinstance(principal, Staff) else None
    created = []
    for party in await _respondents(db, case.id):
        if party.id in asked:
            continue
        question = WillingnessQuestion(case_id=case.id, party_id=party.id, asked_at=now, asked_by=staff_id, due_at=due)
        db.add(question)
        await db.flush()
        history.record(db, case.id, principal, "willingness_asked", party_id=party.id, due_at=due.isoformat())
        created.append(question)
        if settings is not None:
            await _send_question(db, settings, case, party, question)
    return created


async def _send_question(db: AsyncSession, settings: Settings, case: Case, party: Party, question: WillingnessQuestion) -> None:
    """The respondent's link to the question, by SMS (and e-mail), listed on the case page for the mediator."""
    issued = await links.issue_for_case(db, settings, None, party, until=question.due_at)
    organisation = await db.get(Organisation, case.organisation_id)
    zone = settings.default_timezone
    values = {
        "name": party.name,
        "org": organisation.name if organisation else "",
        "case": case.case_number,
        "deadline": notifications.local_time_text(question.due_at - timedelta(minutes=1), zone),
        "link": notices.link_param(issued.url),
    }
    notifications.notify(
        db, "willingness_asked", party, values, url=issued.url, case_id=case.id,
        english={"deadline_en": notifications.local_time_text_en(question.due_at - timedelta(minutes=1), zone)},
        dedupe_key=f"willingness_asked:{question.id}",
    )  # fmt: skip
    question.notified_at = utcnow()


class Willingness:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings, workdays: Workdays | None = None
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._workdays = workdays or Workdays()

    # -- staff ---------------------------------------------------------------------------------

    async def ask(self, principal: Principal | None, case_id: str, due_date: date | None = None) -> CaseAnswers:
        """The mediator asks from the case page (a case registered at the window), naming the last day to answer."""
        now = utcnow()
        due_at = None
        if due_date is not None:
            today = local_day(now)
            if due_date <= today:
                raise InvalidInput(
                    "the last day to answer must be after today", [FieldError("due_date", "after today", "not_after_today")]
                )
            if due_date > today + timedelta(days=MAX_DAYS):
                raise InvalidInput(
                    "the last day to answer is too far",
                    [FieldError("due_date", f"at most {MAX_DAYS} days ahead", "too_far", {"max_days": MAX_DAYS})],
                )
            due_at = end_of(due_date)
        async with self._maker() as db, db.begin():
            _, case = await case_for_staff(db, principal, case_id, write=True)
            if case.status != "open":
                raise Conflict(f"the case is {case.status} already", reason=case.status)
            if not await _respondents(db, case.id):
                raise InvalidState("the case has no respondent to ask; add them first", reason="no_respondent")
            created = await ask_other_side(
                db, case, settings=self._settings, principal=principal, due_at=due_at, workdays=self._workdays, now=now
            )
            if not created:
                raise Conflict("every respondent was asked already", reason="already_asked")
            return await _answers(db, case)

    async def of_case(self, principal: Principal | None, case_id: str) -> CaseAnswers:
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            return await _answers(db, case)

    # -- the parties ---------------------------------------------------------------------------

    async def for_party(self, principal: Principal | None) -> dict[str, Any] | None:
        """What the party's page shows: the question (a respondent) or the answers (an applicant); None if nobody was asked."""
        me = _party(principal)
        async with self._maker() as db:
            case = await db.get(Case, me.case_id)
            party = await db.get(Party, me.party_id)
            assert case is not None and party is not None
            answers = await _answers(db, case)
            if not answers.answers:
                return None
            mine = next((a for a in answers.answers if a.question.party_id == party.id), None)
            organisation = await db.get(Organisation, case.organisation_id)
            mediator = await db.get(User, case.mediator_id)
            applicants = await _applicant_names(db, case.id)
            zh, en = question_text(applicants, organisation.name if organisation else "", case.summary or "")
            view = answers.to_json()
            view |= {
                "role": party.role,
                "applicants": applicants,
                "summary": case.summary or "",
                "case_number": case.case_number,
                "organisation": organisation.name if organisation else "",
                "mediator": {"display_name": mediator.display_name, "phone": mediator.phone or ""} if mediator else None,
                "case_status": case.status,
                "mine": mine.to_json() if mine else None,
                "question": {"zh": zh, "en": en} if mine else None,
                "routes": {"zh": ROUTES_ZH, "en": ROUTES_EN} if view["ended"] else None,
            }
            if party.role != "applicant" and mine is None:
                # An agent or an invited person sees whether the other side agreed, not the answers' reasons.
                for answer in view["answers"]:
                    answer["reason"] = None
            return view

    async def answer(self, principal: Principal | None, answer: str, reason: str = "") -> dict[str, Any]:
        """The respondent's own answer, once; a refusal ends the case (art. 17)."""
        me = _party(principal)
        refuse_if_archived_party(me)
        if answer not in ANSWERS:
            raise InvalidInput("answer accepted or refused", [FieldError("answer", "one of accepted, refused", "choice")])
        reason = (reason or "").strip()
        if len(reason) > MAX_REASON:
            raise InvalidInput(
                "the reason is too long",
                [FieldError("reason", f"at most {MAX_REASON} characters", "too_long", {"max": MAX_REASON})],
            )
        if answer == "accepted":
            reason = ""
        now = utcnow()
        async with self._maker() as db, db.begin():
            question = await db.scalar(
                select(WillingnessQuestion)
                .where(WillingnessQuestion.case_id == me.case_id, WillingnessQuestion.party_id == me.party_id)
                .with_for_update()
            )
            if question is None:
                raise Forbidden("only a respondent who was asked answers this", reason="not_asked")
            if question.answer == "silent" or (question.answer is None and question.due_at <= now):
                raise InvalidState("the time to answer has passed", reason="answer_too_late")
            if question.answer is not None:
                raise Conflict("you answered already", reason="already_answered", answer=question.answer)
            case = await db.get(Case, me.case_id, with_for_update=True)
            party = await db.get(Party, me.party_id)
            assert case is not None and party is not None
            if case.status != "open":
                raise Conflict(f"the case is {case.status} already", reason=case.status)
            organisation = await db.get(Organisation, case.organisation_id)
            applicants = await _applicant_names(db, case.id)
            zh, en = question_text(applicants, organisation.name if organisation else "", case.summary or "")
            shown = zh + "\n\n" + en
            kind = RECORD_OF[answer]
            appended = await self._ledger.append_platform(
                db,
                type=kind,
                case=case.id,
                actor={"kind": "party", "id": party.id, "role": party.role},
                data={"name": party.name, "role": party.role, "question": shown, "reason": reason, "method": "party_link"},
                public={"question": question.id, "text_hash": sha256_hex(shown.encode())},
            )
            question.answer, question.answered_at, question.reason = answer, now, reason or None
            question.answer_seq = appended.record.seq
            history.record(db, case.id, principal, kind, seq=appended.record.seq, reason=reason or None)
            if answer == "refused":
                await self._end(
                    db, case, "other_side_refused", f"{party.name}不同意调解" + (f"：{reason}" if reason else ""), now
                )
            await links.keep_case_links_open(db, party.id, now + READ_AFTER)
            answers = await _answers(db, case)
        view = await self.for_party(principal)
        assert view is not None
        return view | {"recorded": answers.state}

    # -- the deadline ----------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> int:
        """One round: send the questions not sent yet, and end the cases whose respondent let the deadline pass.

        Run by the outbox's loop (a few seconds apart); tests call it with ``now``. Safe to run
        in several processes at once: each question is settled under its row lock, once.
        """
        now = now or utcnow()
        done = 0
        async with self._maker() as db:
            unsent = list(
                await db.scalars(
                    select(WillingnessQuestion.id).where(
                        WillingnessQuestion.notified_at.is_(None),
                        WillingnessQuestion.answer.is_(None),
                        WillingnessQuestion.due_at > now,
                    )
                )
            )
            due = list(
                await db.scalars(
                    select(WillingnessQuestion.id).where(WillingnessQuestion.answer.is_(None), WillingnessQuestion.due_at <= now)
                )
            )
        for question_id in unsent:
            try:
                async with self._maker() as db, db.begin():
                    question = await db.get(WillingnessQuestion, question_id, with_for_update=True)
                    if question is None or question.notified_at is not None:
                        continue
                    case = await db.get(Case, question.case_id)
                    party = await db.get(Party, question.party_id)
                    assert case is not None and party is not None
                    await _send_question(db, self._settings, case, party, question)
                done += 1
            except IntegrityError:
                pass  # sent by another process
        for question_id in due:
            async with self._maker() as db, db.begin():
                question = await db.get(WillingnessQuestion, question_id, with_for_update=True)
                if question is None or question.answer is not None:
                    continue
                question.answer, question.answered_at = "silent", now
                case = await db.get(Case, question.case_id, with_for_update=True)
                party = await db.get(Party, question.party_id)
                assert case is not None and party is not None
                history.record(db, case.id, None, "willingness_silent", party_id=party.id)
                if case.status == "open":
                    await self._end(db, case, "other_side_silent", f"{party.name}未在期限内答复是否同意调解", now)
                done += 1
        return done

    async def _end(self, db: AsyncSession, case: Case, reason: str, note: str, now: datetime) -> None:
        """The statutory end (outcomes.py), written by the platform, every party told; applicants get their page's link."""
        appended = await self._ledger.append_platform(
            db,
            type="mediation_ended",
            case=case.id,
            actor={"kind": "platform", "id": "willingness"},
            data={"note": note, "mediator": None, "routes": ROUTES_ZH},
            public={"outcome": "failed", "reason": reason},
        )
        case.status, case.outcome_reason, case.outcome_note, case.closed_at = "failed", reason, note, now
        zh, en = AUTOMATIC_GROUNDS[reason].zh, AUTOMATIC_GROUNDS[reason].en
        until = now + READ_AFTER
        for party in await db.scalars(select(Party).where(Party.case_id == case.id)):
            values = {"name": party.name, "case": case.case_number, "reason": zh}
            if party.role == "applicant":
                issued = await links.issue_for_case(db, self._settings, None, party, until=until)
                values["link"] = notices.link_param(issued.url)
                notifications.notify(
                    db, "willingness_ended", party, values, url=issued.url, case_id=case.id, english={"reason_en": en}
                )
            else:
                notifications.notify(db, "mediation_ended", party, values, case_id=case.id, english={"reason_en": en})
        history.record(db, case.id, None, "mediation_ended", reason=reason, seq=appended.record.seq)


def _party(principal: Principal | None) -> PartyPrincipal | CaseParty:
    if principal is None:
        raise NotAuthenticated("open the link you were sent to continue", reason="open_link")
    if not isinstance(principal, PartyPrincipal | CaseParty):
        raise Forbidden("this is for parties who opened their link", reason="parties_only")
    return principal


__all__ = ["ANSWERS", "DEFAULT_WORKDAYS", "Answer", "CaseAnswers", "Willingness", "ask_other_side", "default_due"]
