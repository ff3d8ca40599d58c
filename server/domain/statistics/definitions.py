"""What each figure of the ledger and the statistics counts, written down once (issue #23).

Reports on people's mediation all quote the same figures: cases mediated (调解案件数), cases mediated
successfully (调解成功数) and the success rate (调解成功率), the amounts involved (涉及金额), agreements
performed (履行), judicial confirmations (司法确认), the share resolved (化解率); by dispute type, source,
place and period. The Ministry of Justice's people's-mediation statistics (司法部人民调解工作统计) count
cases by the categories of ``server.domain.vocabulary.DISPUTE_TYPES`` (its order) and by the sources
of ``CASE_SOURCES`` (its registration form, 人民调解受理登记表); a county justice bureau's published
figures read the same way, e.g. 黄石市司法局《2020年人民调解工作数据统计》 (2021-01-14,
http://sfj.huangshi.gov.cn/xxgk_17/gknr/qt/sjfb/2020n/202101/t20210114_753181.html): "受理调解案件
6368件，调解成功6217件，成功率达97.6%", that is success rate = successful ÷ cases taken in. We could not
find the Ministry's own table (its 指标解释) in the sources available to us: check these definitions
against the edition a bureau reports on before relying on them.

Every figure is computed from the rows that the case's signed records make (the ``registration``,
``agreement_sealed``, ``performance_confirmed``, ``confirmation_applied``/``confirmation_decided``,
``mediation_ended`` and ``case_closed`` records; each row keeps its record's ``seq``), never from a
counter kept apart, so that a supervisor can recompute it from the cases' bundles.

The period is the registration day (受理日期, ``Case.registered_on``, Beijing calendar): a figure for
2026 counts the cases registered in 2026 and what has become of them since (a cohort). A case belongs
to the organisation that leads it now (``Case.organisation_id``): a lead referral accepted moves the
case (server/domain/referrals.py), so a referred case is counted once, where it was resolved, never
at the organisation that passed it on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    key: str
    zh: str
    en: str
    #: What it counts, in Chinese and in English: shown beside the figure.
    means_zh: str
    means_en: str


_ALL = (
    Definition(
        "mediated", "调解案件数", "Cases mediated",
        "统计期内受理登记、现由本组织主办的案件，每案计一次（移送其他组织主办并被接受的案件计入接收组织）。",
        "Cases registered in the period that the organisation leads now, each counted once (a case referred "
        "to and accepted by another organisation counts there).",
    ),
    Definition(
        "successful", "调解成功数", "Mediated successfully",
        "调解协议已生效的案件：各方签名、调解员签名并加盖调解组织印章（agreement_sealed 记录）。口头协议只记入调解笔录，不作为案件结果，不单独计数。",
        "Cases whose agreement took effect: signed by every party and the mediator and sealed (the agreement_sealed "
        "record). An oral agreement is written into the mediation record only, not a case outcome, and is not counted apart.",
    ),
    Definition(
        "failed", "调解不成数", "Ended without agreement",
        "调解终止、未达成协议的案件（mediation_ended 记录，人民调解法第二十六条）。",
        "Cases whose mediation ended without an agreement (the mediation_ended record, People's Mediation Law art. 26).",
    ),
    Definition("pending", "在调案件数", "Still being mediated", "尚未达成协议也未终止调解的案件。",
               "Cases neither settled nor ended."),
    Definition("success_rate", "调解成功率", "Success rate", "调解成功数 ÷ 调解案件数。", "Mediated successfully ÷ cases mediated."),
    Definition(
        "with_obligations", "应履行协议数", "Agreements to perform",
        "调解协议已生效且载有履行义务（金钱或其他给付，人民调解法第三十一条）的案件。",
        "Cases whose agreement in effect binds a party to perform something (People's Mediation Law art. 31).",
    ),
    Definition(
        "performed", "履行完毕数", "Performed in full",
        "协议的每一期履行义务均经权利人确认已履行（performance_confirmed 记录）的案件。",
        "Cases each of whose instalments the party owed confirmed as performed (the performance_confirmed record).",
    ),
    Definition("performance_rate", "协议履行率", "Performance rate", "履行完毕数 ÷ 应履行协议数。",
               "Performed in full ÷ agreements to perform."),
    Definition(
        "confirmation_applied", "申请司法确认数", "Applied for judicial confirmation",
        "双方当事人共同向人民法院提交司法确认申请的案件（人民调解法第三十三条；双方签名后提交）。",
        "Cases whose parties jointly submitted an application for judicial confirmation (People's Mediation Law "
        "art. 33; submitted once both signed).",
    ),
    Definition("confirmed", "司法确认有效数", "Confirmed by a court", "人民法院裁定确认调解协议有效的案件。",
               "Cases whose agreement a court ruled valid."),
    Definition("closed", "结案数", "Closed", "调解组织已结案的案件（case_closed 记录）。",
               "Cases the organisation has closed (the case_closed record)."),
    Definition(
        "resolved", "化解数", "Resolved",
        "调解成功且没有逾期未履行或有争议的履行义务的案件：因履行再起争议的纠纷不算化解。",
        "Cases mediated successfully none of whose instalments is overdue or disputed: a dispute that broke out "
        "again over performance is not resolved.",
    ),
    Definition("resolution_rate", "化解率", "Resolution rate", "化解数 ÷ 调解案件数。", "Resolved ÷ cases mediated."),
    Definition(
        "amount_fen", "涉及金额（分）", "Amount involved (fen)",
        "案件登记的争议金额；未登记的，为生效协议各期金钱给付之和。",
        "The amount in dispute registered with the case; where none was, the sum of the agreement's money instalments.",
    ),
    Definition("agreement_amount_fen", "协议金额（分）", "Amount agreed (fen)", "生效协议各期金钱给付之和。",
               "The sum of the money instalments of the agreements in effect."),
    Definition(
        "days_to_agreement", "受理至协议生效天数", "Days from registration to agreement",
        "受理日期至协议生效日（北京时间）的天数：平均数与中位数，只计调解成功的案件。",
        "Days from the registration day to the day the agreement took effect (Beijing): mean and median, over cases "
        "mediated successfully.",
    ),
    Definition(
        "days_to_closing", "受理至结案天数", "Days from registration to closing",
        "受理日期至结案日（北京时间）的天数：平均数与中位数，只计已结案的案件。",
        "Days from the registration day to the closing day (Beijing): mean and median, over closed cases.",
    ),
    Definition(
        "overdue_mediation", "调解期限逾期数", "Past the mediation period",
        "仍在调解、已超过调解期限（三十日，各方同意延长的至延长之日）的案件。",
        "Cases still being mediated past their mediation period (30 days, or the day every party agreed to extend it to).",
    ),
    Definition(
        "overdue_performance", "履行逾期数", "Performance overdue",
        "协议有一期履行义务已过履行期限仍未履行（或被权利人提出异议）的案件。",
        "Cases with an instalment past its last day and not performed (or disputed by the party owed).",
    ),
    Definition("ratings", "满意度评价数", "Satisfaction ratings", "当事人对调解作出的评价（satisfaction_rated 记录）。",
               "Ratings the parties gave (the satisfaction_rated record)."),
    Definition("average_stars", "平均评分", "Average stars", "评价星级（1至5）的平均数。", "The mean of the stars given (1 to 5)."),
    Definition("satisfied_rate", "满意率", "Share satisfied", "四星、五星（满意、非常满意）评价 ÷ 评价数。",
               "Ratings of four or five stars ÷ ratings."),
)  # fmt: skip

DEFINITIONS: dict[str, Definition] = {d.key: d for d in _ALL}

#: What a group is keyed by, and its heading.
GROUPS: dict[str, tuple[str, str]] = {
    "dispute_type": ("纠纷类型", "Dispute type"),
    "source": ("案件来源", "Source"),
    "organisation": ("调解组织", "Organisation"),
    "mediator": ("调解员", "Mediator"),
    "month": ("受理月份", "Month registered"),
}

#: The stage a case is at, as the ledger shows it (one of these, in this order of precedence).
STAGES: dict[str, tuple[str, str]] = {
    "closed": ("已结案", "Closed"),
    "settled": ("已达成协议", "Agreement in effect"),
    "failed": ("调解终止", "Ended without agreement"),
    "open": ("调解中", "Being mediated"),
}

#: The ledger's columns (台账), in order, with their Chinese and English headings.
LEDGER_COLUMNS: dict[str, tuple[str, str]] = {
    "case_number": ("案号", "Case number"),
    "registered_on": ("受理日期", "Registered"),
    "source": ("案件来源", "Source"),
    "dispute_type": ("纠纷类型", "Dispute type"),
    "applicants": ("申请人", "Applicants"),
    "respondents": ("被申请人", "Respondents"),
    "amount_fen": ("涉及金额（分）", "Amount (fen)"),
    "mediators": ("调解员", "Mediators"),
    "stage": ("阶段", "Stage"),
    "outcome": ("调解结果", "Outcome"),
    "agreement": ("调解协议", "Agreement"),
    "performance": ("履行情况", "Performance"),
    "confirmation": ("司法确认", "Judicial confirmation"),
    "closed_on": ("结案日期", "Closed"),
}
