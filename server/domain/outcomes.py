"""When mediation ends without an agreement.

People's Mediation Law art. 26: when mediation does not succeed the mediator ends it and tells
the parties that they may protect their rights through arbitration, administrative channels or
the courts. Art. 23 lets a party ask to end it at any time, and art. 17 lets a party refuse it.
The end is logged (``mediation_ended``, with the reason; the mediator's note is the body) and
every party is told their other routes in the same message.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, notifications
from server.domain.cases import case_for_staff
from server.domain.ledger import Ledger
from server.domain.principal import Principal
from server.errors import Conflict, FieldError, InvalidInput
from server.models import Agreement, Case, Party, utcnow

#: code -> (Chinese, English): the grounds on which a mediator ends mediation.
END_REASONS: dict[str, tuple[str, str]] = {
    "party_refused": ("一方当事人拒绝调解（《人民调解法》第十七条）", "A party refuses mediation (art. 17)"),
    "party_withdrew": ("当事人要求终止调解（《人民调解法》第二十三条）", "A party asked to end mediation (art. 23)"),
    "no_agreement": ("经调解，双方未能达成协议", "The parties could not reach an agreement"),
    "out_of_time": ("在约定的调解期限内未能达成协议", "No agreement within the time set for mediation"),
    "not_signed": ("当事人未在期限内签署协议", "A party did not sign the agreement in time"),
    "other_proceedings": ("纠纷已进入诉讼、仲裁或行政处理程序", "The dispute is before a court, arbitration or an authority"),
    "other": ("其他原因", "Another reason"),
    # Written by the platform, never chosen by a mediator (server/domain/willingness.py; AUTOMATIC).
    "other_side_refused": ("对方当事人不同意调解（《人民调解法》第十七条）", "The other side refused mediation (art. 17)"),
    "other_side_silent": (
        "对方当事人未在期限内答复是否同意调解",
        "The other side did not say in time whether they agree to mediation",
    ),
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


class Outcomes:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger) -> None:
        self._maker = maker
        self._ledger = ledger

    async def end_without_agreement(self, principal: Principal | None, case_id: str, reason: str, note: str) -> Case:
        if reason not in END_REASONS or reason in AUTOMATIC:
            raise InvalidInput("unknown reason", [FieldError("reason", "one of " + ", ".join(END_REASONS), "choice")])
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput(
                "the note is too long", [FieldError("note", f"at most {MAX_NOTE} characters", "too_long", {"max": MAX_NOTE})]
            )
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, write=True)
            if case.status != "open":
                raise Conflict(f"the case is {case.status} already", reason=case.status)
            agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
            if agreement is not None and agreement.status == "effective":
                raise Conflict("the agreement is in effect", reason="settled")
            appended = await self._ledger.append_platform(
                db,
                type="mediation_ended",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={"note": note, "mediator": staff.display_name, "routes": ROUTES_ZH},
                public={"outcome": "failed", "reason": reason},
            )
            case.status, case.outcome_reason, case.outcome_note, case.closed_at = "failed", reason, note, utcnow()
            zh, en = END_REASONS[reason]
            for party in await db.scalars(select(Party).where(Party.case_id == case.id)):
                notifications.notify(
                    db, "mediation_ended", party, {"name": party.name, "case": case.case_number, "reason": zh},
                    case_id=case.id, english={"reason_en": en},
                )  # fmt: skip
            history.record(db, case.id, staff, "mediation_ended", reason=reason, seq=appended.record.seq)
            return case
