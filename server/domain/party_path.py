"""What a party should do now: one step on one path, from the invitation to the court's ruling.

A party opens their page from a message ("your agreement is ready to sign", "张三 applied for
judicial confirmation: co-sign by …", "hearing on …") or on their own, often on a phone and
without help. The page puts one step at the top, taken from where the case stands, so that a
party is never left on a page with nothing to do and nobody to ask: before the session, join;
during it, join again; after it, read and sign the agreement, then apply for judicial
confirmation (People's Mediation Law art. 33, within 30 days of the agreement taking effect) or
co-sign the other party's application, then the court's hearing and ruling. When mediation
failed, the other routes (art. 26: arbitration, administrative handling, a lawsuit); when the
session was cancelled or is over with nothing for this party to do, who to call.

Pure: the caller gathers the facts (``PathFacts``); this module knows no database or HTTP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Statuses of a confirmation application that are with the court, and those it has decided.
WITH_COURT = frozenset({"received", "accepted", "under_review", "hearing_scheduled"})
DECIDED = frozenset({"confirmed", "rejected"})
#: A deadline this close (in days, counting today) makes the step urgent on the page.
URGENT_DAYS = 2


@dataclass(frozen=True)
class AgreementFacts:
    status: str  # drafting | final | effective
    must_sign: bool
    signed: bool
    deadline: datetime | None
    #: Signers (parties and the mediator) who have not signed yet, by name.
    waiting_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplicationFacts:
    status: str  # ConfirmationApplication.status
    court: str
    me_signed: bool
    #: The other party who signed (started) the application, if any; the other not yet signed.
    signed_by: str | None
    unsigned: str | None
    hearing_starts_at: datetime | None = None
    hearing_ends_at: datetime | None = None
    decision: str | None = None


@dataclass(frozen=True)
class ConfirmationFacts:
    deadline: datetime | None
    #: None while an application may be made; "out_of_time" after the 30 days; "not_effective".
    reason: str | None
    courts: int
    application: ApplicationFacts | None = None


@dataclass(frozen=True)
class PathFacts:
    now: datetime
    session_status: str  # scheduled | cancelled | ended
    starts_at: datetime
    ends_at: datetime
    case_status: str  # open | settled | failed
    next_session_at: datetime | None = None
    agreement: AgreementFacts | None = None
    confirmation: ConfirmationFacts | None = None


@dataclass(frozen=True)
class Step:
    """``step`` names what to do (the page's text ``party.now.<step>``); the rest fills it in."""

    step: str
    at: datetime | None = None
    days_left: int | None = None
    name: str | None = None
    court: str | None = None
    result: str | None = None
    urgent: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def days_left(deadline: datetime | None, now: datetime) -> int | None:
    """Days still to go, counting today (1 on the last day), as the confirmation card counts."""
    if deadline is None:
        return None
    return max(0, math.ceil((deadline - now).total_seconds() / 86400))


def session_phase(facts: PathFacts) -> str:
    """before | live | over | cancelled: the session's own status first, the clock second."""
    if facts.session_status == "cancelled":
        return "cancelled"
    if facts.session_status == "ended" or facts.now >= facts.ends_at:
        return "over"
    return "before" if facts.now < facts.starts_at else "live"


def next_step(facts: PathFacts) -> Step:
    """The one thing this party should do now (module docstring), most pressing first."""
    now = facts.now
    phase = session_phase(facts)
    # While the session is on, the room is where everything happens (the agreement too).
    if phase == "live":
        return Step("join_now", at=facts.ends_at)
    confirmation = facts.confirmation
    application = confirmation.application if confirmation else None
    if confirmation is not None and application is not None:
        left = days_left(confirmation.deadline, now)
        urgent = left is not None and left <= URGENT_DAYS
        if application.status in DECIDED:
            return Step("ruling", result=application.decision or application.status, court=application.court)
        if application.status in WITH_COURT:
            if application.hearing_starts_at and application.hearing_ends_at and application.hearing_ends_at > now:
                return Step("hearing", at=application.hearing_starts_at, court=application.court)
            return Step("with_court", court=application.court)
        # awaiting_cosign
        if confirmation.reason == "out_of_time":
            return Step("confirmation_lapsed", at=confirmation.deadline)
        if application.me_signed:
            return Step(
                "cosign_wait", at=confirmation.deadline, days_left=left, name=application.unsigned, court=application.court
            )
        if application.signed_by:
            return Step(
                "cosign",
                at=confirmation.deadline,
                days_left=left,
                name=application.signed_by,
                court=application.court,
                urgent=urgent,
            )
        return Step("apply_resume", at=confirmation.deadline, days_left=left, court=application.court, urgent=urgent)
    agreement = facts.agreement
    if agreement is not None and agreement.status == "effective":
        if confirmation is not None and confirmation.reason is None and confirmation.courts:
            left = days_left(confirmation.deadline, now)
            return Step("apply", at=confirmation.deadline, days_left=left, urgent=left is not None and left <= URGENT_DAYS)
        if confirmation is not None and confirmation.reason == "out_of_time":
            return Step("confirmation_lapsed", at=confirmation.deadline)
        return Step("sealed")
    if agreement is not None and agreement.status == "final":
        passed = agreement.deadline is not None and agreement.deadline <= now
        waiting = "、".join(agreement.waiting_for) or None
        if agreement.must_sign and not agreement.signed:
            if passed:
                return Step("sign_closed", at=agreement.deadline)
            left = days_left(agreement.deadline, now)
            return Step("sign", at=agreement.deadline, days_left=left, urgent=left is not None and left <= URGENT_DAYS)
        return Step("sign_wait", at=agreement.deadline, name=waiting)
    if facts.case_status == "failed":
        return Step("mediation_failed")
    if phase == "before":
        return Step("join_before", at=facts.starts_at)
    if facts.next_session_at is not None and facts.next_session_at > now:
        return Step("next_session", at=facts.next_session_at)
    if phase == "cancelled":
        return Step("cancelled")
    if agreement is not None and agreement.status == "drafting":
        return Step("draft")
    return Step("session_over")


__all__ = [
    "AgreementFacts",
    "ApplicationFacts",
    "ConfirmationFacts",
    "PathFacts",
    "Step",
    "days_left",
    "next_step",
    "session_phase",
]
