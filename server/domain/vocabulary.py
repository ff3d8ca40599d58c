"""The fixed lists a mediator chooses from."""

from __future__ import annotations

ORGANISATION_KINDS = ("committee", "centre", "court")
STAFF_ROLES = ("mediator", "judge", "admin")
DISPUTE_TYPES = ("wages", "neighbours", "loans", "property_management", "traffic", "family", "other")
PARTY_ROLES = ("applicant", "respondent", "agent", "interpreter")
# Agents and interpreters act for someone; applicants and respondents are the disputants.
REPRESENTATIVE_ROLES = ("agent", "interpreter")

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
