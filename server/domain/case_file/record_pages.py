"""A record of the evidence log laid out as a page of the case file: its form's title, its rows, its text.

The rows are the record body's fields (what the log's ``body_hash`` covers), in the words of the
forms (登记人, 核验结果, 回访方式…), codes turned into words with the platform's own tables
(server/evidence/vocabulary.py, the dispute types of the closing report). A field this module has no
label for is still printed, under its own name: the page leaves nothing of the record out. Under the
form: which record of the log it is, when it was made, by whom, how it was signed, and the hash.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from server.documents.case_file_pages import RecordPage
from server.domain.agreements.text import ROLE_WORDS
from server.domain.case_file.parts import Logged
from server.domain.clocks import LEGAL_ZONE
from server.domain.closing_report import DISPUTE_WORDS
from server.evidence.records import RecordError, parse_time
from server.evidence.vocabulary import method_words, record_words

FORM_TITLES = {
    "case_registered": "人民调解受理登记表",
    "case_accepted": "人民调解申请书（网上申请）",
    "case_opened": "立案记录",
    "consent": "录音录像告知与调解规则（当事人签署）",
    "mediation_accepted": "调解意愿告知及答复",
    "identity_checked": "当事人身份核验记录",
    "key_bound": "当事人签名密钥绑定记录",
    "transcript_version": "人民调解记录",
    "performance_reported": "履行报告",
    "performance_confirmed": "确认收到履行",
    "performance_disputed": "履行异议",
    "follow_up_recorded": "人民调解回访记录",
}
#: The body's fields, in the order the forms have them, with their labels.
LABELS: dict[str, str] = {
    "case_number": "卷号（案件编号）", "organisation": "调解组织", "registered_on": "受理日期", "dispute_type": "纠纷类型",
    "source_words": "案件来源", "source_reference": "来源编号", "collective": "群体性纠纷", "parties": "当事人",
    "summary": "纠纷简要情况", "amount_in_dispute": "争议金额（元）", "property_region": "财产所在地", "mediator": "调解员",
    "registered_by": "登记人", "opened_by": "立案人", "accepted_by": "受理人", "preferred_mediator": "申请人选择的调解员",
    "centre_assigns": "由调解中心指派调解员", "facts": "纠纷事实", "requests": "申请事项", "applied_at": "申请时间",
    "confirmed_at": "申请人手机号确认时间", "due_date": "应答复日期", "name": "当事人", "party": "当事人", "role": "身份",
    "party_role": "身份", "checked_by": "核验人", "method": "方式", "result": "核验结果", "note": "备注", "phone": "联系电话",
    "key": "密钥编号", "session": "调解场次", "reason": "理由", "statement": "报告内容", "wording": "协议约定",
    "intent": "确认内容", "report_seq": "对应的履行报告", "rule_words": "回访安排", "method_words": "回访方式",
    "performance": "履行情况", "satisfaction_words": "当事人满意程度", "risk": "遗留隐患", "actions": "采取的措施",
    "author": "记录人", "disagreement": "不同意见",
}  # fmt: skip
#: Fields printed whole after the form (a notice's text, the question asked, a record's text), with their headings.
TEXTS = {"text": "文本", "question": "询问内容"}
#: Codes the body holds beside their words (the words are printed): not repeated.
SKIP = {"source"}
RESULTS = {"confirmed": "核验一致", "not_confirmed": "未能核验", "match": "核验一致"}
ACTORS = {"party": "当事人", "staff": "工作人员", "platform": "平台", "recorder": "录像服务"}
SIGNED_WITH = {"ed25519": "平台密钥", "es256": "本人设备密钥", "webauthn": "本人通行密钥"}


def local_time(text: str) -> str:
    """A record's or body's time in Beijing time (2026年12月5日 14:05), or the text as it is."""
    try:
        when = parse_time(text)
    except RecordError:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return text
        if parsed.tzinfo is None:
            return f"{parsed.year}年{parsed.month}月{parsed.day}日" if len(text) == 10 else text
        when = parsed
    local = when.astimezone(LEGAL_ZONE)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _person(p: dict[str, Any]) -> str:
    facts = [
        {"male": "男", "female": "女"}.get(str(p.get("sex")), ""),
        str(p.get("ethnicity") or ""),
        f"{p['age']}岁" if p.get("age") is not None else "",
        f"出生于{local_time(str(p['birth_date']))}" if p.get("birth_date") else "",
        str(p.get("occupation") or ""),
        f"电话{p['phone']}" if p.get("phone") else "",
        f"住址{p['address']}" if p.get("address") else "",
    ]
    said = "，".join(f for f in facts if f)
    return f"{ROLE_WORDS.get(str(p.get('role')), '')}{p.get('name', '')}" + (f"（{said}）" if said else "")


def value_words(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "dispute_type":
        return DISPUTE_WORDS.get(str(value), str(value))
    if key == "method":
        return method_words(value)
    if key == "result":
        return RESULTS.get(str(value), str(value))
    if key in ("role", "party_role"):
        return ROLE_WORDS.get(str(value), str(value))
    if key == "report_seq":
        return f"证据日志第{value}条记录"
    if key in ("registered_on", "applied_at", "confirmed_at", "due_date") and isinstance(value, str):
        return local_time(value)
    if isinstance(value, list):
        return "\n".join(_person(v) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def record_page(logged: Logged) -> RecordPage:
    """The page of one record: its body's fields as a form, its long text after, its provenance below."""
    data, claim = logged.data, logged.record.claim
    keys = [k for k in LABELS if k in data] + sorted(k for k in data if k not in LABELS and k not in TEXTS and k not in SKIP)
    rows = [(LABELS.get(k, k), value_words(k, data[k])) for k in keys if data[k] not in (None, "", [])]
    texts = [f"{heading}：\n{data[k]}" for k, heading in TEXTS.items() if isinstance(data.get(k), str) and data[k]]
    if logged.type == "transcript_version":  # the record's text is its own heading and body, printed line for line
        texts = [str(data.get("text") or "")]
    actor = claim.actor
    who = ACTORS.get(actor.get("kind", ""), actor.get("kind", "")) + ROLE_WORDS.get(actor.get("role", ""), "")
    signed = "、".join(dict.fromkeys(SIGNED_WITH.get(s.get("alg", ""), s.get("alg", "")) for s in logged.record.sigs))
    source = [
        f"本页据本案证据日志第{logged.seq}条记录（{record_words(logged.type)}）制作；记录时间：{local_time(claim.time)}；"
        f"行为人：{who}；签名：{signed or '无'}。",
        f"记录内容（body）SHA-256：{claim.body_hash}",
    ]
    if not data:
        source.insert(0, "本记录的详细内容未随记录保存，本页只列出记录本身。")
    return RecordPage(FORM_TITLES.get(logged.type, record_words(logged.type)), rows, "\n\n".join(texts), source)


__all__ = ["FORM_TITLES", "local_time", "record_page"]
