"""The application for enforcement (强制执行申请书) the party owed may print, sign and take to the court.

People's Mediation Law art. 33 ¶2 and Civil Procedure Law art. 206: once a court has ruled a
mediation agreement valid, and one party refuses to perform it or performs only part of it, the
other may apply to the people's court for enforcement. The platform files nothing with a court: it
fills in, from what the case records, the paper the party owed (the payee) signs by hand and hands
in at the court that made the ruling, and says so on the page and in the paper.

Its parts are those of a 申请执行书 as the courts' guidance describes it (the written application
states the reasons, the matters and the object of enforcement, with the effective legal document
and the applicant's proof of identity attached; e.g. 山西省阳泉市中级人民法院's guidance to
applicants, xzypfy.shanxify.gov.cn, 2013): 申请执行人 and 被执行人 with their particulars (what is
not recorded is said to be missing, ``particulars.with_missing``), 执行依据 (the ruling's court,
number and date, and the agreement it confirms), 请求事项 (the amount unpaid, each overdue
instalment with its due date), 事实和理由 (the agreement, the ruling, the performance history in
short), 此致 the court, 附 (the ruling, the agreement, proof of identity), the applicant's
signature and the date, left blank to be written by hand. The Supreme People's Court's model
text (民事诉讼文书样式, 2016) was not found in the sources searched; these parts are what every
source found agrees on.

Only an instalment that is ``overdue`` (server/domain/performance.py: its last day has ended and
it is neither performed nor reported awaiting the payee's answer; a disputed one counts once due)
is asked for: a court enforces what has fallen due.

Making it is an act on the case: the platform hands the payee a paper naming the other side's
particulars and what they owe, so the copy is filed (``add_document``, ``document_added``),
visible to that party and the case's staff only (the mediators follow performance, art. 31).
The same facts give the same bytes, so asking again for the same paper files nothing new.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.documents.ruling_pdf import RulingDoc, render_ruling
from server.domain import history, particulars
from server.domain.agreements.obligation import KIND_WORDS, day_words, yuan
from server.domain.clocks import local_day
from server.domain.confirmation.ruling import arabic_date
from server.domain.documents import Uploader, add_document
from server.domain.ledger import Ledger
from server.domain.performance import label, status_of
from server.domain.principal import Principal, require_party
from server.errors import Forbidden, InvalidState
from server.evidence.records import sha256_hex
from server.models import Agreement, Case, CaseDocument, ConfirmationApplication, Obligation, Organisation, Party, utcnow
from server.settings import Settings

KIND = "enforcement"  # the case file's kind column holds 20 characters
TITLE = "强制执行申请书"
MEDIATION_LAW = "《中华人民共和国人民调解法》第三十三条第二款"
CPL = "《中华人民共和国民事诉讼法》第二百零六条"


@dataclass(frozen=True)
class Offer:
    """What the payee's page needs to offer the paper: the court and the ruling it rests on."""

    court: str
    ruling_number: str
    unpaid: int  # overdue instalments owed to this party


def _local(when: datetime, zone: str) -> date:
    return when.astimezone(ZoneInfo(zone)).date()


def _history(row: Obligation, zone: str) -> str:
    """One instalment's performance in short: reported, disputed, or nothing heard."""
    said = []
    if row.reported_at is not None:
        said.append(f"被执行人于{arabic_date(_local(row.reported_at, zone))}在平台报称已履行")
    if row.disputed_at is not None:
        reason = f"（{row.dispute_reason}）" if row.dispute_reason else ""
        said.append(f"申请执行人于{arabic_date(_local(row.disputed_at, zone))}提出异议，确认未收到{reason}")
    return "，".join(said) if said else "被执行人未报告履行"


def application_doc(
    *,
    payee: Party,
    payers: list[Party],
    rows: list[Obligation],
    later: int,
    court: Organisation,
    ruling: ConfirmationApplication,
    organisation: Organisation,
    case: Case,
    agreed_on: date,
) -> RulingDoc:
    """The application in words (pure: the same facts give the same words)."""
    assert ruling.decided_at is not None
    zone = court.timezone
    number = ruling.court_case_number or "（案号未编立）"
    ruled = arabic_date(_local(ruling.decided_at, zone))
    parties = [f"申请执行人：{particulars.with_missing(payee, phone=True)}。"]
    parties += [f"被执行人：{particulars.with_missing(p, phone=True)}。" for p in payers]
    names = {p.id: p.name for p in payers}
    money = sum(r.amount_fen or 0 for r in rows)
    basis = (
        f"执行依据：{court.name}{number}民事裁定书（{ruled}作出），确认申请执行人{payee.name}与被执行人"
        f"{'、'.join(names.values())}于{arabic_date(agreed_on)}经{organisation.name}主持调解达成的人民调解协议"
        f"（编号{case.case_number}）有效。"
    )
    requests = []
    if money and all(r.amount_fen is not None for r in rows):
        requests.append(f"请求强制执行被执行人向申请执行人支付调解协议确定的到期未付款项共计{yuan(money)}，明细如下：")
    elif money:
        requests.append(f"请求强制执行被执行人履行调解协议确定的下列到期义务，其中到期未付款项共计{yuan(money)}：")
    else:
        requests.append("请求强制执行被执行人履行调解协议确定的下列到期义务：")
    for i, r in enumerate(rows, start=1):
        zh, _ = label(r)
        verb = KIND_WORDS[r.kind][0]
        thing = f"{verb}{yuan(r.amount_fen)}" if r.amount_fen is not None else f"{verb}（{r.what}）" if r.what else verb
        requests.append(f"{i}.协议{zh}：{names[r.debtor_party_id]}应于{day_words(r.due_date)}前{thing}，至今未履行。")
    requests.append(f"{len(rows) + 1}.本案申请执行费用由被执行人负担。")
    facts = [
        f"申请执行人与被执行人之间的纠纷，经{organisation.name}主持调解，于{arabic_date(agreed_on)}达成人民调解协议"
        f"（编号{case.case_number}）。{court.name}于{ruled}作出{number}民事裁定，确认该调解协议有效。",
        "履行情况：" + "；".join(f"协议{label(r)[0]}（{day_words(r.due_date)}到期）{_history(r, zone)}" for r in rows) + "。",
    ]
    if later:
        facts.append(f"另有{later}期义务尚未到期，不在本次申请之列。")
    facts.append(f"被执行人拒绝履行或者未全部履行调解协议。依照{MEDIATION_LAW}、{CPL}的规定，申请执行人特向贵院申请强制执行。")
    return RulingDoc(
        court="",
        title=TITLE,
        case_number="",
        parties=parties,
        body=[basis, "请求事项：", *requests, "事实和理由：", *facts],
        # One paragraph, kept on the page of the signature lines: 此致 is never parted from the court.
        operative=[
            f"此致\n{court.name}\n附：1.{court.name}{number}民事裁定书；2.人民调解协议书（编号{case.case_number}）；"
            "3.申请执行人身份证明。\n（本申请书由调解平台根据案件记录预先填写，平台未向法院提交。请核对内容后亲笔签名，"
            f"连同附件递交{court.name}。）",
        ],
        signatures=["申请执行人（签名）：＿＿＿＿＿＿＿＿", "＿＿＿＿年＿＿月＿＿日"],
    )


class Enforcement:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings

    async def _facts(
        self, db: AsyncSession, principal: Principal | None, now: datetime | None = None
    ) -> tuple[Party, ConfirmationApplication | None, list[Obligation], list[Obligation], int]:
        """The party, the ruling confirming the agreement (if any), all owed to them, what is overdue, how many later."""
        me = require_party(principal)
        party = await db.get(Party, me.party_id)
        assert party is not None
        ruling = await db.scalar(
            select(ConfirmationApplication)
            .where(ConfirmationApplication.case_id == me.case_id, ConfirmationApplication.decision == "confirmed")
            .order_by(ConfirmationApplication.decided_at.desc())
            .limit(1)
        )
        owed = list(
            await db.scalars(
                select(Obligation)
                .where(Obligation.case_id == me.case_id, Obligation.creditor_party_id == party.id)
                .order_by(Obligation.term, Obligation.instalment)
            )
        )
        today = local_day(now or utcnow())
        overdue = [r for r in owed if status_of(r, today) == "overdue"]
        later = sum(1 for r in owed if r.status != "performed" and r.due_date >= today)
        return party, ruling, owed, overdue, later

    async def offer(self, principal: Principal | None) -> Offer | None:
        """What the payee's 履行情况 card offers: None unless a ruling confirmed the agreement and something is overdue."""
        async with self._maker() as db:
            _, ruling, _, overdue, _ = await self._facts(db, principal)
            if ruling is None or not overdue:
                return None
            court = await db.get(Organisation, ruling.court_id)
            assert court is not None
            return Offer(court.name, ruling.court_case_number or "", len(overdue))

    async def application(self, principal: Principal | None, now: datetime | None = None) -> CaseDocument:
        """The payee's pre-filled application, filed in the case as their copy (once per content)."""
        require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            party, ruling, owed, overdue, later = await self._facts(db, principal, now)
            if not owed:
                raise Forbidden("only the party owed applies for enforcement", reason="not_payee")
            if ruling is None or ruling.decided_at is None:
                raise InvalidState(
                    "no court has confirmed this agreement: apply for judicial confirmation first",
                    reason="no_confirmation_ruling",
                )
            if not overdue:
                raise InvalidState("nothing owed to you is overdue and unpaid", reason="nothing_unpaid")
            case = await db.get(Case, party.case_id)
            court = await db.get(Organisation, ruling.court_id)
            agreement = await db.get(Agreement, ruling.agreement_id)
            assert case is not None and court is not None and agreement is not None and agreement.sealed_at is not None
            organisation = await db.get(Organisation, case.organisation_id)
            assert organisation is not None
            payer_ids = list(dict.fromkeys(r.debtor_party_id for r in overdue))
            payers = [p for p in [await db.get(Party, i) for i in payer_ids] if p is not None]
            doc = application_doc(
                payee=party, payers=payers, rows=overdue, later=later, court=court, ruling=ruling,
                organisation=organisation, case=case, agreed_on=_local(agreement.sealed_at, organisation.timezone),
            )  # fmt: skip
            data = await asyncio.to_thread(render_ruling, doc, self._settings.pdf_font)
            same = await db.scalar(
                select(CaseDocument).where(
                    CaseDocument.case_id == case.id, CaseDocument.kind == KIND, CaseDocument.sha256 == sha256_hex(data)
                )
            )
            if same is not None:
                return same
            name = f"强制执行申请书-{party.name}-{case.case_number}.pdf"
            filed = await add_document(
                db, self._ledger, case.id, Uploader("platform", None, "平台", "platform"), kind=KIND, name=name,
                content_type="application/pdf", data=data, visible_to=[party.id],
            )  # fmt: skip
            history.record(db, case.id, principal, "document_added", document_id=filed.id, name=name, sha256=filed.sha256)
            return filed


__all__ = ["KIND", "Enforcement", "Offer", "application_doc"]
