"""A court's own case numbers (案号): （2026）蒙0105民特123号.

The Supreme People's Court's rules on case numbers (《关于人民法院案件案号的若干规定》, 法〔2015〕137
号, with its annexes of court codes and case types) make a number of four parts: the year the
court registered the case (收案年度) in full-width parentheses, the court's code (法院代字, e.g.
蒙0105), the case type (类型代字: 民特 for civil special procedures, which include confirming a
mediation agreement, Civil Procedure Law 2023 arts. 205-206) and the case's sequence within that
court, year and type (案件编号), then 号. The court gives the number when it accepts the case
(立案), so it is taken here when a judge accepts an application, never from the committee's own
number.

The sequence is one row per court, year and type, advanced with a single
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement: PostgreSQL and SQLite both run it as
one atomic write, so processes accepting applications at the same moment get different numbers
without a lock held across a round trip.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import FieldError, InvalidInput
from server.models import CourtCaseCounter, Organisation

#: The case type of an application to confirm a mediation agreement: 民事特别程序.
CONFIRMATION_TYPE = "民特"
#: 法院代字: the province's one-character name and the court's digits (蒙0105, 京0491, 沪01).
COURT_CODE = re.compile(r"^[\u4e00-\u9fff]{1,3}[0-9]{0,6}$")


def check_court_code(code: str | None) -> str | None:
    """The code as stored (stripped), or None; refuses what is not a court code."""
    if code is None or not code.strip():
        return None
    code = code.strip()
    if not COURT_CODE.match(code):
        raise InvalidInput(
            "a court code is the province's character and the court's digits, e.g. 蒙0105",
            [FieldError("court_code", "e.g. 蒙0105", "court_code")],
        )
    return code


def format_case_number(year: int, court_code: str, sequence: int, case_type: str = CONFIRMATION_TYPE) -> str:
    return f"（{year}）{court_code}{case_type}{sequence}号"


async def next_sequence(db: AsyncSession, court_id: str, year: int, case_type: str = CONFIRMATION_TYPE) -> int:
    """The next number of this court's year and type, in the caller's transaction (1 for the first)."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(CourtCaseCounter)
        .values(court_id=court_id, year=year, case_type=case_type, last=1)
        .on_conflict_do_update(index_elements=["court_id", "year", "case_type"], set_={"last": CourtCaseCounter.last + 1})
        .returning(CourtCaseCounter.last)
    )
    return int((await db.execute(statement)).scalar_one())


async def assign(db: AsyncSession, court: Organisation, when: datetime, case_type: str = CONFIRMATION_TYPE) -> str:
    """A new case number of the court, for a case it accepts at ``when`` (the year in the court's zone)."""
    assert court.court_code is not None
    year = when.astimezone(ZoneInfo(court.timezone)).year
    return format_case_number(year, court.court_code, await next_sequence(db, court.id, year, case_type), case_type)
