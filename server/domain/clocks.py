"""The clocks of a case: how long each step may take, by which rule, and where it stands now.

Each clock has a name, a label and its legal source in Chinese and English, a due date (the last
day, in Beijing time, Asia/Shanghai, whatever the viewer's own zone: the rules count China's days)
and a state at a given instant: ``running``, ``due_today`` (the last day is today), ``overdue``
(the last day has passed and the step was not taken) or ``met`` (the step was taken, ``met_late``
when after the due date).

- **acceptance** (受理): a mediation organisation or mediator confirms accepting a court's referral
  or a party's application within three working days of receiving it (人民法院在线调解规则,
  法释〔2021〕23号, art. 12). The People's Mediation Law sets no time; the online rules' three
  working days are applied to every application and referral. Counted in working days, holidays
  and make-up workdays included (server/domain/workdays.py).
- **mediation** (调解期限): 30 days from acceptance (在线调解规则 art. 24: "立案前在线调解期限为
  三十日", counted from the day the organisation confirms accepting; 最高人民法院关于人民法院特邀调解的
  规定, 法释〔2016〕14号, art. 27: 30 days for a court's 委派调解), unless every party agrees to extend
  it (both articles: "不受此限"). The day of acceptance is not counted and a last day that is not a
  working day moves to the next working day, as the Civil Procedure Law counts periods (art. 85).
  Until intake exists, the case's opening is its acceptance. An extension's new last day is passed
  in (``extended_to``: ``Case.mediation_extended_to``, set when every party has signed, server/domain/extensions.py).
- **signing** (签署期限): no statute sets it. The mediator sets it when making the text final (within
  90 days, server/domain/agreements/drafting.py): local practice. A party refusing to sign ends the
  procedure (在线调解规则 art. 25 (七)).
- **confirmation** (申请司法确认期限): the parties jointly apply within 30 days of the agreement taking
  effect (人民调解法 art. 33; 民事诉讼法 art. 205). Counted, as it has been since the confirmation
  piece was built, as 30 × 24 hours from the moment the agreement was sealed
  (server/domain/confirmation/application.py refuses an application after it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.workdays import Workdays
from server.models import Agreement, AgreementVersion, Case, ConfirmationApplication

#: The rules count days in Beijing time.
LEGAL_ZONE = ZoneInfo("Asia/Shanghai")

State = Literal["running", "due_today", "overdue", "met"]
STATES: tuple[State, ...] = ("running", "due_today", "overdue", "met")


@dataclass(frozen=True)
class Rule:
    """A kind of clock: what it is called, how long it runs, and which rule says so."""

    name: str
    label: tuple[str, str]  # Chinese, English
    source: tuple[str, str]  # the article(s), or "local practice" where no statute sets it
    days: int | None  # None: set case by case
    #: working_days; days (calendar days, the last one moved to a working day); set_by_mediator;
    #: elapsed_days (days of 24 hours from the moment the step began)
    unit: Literal["working_days", "days", "set_by_mediator", "elapsed_days"]


# fmt: off
ACCEPTANCE = Rule(
    "acceptance", ("受理期限", "Time to accept"),
    ("《人民法院在线调解规则》（法释〔2021〕23号）第十二条：收到委派委托调解信息或当事人调解申请后三个工作日内确认接受",
     "Online Mediation Rules of the People's Courts (Fa Shi [2021] No. 23), art. 12: accept a court's referral or a "
     "party's application within three working days of receiving it"),
    3, "working_days",
)
MEDIATION = Rule(
    "mediation", ("调解期限", "Mediation period"),
    ("《人民法院在线调解规则》第二十四条、《最高人民法院关于人民法院特邀调解的规定》第二十七条：自接受调解之日起三十日，"
     "各方当事人同意延长的不受此限；期间届满日为休息日的，顺延至其后第一个工作日（《民事诉讼法》第八十五条）",
     "Online Mediation Rules art. 24 and the Supreme People's Court's Provisions on Invited Mediation art. 27: 30 days "
     "from acceptance unless every party agrees to extend; a last day that is not a working day moves to the next "
     "working day (Civil Procedure Law art. 85)"),
    30, "days",
)
SIGNING = Rule(
    "signing", ("签署期限", "Signing deadline"),
    ("地方做法，法律未规定期限：调解员在协议定稿时确定签署期限；一方拒绝签署的，调解程序终结（《人民法院在线调解规则》第二十五条第七项）",
     "Local practice, no statutory period: the mediator sets the deadline when the text is made final; a party "
     "refusing to sign ends the procedure (Online Mediation Rules art. 25 (7))"),
    None, "set_by_mediator",
)
CONFIRMATION = Rule(
    "confirmation", ("申请司法确认期限", "Time to apply for judicial confirmation"),
    ("《人民调解法》第三十三条、《民事诉讼法》第二百零五条：自调解协议生效之日起三十日内，双方当事人共同申请",
     "People's Mediation Law art. 33 and Civil Procedure Law art. 205: the parties apply jointly within 30 days of "
     "the agreement taking effect"),
    30, "elapsed_days",
)
# fmt: on
RULES = {rule.name: rule for rule in (ACCEPTANCE, MEDIATION, SIGNING, CONFIRMATION)}

#: 人民调解法 art. 33: the window to apply for judicial confirmation, from the moment the agreement is sealed.
CONFIRMATION_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Clock:
    rule: Rule
    started_at: datetime
    due_date: date  # the last day, in Beijing time
    due_at: datetime  # the instant it passes: the end of the last day, or the exact deadline
    state: State
    met_at: datetime | None = None
    #: Some day it counted falls in a year whose holidays are not known: counted Monday to Friday.
    estimated: bool = False
    #: The parties agreed to a later last day.
    extended: bool = False

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at


def end_of(day: date) -> datetime:
    """The instant a last day ends: midnight after it, Beijing time."""
    return datetime.combine(day + timedelta(days=1), time(0), LEGAL_ZONE)


def local_day(at: datetime) -> date:
    return at.astimezone(LEGAL_ZONE).date()


def state_at(due_date: date, due_at: datetime, met_at: datetime | None, now: datetime) -> State:
    if met_at is not None and met_at <= now:
        return "met"
    if now >= due_at:
        return "overdue"
    return "due_today" if local_day(now) >= due_date else "running"


def acceptance_clock(received_at: datetime, accepted_at: datetime | None, now: datetime, workdays: Workdays) -> Clock:
    """Three working days after the day an application or referral arrives (在线调解规则 art. 12)."""
    received = local_day(received_at)
    due = workdays.add_workdays(received, ACCEPTANCE.days or 0)
    estimated = workdays.estimated([received, due])
    return Clock(ACCEPTANCE, received_at, due, end_of(due), state_at(due, end_of(due), accepted_at, now), accepted_at, estimated)


def mediation_clock(
    accepted_at: datetime,
    concluded_at: datetime | None,
    now: datetime,
    workdays: Workdays,
    *,
    extended_to: date | None = None,
) -> Clock:
    """30 days from acceptance, or the last day the parties agreed to (在线调解规则 art. 24; 特邀调解规定 art. 27).

    ``extended_to`` is the new last day of an extension both parties signed; it is taken as agreed.
    """
    if extended_to is not None:
        due, estimated = extended_to, False
    else:
        last = local_day(accepted_at) + timedelta(days=MEDIATION.days or 0)
        due = workdays.next_workday(last)
        estimated = workdays.estimated([last, due])
    at = end_of(due)
    return Clock(
        MEDIATION, accepted_at, due, at, state_at(due, at, concluded_at, now), concluded_at, estimated, extended_to is not None
    )


def case_mediation_clock(case: Case, workdays: Workdays, now: datetime) -> Clock:
    """A case's mediation period: from its registration, met when it closed, moved by an extension."""
    return mediation_clock(case.created_at, case.closed_at, now, workdays, extended_to=case.mediation_extended_to)


def signing_clock(final_at: datetime, deadline: datetime, sealed_at: datetime | None, now: datetime) -> Clock:
    """The deadline the mediator set when making the agreement final (local practice)."""
    due = local_day(deadline - timedelta(microseconds=1))
    return Clock(SIGNING, final_at, due, deadline, state_at(due, deadline, sealed_at, now), sealed_at)


def confirmation_due(sealed_at: datetime) -> datetime:
    """The last moment the parties may apply for judicial confirmation (人民调解法 art. 33; 民事诉讼法 art. 205)."""
    return sealed_at + CONFIRMATION_WINDOW


def confirmation_clock(sealed_at: datetime, submitted_at: datetime | None, now: datetime) -> Clock:
    at = confirmation_due(sealed_at)
    due = local_day(at - timedelta(microseconds=1))
    return Clock(CONFIRMATION, sealed_at, due, at, state_at(due, at, submitted_at, now), submitted_at)


async def case_clocks(db: AsyncSession, case: Case, workdays: Workdays, now: datetime) -> list[Clock]:
    """The clocks of a case that apply so far, in the order the steps come.

    A clock whose step can no longer come (the case ended before the agreement was signed) is left out.
    """
    clocks = [case_mediation_clock(case, workdays, now)]
    agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
    if agreement is None or agreement.deadline is None:
        return clocks
    if agreement.sealed_at is not None or case.status == "open":
        final = await db.get(AgreementVersion, (agreement.id, agreement.final_version)) if agreement.final_version else None
        final_at = final.created_at if final is not None else agreement.created_at
        clocks.append(signing_clock(final_at, agreement.deadline, agreement.sealed_at, now))
    if agreement.sealed_at is not None:
        submitted = await db.scalar(
            select(ConfirmationApplication.submitted_at)
            .where(ConfirmationApplication.case_id == case.id, ConfirmationApplication.submitted_at.is_not(None))
            .order_by(ConfirmationApplication.submitted_at)
            .limit(1)
        )
        clocks.append(confirmation_clock(agreement.sealed_at, submitted, now))
    return clocks
