"""The written report of a referred case's result to the court that referred it (委派/委托调解结果报告).

最高人民法院关于人民法院特邀调解的规定 art. 26 ¶2: when mediation ends, the invited mediator reports
to the court that referred the case (委派 before filing, 委托 after, art. 11) **in writing** and hands
over the materials. What the report must say follows from the articles, not from a template: no
national form for it was found (the Supreme People's Court's 民事诉讼文书样式 are the court's own
documents; the courts' local forms differ), so its parts are those the articles name —

- the referral: which court, 委派 or 委托, when the materials were signed for (art. 27 ¶3: the
  mediation period runs from then), the parties, the mediator;
- the result and the article it follows: an agreement reached on a 委派 is delivered to the parties and
  filed with the court (art. 19); on a 委托 it goes to the court to review and make its 调解书
  (art. 20); without agreement, a 委派's complaint and materials go back to the court, which files the
  case if the party insists on suing (art. 21 ¶1), and a 委托 returns to trial (art. 21 ¶2);
- the ground on which mediation ended: art. 26 ¶1's item, and the same ground under
  人民法院在线调解规则 art. 25 (``server.domain.outcomes``), with the mediator's account of why it
  failed (在线调解规则 art. 21);
- the organisation, the mediator and the date, the way documents are signed off.

The PDF is laid out like a court's document (``server.documents.ruling_pdf``: heading, title, the
addressee, indented paragraphs, the signature block on the right). It is made once, when mediation
has ended, by a mediator of the organisation handling the case, kept with the referral, and logged
(``result_reported``, with the PDF's hash). The court's staff read it from their page (the
referral's ``court_report``); nothing is sent to a court's own system.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.documents.ruling_pdf import RulingDoc, render_ruling
from server.domain import history
from server.domain.access import case_for_staff
from server.domain.archived import refuse_if_archived
from server.domain.confirmation.ruling import arabic_date, chinese_date
from server.domain.ledger import Ledger
from server.domain.outcomes import ground_of
from server.domain.principal import Principal, require_staff
from server.errors import Conflict, Forbidden, InvalidState, NotFound
from server.models import Agreement, Case, MediationSession, Organisation, Party, Referral, User, utcnow

SPECIAL = "《最高人民法院关于人民法院特邀调解的规定》"
ONLINE = "《人民法院在线调解规则》"
#: A ground of 在线调解规则 art. 25 -> the item of 特邀调解规定 art. 26 ¶1 it falls under.
ART26_ITEM = {
    "withdrawn": "二",  # 一方当事人撤回调解请求
    "unwilling": "二",  # 明确表示不接受调解
    "divergence": "三",  # 双方分歧较大且难以达成调解协议
}
TITLES = {"before_filing": "委派调解结果报告", "after_filing": "委托调解结果报告"}
STAGE_WORDS = {"before_filing": "委派", "after_filing": "委托"}


@dataclass(frozen=True)
class ReportFile:
    name: str
    data: bytes
    sha256: str


def _day(when: datetime, zone: str) -> date:
    return when.astimezone(ZoneInfo(zone)).date()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith(("。", "！", "？", "；")) else text + "。"


def report_body(
    *,
    referral: Referral,
    case: Case,
    court: Organisation,
    organisation: Organisation,
    mediator: str,
    parties: list[Party],
    sessions: int,
    agreement: Agreement | None,
    today: date,
) -> RulingDoc:
    """The report's words (pure: tested without a database)."""
    zone = organisation.timezone
    stage = referral.court_stage or "before_filing"
    how = STAGE_WORDS[stage]
    applicants = "、".join(p.name for p in parties if p.role == "applicant") or "（未登记）"
    respondents = "、".join(p.name for p in parties if p.role == "respondent") or "（未登记）"
    accepted = referral.decided_at or referral.referred_at
    body = [
        f"贵院于{arabic_date(_day(referral.referred_at, zone))}{how}本组织调解的申请人{applicants}与被申请人{respondents}纠纷一案"
        f"（本组织案号：{case.case_number}），本组织于{arabic_date(_day(accepted, zone))}接收，指派调解员{mediator}主持调解。"
        f"移送事由：{_sentence(referral.reason)}",
        f"调解经过：本案共安排调解{sessions}次，通过在线视频方式进行。",
    ]
    if case.status == "settled":
        sealed = agreement.sealed_at if agreement is not None and agreement.sealed_at else case.closed_at or utcnow()
        body.append(
            f"调解结果：经调解，双方当事人于{arabic_date(_day(sealed, zone))}自愿达成调解协议，协议经各方签署并加盖本组织印章后生效。"
        )
        if stage == "before_filing":
            body.append(f"依照{SPECIAL}第十九条，调解协议已送达双方当事人，现随本报告提交贵院备案。当事人可以依法申请司法确认。")
        else:
            body.append(f"依照{SPECIAL}第二十条，现将调解协议随本报告提交贵院审查并制作调解书。")
        item26 = "一"
        grounds = f"{SPECIAL}第二十六条第一款第（{item26}）项、{ONLINE}第二十五条第（一）项"
    else:
        ground = ground_of(case.outcome_reason)
        reason = case.outcome_reason or ""
        item26 = ART26_ITEM.get(reason if reason in ART26_ITEM else "", "四")
        online = f"、{ONLINE}第二十五条第（{'一二三四五六七八'[ground.item - 1]}）项" if ground is not None else ""
        grounds = f"{SPECIAL}第二十六条第一款第（{item26}）项{online}"
        words = ground.zh if ground is not None else "调解未能达成协议"
        closed = case.closed_at or utcnow()
        body.append(f"调解结果：未达成调解协议。调解于{arabic_date(_day(closed, zone))}终止，终止情形为：{words}。")
        if case.outcome_note:
            body.append(f"调解不成的原因：{_sentence(case.outcome_note)}")
        if stage == "before_filing":
            body.append(
                f"依照{SPECIAL}第二十一条第一款，现将当事人的起诉状等材料随本报告移送贵院；当事人坚持诉讼的，由贵院依法登记立案。"
            )
        else:
            body.append(f"依照{SPECIAL}第二十一条第二款，本案转入审判程序审理。")
    body.append(f"终止调解的依据：{grounds}。")
    return RulingDoc(
        court=organisation.name,
        title=TITLES[stage],
        case_number=case.case_number,
        parties=[],
        body=body,
        operative=[f"依照{SPECIAL}第二十六条第二款，特此报告。"],
        signatures=[f"调解员　{mediator}", organisation.name, chinese_date(today)],
        addressee=f"{court.name}：",
    )


class CourtReports:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, font: Path | None = None) -> None:
        self._maker = maker
        self._ledger = ledger
        self._font = font

    async def make(self, principal: Principal | None, referral_id: str) -> Referral:
        """A mediator of the organisation handling the case writes the report once mediation has ended, once."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db, db.begin():
            referral = await db.get(Referral, referral_id, with_for_update=True)
            if referral is None:
                raise NotFound("no such referral", reason="no_such_referral")
            court = await db.get(Organisation, referral.from_organisation_id)
            case = await db.get(Case, referral.case_id)
            assert court is not None and case is not None
            if court.kind != "court" or referral.role != "lead" or referral.status != "accepted":
                raise Conflict("only a court's referral, accepted, is reported to the court", reason="not_court_referral")
            if staff.organisation_id != case.organisation_id:
                raise Forbidden("the organisation handling the case writes the report", reason="not_handling_organisation")
            refuse_if_archived(case)
            if case.status == "open":
                raise InvalidState("mediation has not ended yet", reason="mediation_open")
            if referral.report_sha256 is not None:
                raise Conflict("the report was made already", reason="report_made")
            organisation = await db.get(Organisation, case.organisation_id)
            assert organisation is not None
            doc = await self._doc(db, referral, case, court, organisation)
            data = await asyncio.to_thread(render_ruling, doc, self._font)
            digest = sha256(data).hexdigest()
            referral.report_pdf, referral.report_sha256 = data, digest
            referral.report_by, referral.report_at = staff.user_id, utcnow()
            appended = await self._ledger.append_platform(
                db,
                type="result_reported",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "court": court.name,
                    "title": doc.title,
                    "outcome": case.status,
                    "reason": case.outcome_reason,
                    "made_by": staff.display_name,
                },
                public={"referral": referral.id, "pdf_sha256": digest, "outcome": case.status},
            )
            history.record(db, case.id, staff, "result_reported", organisation=court.name, seq=appended.record.seq)
            await db.flush()
            return referral

    async def pdf(self, principal: Principal | None, referral_id: str) -> ReportFile:
        """The report, for whoever may read the case: the court that referred it above all."""
        require_staff(principal)
        async with self._maker() as db:
            referral = await db.get(Referral, referral_id)
            if referral is None:
                raise NotFound("no such referral", reason="no_such_referral")
            await case_for_staff(db, principal, referral.case_id, court=True, shared=True, supervise=True)
            if referral.report_pdf is None or referral.report_sha256 is None:
                raise NotFound("no report has been made for this referral", reason="no_report")
            case = await db.get(Case, referral.case_id)
            assert case is not None
            title = TITLES.get(referral.court_stage or "", TITLES["before_filing"])
            return ReportFile(f"{title}-{case.case_number}.pdf", referral.report_pdf, referral.report_sha256)

    async def _doc(
        self, db: AsyncSession, referral: Referral, case: Case, court: Organisation, organisation: Organisation
    ) -> RulingDoc:
        mediator = await db.get(User, case.mediator_id)
        parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
        sessions = await db.scalar(
            select(func.count())
            .select_from(MediationSession)
            .where(MediationSession.case_id == case.id, MediationSession.status != "cancelled")
        )
        agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
        return report_body(
            referral=referral,
            case=case,
            court=court,
            organisation=organisation,
            mediator=mediator.display_name if mediator is not None else "",
            parties=parties,
            sessions=int(sessions or 0),
            agreement=agreement,
            today=_day(utcnow(), organisation.timezone),
        )
