"""A party's particulars (当事人的基本情况) in the words of an agreement or a court's ruling.

People's Mediation Law art. 29 (一) puts the parties' basic details in the written agreement;
the Ministry of Justice's 人民调解协议书 form lists them as 姓名、性别、民族、年龄、职业或职务、联系方式、
单位或住址. The Supreme People's Court's forms for rulings (民事诉讼文书样式, 2016) name each
applicant by name, sex, date of birth, ethnicity, address and ID number, which is also what a
court needs to serve them (SPC interpretation of the Civil Procedure Law art. 354: the parties'
身份、住所、联系方式). What was not recorded is said to be missing, never filled in: a document
that guesses a party's address is wrong in a way nobody can see.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from server.errors import FieldError
from server.models import Party

SEXES = ("male", "female")
SEX_WORDS = {"male": "男", "female": "女"}
#: A resident identity card number (GB 11643-1999): 6 digits of region, 8 of birth date, 3 of
#: sequence whose last digit is odd for men and even for women, one check character.
RESIDENT_ID = re.compile(r"^\d{6}(\d{8})\d{2}(\d)[\dX]$")
#: What a ruling must name for each applicant, in the order the court's form writes them.
REQUIRED = ("sex", "birth_date", "ethnicity", "address", "id_number")
LABELS = {
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "occupation": "职业或工作单位",
    "address": "住址",
    "id_number": "身份证件号码",
    "authority": "代理权限",
}


def id_label(id_number: str) -> str:
    """公民身份号码 for a resident identity card (the words of the Resident Identity Card Law), else 身份证件号码."""
    return "公民身份号码" if RESIDENT_ID.match(id_number) else "身份证件号码"


def birth_words(born: date) -> str:
    """Dates of birth in a ruling are written in Arabic numerals: 1990年3月7日出生."""
    return f"{born.year}年{born.month}月{born.day}日出生"


def missing_fields(party: Party) -> list[str]:
    """The particulars a ruling needs that the case does not have (field names, for pages to translate)."""
    return [name for name in REQUIRED if not getattr(party, name)]


def missing(party: Party) -> list[str]:
    """The same, in Chinese words, for documents."""
    return [LABELS[name] for name in missing_fields(party)]


def describe(party: Party, *, phone: bool = False, occupation: bool = True) -> str:
    """ "张三，男，1990年3月7日出生，汉族，……，住……，公民身份号码……" (without a final stop)."""
    parts = [party.name]
    if party.sex in SEX_WORDS:
        parts.append(SEX_WORDS[party.sex])
    if party.birth_date is not None:
        parts.append(birth_words(party.birth_date))
    elif party.age is not None:
        parts.append(f"{party.age}岁")  # as told at the window; a ruling still asks for the date of birth
    if party.ethnicity:
        parts.append(party.ethnicity)
    if occupation and party.occupation:
        parts.append(party.occupation)
    if party.address:
        parts.append(f"住{party.address}")
    if party.id_number:
        parts.append(f"{id_label(party.id_number)}{party.id_number}")
    if phone and party.phone:
        parts.append(f"联系电话{party.phone}")
    return "，".join(parts)


def with_missing(party: Party, **kwargs: bool) -> str:
    """The particulars, and what is not recorded said as such: "……（未登记：性别、民族）"."""
    text = describe(party, **kwargs)
    gaps = missing(party)
    return text + (f"（未登记：{'、'.join(gaps)}）" if gaps else "")


def check(id_number: str | None, sex: str | None, birth_date: date | None) -> list[FieldError]:
    """A sex or date of birth that contradicts the resident ID number is a typing mistake: refuse it."""
    errors: list[FieldError] = []
    if sex is not None and sex not in SEXES:
        errors.append(FieldError("sex", "male or female", "choice"))
    match = RESIDENT_ID.match(id_number or "")
    if match is None:
        return errors
    born, sequence = match.group(1), int(match.group(2))
    if sex in SEXES and (sequence % 2 == 1) != (sex == "male"):
        errors.append(
            FieldError("sex", "does not match the ID number (its 17th digit is odd for men, even for women)", "id_mismatch_sex")
        )
    if birth_date is not None and birth_date.strftime("%Y%m%d") != born:
        errors.append(FieldError("birth_date", "does not match the date of birth in the ID number", "id_mismatch_birth_date"))
    return errors


def signing_parties(parties: list[Party]) -> list[Party]:
    """Who signs: the parties themselves (applicants and respondents), in a stable order."""
    order = {"applicant": 0, "respondent": 1}
    return sorted((p for p in parties if p.role in order), key=lambda p: (order[p.role], p.created_at, p.id))


def agents_of(party: Party, parties: Sequence[Party]) -> list[Party]:
    """The agents who act for a party, in the order they were added."""
    return sorted(
        (p for p in parties if p.role == "agent" and p.represents_party_id == party.id), key=lambda p: (p.created_at, p.id)
    )
