"""A term's structured obligation: who owes what to whom, by when, in how many instalments.

People's Mediation Law art. 29 (三) asks the written agreement to state how, where and by when
what was agreed is performed; art. 31 binds the parties to perform it, and 人民调解法 art. 33 lets
them have it judicially confirmed so that it can be enforced. An enforcement court needs a
performance that is definite: who owes, to whom, what (an amount in yuan where money is owed),
and by which day. So a term the mediator marks as something to perform carries, besides its free
text, this structure; its words are composed into the agreement's text (text.py), which is what
is hashed and signed, and the ``obligations`` rows are made from the sealed version's content
(server/domain/performance.py), so the rows and the signed text say the same by construction.

Each instalment is its own unit of performance (reported, confirmed or disputed on its own).
Amounts are in fen (integers), dates are Beijing days (the legal zone, server/domain/clocks.py).
A draft without obligations stays valid: the lines appear only when a term has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from server.domain import particulars
from server.domain.case_values import format_amount
from server.errors import FieldError, InvalidInput
from server.models import Party

KINDS = ("pay", "deliver", "repair", "apologise", "move_out", "other")
KIND_WORDS = {
    "pay": ("支付", "payment"),
    "deliver": ("交付", "delivery"),
    "repair": ("维修", "repair"),
    "apologise": ("赔礼道歉", "apology"),
    "move_out": ("搬离", "moving out"),
    "other": ("履行", "performance"),
}
MAX_INSTALMENTS = 36
MAX_WHAT = 200
#: A hundred million yuan: more is a typing mistake, not a people's mediation case.
MAX_FEN = 100_000_000 * 100


@dataclass(frozen=True)
class Instalment:
    due: date
    amount_fen: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "amount_fen": self.amount_fen}


@dataclass(frozen=True)
class Obligation:
    debtor: str  # the party id of who owes
    creditor: str  # the party id of who is owed
    kind: str
    what: str
    amount_fen: int | None
    instalments: tuple[Instalment, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "debtor": self.debtor,
            "creditor": self.creditor,
            "kind": self.kind,
            "what": self.what,
            "amount_fen": self.amount_fen,
            "instalments": [i.to_json() for i in self.instalments],
        }


def _fen(value: Any, where: str, errors: list[FieldError]) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_FEN:
        errors.append(FieldError(where, "a whole number of fen, at least 1", "amount", {"max": MAX_FEN}))
        return None
    return value


def parse_obligation(data: Any, where: str, errors: list[FieldError]) -> Obligation | None:
    """A term's obligation as the editor sends it; errors are added field by field."""
    if data is None:
        return None
    if not isinstance(data, dict):
        errors.append(FieldError(where.rstrip("."), "an object", "invalid"))
        return None
    ids = {}
    for name in ("debtor", "creditor"):
        value = data.get(name)
        if not isinstance(value, str) or not value:
            errors.append(FieldError(f"{where}{name}", "a party of the case", "required"))
        ids[name] = value if isinstance(value, str) else ""
    if ids["debtor"] and ids["debtor"] == ids["creditor"]:
        errors.append(FieldError(f"{where}creditor", "another party than the one who owes", "same_party"))
    kind = data.get("kind")
    if kind not in KINDS:
        errors.append(FieldError(f"{where}kind", f"one of {', '.join(KINDS)}", "choice"))
        kind = "other"
    what = data.get("what", "")
    if not isinstance(what, str) or len(what.strip()) > MAX_WHAT:
        errors.append(FieldError(f"{where}what", f"text of at most {MAX_WHAT} characters", "too_long", {"max": MAX_WHAT}))
        what = ""
    what = what.strip()
    if kind not in ("pay", "apologise") and not what:
        errors.append(FieldError(f"{where}what", "required", "required"))
    total = _fen(data.get("amount_fen"), f"{where}amount_fen", errors)
    if kind == "pay" and data.get("amount_fen") is None:
        errors.append(FieldError(f"{where}amount_fen", "required", "required"))
    if kind != "pay" and total is not None:
        errors.append(FieldError(f"{where}amount_fen", "only a payment has an amount", "invalid"))
    raw = data.get("instalments")
    instalments: list[Instalment] = []
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_INSTALMENTS:
        errors.append(
            FieldError(f"{where}instalments", f"1 to {MAX_INSTALMENTS}", "instalments_count", {"min": 1, "max": MAX_INSTALMENTS})
        )
        return None
    for i, item in enumerate(raw):
        at = f"{where}instalments.{i}."
        if not isinstance(item, dict):
            errors.append(FieldError(at.rstrip("."), "an object", "invalid"))
            continue
        try:
            due = date.fromisoformat(str(item.get("due", "")))
        except ValueError:
            errors.append(FieldError(f"{at}due", "a date, YYYY-MM-DD", "date"))
            continue
        amount = _fen(item.get("amount_fen"), f"{at}amount_fen", errors)
        if kind == "pay" and amount is None and len(raw) == 1:
            amount = total  # one payment: the instalment is the whole amount
        elif kind == "pay" and amount is None and item.get("amount_fen") is None:
            errors.append(FieldError(f"{at}amount_fen", "required", "required"))
        elif kind != "pay" and amount is not None:
            errors.append(FieldError(f"{at}amount_fen", "only a payment has an amount", "invalid"))
            amount = None
        if instalments and due <= instalments[-1].due:
            errors.append(FieldError(f"{at}due", "after the previous instalment's", "date_order"))
        instalments.append(Instalment(due, amount))
    if kind == "pay" and total is not None and len(instalments) == len(raw):
        paid = sum(i.amount_fen or 0 for i in instalments)
        if paid != total and all(i.amount_fen for i in instalments):
            errors.append(FieldError(f"{where}instalments", "the instalments add up to the amount", "instalments_sum"))
    return Obligation(ids["debtor"], ids["creditor"], str(kind), what, total, tuple(instalments))


def check_parties(obligations: list[tuple[int, Obligation]], parties: list[Party], today: date) -> None:
    """Who owes and who is owed are parties of the case who sign (applicants, respondents); no instalment is already past."""
    signing = {p.id for p in particulars.signing_parties(parties)}
    errors = []
    for n, ob in obligations:
        where = f"content.terms.{n - 1}.obligation."
        for name in ("debtor", "creditor"):
            if getattr(ob, name) not in signing:
                errors.append(FieldError(f"{where}{name}", "an applicant or respondent of this case", "not_party"))
        for i, inst in enumerate(ob.instalments):
            if inst.due < today:
                errors.append(FieldError(f"{where}instalments.{i}.due", "today or later", "past_date"))
    if errors:
        raise InvalidInput("the obligation does not fit the case", errors)


def day_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def yuan(fen: int | None) -> str:
    return f"人民币{format_amount(fen)}元"


def describe(ob: Obligation, names: dict[str, str]) -> str:
    """The obligation in the agreement's words, deterministic (it is hashed and signed with the text).

    ``names``: each party's id to their role and name as the agreement names them (申请人李四).
    """
    debtor, creditor = names.get(ob.debtor, "当事人"), names.get(ob.creditor, "当事人")
    what = ob.what
    action = {
        "pay": f"向{creditor}支付{yuan(ob.amount_fen)}" + (f"（{what}）" if what else ""),
        "deliver": f"向{creditor}交付{what}",
        "repair": f"为{creditor}维修{what}",
        "apologise": f"向{creditor}赔礼道歉" + (f"（{what}）" if what else ""),
        "move_out": f"搬离{what}并交还{creditor}",
        "other": f"向{creditor}履行：{what}",
    }[ob.kind]
    if len(ob.instalments) == 1:
        return f"{debtor}于{day_words(ob.instalments[0].due)}前{action}。"
    stages = []
    for n, inst in enumerate(ob.instalments, start=1):
        amount = f"支付{yuan(inst.amount_fen)}" if inst.amount_fen is not None else "履行"
        stages.append(f"第{n}期于{day_words(inst.due)}前{amount}")
    return f"{debtor}{action}，分{len(ob.instalments)}期履行：" + "；".join(stages) + "。"
