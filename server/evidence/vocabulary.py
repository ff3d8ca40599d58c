"""What records and their methods are called, in Chinese and English: one table each.

Every page and document that names a record kind (the judge's verification summary, the
evidence certificate of a sealed agreement) or a method (how a key was bound, how a signature
was confirmed: the signature page) takes its words from here, so that a record is never called
one thing on one page and another elsewhere, and a method is never described as something it was
not. A code this table does not know is shown as an unknown method with its code, never guessed.

Methods come from the records themselves (FORMAT.md): a ``key_bound`` record's ``public.method``
says how the key was bound; a ``signature``'s or ``confirmation_applied``'s body ``method`` says
how the signer was confirmed when signing; ``identity_checked``'s ``public.method`` says how the
mediator checked who a party is.
"""

from __future__ import annotations

from collections.abc import Mapping

# fmt: off
#: Every record type (records.RECORD_TYPES, and those announced for the next release).
RECORD_WORDS: dict[str, tuple[str, str]] = {
    "case_registered": ("受理登记", "case registered"),
    "case_opened": ("立案", "case opened"),
    "key_bound": ("绑定签名密钥", "signing key bound"),
    "identity_checked": ("核验身份", "identity checked"),
    "checkpoint_witnessed": ("检查点见证", "checkpoint witnessed"),
    "consent": ("同意录音录像", "consent to recording"),
    "consent_withdrawn": ("撤回录音录像同意", "consent to recording withdrawn"),
    "mediation_accepted": ("同意调解", "mediation accepted"),
    "segment_manifest": ("录像片段清单", "recording segments"),
    "agreement_version": ("调解协议文本", "agreement version"),
    "signature": ("签署调解协议", "agreement signed"),
    "agreement_read_aloud": ("向当事人宣读调解协议", "agreement read aloud to a party"),
    "confirmation_applied": ("申请司法确认", "confirmation applied for"),
    "confirmation_decided": ("司法确认裁定", "confirmation ruled on"),
    "export": ("导出证据包", "bundle exported"),
    "recording_interrupted": ("录像中断", "recording interrupted"),
    "recording_deleted": ("录像删除", "recording deleted"),
    "document_added": ("文件入卷", "document added"),
    "agreement_sealed": ("协议盖章生效", "agreement sealed"),
    "delivery": ("送达", "delivery"),
    "mediation_ended": ("调解终止", "mediation ended"),
    "case_referred": ("移送分流", "case referred"),
    "referral_accepted": ("接受移送", "referral accepted"),
    "referral_returned": ("退回移送", "referral returned"),
    "assistance_reported": ("协办结果", "assistance reported"),
    "supervision_issued": ("督办意见", "supervision instruction issued"),
    "supervision_replied": ("督办反馈", "supervision instruction answered"),
    "work_order_joined": ("重复工单并案", "repeated work order joined to the case"),
    "deadline_extended": ("延长调解期限", "mediation period extended"),
    # A `signature` whose intent is not signing the agreement (its public "intent"): said as what it is.
    "signature/agree_extension": ("签名同意延长调解期限", "agreement to extend the mediation period signed"),
    "signature/recording_instead_of_record": (
        "签名同意以录音录像代替调解笔录",
        "agreement that the recording stands for the mediation record signed",
    ),
    "case_accepted": ("受理调解申请", "application for mediation accepted"),
    "case_declined": ("不予受理调解申请", "application for mediation declined"),
    "filing_package_made": ("生成立案移送材料", "filing package made"),
    "result_reported": ("向法院报告调解结果", "result reported to the court"),
    "mediation_refused": ("不同意调解", "mediation refused"),
    "mediator_assigned": ("指定调解员", "mediator assigned"),
    "disclosure_signed": ("调解员披露声明", "mediator's disclosure signed"),
    "mediator_change_requested": ("申请更换调解员", "another mediator asked for"),
    "mediator_change_decided": ("更换调解员的决定", "request for another mediator decided"),
    "performance_reported": ("报告履行协议", "performance reported"),
    "performance_confirmed": ("确认收到履行", "performance confirmed"),
    "performance_disputed": ("对履行提出异议", "performance disputed"),
    "transcript_version": ("调解记录（笔录）版本", "mediation record version"),
    "transcript_signed": ("当事人签署调解记录", "mediation record signed by a party"),
    "satisfaction_rated": ("当事人满意度评价", "party's satisfaction rating"),
    "complaint_filed": ("当事人投诉", "party's complaint"),
    "complaint_answered": ("答复当事人投诉", "complaint answered"),
    "follow_up_planned": ("安排回访", "follow-up visit planned"),
    "follow_up_recorded": ("记录回访", "follow-up visit recorded"),
    "case_closed": ("结案", "case closed"),
    "case_file_made": ("制作卷宗", "case file made"),
    "case_archived": ("归档", "case archived"),
    "case_file_destroyed": ("卷宗保管期满销毁", "case file destroyed after its retention"),
    "statistics_snapshot": ("月度统计快照", "monthly statistics snapshot"),
    "case_indexed": ("统计案件索引", "case indexed for statistics"),
}

#: Every method code a record carries, in the words a signature page or a report uses.
METHOD_WORDS: dict[str, tuple[str, str]] = {
    # how the signer was confirmed when signing (the signature's body)
    "sms_otp+device_key": ("设备密钥（短信验证码确认）", "device key, confirmed with a code by SMS"),
    "email_otp+device_key": ("设备密钥（电子邮件验证码确认）", "device key, confirmed with a code by e-mail"),
    "device_key": ("设备密钥（签署时未发送验证码）", "device key, no code sent when signing"),
    "passkey_uv": ("通行密钥（本人生物识别/PIN 验证）", "passkey, verified by the signer's biometrics or PIN"),
    "staff_key": ("工作人员本人密钥（登录本人工作账户后签署）", "the staff member's own key, signed while logged in"),
    "staff_start": ("工作人员登录本人工作账户后确认", "confirmed by the staff member while logged in"),
    "dtmf": (
        "电话参加人听取告知后按键同意，调解员以本人密钥签名见证",
        "agreed on the phone's keypad after hearing the notice, witnessed and signed by the mediator's own key",
    ),
    "paper": (
        "当事人在纸质协议上签名（原件存档），调解员收取后以本人密钥签名确认",
        "signed by the party on paper (the original is kept on file), attested by the receiving mediator's own key",
    ),
    # the same for the application for judicial confirmation: a method's words for one record type, by "type/method"
    "confirmation_applied/paper": (
        "当事人在纸质申请书上签名或按指印（原件存档），调解员收取后以本人密钥签名确认",
        "signed or thumbprinted by the party on the paper application (the original is kept on file), attested by the receiving mediator's own key",
    ),
    # where the mediator read the final text to a party (the agreement_read_aloud record)
    "read_by_phone": ("通过电话宣读", "read over the telephone"),
    "read_in_session": ("在视频调解中宣读", "read in the video session"),
    "read_in_person": ("当面宣读", "read in person"),
    # how the key was bound to the case (the key_bound record); read after "密钥" / "key"
    "sms_otp": ("经短信验证码核验本人手机后绑定", "bound after a code by SMS to the party's phone"),
    "email_otp": ("经电子邮件验证码核验后绑定", "bound after a code by e-mail"),
    "sms_otp+passkey": ("经短信验证码核验本人手机后注册", "registered after a code by SMS to the party's phone"),
    "email_otp+passkey": ("经电子邮件验证码核验后注册", "registered after a code by e-mail"),
    "video_witnessed": ("经调解员视频核验绑定", "bound under the mediator's video identity check"),
    "video_witnessed+passkey": ("经调解员视频核验后注册", "registered under the mediator's video identity check"),
    "staff_login": ("登录本人工作账户后绑定", "bound by the staff member while logged in"),
    "passkey_registration": ("注册通行密钥时绑定", "bound when the passkey was registered"),
    # how the mediator checked who a party is (the identity_checked record)
    "id_card_on_video": ("视频中出示身份证件核验", "ID card shown on video"),
    "face_to_face": ("当面核验", "checked in person"),
    "document_upload": ("上传身份证件核验", "ID document uploaded"),
    "phone_callback": ("回拨电话核验", "checked by calling back"),
    # the organisation's seal on the final document
    "org_seal": ("调解组织电子印章（PAdES 数字签名）", "the organisation's electronic seal (PAdES signature)"),
    # a respondent's answer whether they agree to mediation, on their own link (server/domain/willingness.py)
    "party_link": ("当事人通过本人专属链接答复（平台签名）", "answered on the party's own link (signed by the platform)"),
    # how a mediator made a follow-up visit (the follow_up_recorded record, server/domain/closing.py)
    "phone": ("电话回访", "a visit by phone"),
    "video": ("视频回访", "a visit by video"),
    "in_person": ("上门回访", "a visit in person"),
    # the party owed said on video that they were paid; the mediator recorded it (server/domain/performance.py)
    "over_video": (
        "受领方在视频调解中向调解员确认，由调解员记录（非当事人本人签名）",
        "confirmed by the party owed on video, recorded by the mediator (not the party's own signature)",
    ),
}
UNKNOWN_METHOD = ("未知方式（记录中的方式代码：{code}）", "unknown method (code {code} in the record)")
NO_METHOD = ("记录中未载明方式", "the record names no method")
UNKNOWN_RECORD = ("未知记录类型（{code}）", "unknown record type ({code})")
# fmt: on


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def record_words(kind: str, lang: str = "zh", intent: object = None) -> str:
    """A record type in words (a signature's by its intent, where that has words); an unknown one says so, with its code."""
    pair = RECORD_WORDS.get(f"{kind}/{intent}") or RECORD_WORDS.get(kind)
    return _pick(pair, lang) if pair else _pick(UNKNOWN_RECORD, lang).format(code=kind)


def method_words(code: object, lang: str = "zh", kind: str | None = None) -> str:
    """A method code in words (a record type's own words for it, where it has some); none, or one this
    table does not know, says so (never a guess)."""
    if not isinstance(code, str) or not code:
        return _pick(NO_METHOD, lang)
    pair = METHOD_WORDS.get(f"{kind}/{code}") or METHOD_WORDS.get(code)
    return _pick(pair, lang) if pair else _pick(UNKNOWN_METHOD, lang).format(code=code)


def signature_words(signed_with: object, bound_with: object, lang: str = "zh") -> str:
    """A signature line's method: how the signer was confirmed, then how their key was bound.

    Both come from the evidence records of that signature (its body's ``method``, and the
    ``key_bound`` record of the key that made it), so the line says exactly what happened.
    """
    binding = method_words(bound_with, lang)
    if isinstance(bound_with, str) and bound_with in METHOD_WORDS:
        binding = ("Key " if lang == "en" else "密钥") + binding
    else:
        binding = ("How the key was bound: " if lang == "en" else "密钥绑定方式：") + binding
    return f"{method_words(signed_with, lang)}\n{binding}"


def method_of(record: Mapping[str, object] | None) -> object:
    """The ``method`` field of a record's public part or body data, if any."""
    return None if record is None else record.get("method")
