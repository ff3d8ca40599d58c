"""Registering a case at the window (受理登记): its source, its parties, collective cases.

People's Mediation Law art. 17: a party may apply for mediation, and a committee may mediate of its
own initiative; either way the case is registered. The Ministry of Justice's forms say what is
written down: the application (人民调解申请书) names each applicant and respondent by 姓名、性别、民族、
年龄、职业或职务、联系方式、单位或住址, and the registration form (人民调解受理登记表) adds the day,
the dispute type, the case's source (案件来源) and a short account of the dispute. A collective
dispute (群体性纠纷, e.g. 72 workers owed wages by one employer) is one case with many applicants,
entered at the window from a list ("name, phone" a line) rather than one form each.

The registration is the case's first evidence record, ``case_registered``: its body holds the
registration fields and the parties as registered (never an ID number: that stays in the case,
where each look at it is logged); its public part says the source and how many people are on each
side, which carries no personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from server.domain import particulars
from server.domain.vocabulary import CASE_SOURCES
from server.errors import FieldError, InvalidInput
from server.models import Party

PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,20}$")
# Resident identity card (GB 11643): 17 digits and a check character; other documents
# (passports, Hong Kong/Macao/Taiwan permits) are letters and digits.
ID_NUMBER = re.compile(r"^[0-9A-Za-z]{6,32}$")
#: The most applicants one registration takes (a list pasted at the window) and the most refusals said.
MAX_PEOPLE = 1000
MAX_LINE_ERRORS = 20
#: A registration day may be a few weeks back (a paper application entered later), never ahead.
MAX_BACKDATE = timedelta(days=60)
MAX_AGE = 130
#: "姓名, 手机号码" with a comma (either width), a tab (a spreadsheet's column) or a semicolon; an
#: optional third column is the ID number.
SEPARATOR = re.compile(r"\s*[,，\t;；]\s*")
NAME_THEN_PHONE = re.compile(r"^(?P<name>\S.*?)\s+(?P<phone>\+?[0-9][0-9 \-]{5,20})$")


@dataclass
class Registrant:
    """An applicant or respondent as registered at the window (their particulars as told)."""

    role: str
    name: str
    phone: str
    email: str | None = None
    id_number: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    age: int | None = None
    ethnicity: str | None = None
    occupation: str | None = None
    address: str | None = None
    residence_region: str | None = None

    def party(self, case_id: str, created_at: datetime) -> Party:
        values = {f.name: getattr(self, f.name) or None for f in fields(self)}
        values["id_number"] = self.id_number.upper() if self.id_number else None
        values["age"] = self.age
        values["phone"] = self.phone or ""  # the other side of an online application may have none yet
        return Party(case_id=case_id, created_at=created_at, **values)

    def as_registered(self) -> dict[str, Any]:
        """What the record's body keeps of them: the registration form's fields, no ID number."""
        return {
            "role": self.role,
            "name": self.name,
            "sex": self.sex,
            "ethnicity": self.ethnicity,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "age": self.age,
            "occupation": self.occupation,
            "phone": self.phone,
            "address": self.address,
        }


def check_source(source: str, reference: str | None, invited_by_court_id: str | None) -> list[FieldError]:
    if source not in CASE_SOURCES:
        return [FieldError("source", "not one of " + ", ".join(CASE_SOURCES), "choice")]
    if invited_by_court_id and source != "court_referral":
        return [FieldError("source", "a case a court invited comes by the court's referral", "source_court_referral")]
    if reference is not None and len(reference) > 64:
        return [FieldError("source_reference", "at most 64 characters", "too_long", {"max": 64})]
    return []


def check_registered_on(day: date | None, today: date) -> list[FieldError]:
    if day is None:
        return []
    if day > today:
        return [FieldError("registered_on", "the registration day cannot be after today", "not_future")]
    if today - day > MAX_BACKDATE:
        days = MAX_BACKDATE.days
        return [FieldError("registered_on", f"at most {days} days ago", "within_days_back", {"days": days})]
    return []


def check(people: list[Registrant], where: str, *, phone_required: bool = True) -> list[FieldError]:
    """Each person's particulars, their errors named ``<where>.<index>.<field>`` (the form's own rows).

    ``phone_required=False``: a phone may be missing (the other side of an online application, whose
    number the applicant may not know), but one given must be a phone number."""
    errors: list[FieldError] = []
    for i, person in enumerate(people):
        at = f"{where}.{i}."
        if not person.name:
            errors.append(FieldError(at + "name", "required", "required"))
        if (person.phone or phone_required) and not PHONE.match(person.phone or ""):
            errors.append(FieldError(at + "phone", "digits, spaces or dashes, optionally starting with +", "phone"))
        if person.id_number and not ID_NUMBER.match(person.id_number):
            errors.append(FieldError(at + "id_number", "6 to 32 letters or digits", "id_number"))
        if person.age is not None and not 0 <= person.age <= MAX_AGE:
            errors.append(FieldError(at + "age", f"0 to {MAX_AGE}", "range", {"min": 0, "max": MAX_AGE}))
        wrong = particulars.check(person.id_number.upper() if person.id_number else None, person.sex, person.birth_date)
        errors += [FieldError(at + e.field, e.reason, e.code, e.params) for e in wrong]
    return errors


def parse_lines(text: str, role: str = "applicant", where: str = "applicant_lines") -> list[Registrant]:
    """People from lines of "姓名, 手机号码[, 身份证号]" (blank lines skipped); every bad line is named.

    A line repeated (same name and phone) is refused with the line it repeats: a list pasted twice
    must not count the same worker twice.
    """
    people: list[Registrant] = []
    errors: list[FieldError] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().strip("\ufeff")
        if not line:
            continue
        parts = SEPARATOR.split(line)
        if len(parts) == 1:
            match = NAME_THEN_PHONE.match(line)
            parts = [match["name"], match["phone"]] if match else parts
        if len(parts) not in (2, 3):
            errors.append(FieldError(where, f"line {number}: write a name and a phone number, separated by a comma", "line_format", {"line": number}))  # fmt: skip
            continue
        name, phone, *rest = (part.strip() for part in parts)
        id_number = rest[0] if rest else None
        if not name or len(name) > 100:
            errors.append(FieldError(where, f"line {number}: a name of 1 to 100 characters", "line_name", {"line": number}))
        elif not PHONE.match(phone):
            errors.append(FieldError(where, f"line {number}: {phone!r} is not a phone number", "line_phone", {"line": number, "phone": phone}))  # fmt: skip
        elif id_number and not ID_NUMBER.match(id_number):
            errors.append(FieldError(where, f"line {number}: the ID number is 6 to 32 letters or digits", "line_id_number", {"line": number}))  # fmt: skip
        elif (name, phone) in seen:
            first = seen[(name, phone)]
            errors.append(FieldError(where, f"line {number} repeats line {first}", "line_repeated", {"line": number, "first": first}))  # fmt: skip
        else:
            seen[(name, phone)] = number
            people.append(Registrant(role, name, phone, id_number=id_number or None))
    if len(people) > MAX_PEOPLE:
        errors.append(FieldError(where, f"at most {MAX_PEOPLE} people", "too_many_lines", {"max": MAX_PEOPLE}))
    if errors:
        shown = errors[:MAX_LINE_ERRORS]
        raise InvalidInput(f"{len(errors)} lines cannot be read", shown, bad_lines=len(errors))
    return people


def source_words(source: str) -> str:
    return CASE_SOURCES[source][0]
