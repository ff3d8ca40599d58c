"""What the case-closing report (人民调解结案报告表, server/documents/closing_pdf.py) says, from the case's rows.

The rows follow the form's instructions (see closing_pdf.py): 卷号 is the case number, 承办单位 the
committee, 承办人 the case's mediators, 受案时间 the day registered (受理登记), 结案时间 the day closed;
the parties by role and name (their phone numbers stay in the case file: the report goes into the
bundle, which may be handed on), 案件来源 as registered, the dispute type, the result (an agreement
that took effect on a day, or mediation ended and why), each obligation and what became of it, each
follow-up visit, and why the case was closed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.documents.closing_pdf import ClosingReport
from server.domain import registration
from server.domain.access import assigned_mediators
from server.domain.agreements.obligation import day_words
from server.domain.agreements.text import ROLE_WORDS
from server.domain.clocks import local_day
from server.domain.confirmation.ruling import chinese_date
from server.domain.follow_up_plans import plans_of
from server.domain.outcomes import ground_of
from server.domain.performance import label, performance_text, status_of
from server.domain.principal import Staff
from server.models import Agreement, Case, Obligation, Organisation, Party, User

DISPUTE_WORDS = {
    "family": "婚姻家庭纠纷", "neighbours": "邻里纠纷", "homestead": "房屋宅基地纠纷", "damages": "损害赔偿纠纷",
    "contract": "合同纠纷", "loans": "民间借贷纠纷", "land_contracting": "山林土地承包经营纠纷",
    "land_acquisition": "征地拆迁纠纷", "labour": "劳动争议纠纷", "wages": "拖欠工资纠纷", "village_affairs": "村务管理纠纷",
    "environment": "环境保护纠纷", "traffic": "交通事故纠纷", "medical": "医患纠纷", "property_management": "物业纠纷",
    "consumer": "消费纠纷", "other": "其他纠纷",
}  # fmt: skip
STATUS_WORDS = {"pending": "尚未履行", "reported": "义务人已报告履行，待权利人确认", "performed": "已履行",
                "disputed": "权利人对履行有异议", "overdue": "逾期未履行"}  # fmt: skip
CONFIRM_WORDS = {"party_key": "权利人本人签名确认", "over_video": "权利人在视频中确认，调解员记录"}
#: Why a case is closed (结案原因), how a visit was made, the parties' satisfaction: Chinese, English.
REASONS: dict[str, tuple[str, str]] = {
    "performed": ("协议已履行完毕", "the agreement was performed in full"),
    "waived": ("当事人放弃", "the party owed gave up what is outstanding"),
    "litigation": ("转入诉讼", "taken to court"),
    "other": ("其他", "other"),
}
METHODS: dict[str, tuple[str, str]] = {
    "phone": ("电话回访", "by phone"),
    "video": ("视频回访", "by video"),
    "in_person": ("上门回访", "in person"),
}
SATISFACTION: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "satisfied"),
    "partly": ("基本满意", "partly satisfied"),
    "dissatisfied": ("不满意", "dissatisfied"),
}


def obligation_line(row: Obligation, parties: dict[str, Party], today: date) -> str:
    debtor, creditor = parties[row.debtor_party_id], parties[row.creditor_party_id]
    line = (
        f"{label(row)[0]}：{ROLE_WORDS.get(debtor.role, '')}{debtor.name}向{ROLE_WORDS.get(creditor.role, '')}"
        f"{creditor.name}履行{performance_text(row)}。{STATUS_WORDS[status_of(row, today)]}"
    )
    if row.status == "performed" and row.confirmed_at is not None:
        line += f"（{day_words(local_day(row.confirmed_at))}，{CONFIRM_WORDS.get(row.confirm_method or '', '确认')}）"
    return line + "。"


async def build_report(db: AsyncSession, case: Case, staff: Staff, rows: list[Obligation], today: date) -> ClosingReport:
    organisation = await db.get(Organisation, case.organisation_id)
    assert organisation is not None
    parties = {p.id: p for p in await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at))}
    mediator_ids = await assigned_mediators(db, case.id) or [case.mediator_id]
    mediators = [u.display_name for i in mediator_ids if (u := await db.get(User, i)) is not None]
    agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
    sealed = agreement.sealed_at if agreement is not None and agreement.sealed_at is not None else None
    if case.status == "settled":
        result = "调解成功，达成调解协议" + (f"，协议于{day_words(local_day(sealed))}生效" if sealed else "") + "。"
    else:
        ground = ground_of(case.outcome_reason)
        result = (
            "调解终止，未达成协议"
            + (f"：{ground.zh}" if ground else "")
            + (f"（{case.outcome_note}）" if case.outcome_note else "")
            + "。"
        )
    who = "；".join(f"{ROLE_WORDS.get(p.role, '')}{p.name}" for p in parties.values() if p.role in ("applicant", "respondent"))
    assert case.case_closed_at is not None and case.closing_reason is not None
    closed = local_day(case.case_closed_at)
    visits = []
    for plan in (await plans_of(db, [case.id]))[case.id]:
        r = plan.record
        if r is None or r.recorded_at is None:
            continue
        by = await db.get(User, r.recorded_by) if r.recorded_by else None
        text = (
            f"{day_words(local_day(r.recorded_at))}，{by.display_name if by else ''}{METHODS.get(r.method or '', ('', ''))[0]}："
            f"履行情况：{r.performance}；当事人满意程度：{SATISFACTION.get(r.satisfaction or '', ('', ''))[0]}"
        )
        text += f"；遗留隐患：{r.risk}" if r.risk else "；未发现遗留隐患"
        text += f"；采取措施：{r.actions}" if r.actions else ""
        visits.append(text + "。")
    reason = REASONS[case.closing_reason][0] + (f"：{case.closing_note}" if case.closing_note else "")
    return ClosingReport(
        organisation=organisation.name,
        case_number=case.case_number,
        rows=[
            ("承办单位", organisation.name),
            ("承办人", "、".join(mediators)),
            ("受案时间", day_words(case.registered_on)),
            ("协议生效时间", day_words(local_day(sealed)) if sealed else "未达成协议"),
            ("结案时间", day_words(closed)),
            ("当事人", who),
            ("案件来源", registration.source_words(case.source)),
            ("纠纷类型", DISPUTE_WORDS.get(case.dispute_type, case.dispute_type)),
            ("纠纷简要事实", case.summary),
            ("调解结果", result),
            ("结案原因", reason),
        ],
        obligations=[obligation_line(r, parties, today) for r in rows],
        follow_ups=visits,
        signatures=[f"承办人：{staff.display_name}", f"{organisation.name}", chinese_date(closed)],
    )
