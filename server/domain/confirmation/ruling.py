"""The court's ruling on an application to confirm a mediation agreement, in the court's words.

It follows the Supreme People's Court's forms (人民法院民事诉讼文书样式, 2016): 民事裁定书（确认调解
协议效力用） when the agreement is confirmed, and the form for rejecting the application (驳回确认
调解协议效力申请用). Their order is: the applicants with their particulars; how the case came to the
court (申请……一案，本院于……立案后……进行了审查); the agreement as the committee recorded it; the joint
application; the court's reasoning (本院经审查认为，……); the legal basis; 裁定如下; the operative
part; the judge, the date in Chinese numerals and the clerk.

The law it applies:

- People's Mediation Law art. 33: the parties jointly apply within 30 days of the agreement
  taking effect; a confirmed agreement can be enforced; after a rejection the parties may change
  the agreement by mediation or sue.
- Civil Procedure Law (2023 numbering) art. 205 (where and by whom the application is made) and
  art. 206 (the court rules the agreement valid, and a party may then apply for enforcement if
  the other does not perform, or rejects the application, after which the parties may change the
  agreement by mediation or sue). Special-procedure cases are heard by one judge (审判员) alone.
- The SPC's interpretation of the Civil Procedure Law (法释〔2022〕11号) arts. 351-360 on
  confirming mediation agreements: art. 355 (matters of personal status, adoption or marriage
  cannot be confirmed; found after acceptance, the application is rejected) and art. 358 (the
  grounds on which the court rejects the application). A court that finds these numbers changed
  by a later revision changes ``BASIS`` here, in one place.

What the case does not record (a party's sex, date of birth, address…) is said to be missing
in the ruling rather than left out silently, so that the court sees it before the document is
served (``particulars.with_missing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.documents.ruling_pdf import RulingDoc
from server.domain import particulars
from server.domain.agreements import text as words
from server.models import Agreement, AgreementVersion, Case, ConfirmationApplication, Organisation, Party, User

TITLE = "民事裁定书"
DIGITS = "〇一二三四五六七八九"
#: The judge's title at the foot of a special-procedure ruling, heard by one judge alone.
JUDGE_TITLE = "审判员"
CLERK_TITLE = "书记员"
CPL = "《中华人民共和国民事诉讼法》"
MEDIATION_LAW = "《中华人民共和国人民调解法》"
INTERPRETATION = "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》"
#: Why a court does not confirm an agreement, as the reasoning says it of the agreement.
REASONING = {
    "violates_mandatory_law": "违反法律强制性规定",
    "harms_interests": "损害国家利益、社会公共利益或者他人合法权益",
    "public_order": "违背公序良俗",
    "not_voluntary": "违反自愿原则",
    "unclear": "内容不明确",
    "personal_status": "涉及身份关系、收养关系或者婚姻关系的确认",
    "other": "存在其他不能进行司法确认的情形",
}
#: The article of the SPC's interpretation each ground rests on.
BASIS = {"personal_status": "第三百五十五条"} | {code: "第三百五十八条" for code in REASONING if code != "personal_status"}
CONFIRMED_BASIS = f"{CPL}第二百零五条、第二百零六条，{MEDIATION_LAW}第三十三条"
ENFORCEMENT = "当事人应当按照调解协议的约定自觉履行义务。一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请执行。"
AFTER_REJECTION = "当事人可以通过调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼。"


def chinese_date(day: date) -> str:
    """二〇二六年十二月五日: the date at the foot of a court's document is written in Chinese numerals."""
    year = "".join(DIGITS[int(c)] for c in f"{day.year:04d}")
    return f"{year}年{words.numeral(day.month)}月{words.numeral(day.day)}日"


def arabic_date(day: date) -> str:
    """Dates inside the text are written in Arabic numerals: 2026年12月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _local(when: datetime, zone: str) -> date:
    return when.astimezone(ZoneInfo(zone)).date()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith(("。", "！", "？", "；", ".")) else text + "。"


def _names(applicants: Sequence[Party]) -> str:
    """申请人张三与申请人李四 (two applicants, as the form writes them), or 申请人张三、李四、王五."""
    if len(applicants) == 2:
        return f"申请人{applicants[0].name}与申请人{applicants[1].name}"
    return "申请人" + "、".join(p.name for p in applicants)


def party_lines(parties: Sequence[Party]) -> list[str]:
    """Each applicant with the particulars a court serves by, then whoever acts for them with their authority."""
    lines = []
    for party in particulars.signing_parties(list(parties)):
        lines.append(f"申请人：{particulars.with_missing(party)}。")
        for agent in particulars.agents_of(party, parties):
            authority = f"代理权限：{agent.authority}" if agent.authority else "代理权限未登记"
            lines.append(f"委托代理人：{particulars.describe(agent)}，系申请人{party.name}的委托代理人，{authority}。")
    return lines


def agreement_lines(content: words.Content) -> list[str]:
    """The agreement's terms as the committee recorded them, numbered 一、二、…, with how and by when."""
    lines = []
    for i, term in enumerate(content.terms, start=1):
        how = [f"履行方式：{term.performance}" if term.performance else "", f"履行期限：{term.due}" if term.due else ""]
        detail = "；".join(filter(None, how))
        lines.append(f"{words.numeral(i)}、{_sentence(term.text)}" + (f"（{detail}）" if detail else ""))
    if content.other:
        lines.append(f"其他事项：{_sentence(content.other)}")
    return lines


def ruling_doc(
    *,
    application: ConfirmationApplication,
    organisation: Organisation,
    court: Organisation,
    judge: User | None,
    parties: Sequence[Party],
    content: words.Content,
    agreed_on: date,
) -> RulingDoc:
    """The ruling in words, from what the case records. The application must have been decided."""
    assert application.decision in ("confirmed", "rejected") and application.decided_at is not None
    zone = court.timezone
    applicants = particulars.signing_parties(list(parties))
    names = _names(applicants)
    accepted = f"本院于{arabic_date(_local(application.accepted_at, zone))}立案后" if application.accepted_at else "本院立案后"
    body = [f"{names}申请司法确认调解协议一案，{accepted}，依法适用特别程序进行了审查。现已审查终结。"]
    body.append(f"{names}于{arabic_date(agreed_on)}经{organisation.name}主持调解，达成了如下调解协议：")
    body += agreement_lines(content)
    applied = f"于{arabic_date(_local(application.submitted_at, zone))}" if application.submitted_at else ""
    body.append(f"{names}{applied}共同向本院申请司法确认。")
    reasons = _sentence(application.decision_reasons or "")
    if application.decision == "confirmed":
        body.append(f"本院经审查认为，{names}达成的调解协议，符合司法确认调解协议的法定条件。{reasons}")
        body.append(f"依照{CONFIRMED_BASIS}规定，裁定如下：")
        operative = [f"{names}于{arabic_date(agreed_on)}经{organisation.name}主持调解达成的调解协议有效。", ENFORCEMENT]
    else:
        codes = [c for c in (application.decision_grounds or {}).get("codes") or [] if c in REASONING]
        found = "，".join(REASONING[c] for c in codes) or REASONING["other"]
        body.append(f"本院经审查认为，{names}达成的调解协议{found}，不符合司法确认调解协议的法定条件。{reasons}")
        articles = "、".join(sorted(dict.fromkeys(BASIS[c] for c in codes or ["other"])))
        body.append(f"依照{CPL}第二百零六条，{INTERPRETATION}{articles}规定，裁定如下：")
        operative = [f"驳回申请人{'、'.join(p.name for p in applicants)}的司法确认申请。", AFTER_REJECTION]
    signatures = [
        f"{JUDGE_TITLE}　{judge.display_name if judge else '（未指定）'}",
        chinese_date(_local(application.decided_at, zone)),
    ]
    if application.clerk_name:
        signatures.append(f"{CLERK_TITLE}　{application.clerk_name}")
    return RulingDoc(
        court=court.name,
        title=TITLE,
        case_number=application.court_case_number or "（案号未编立）",
        parties=party_lines(parties),
        body=body,
        operative=operative,
        signatures=signatures,
    )


def ruling_text(doc: RulingDoc) -> str:
    """The ruling as plain text, in reading order (what the PDF shows)."""
    return "\n".join([doc.court, doc.title, doc.case_number, *doc.parties, *doc.body, *doc.operative, *doc.signatures])


async def load_ruling(db: AsyncSession, application: ConfirmationApplication) -> RulingDoc:
    """Everything the ruling names, read from the case: the parties now, the agreement as signed."""
    case = await db.get(Case, application.case_id)
    court = await db.get(Organisation, application.court_id)
    agreement = await db.get(Agreement, application.agreement_id)
    assert case is not None and court is not None and agreement is not None and agreement.final_version is not None
    assert agreement.sealed_at is not None
    organisation = await db.get(Organisation, case.organisation_id)
    version = await db.get(AgreementVersion, (agreement.id, agreement.final_version))
    assert organisation is not None and version is not None
    judge = await db.get(User, application.judge_id) if application.judge_id else None
    parties = list(await db.scalars(select(Party).where(Party.case_id == case.id)))
    return ruling_doc(
        application=application,
        organisation=organisation,
        court=court,
        judge=judge,
        parties=parties,
        content=words.parse_content(version.content),
        agreed_on=_local(agreement.sealed_at, organisation.timezone),
    )
