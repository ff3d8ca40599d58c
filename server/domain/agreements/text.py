"""The agreement's words: the template, the text composed from a draft, its clauses and diffs.

People's Mediation Law art. 29 lists what a written agreement states: the parties' basic
details, the main facts of the dispute and what is in dispute, and what the parties agreed,
with how, where and by when it is to be performed. The mediator edits only those parts (the
``content``); the parties' names, roles and particulars, the organisation and the case
number come from the case, so that a draft can never name someone who is not a party.

The composed ``text`` is what is hashed and signed. It is deterministic: the same content and
case give the same bytes, and any change shows in the SHA-256 and in the diff.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from server.domain import particulars
from server.domain.agreements.obligation import Obligation, describe, parse_obligation
from server.domain.case_values import format_amount
from server.errors import FieldError, InvalidInput
from server.models import Case, Organisation, Party

TITLE = "人民调解协议书"
MAX_TEXT = 5000
MAX_FIELD = 1000
MAX_TERMS = 30
ROLE_WORDS = {
    "applicant": "申请人",
    "respondent": "被申请人",
    "agent": "委托代理人",
    "interpreter": "翻译人员",
    "mediator": "调解员",
}
NUMERALS = "一二三四五六七八九十"

DEFAULT_EFFECT = (
    "本协议经双方当事人签名、调解员签名并加盖调解组织印章后生效，对双方当事人具有法律约束力，当事人应当按照约定履行。"
    "双方当事人可以自本协议生效之日起三十日内共同向有管辖权的人民法院申请司法确认。"
)


def numeral(n: int) -> str:
    """Chinese clause numbers: 一 … 十, 十一 … 三十."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class Term:
    text: str
    performance: str = ""
    due: str = ""
    #: What someone must perform under this term, structured (obligation.py); None for a term that binds no one to act.
    obligation: Obligation | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "performance": self.performance, "due": self.due}
        if self.obligation is not None:
            out["obligation"] = self.obligation.to_json()
        return out


@dataclass(frozen=True)
class Content:
    facts: str
    terms: tuple[Term, ...]
    effect: str
    copies: int
    other: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "facts": self.facts,
            "terms": [t.to_json() for t in self.terms],
            "effect": self.effect,
            "copies": self.copies,
            "other": self.other,
        }


def _text(data: dict[str, Any], name: str, limit: int, errors: list[FieldError], where: str = "", required: bool = False) -> str:
    value: Any = data.get(name, "")
    if not isinstance(value, str):
        errors.append(FieldError(f"{where}{name}", "must be text", "text"))
        return ""
    text = value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        errors.append(FieldError(f"{where}{name}", f"at most {limit} characters", "too_long", {"max": limit}))
    if required and not text:
        errors.append(FieldError(f"{where}{name}", "required", "required"))
    return text


def parse_content(data: Any) -> Content:
    """A draft's content as the mediator's editor sends it, checked field by field."""
    if not isinstance(data, dict):
        raise InvalidInput("the draft must be an object", [FieldError("content", "an object", "invalid")])
    errors: list[FieldError] = []
    facts = _text(data, "facts", MAX_TEXT, errors, "content.", required=True)
    effect = _text(data, "effect", MAX_TEXT, errors, "content.", required=True)
    other = _text(data, "other", MAX_TEXT, errors, "content.")
    raw_terms = data.get("terms")
    terms: list[Term] = []
    if not isinstance(raw_terms, list) or not 1 <= len(raw_terms) <= MAX_TERMS:
        errors.append(FieldError("content.terms", f"1 to {MAX_TERMS} terms", "terms_count", {"min": 1, "max": MAX_TERMS}))
    else:
        for i, item in enumerate(raw_terms):
            where = f"content.terms.{i}."
            if not isinstance(item, dict):
                errors.append(FieldError(where.rstrip("."), "an object", "invalid"))
                continue
            terms.append(
                Term(
                    _text(item, "text", MAX_FIELD, errors, where, required=True),
                    _text(item, "performance", MAX_FIELD, errors, where),
                    _text(item, "due", MAX_FIELD, errors, where),
                    parse_obligation(item.get("obligation"), f"{where}obligation.", errors),
                )
            )
    copies = data.get("copies")
    if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= 10:
        errors.append(FieldError("content.copies", "a whole number from 1 to 10", "range", {"min": 1, "max": 10}))
        copies = 1
    if errors:
        raise InvalidInput("the draft is not complete", errors)
    return Content(facts, tuple(terms), effect, copies, other)


def obligations(content: Content) -> list[tuple[int, Obligation]]:
    """Each term's obligation with the term's number (1-based), in the order of the terms."""
    return [(n, t.obligation) for n, t in enumerate(content.terms, start=1) if t.obligation is not None]


def party_names(parties: list[Party]) -> dict[str, str]:
    """Each party's id to their role and name as the agreement names them (申请人李四)."""
    return {p.id: f"{ROLE_WORDS.get(p.role, '')}{p.name}" for p in parties}


def obligation_line(obligation: Obligation, parties: list[Party]) -> str:
    """The line a term's obligation adds to the agreement's text."""
    return f"    履行义务：{describe(obligation, party_names(parties))}"


def template(case: Case) -> Content:
    """Version 1: the case's summary as the facts, one empty-looking term to fill in."""
    amount = format_amount(case.amount_fen)
    facts = case.summary + (f"争议金额人民币{amount}元。" if amount else "")
    return Content(
        facts=facts,
        terms=(Term("（请填写双方达成的协议内容）", "（履行方式）", "（履行期限）"),),
        effect=DEFAULT_EFFECT,
        copies=3,
    )


def _party_lines(parties: list[Party]) -> list[str]:
    """当事人的基本情况 (art. 29 (一)): each party in full, their agents after them, then interpreters
    (invited persons, People's Mediation Law art. 20, are not parties and are left out).

    The signed agreement carries the ID numbers unmasked: it is the parties' own document and
    what a court reads (People's Mediation Law art. 29; the Ministry of Justice's form lists each
    party's particulars). Only public pages mask them. What is not recorded is left out, not
    guessed; the case page shows the mediator what is missing before the version is made final.
    """
    lines: list[str] = []
    placed: set[str] = set()
    for party in particulars.signing_parties(parties):
        lines.append(f"{ROLE_WORDS[party.role]}：{particulars.describe(party, phone=True)}。")
        placed.add(party.id)
        for agent in particulars.agents_of(party, parties):
            lines.append(_agent_line(agent, party))
            placed.add(agent.id)
    # A person the mediator invited (art. 20) took part but is not a party: not in the agreement.
    others = (p for p in parties if p.id not in placed and p.role != "invited")
    for other in sorted(others, key=lambda p: (p.created_at, p.id)):
        principal = next((p for p in parties if p.id == other.represents_party_id), None)
        lines.append(_agent_line(other, principal))
    return lines


def _agent_line(person: Party, principal: Party | None) -> str:
    role = ROLE_WORDS.get(person.role, person.role)
    text = f"{role}：{particulars.describe(person, phone=True)}"
    if principal is not None:
        text += f"，系{ROLE_WORDS.get(principal.role, principal.role)}{principal.name}的{role}"
    if person.authority:
        text += f"，代理权限：{person.authority}"
    return text + "。"


def compose(content: Content, case: Case, organisation: Organisation, parties: list[Party], mediator: str = "") -> str:
    """The agreement's full text, exactly as signed.

    Laid out as the Ministry of Justice's 人民调解协议书: the parties' particulars, the main facts and
    what is in dispute, what was agreed with how and by when it is performed (art. 29 (二)(三)),
    the effect, the number of copies in words (一式三份), and the signatures, which are on the
    document's signature page.
    """
    lines = [TITLE, f"调解组织：{organisation.name}", f"编号：{case.case_number}", "", "当事人的基本情况："]
    lines += _party_lines(parties)
    lines += ["", "纠纷的主要事实、争议事项：", content.facts, "", "经调解，双方当事人自愿达成如下协议："]
    for i, term in enumerate(content.terms, start=1):
        lines.append(f"{numeral(i)}、{term.text}")
        if term.performance:
            lines.append(f"    履行方式：{term.performance}")
        if term.due:
            lines.append(f"    履行期限：{term.due}")
        if term.obligation is not None:
            lines.append(obligation_line(term.obligation, parties))
    if content.other:
        lines += ["", "其他事项：", content.other]
    signing = particulars.signing_parties(parties)
    holders = "、".join(dict.fromkeys(ROLE_WORDS[p.role] for p in signing)) or "当事人"
    lines += ["", content.effect, "", f"本协议一式{numeral(content.copies)}份，{holders}、调解组织各持一份，具有同等效力。"]
    if mediator:
        lines.append(f"人民调解员：{mediator}")
    lines.append("（各方当事人、人民调解员的签名及调解组织印章见本协议书签署页。）")
    return "\n".join(lines)


def clauses(content: Content) -> list[dict[str, str]]:
    """What a comment can point at, with labels in both languages."""
    out = [{"id": "facts", "label": "纠纷事实", "label_en": "Facts"}]
    out += [{"id": f"term-{i}", "label": f"第{numeral(i)}条", "label_en": f"Term {i}"} for i in range(1, len(content.terms) + 1)]
    out.append({"id": "effect", "label": "生效条款", "label_en": "Effect"})
    if content.other:
        out.append({"id": "other", "label": "其他事项", "label_en": "Other"})
    return out


def diff(old: str, new: str) -> list[dict[str, str]]:
    """Line by line, what changed between two versions' texts."""
    out: list[dict[str, str]] = []
    for line in difflib.ndiff(old.split("\n"), new.split("\n")):
        op = {"  ": "same", "+ ": "add", "- ": "del"}.get(line[:2])
        if op is not None:  # "? " hint lines are for terminals
            out.append({"op": op, "text": line[2:]})
    return out
