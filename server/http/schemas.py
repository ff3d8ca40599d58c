"""What the API accepts. Unknown fields are refused so that a typo is an error, not a no-op."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Clock = Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Region = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class OrganisationIn(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: str
    timezone: Zone | None = None
    recording_retention_days: Annotated[int, Field(ge=1, le=36_500)] | None = None
    #: 行政区划, e.g. 北京市朝阳区 (for a court: the area it serves).
    region: Region | None = None


class UserIn(Input):
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{3,64}$")]
    display_name: Name
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    role: str
    organisation_id: str | None = None
    timezone: Zone | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None


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


class CaseIn(Input):
    case_number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    dispute_type: str
    summary: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    amount_in_dispute: Annotated[str, StringConstraints(max_length=20)] | None = None
    mediator_id: str | None = None
    property_region: Region | None = None
    invited_by_court_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class PartyIn(Input):
    role: str
    name: Name
    phone: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    email: Email | None = None
    id_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    represents_party_id: str | None = None
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
