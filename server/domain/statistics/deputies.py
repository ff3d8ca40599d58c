"""The people's-deputy report (人大代表参与调解情况): the cases a people's deputy took part in, by quarter.

A mediator may, with the parties' consent, invite others to take part in a mediation (人民调解法
art. 20: the parties' relatives, neighbours and colleagues, people with special knowledge or
experience, or people of the social organisations concerned); where a people's deputy (人大代表) took
part, the justice bureau reports those cases to the people's congress every quarter, with what became
of each (issue #23, from local practice; we found no national rule fixing the report's form, so its
columns are the issue's). In mediate a deputy takes part as an invited person (``Party.role`` "invited", ``invited_as`` "deputy", vocabulary.INVITED_AS), written
with the case's ``person_invited`` record.

A case is in a quarter's report when a deputy was invited to it in that quarter (the Beijing day of the
invitation): the report tells the congress what its deputies did in the quarter, unlike the statistics,
which count a cohort by registration day (definitions.py). Each case appears once, with every deputy
invited to it, and its state when the report is made: settled (调解成功), failed (调解不成功) or still
being mediated (正在调解); the agreement's amount is the money its agreement in effect pays.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.clocks import LEGAL_ZONE, local_day
from server.domain.statistics.export import DISPUTE_WORDS, safe_row, xlsx_file
from server.domain.statistics.facts import CaseFacts
from server.errors import FieldError, InvalidInput
from server.models import Case, Party

#: The outcome of a case in the report -> (Chinese, English), in the order the report counts them.
OUTCOMES: dict[str, tuple[str, str]] = {
    "settled": ("调解成功", "settled"),
    "failed": ("调解不成功", "failed"),
    "open": ("正在调解", "being mediated"),
}
DEFINITION = (
    "本季度邀请人大代表参与调解的案件（以邀请之日计），每案一行；调解结果为制表时的状态",
    "the cases a people's deputy was invited to in the quarter (by the day of the invitation), one row each, "
    "as they stand when the report is made",
)
#: The report's columns -> their Chinese headings, for the spreadsheet and the CSV.
HEADINGS = {
    "case_number": "案号",
    "organisation": "调解组织",
    "registered_on": "受理日期",
    "dispute_type": "纠纷类型",
    "applicants": "申请人",
    "respondents": "被申请人",
    "deputies": "参与调解的人大代表",
    "invited_on": "邀请日期",
    "outcome": "调解结果",
    "agreement_amount_fen": "协议金额（元）",
    "closed_on": "结案日期",
}


@dataclass(frozen=True)
class Deputy:
    name: str
    #: What the invitation recorded of them (职业或工作单位, e.g. "县人大代表"), if anything.
    occupation: str | None
    invited_on: date


def quarter(year: int, number: int) -> tuple[date, date]:
    """The first and last day of quarter ``number`` (1–4) of ``year``."""
    if not 1 <= number <= 4:
        raise InvalidInput("a quarter is 1, 2, 3 or 4", [FieldError("quarter", "1 to 4", "invalid")])
    if not 2000 <= year <= 2999:
        raise InvalidInput("no such year", [FieldError("year", "2000 to 2999", "invalid")])
    start = date(year, 3 * number - 2, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return start, following - timedelta(days=1)


async def deputies_of(
    db: AsyncSession, organisation_ids: frozenset[str], start: date, end: date
) -> tuple[list[Case], dict[str, list[Deputy]]]:
    """The cases of ``organisation_ids`` a deputy was invited to from ``start`` to ``end`` (Beijing days),
    in the order of their first such invitation, and each case's deputies invited in that time."""
    since = datetime.combine(start, time(), tzinfo=LEGAL_ZONE)
    until = datetime.combine(end + timedelta(days=1), time(), tzinfo=LEGAL_ZONE)
    found = (
        await db.execute(
            select(Case, Party.name, Party.occupation, Party.created_at)
            .join(Party, Party.case_id == Case.id)
            .where(
                Case.organisation_id.in_(organisation_ids),
                Party.role == "invited",
                Party.invited_as == "deputy",
                Party.created_at >= since,
                Party.created_at < until,
            )
            .order_by(Party.created_at, Party.id)
        )
    ).all()
    cases: dict[str, Case] = {}
    deputies: dict[str, list[Deputy]] = {}
    for case, name, occupation, invited_at in found:
        cases.setdefault(case.id, case)
        deputies.setdefault(case.id, []).append(Deputy(name, occupation, local_day(invited_at)))
    return list(cases.values()), deputies


def outcome_of(f: CaseFacts) -> str:
    return f.status if f.status in ("settled", "failed") else "open"


def report(
    head: dict[str, Any], year: int, number: int, facts: Sequence[CaseFacts], deputies: dict[str, list[Deputy]]
) -> dict[str, Any]:
    """The report's JSON: ``head`` (organisation, subtree, organisations) with the quarter, the counts by
    outcome and a row per case."""
    start, end = quarter(year, number)
    items = [
        {
            "id": f.id,
            "case_number": f.case_number,
            "organisation": {"id": f.organisation_id, "name": f.organisation},
            "registered_on": f.registered_on.isoformat(),
            "dispute_type": f.dispute_type,
            "applicants": list(f.applicants),
            "respondents": list(f.respondents),
            "deputies": [
                {"name": d.name, "occupation": d.occupation, "invited_on": d.invited_on.isoformat()} for d in deputies[f.id]
            ],
            "outcome": outcome_of(f),
            "outcome_reason": f.outcome_reason,
            "agreement_amount_fen": f.agreement_amount_fen if f.successful else None,
            "closed_on": f.closed_on.isoformat() if f.closed_on else None,
        }
        for f in facts
    ]
    counts = {key: sum(1 for f in facts if outcome_of(f) == key) for key in OUTCOMES}
    return {
        **head,
        "year": year,
        "quarter": number,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "definition": {"zh": DEFINITION[0], "en": DEFINITION[1]},
        "totals": {
            "cases": len(facts),
            "deputies": len({d.name for f in facts for d in deputies[f.id]}),
            **counts,
            "agreement_amount_fen": sum(f.agreement_amount_fen for f in facts if f.successful),
        },
        "by_outcome": [
            {"key": key, "zh": zh, "en": en, "cases": counts[key], "ids": [f.id for f in facts if outcome_of(f) == key]}
            for key, (zh, en) in OUTCOMES.items()
        ],
        "items": items,
    }


def _yuan(fen: int | None) -> float | str:
    return "" if fen is None else round(fen / 100, 2)


def tables(result: dict[str, Any]) -> list[tuple[str, list[list[Any]]]]:
    """(sheet title, rows): the cases, a row each, under the report's title; then the counts by outcome."""
    scope = f"{result['organisation']['name']}{'（含下级组织）' if result['subtree'] else ''}"
    title = f"{scope}人大代表参与调解情况（{result['year']}年第{result['quarter']}季度）"
    cases: list[list[Any]] = [
        [title],
        [f"统计期间：{result['from']} 至 {result['to']}；{DEFINITION[0]}"],
        list(HEADINGS.values()),
    ]
    for item in result["items"]:
        cases.append(
            [
                item["case_number"],
                item["organisation"]["name"],
                item["registered_on"],
                DISPUTE_WORDS.get(item["dispute_type"], item["dispute_type"]),
                "、".join(item["applicants"]),
                "、".join(item["respondents"]),
                "、".join(d["name"] + (f"（{d['occupation']}）" if d["occupation"] else "") for d in item["deputies"]),
                "、".join(dict.fromkeys(d["invited_on"] for d in item["deputies"])),
                OUTCOMES[item["outcome"]][0],
                _yuan(item["agreement_amount_fen"]),
                item["closed_on"] or "",
            ]
        )
    totals = result["totals"]
    summary: list[list[Any]] = [["调解结果", "案件数"]]
    summary += [[g["zh"], g["cases"]] for g in result["by_outcome"]]
    summary += [
        ["合计", totals["cases"]],
        ["参与调解的人大代表人数", totals["deputies"]],
        ["协议金额合计（元）", _yuan(totals["agreement_amount_fen"])],
    ]
    return [("人大代表参与调解情况", cases), ("按调解结果", summary)]


def render(result: dict[str, Any], format: str) -> bytes:
    """JSON as the API answers; CSV (UTF-8 with a byte-order mark, for a spreadsheet opened by double
    click) and XLSX with Chinese headings."""
    if format == "json":
        return json.dumps(result, ensure_ascii=False, indent=2).encode()
    if format == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        for title, rows in tables(result):
            if title != "人大代表参与调解情况":
                writer.writerow([title])
            writer.writerows(safe_row(row) for row in rows)
            writer.writerow([])
        return ("\ufeff" + text.getvalue()).encode()
    if format == "xlsx":
        return xlsx_file(tables(result))
    raise ValueError(format)
