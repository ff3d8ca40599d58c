"""What the API accepts. Unknown fields are refused so that a typo is an error, not a no-op."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.domain.vocabulary import CASE_SOURCES, DISPUTE_TYPES, INVITED_AS, ORGANISATION_KINDS, PARTY_ROLES, STAFF_ROLES

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Clock = Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Region = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


def choice(values: tuple[str, ...]) -> object:
    """A text field that takes one of the domain's own words: listed as an ``enum`` in the API's
    document, while the domain itself refuses any other word with its own reason (so the pages'
    message for it is the same whichever edge the word came through)."""
    return Field(json_schema_extra={"enum": list(values)})


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


#: A court's code in its case numbers (法院代字): the province's one-character name and the
#: court's digits, e.g. 蒙0105, 京0491, 沪01.
CourtCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern="^[\u4e00-\u9fff]{1,3}[0-9]{0,6}$")]


class OrganisationIn(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: Annotated[str, choice(ORGANISATION_KINDS)]
    timezone: Zone | None = None
    recording_retention_days: Annotated[int, Field(ge=1, le=36_500)] | None = None
    #: Years an archived case's file is kept before it is destroyed; 0 keeps it for good (永久). Default 30.
    case_file_retention_years: Annotated[int, Field(ge=0, le=100)] | None = None
    #: 行政区划, e.g. 北京市朝阳区 (for a court: the area it serves).
    region: Region | None = None
    court_code: CourtCode | None = None
    #: The organisation above it in the tree (a town above a village committee); none at the top.
    parent_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class OrganisationUpdateIn(Input):
    region: Region | None = None
    court_code: CourtCode | None = None
    #: Move it under another organisation, or (null) to the top of a tree; a loop is refused.
    parent_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class UserIn(Input):
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{3,64}$")]
    display_name: Name
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    role: Annotated[str, choice(STAFF_ROLES)]
    organisation_id: str | None = None
    timezone: Zone | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None


class UserUpdateIn(Input):
    #: False disables the account: its logins and live connections end (PROTOCOL.md, "Withdrawn credentials").
    active: bool


class WeeklyIn(Input):
    weekday: int = Field(ge=0, le=6)
    start: Clock
    end: Clock


class AvailabilityIn(Input):
    timezone: Zone
    weekly: list[WeeklyIn] = Field(max_length=50)


class ExceptionIn(Input):
    date: date
    start: Clock | None = None
    end: Clock | None = None
    available: bool = False
    reason: Annotated[str, StringConstraints(max_length=200)] = ""


class Particulars(Input):
    """A party's basic details (People's Mediation Law art. 29; the court's ruling names them)."""

    sex: Literal["male", "female"] | None = None
    birth_date: date | None = None
    age: Annotated[int, Field(ge=0, le=130)] | None = None  # 年龄 as told, when no date of birth is known
    ethnicity: Annotated[str, StringConstraints(max_length=20)] | None = None  # 民族, e.g. 汉族
    occupation: Annotated[str, StringConstraints(max_length=100)] | None = None  # 职业或工作单位
    address: Annotated[str, StringConstraints(max_length=200)] | None = None  # 住址, for service
    authority: Annotated[str, StringConstraints(max_length=200)] | None = None  # an agent's 代理权限


class PartyIn(Particulars):
    role: Annotated[str, choice(PARTY_ROLES)]
    name: Name
    phone: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    email: Email | None = None
    id_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    represents_party_id: str | None = None
    residence_region: Region | None = None
    #: For role "invited": in what capacity (a people's deputy, a lawyer, an expert…).
    invited_as: Annotated[str, choice(INVITED_AS)] | None = None


class RegistrantIn(Input):
    """An applicant or respondent as the window registers them (人民调解申请书's fields)."""

    sex: Literal["male", "female"] | None = None
    birth_date: date | None = None
    age: Annotated[int, Field(ge=0, le=130)] | None = None
    ethnicity: Annotated[str, StringConstraints(max_length=20)] | None = None
    occupation: Annotated[str, StringConstraints(max_length=100)] | None = None
    address: Annotated[str, StringConstraints(max_length=200)] | None = None
    name: Name
    phone: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    email: Email | None = None
    id_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    residence_region: Region | None = None


class CaseIn(Input):
    """A case registered at the window (受理登记), with its applicants and respondents if known."""

    case_number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    dispute_type: Annotated[str, choice(DISPUTE_TYPES)]
    summary: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    source: Annotated[str, choice(tuple(CASE_SOURCES))]
    source_reference: Annotated[str, StringConstraints(max_length=64)] | None = None
    registered_on: date | None = None
    amount_in_dispute: Annotated[str, StringConstraints(max_length=20)] | None = None
    mediator_id: str | None = None
    property_region: Region | None = None
    invited_by_court_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    collective: bool = False
    applicants: list[RegistrantIn] = Field(default_factory=list, max_length=1000)
    respondents: list[RegistrantIn] = Field(default_factory=list, max_length=1000)
    #: Applicants pasted at the window, "姓名, 手机号码[, 身份证号]" a line (a collective case's list).
    applicant_lines: Annotated[str, StringConstraints(max_length=100_000)] | None = None


class PartyUpdateIn(Particulars):
    """Only the fields given change; "" or null clears an optional one."""

    name: Name | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    email: Email | Literal[""] | None = None
    id_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    residence_region: Region | None = None


class SessionIn(Input):
    starts_at: datetime
    duration_minutes: int = Field(ge=1, le=24 * 60)
    timezone: Zone
    mediator_id: str | None = None


class RescheduleIn(Input):
    starts_at: datetime
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    timezone: Zone | None = None
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class CancelIn(Input):
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class RangeQuery(Input):
    start: datetime | None = Field(default=None, alias="from")
    end: datetime | None = Field(default=None, alias="to")
    tz: Zone | None = None
    mediator_id: str | None = None


class ZoneQuery(Input):
    tz: Zone | None = None
