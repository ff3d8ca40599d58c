"""What an application holds and the public page offers: the form and its checks, the limits, the routes left to a refused applicant."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from server.domain import notifications, registration
from server.domain.clocks import Clock
from server.domain.codes import CodeSent
from server.domain.registration import Registrant
from server.errors import FieldError
from server.models import ApplicationFile, Case, MediationApplication, Organisation, User

#: The kinds of organisation whose page takes applications (a court or a bureau does not mediate itself).
TAKES_APPLICATIONS = ("committee", "centre")
#: An application whose phone is never confirmed is gone after this.
UNCONFIRMED_TTL = timedelta(hours=24)
CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
STATUS_TOKEN_BYTES = 24
MAX_TEXT = 4000
MAX_RESPONDENTS = 10
#: Files an applicant may attach to one application (photos of the damage, a contract, an IOU).
MAX_FILES = 5
#: The routes a refused applicant still has (人民调解法 art. 26; 在线调解规则 art. 25): code -> (zh, en).
DECLINE_ROUTES: dict[str, tuple[str, str]] = {
    "court": ("向人民法院起诉", "Bring a lawsuit in a people's court"),
    "arbitration": (
        "申请仲裁（如有仲裁协议，或属劳动争议仲裁范围）",
        "Apply for arbitration (with an arbitration agreement, or a labour dispute)",
    ),
    "administrative": ("请求有关行政机关处理", "Ask the competent administrative authority to handle it"),
    "other_organisation": ("向其他调解组织申请调解", "Apply to another mediation organisation"),
}


@dataclass(frozen=True)
class Limit:
    """At most ``most`` submissions per ``window`` for one phone or one client address."""

    what: str  # phone | address
    window: timedelta
    most: int
    reason: str


#: One person applies once or twice; a public computer at a service hall (one address) a few times
#: an hour. More than that is someone filling the queue or sending strangers' phones codes.
LIMITS = (
    Limit("phone", timedelta(days=1), 3, "applications_per_phone"),
    Limit("address", timedelta(hours=1), 5, "applications_per_address"),
    Limit("address", timedelta(days=1), 20, "applications_per_address_day"),
)


@dataclass(frozen=True)
class Door:
    """What the public page of an organisation offers: itself, or for a centre the organisations below it too."""

    organisation: Organisation
    #: The organisations the applicant may choose (the page's own first), each with its mediators' names.
    choices: list[tuple[Organisation, list[User]]]
    #: Whether a code can reach a phone: without it the page says to apply at the window.
    phone_confirmation: bool

    @property
    def centre(self) -> bool:
        return self.organisation.kind == "centre"


@dataclass
class ApplicationForm:
    applicant: Registrant
    respondents: list[Registrant]
    facts: str
    requests: str
    #: The organisation chosen; None on a centre's page: 让中心分派.
    organisation_id: str | None = None
    preferred_mediator_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The page's language when they applied (zh | en): the text telling them the answer adds English for en.
    language: str = "zh"


@dataclass(frozen=True)
class Submitted:
    application: MediationApplication
    sent: CodeSent


@dataclass(frozen=True)
class ApplicationView:
    application: MediationApplication
    organisation: Organisation
    acceptance: Clock | None
    preferred_mediator: User | None = None
    decided_by: User | None = None
    case: Case | None = None
    mediator: User | None = None
    files: tuple[ApplicationFile, ...] = ()
    #: The text telling the applicant the answer (None before the answer).
    notice: notifications.Notice | None = None


def code_hash(nonce: str, code: str) -> str:
    return hashlib.sha256(f"{nonce}:{code}".encode()).hexdigest()


def text_errors(value: str, name: str, *, required: bool = True) -> list[FieldError]:
    text = value.strip()
    if required and not text:
        return [FieldError(name, "required", "required")]
    if len(text) > MAX_TEXT:
        return [FieldError(name, f"at most {MAX_TEXT} characters", "too_long", {"max": MAX_TEXT})]
    return []


def check_form(form: ApplicationForm) -> list[FieldError]:
    """The registration's own checks of each person (registration.check), and the two texts.

    The other side's phone may be unknown to the applicant (then empty); their name is required.
    """
    errors = registration.check([form.applicant], "applicant")
    errors = [FieldError(e.field.replace("applicant.0.", "applicant."), e.reason, e.code, e.params) for e in errors]
    if not form.respondents:
        errors.append(FieldError("respondents", "name the other side", "required"))
    if len(form.respondents) > MAX_RESPONDENTS:
        errors.append(FieldError("respondents", f"at most {MAX_RESPONDENTS}", "too_many", {"max": MAX_RESPONDENTS}))
    for i, other in enumerate(form.respondents):
        if not other.name:
            errors.append(FieldError(f"respondents.{i}.name", "required", "required"))
        if other.phone and not registration.PHONE.match(other.phone):
            errors.append(FieldError(f"respondents.{i}.phone", "digits, spaces or dashes, optionally starting with +", "phone"))
    return errors + text_errors(form.facts, "facts") + text_errors(form.requests, "requests")


def person_of(data: dict[str, Any], role: str) -> Registrant:
    born = data.get("birth_date")
    return Registrant(
        role,
        str(data.get("name") or ""),
        str(data.get("phone") or ""),
        sex=data.get("sex"),
        birth_date=date.fromisoformat(born) if born else None,
        age=data.get("age"),
        address=data.get("address"),
    )


def stored(person: Registrant) -> dict[str, Any]:
    return {
        "name": person.name.strip(),
        "phone": (person.phone or "").strip(),
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "age": person.age,
        "address": (person.address or "").strip() or None,
    }


def wait_text(reason: str, wait: int) -> str:
    when_zh = f"{wait}秒" if wait < 120 else (f"{math.ceil(wait / 60)}分钟" if wait < 7200 else f"{math.ceil(wait / 3600)}小时")
    when_en = f"{wait} seconds" if wait < 120 else (f"{math.ceil(wait / 60)} minutes" if wait < 7200 else f"{math.ceil(wait / 3600)} hours")  # fmt: skip
    why = {
        "applications_per_phone": ("这个手机号码今天提交的申请已达上限", "too many applications with this phone number today"),
        "applications_per_address": ("这台设备一小时内提交的申请已达上限", "too many applications from this device this hour"),
        "applications_per_address_day": ("这台设备今天提交的申请已达上限", "too many applications from this device today"),
    }[reason]
    return f"{why[0]}，请{when_zh}后再试，或到调解组织窗口申请。/ {why[1].capitalize()}; try again in {when_en}, or apply at the window."
