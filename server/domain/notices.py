"""Every kind of message a person gets, as Chinese SMS providers take it: a template and parameters.

Alibaba Cloud and Tencent Cloud send only templates approved in their consoles; a message is the
template's code and the values of its variables, never free text. So each kind here names its
parameters, and the outbox keeps the values; the Chinese (and English) body composed from the
same values goes to e-mail and to the mediator's view of the outbox.

The providers' rules shape the parameters (checked by tests/api/test_sms_providers.py):

- a variable's value is 1 to 35 characters (Alibaba's rule for "other" variables, the strictest
  of the two; Tencent asks an enterprise-certified account for longer than 12), so names and
  organisations are shortened with "…";
- a one-time code is 4 to 6 digits and the code template has that one variable;
- links: only the part after the address the template fixes (``MEDIATE_PUBLIC_URL``) is a
  variable, ``link`` = ``j/<token>`` (34 characters), since providers accept links only on a
  registered (ICP) domain written in the template. A kind whose link opens another page fixes
  more of the path in its template (``Kind.link_path``: ``apply/s/`` for an online applicant's
  status page) and its ``link`` is the token alone (32 characters). Tencent accepts no link in
  a variable at all: there, approve templates without ``link`` and list their parameters in
  ``MEDIATE_SMS_TEMPLATES`` (the e-mail and the mediator's copy still carry the link).
- joining by phone (#25): with ``MEDIATE_PHONE_NUMBER`` set, the notices of a session to join
  (``Kind.by_phone``: the invitation, the court's hearing, a new link) end with a sentence saying
  which number to dial and the link's PIN, and carry two more parameters, ``phone`` and ``pin``,
  after their own. A template approved before telephony was set up has neither: approve one with
  the sentence (``sms_template_text(kind, by_phone=True)``) before setting the number, or list the
  template's parameters without them (the e-mail and the mediator's copy still carry the PIN).

To add a kind: add it to ``KINDS`` with its parameters and texts, call ``notifications.notify``
(or ``enqueue`` for a session's notices) where it happens, approve a template with the same
variables at the provider and add its code to ``MEDIATE_SMS_TEMPLATES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from server.domain.clocks import LEGAL_ZONE

#: Longest value of one template variable (Alibaba: 1–35 characters for "other" variables).
PARAM_LIMIT = 35

#: What each parameter holds (for operators writing the templates; docs/CONFIGURATION.md).
PARAMS: dict[str, str] = {
    "code": "six-digit one-time code",
    "name": "the person's name",
    "org": "the committee or court",
    "case": "the case number",
    "time": "when the session starts, local time",
    "mediator": "the mediator or judge",
    "link": "their personal link after MEDIATE_PUBLIC_URL/ (j/<token>; an applicant's status link: the token after /apply/s/)",
    "deadline": "a deadline, local time",
    "days": "days left (3 or 1)",
    "other": "the other party's name",
    "court": "the court",
    "outcome": "the ruling",
    "reason": "why mediation ended",
    "due": "a last day (e.g. 12月9日)",
    "what": "what is owed (e.g. 人民币5000.00元)",
    "phone": "the number to dial to join by phone (MEDIATE_PHONE_NUMBER)",
    "pin": "the six-digit PIN of the party's link, typed on the keypad to join by phone",
}

#: The parameters of joining by phone, after a ``by_phone`` kind's own when ``MEDIATE_PHONE_NUMBER`` is set.
PHONE_PARAMS = ("phone", "pin")


@dataclass(frozen=True)
class Kind:
    """A kind of message: its template's parameters (in order) and its texts.

    The texts are ``str.format`` templates over the parameters, plus ``url`` (the whole link)
    and ``use`` (what a code is for), which only the composed body carries. ``link_path`` is the
    part of the link's path the approved template writes before ``${link}`` (empty: ``link``
    is ``j/<token>``). ``by_phone``: a session to join, which a party may join by phone too
    (``PHONE_PARAMS``).
    """

    params: tuple[str, ...]
    subject: str
    zh: str
    en: str
    link_path: str = ""
    by_phone: bool = False


_LINK_ZH = "请用手机或电脑浏览器打开您的专属链接：{url} 此链接仅供您本人使用，请勿转发。"
_LINK_EN = "Open your personal link in a phone or computer browser: {url} This link is for you only."
_PHONE_ZH = "不便使用智能手机的，可拨打 {phone} 并输入会议密码 {pin} 以电话参加。"
_PHONE_EN = " No smartphone? Call {phone} and enter PIN {pin} to join by phone."

KINDS: dict[str, Kind] = {
    "otp": Kind(
        ("code",),
        "验证码",
        "您的验证码是{code}，10分钟内有效，用于{use}。请勿告诉任何人，包括调解员。",
        "Your code is {code} (valid 10 minutes). Tell no one, not even the mediator.",
    ),
    "invitation": Kind(
        ("name", "org", "case", "time", "mediator", "link"),
        "视频调解通知：{case}",
        "{name}您好：{org}定于{time}通过视频调解案件{case}，调解员{mediator}。" + _LINK_ZH,
        "Dear {name}, {org} has scheduled an online mediation of case {case} on {time_en} with mediator {mediator}. " + _LINK_EN,
        by_phone=True,
    ),
    # A court's short video hearing on an application for confirmation: org is the court and
    # mediator the judge who hosts it.
    "hearing": Kind(
        ("name", "org", "case", "time", "mediator", "link"),
        "司法确认询问通知：{case}",
        "{name}您好：{org}定于{time}通过视频就您的司法确认申请（{case}）询问双方当事人，承办法官{mediator}。" + _LINK_ZH,
        "Dear {name}, {org} will question both parties by video about your application for judicial confirmation "
        "({case}) on {time_en}; judge {mediator}. " + _LINK_EN,
        by_phone=True,
    ),
    "reschedule": Kind(
        ("name", "case", "time"),
        "调解时间变更：{case}",
        "{name}您好：案件{case}的视频调解时间已改为{time}。请使用之前收到的专属链接进入。",
        "Dear {name}, the mediation of case {case} has moved to {time_en}. Use the personal link you received earlier.",
    ),
    "cancellation": Kind(
        ("name", "case", "time", "org"),
        "调解取消：{case}",
        "{name}您好：原定于{time}的案件{case}视频调解已取消，原链接失效。如有疑问请联系{org}。",
        "Dear {name}, the mediation of case {case} on {time_en} is cancelled and its link no longer works.",
    ),
    "link_reissued": Kind(
        ("name", "case", "time", "link"),
        "新的调解链接：{case}",
        "{name}您好：您参加案件{case}视频调解（{time}）的链接已更新，旧链接失效。" + _LINK_ZH,
        "Dear {name}, your link for the mediation of case {case} ({time_en}) was renewed; the old one no longer works. "
        + _LINK_EN,
        by_phone=True,
    ),
    "reminder_24h": Kind(
        ("name", "case", "time"),
        "调解提醒：{case}",
        "{name}您好：案件{case}的视频调解将于{time}开始。请准备好身份证和相关材料，找一个安静、网络良好的地方。"
        "请使用之前收到的专属链接进入。",
        "Reminder: the mediation of case {case} starts on {time_en}. Have your ID card and documents ready. "
        "Use the personal link you received earlier.",
    ),
    "reminder_15m": Kind(
        ("name", "case", "time"),
        "调解即将开始：{case}",
        "{name}您好：案件{case}的视频调解将在15分钟后（{time}）开始。请使用之前收到的专属链接进入。",
        "The mediation of case {case} starts in 15 minutes ({time_en}). Use the personal link you received earlier.",
    ),
    # The agreement is final and waits for this party's signature (People's Mediation Law art. 29).
    "agreement_to_sign": Kind(
        ("name", "case", "deadline", "link"),
        "请签署调解协议：{case}",
        "{name}您好：案件{case}的调解协议书已定稿，请在{deadline}前阅读并签署。" + _LINK_ZH,
        "Dear {name}, the mediation agreement of case {case} is final. Read and sign it before {deadline_en}. " + _LINK_EN,
    ),
    "signing_deadline": Kind(
        ("name", "case", "days", "deadline", "link"),
        "签署期限将至：{case}",
        "{name}您好：案件{case}调解协议书的签署期限还有{days}天（{deadline}），您尚未签署。逾期未签署的，调解可能终止。"
        + _LINK_ZH,
        "Dear {name}, {days} day(s) are left to sign the agreement of case {case} ({deadline_en}), and you have not signed. "
        + _LINK_EN,
    ),
    "agreement_delivered": Kind(
        ("name", "case", "link"),
        "调解协议书已生效：{case}",
        "{name}您好：您的调解协议书（{case}）已由各方签署并加盖印章，现已生效。可在30日内共同申请司法确认。"
        "请打开 {url} 查看和下载。",
        "Your mediation agreement ({case}) has been signed by everyone, sealed and is in effect: {url}",
    ),
    # The other party started the joint application (art. 33: "双方当事人 … 共同申请"): co-sign it.
    "cosign_needed": Kind(
        ("name", "other", "court", "case", "deadline", "link"),
        "请共同申请司法确认：{case}",
        "{name}您好：{other}已向{court}申请确认调解协议（{case}）的效力，须由双方共同申请。请在{deadline}前签署申请。" + _LINK_ZH,
        "Dear {name}, {other} has applied to {court} to confirm the agreement of case {case}; the application must be "
        "joint. Co-sign it before {deadline_en}. " + _LINK_EN,
    ),
    # People's Mediation Law art. 33: an application within 30 days of the agreement taking effect.
    "confirmation_deadline": Kind(
        ("name", "case", "days", "deadline", "link"),
        "司法确认申请期限将至：{case}",
        "{name}您好：案件{case}调解协议生效已近30日，申请司法确认的期限还有{days}天（{deadline}）。如需申请，请尽快与对方共同申请。"
        + _LINK_ZH,
        "Dear {name}, {days} day(s) are left ({deadline_en}) to apply jointly for judicial confirmation of the agreement "
        "of case {case} (30 days from it taking effect). " + _LINK_EN,
    ),
    "confirmation_decided": Kind(
        ("name", "court", "case", "outcome"),
        "司法确认裁定：{case}",
        "{name}您好：{court}已就您的司法确认申请（{case}）作出裁定：{outcome}。请打开您的调解页面查看和下载裁定书。",
        "The court has ruled on your application ({case}): {outcome_en}. Open your mediation page to read the ruling.",
    ),
    "mediation_ended": Kind(
        ("name", "case", "reason"),
        "调解终止通知：{case}",
        "{name}您好：您的纠纷（{case}）调解终止，原因：{reason}。您可以依法通过以下途径维护自己的权利："
        "向仲裁机构申请仲裁（如有仲裁协议或属劳动争议仲裁范围）；请求有关行政机关处理；或向人民法院提起诉讼。",
        "Mediation of your dispute ({case}) has ended: {reason_en}. You may protect your rights by applying for "
        "arbitration, asking the competent authority to handle it, or bringing a lawsuit in a people's court.",
    ),
    # To staff (server/domain/overdue.py): the handling mediator and the supervisors above the case.
    "period_overdue": Kind(
        ("name", "org", "case", "due"),
        "调解期限已届满：{case}",
        "{name}您好：{org}办理的案件{case}调解期限已于{due}届满，尚未办结。请尽快办结；双方当事人同意延长的，请办理延长手续。",
        "Dear {name}, the mediation period of case {case} handled by {org} ended on {due_en} and the case is not "
        "closed. Close it, or extend the period if both parties agree.",
    ),
    "reply_overdue": Kind(
        ("name", "org", "case", "due"),
        "督办意见逾期未回复：{case}",
        "{name}您好：对{org}办理的案件{case}的督办意见要求于{due}前回复，至今未回复。请尽快回复督办意见。",
        "Dear {name}, the supervision instruction on case {case} handled by {org} was due for a reply by {due_en} "
        "and has not been answered. Please reply to it.",
    ),
    # The other side is asked whether they agree to mediation (People's Mediation Law art. 17).
    "willingness_asked": Kind(
        ("name", "org", "case", "deadline", "link"),
        "是否同意调解：{case}",
        "{name}您好：对方当事人向{org}申请调解与您之间的纠纷（{case}）。请在{deadline}前告知是否同意调解。" + _LINK_ZH,
        "Dear {name}, the other party asked {org} to mediate your dispute ({case}). Please say before {deadline_en} "
        "whether you agree to mediation. " + _LINK_EN,
    ),
    # The other side refused or did not answer: the applicant's application ends, with the routes still open.
    "willingness_ended": Kind(
        ("name", "case", "reason", "link"),
        "调解未能进行：{case}",
        "{name}您好：您申请的调解（{case}）未能进行，原因：{reason}。您仍可以向人民法院起诉、申请仲裁或请求有关行政机关处理。"
        "请打开 {url} 查看。",
        "Dear {name}, the mediation you applied for ({case}) cannot go ahead: {reason_en}. You may still bring a lawsuit "
        "in a people's court, apply for arbitration or ask the competent authority. Details: {url}",
    ),
    # Staff answered an online application (server/domain/online_applications/): the applicant is
    # told on the phone they confirmed, with their status page (在线调解规则 art. 12: the answer).
    "application_accepted": Kind(
        ("name", "org", "case", "mediator", "link"),
        "调解申请已受理：{case}",
        "{name}您好：{org}已受理您的调解申请，案件编号{case}，调解员{mediator}。请打开 {url} 查看进展。",
        "Dear {name}, {org} has accepted your application for mediation: case {case}, mediator {mediator}. Follow it at {url}",
        link_path="apply/s/",
    ),
    # Declined: the reason's gist, and the status page lists the routes still open (人民调解法 art. 26).
    "application_declined": Kind(
        ("name", "org", "reason", "link"),
        "调解申请未被受理",
        "{name}您好：{org}决定不予受理您的调解申请，原因：{reason}。您还可以通过其他途径解决纠纷，请打开 {url} 查看可以去哪里。",
        "Dear {name}, {org} has declined your application for mediation: {reason_en}. Other routes remain open to you; "
        "{url} lists where else you can go.",
        link_path="apply/s/",
    ),
    # The mediator proposes a later last day (server/domain/extensions.py): each party must agree
    # themselves (在线调解规则 art. 24), on their own page.
    "extension_proposed": Kind(
        ("name", "mediator", "case", "due", "link"),
        "请确认是否同意延长调解期限：{case}",
        "{name}您好：调解员{mediator}提议将案件{case}的调解期限延长至{due}，须经您本人同意。"
        "请用手机或电脑浏览器打开您的专属链接，选择同意或不同意：{url} 此链接仅供您本人使用，请勿转发。",
        "Dear {name}, mediator {mediator} proposes extending the mediation period of case {case} to {due_en}; it needs "
        "your own agreement. Open your personal link in a phone or computer browser to agree or decline: {url} "
        "This link is for you only.",
    ),
    # A supervisor answered a party's complaint (server/domain/satisfaction.py): the party reads it on
    # their page; their session's link has likely closed since they complained, so a new one comes.
    "complaint_answered": Kind(
        ("name", "org", "case", "link"),
        "您的投诉已有答复：{case}",
        "{name}您好：{org}已答复您就案件{case}提出的投诉。" + _LINK_ZH,
        "Dear {name}, {org} has answered your complaint about case {case}. " + _LINK_EN,
    ),
    # An instalment of the sealed agreement is due in 3 days or 1 (server/domain/follow_through.py):
    # the party who owes it is reminded, with their page to report it on (人民调解法 art. 31).
    "performance_due": Kind(
        ("name", "case", "what", "days", "due", "link"),
        "履行提醒：{case}",
        "{name}您好：根据案件{case}的调解协议，您应于{due}前履行：{what}，还有{days}天。履行后请打开您的专属链接报告履行情况："
        "{url} 此链接仅供您本人使用，请勿转发。",
        "Dear {name}, under the mediation agreement of case {case} you are to perform {what_en} by {due_en}: {days} day(s) "
        "left. Once done, report it on your personal link: {url} This link is for you only.",
    ),
}

MONTHS = "January February March April May June July August September October November December".split()


def day_text(day: date) -> tuple[str, str]:
    """A last day as a message says it (Chinese, English): 12月9日 / 9 December; the year when not this one's."""
    zh, en = f"{day.month}月{day.day}日", f"{day.day} {MONTHS[day.month - 1]}"
    if day.year != datetime.now(LEGAL_ZONE).year:
        zh, en = f"{day.year}年{zh}", f"{en} {day.year}"
    return zh, en


def clip(value: str, limit: int = PARAM_LIMIT) -> str:
    """A value a template variable accepts: one line, at most ``limit`` characters."""
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def link_param(url: str, kind: str | None = None) -> str:
    """The part of a link after what the template fixes: ``j/<token>``, or after the kind's ``link_path``."""
    path = KINDS[kind].link_path if kind else ""
    if path:
        at = url.find("/" + path)
        return url[at + 1 + len(path) :] if at >= 0 else url
    at = url.find("/j/")
    return url[at + 1 :] if at >= 0 else url


def template_params(kind: str, values: dict[str, str] | None = None) -> tuple[str, ...]:
    """The kind's parameters in order, then ``PHONE_PARAMS`` for a ``by_phone`` kind: when ``values``
    carry both (``MEDIATE_PHONE_NUMBER`` set), or, ``values`` None, always (all a template may take)."""
    spec = KINDS[kind]
    if spec.by_phone and (values is None or all(values.get(p) for p in PHONE_PARAMS)):
        return spec.params + PHONE_PARAMS
    return spec.params


def params_for(kind: str, values: dict[str, str]) -> dict[str, str]:
    """The kind's parameters, in its order, clipped to what providers accept.

    A parameter without a value is left out; the SMS sender refuses a template it cannot fill
    (and says so on the message) rather than sending it half empty.
    """
    return {
        p: clip(values[p], 6 if p in ("code", "pin") else PARAM_LIMIT) for p in template_params(kind, values) if values.get(p)
    }


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def compose(
    kind: str,
    params: dict[str, str],
    language: str,
    *,
    url: str | None = None,
    use: str = "",
    english: dict[str, str] | None = None,
) -> tuple[str, str]:
    """(subject, body): Chinese, with English below for a person who asked for it.

    ``english`` gives English wording of parameters (``time_en``, ``outcome_en``, ...); the
    Chinese value stands in where none is given.
    """
    spec = KINDS[kind]
    fill = {**{f"{k}_en": v for k, v in params.items()}, **(english or {}), **params}
    fill |= {"url": url or "", "use": use or "确认您本人的操作"}
    blank = _Blank(fill)
    zh_text, en_text = spec.zh, spec.en
    if spec.by_phone and all(params.get(p) for p in PHONE_PARAMS):
        zh_text, en_text = zh_text + _PHONE_ZH, en_text + _PHONE_EN
    subject, zh, en = spec.subject.format_map(blank), zh_text.format_map(blank), en_text.format_map(blank)
    return subject, zh if language == "zh" else f"{zh}\n\n{en}"


def sms_template_text(kind: str, public_url: str = "https://tiaojie.example.cn", *, by_phone: bool = False) -> str:
    """The Chinese template to approve at the provider for ``kind`` (Alibaba's ${name} style);
    ``by_phone``: a ``by_phone`` kind's, with the sentence on joining by phone (``MEDIATE_PHONE_NUMBER`` set)."""
    spec = KINDS[kind]
    fill = {p: "${" + p + "}" for p in spec.params + PHONE_PARAMS}
    fill["url"] = public_url.rstrip("/") + "/" + spec.link_path + "${link}"
    fill["use"] = "确认您本人的操作"
    return (spec.zh + (_PHONE_ZH if by_phone and spec.by_phone else "")).format(**fill)
