"""The fixed lists a mediator chooses from."""

from __future__ import annotations

# A bureau is a justice administration (司法局, 司法所): it mediates nothing itself but guides
# and supervises the committees and centres below it (人民调解法 art. 5).
ORGANISATION_KINDS = ("committee", "centre", "bureau", "court")
# A supervisor (a justice bureau's or a centre's officer) reads every case of their organisation's
# subtree and issues instructions on them; they change no case (server/domain/supervision.py).
STAFF_ROLES = ("mediator", "judge", "supervisor", "admin")
#: The Ministry of Justice's categories of disputes in its people's-mediation statistics (司法部人民调解
#: 统计), in its order. Their words, Chinese and English, are `dispute.<key>` in web/js/i18n.js.
DISPUTE_TYPES = (
    "family",  # 婚姻家庭纠纷
    "neighbours",  # 邻里纠纷
    "homestead",  # 房屋宅基地纠纷
    "damages",  # 损害赔偿纠纷
    "contract",  # 合同纠纷
    "land_contracting",  # 山林土地承包经营纠纷 (grassland too, common where we serve)
    "land_acquisition",  # 征地拆迁纠纷
    "labour",  # 劳动争议纠纷
    "wages",  # 拖欠工资纠纷
    "village_affairs",  # 村务管理纠纷
    "environment",  # 环境保护纠纷
    "traffic",  # 交通事故纠纷
    "medical",  # 医患纠纷
    "property_management",  # 物业纠纷
    "consumer",  # 消费纠纷
    "other",  # 其他纠纷
)
#: Types no longer offered -> the category their cases were moved to (migration 0016). Old records
#: of the evidence log and the case history keep the old key, so its words stay in web/js/i18n.js.
RETIRED_DISPUTE_TYPES = {"loans": "contract"}  # 民间借贷: a loan is a contract (民法典 art. 667)
PARTY_ROLES = ("applicant", "respondent", "agent", "interpreter", "invited")
# Agents and interpreters act for someone; applicants and respondents are the disputants.
REPRESENTATIVE_ROLES = ("agent", "interpreter")
#: Whom a mediator invites into the mediation. People's Mediation Law art. 20: with the parties'
#: consent (在征得当事人的同意后) the mediator may invite the parties' relatives, neighbours or
#: colleagues, and people with special knowledge or experience or from a social organisation.
#: An invited person takes part and is shown to everyone for what they are, but is not a party:
#: they do not sign the agreement or apply for its confirmation.
INVITED_AS = ("deputy", "lawyer", "expert", "relative", "neighbour", "village_cadre", "guiding_judge", "other")

#: Where a case came from (案件来源), code -> (Chinese, English): the Ministry of Justice's registration
#: form (人民调解受理登记表) and case report name 当事人申请 and 主动调解 (People's Mediation Law art. 17:
#: a party may apply, and a committee may mediate of its own initiative), and cases handed over by the
#: police, referred by a court (最高人民法院关于人民法院特邀调解的规定: 委派 before filing, 委托 after) or assigned by
#: the government; a one-stop centre also takes 12345 hotline orders and grid workers' reports.
CASE_SOURCES: dict[str, tuple[str, str]] = {
    "party_application": ("当事人申请", "Application by a party"),
    "own_initiative": ("主动调解", "Mediation on our own initiative"),
    "police_transfer": ("公安移交", "Transferred by the police"),
    "court_referral": ("法院委派/委托", "Referred by a court"),
    "hotline_order": ("12345 派单", "12345 hotline work order"),
    "grid_worker_report": ("网格员上报", "Reported by a grid worker"),
    "government_assigned": ("政府指定", "Assigned by the government"),
    "other": ("其他", "Other"),
}
