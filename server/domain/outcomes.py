"""When mediation ends without an agreement, on one of the statutory grounds.

人民法院在线调解规则 (法释〔2021〕23号) art. 25 lists the grounds on which online mediation ends:
（一）当事人达成调解协议 — the agreement taking effect ends the case (``server.domain.agreements``),
never this form; and, without an agreement, （二）当事人自行和解，撤回调解申请；（三）在调解期限内无法联系到
当事人；（四）当事人一方明确表示不愿意继续调解；（五）当事人分歧较大且难以达成调解协议；（六）调解期限届满，未达成
调解协议，且各方当事人未达成延长调解期限的合意；（七）当事人一方拒绝在调解协议上签章；（八）其他导致调解无法
进行的情形. ``GROUNDS`` are (二)–(八), each with what it needs before it can be chosen: the party it
concerns, a note saying what happened, the mediation period actually over (art. 24, the case's
mediation clock), or an agreement actually put to the parties for signing.

People's Mediation Law art. 26: the mediator ends the mediation and tells the parties they may protect
their rights through arbitration, administrative channels or the courts; every party is told in
the same message. The end is logged (``mediation_ended``: the ground's code as ``reason``, with the
article and item it rests on as ``ground``; the note, the ground's wording and the party concerned in
the body). Art. 21 of the same rules asks the mediator to record why mediation failed: that is the
note, and the transfer package (``server.domain.filing``) carries it to the court.

Records written before the grounds (reason ``party_refused``, ``no_agreement``…) still verify: a
record is never rewritten; ``LEGACY`` says which ground each old reason is, and migration 0023
moved the cases' ``outcome_reason`` onto the grounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, notifications
from server.domain.access import case_for_staff
from server.domain.clocks import case_clocks
from server.domain.ledger import Ledger
from server.domain.principal import Principal
from server.domain.workdays import Workdays
from server.errors import Conflict, FieldError, InvalidInput, InvalidState
from server.models import Agreement, Case, Party, utcnow

Needs = Literal["party", "applicant", "note", "period_over", "final_agreement"]


@dataclass(frozen=True)
class Ground:
    """One ground of art. 25: its item, its wording in both languages and what choosing it needs."""

    item: int  # the item number in art. 25
    zh: str
    en: str
    needs: tuple[Needs, ...]

    @property
    def source_zh(self) -> str:
        return f"《人民法院在线调解规则》第二十五条第（{CN_NUMBERS[self.item]}）项"

    @property
    def source_en(self) -> str:
        return f"Online Mediation Rules of the People's Courts, art. 25 ({self.item})"


CN_NUMBERS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八"}

#: code -> the ground, in the article's order. Ground (一), an agreement, is not chosen here.
GROUNDS: dict[str, Ground] = {
    "withdrawn": Ground(2, "当事人自行和解，撤回调解申请", "The parties settled between themselves and the application was withdrawn", ("applicant",)),
    "unreachable": Ground(3, "在调解期限内无法联系到当事人", "A party could not be reached within the mediation period", ("party", "note")),
    "unwilling": Ground(4, "当事人一方明确表示不愿意继续调解", "A party said clearly that they will not go on with mediation", ("party",)),
    "divergence": Ground(5, "当事人分歧较大且难以达成调解协议", "The parties are too far apart to reach an agreement", ()),
    "period_expired": Ground(6, "调解期限届满，未达成调解协议，且各方当事人未达成延长调解期限的合意", "The mediation period is over without agreement, and the parties did not all agree to extend it", ("period_over",)),
    "refused_to_sign": Ground(7, "当事人一方拒绝在调解协议上签章", "A party refused to sign the agreement", ("party", "final_agreement")),
    "other": Ground(8, "其他导致调解无法进行的情形", "Something else makes mediation impossible", ("note",)),
}  # fmt: skip

#: Grounds the platform records itself, never chosen by a mediator (server/domain/willingness.py): the
#: other side refused mediation (人民调解法 art. 17: 当事人一方明确拒绝调解的，不得调解; art. 25 item (四))
#: or did not answer by the day they were given (art. 25 item (八)).
AUTOMATIC_GROUNDS: dict[str, Ground] = {
    "other_side_refused": Ground(4, "对方当事人不同意调解（《人民调解法》第十七条）", "The other side refused mediation (People's Mediation Law art. 17)", ()),
    "other_side_silent": Ground(8, "对方当事人未在期限内答复是否同意调解", "The other side did not say in time whether they agree to mediation", ()),
}  # fmt: skip
AUTOMATIC = frozenset(AUTOMATIC_GROUNDS)

#: The reasons of records written before the grounds, and the ground each is.
LEGACY: dict[str, str] = {
    "party_refused": "unwilling",  # 人民调解法 art. 17: a party refuses mediation
    "party_withdrew": "unwilling",  # art. 23: a party asks to end it
    "no_agreement": "divergence",
    "out_of_time": "period_expired",
    "not_signed": "refused_to_sign",
    "other_proceedings": "other",
    "other": "other",
}
#: Grounds the platform records itself: a mediator does not choose them.
AUTOMATIC = frozenset({"other_side_refused", "other_side_silent"})

ROUTES_ZH = (
    "您可以依法通过以下途径维护自己的权利：向仲裁机构申请仲裁（如有仲裁协议或属劳动争议仲裁范围）；"
    "请求有关行政机关处理；或向人民法院提起诉讼。"
)
ROUTES_EN = (
    "You may protect your rights by: applying for arbitration (where there is an arbitration agreement, or for labour "
    "disputes); asking the competent administrative authority to handle it; or bringing a lawsuit in a people's court."
)
MAX_NOTE = 2000
#: Parties a ground may name: the sides of the dispute, not their agents or invited persons.
SIDES = ("applicant", "respondent")


def ground_of(reason: str | None) -> Ground | None:
    """The ground of a case's or a record's reason, old or new."""
    if reason is None:
        return None
    return GROUNDS.get(reason) or AUTOMATIC_GROUNDS.get(reason) or GROUNDS.get(LEGACY.get(reason, ""))


class Outcomes:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, workdays: Workdays | None = None) -> None:
        self._maker = maker
        self._ledger = ledger
        self._workdays = workdays or Workdays()

    async def end_without_agreement(
        self, principal: Principal | None, case_id: str, reason: str, note: str, party_id: str | None = None
    ) -> Case:
        ground = GROUNDS.get(reason)
        if ground is None:
            raise InvalidInput("unknown ground", [FieldError("reason", "one of " + ", ".join(GROUNDS), "choice")])
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput(
                "the note is too long", [FieldError("note", f"at most {MAX_NOTE} characters", "too_long", {"max": MAX_NOTE})]
            )
        if "note" in ground.needs and not note:
            raise InvalidInput(f"say what happened ({ground.source_en})", [FieldError("note", "required", "required")])
        names_party = "party" in ground.needs or "applicant" in ground.needs
        if names_party and not party_id:
            raise InvalidInput(f"say which party ({ground.source_en})", [FieldError("party_id", "required", "required")])
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            if case.status != "open":
                raise Conflict(f"the case is {case.status} already", reason=case.status)
            agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
            if agreement is not None and agreement.status == "effective":
                raise Conflict("the agreement is in effect", reason="settled")
            party = None
            if names_party:
                party = await db.get(Party, party_id)
                wanted = ("applicant",) if "applicant" in ground.needs else SIDES
                if party is None or party.case_id != case.id or party.role not in wanted:
                    raise InvalidInput(
                        "not a party of this case" if party is None or party.case_id != case.id else f"not an {wanted[0]}",
                        [FieldError("party_id", "an applicant of this case" if wanted == ("applicant",) else "a party of this case", "party_of_case")],
                    )  # fmt: skip
            if "period_over" in ground.needs:
                clock = (await case_clocks(db, case, self._workdays, utcnow()))[0]
                if clock.state != "overdue":
                    raise InvalidState(
                        f"the mediation period runs until {clock.due_date.isoformat()} (art. 24)",
                        reason="period_not_over",
                        due_date=clock.due_date.isoformat(),
                    )
            if "final_agreement" in ground.needs and (agreement is None or agreement.status != "final"):
                raise InvalidState("no agreement was put to the parties for signing", reason="no_final_agreement")
            appended = await self._ledger.append_platform(
                db,
                type="mediation_ended",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "note": note,
                    "mediator": staff.display_name,
                    "routes": ROUTES_ZH,
                    "ground": ground.zh,
                    "source": ground.source_zh,
                    "party": party.name if party is not None else None,
                },
                public={
                    "outcome": "failed",
                    "reason": reason,
                    "ground": {"rule": "在线调解规则", "article": 25, "item": ground.item},
                },
            )
            case.status, case.outcome_reason, case.outcome_note, case.closed_at = "failed", reason, note, utcnow()
            for p in await db.scalars(select(Party).where(Party.case_id == case.id)):
                notifications.notify(
                    db, "mediation_ended", p, {"name": p.name, "case": case.case_number, "reason": ground.zh},
                    case_id=case.id, english={"reason_en": ground.en},
                )  # fmt: skip
            history.record(
                db, case.id, staff, "mediation_ended", reason=reason, party=party.name if party is not None else None,
                seq=appended.record.seq,
            )  # fmt: skip
            return case
