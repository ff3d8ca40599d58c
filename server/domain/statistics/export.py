"""The figures written out for a clerk's monthly report: JSON, CSV or XLSX, with Chinese headers.

The spreadsheet has a sheet of totals (指标, 数值, 口径: what each counts) and one sheet per grouping
(纠纷类型, 案件来源, 调解组织, 调解员, 受理月份), a row per group; the CSV is the same tables one after
another, each with its title row. Money is in yuan with two decimals (元), rates as percentages.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from server.domain.outcomes import ground_of
from server.domain.statistics.definitions import DEFINITIONS, GROUPS, LEDGER_COLUMNS, STAGES
from server.domain.statistics.facts import CaseFacts
from server.domain.statistics.figures import COLUMNS
from server.domain.vocabulary import CASE_SOURCES

FORMATS = ("json", "csv", "xlsx")

#: Dispute types' Chinese words (the Ministry's categories, vocabulary.DISPUTE_TYPES; web/js/i18n.js has both languages).
DISPUTE_WORDS = {
    "family": "婚姻家庭纠纷",
    "neighbours": "邻里纠纷",
    "homestead": "房屋宅基地纠纷",
    "damages": "损害赔偿纠纷",
    "contract": "合同纠纷",
    "land_contracting": "山林土地承包经营纠纷",
    "land_acquisition": "征地拆迁纠纷",
    "labour": "劳动争议纠纷",
    "wages": "拖欠工资纠纷",
    "village_affairs": "村务管理纠纷",
    "environment": "环境保护纠纷",
    "traffic": "交通事故纠纷",
    "medical": "医患纠纷",
    "property_management": "物业纠纷",
    "consumer": "消费纠纷",
    "other": "其他纠纷",
    "loans": "民间借贷纠纷",
}

#: Column headings: the definition's words, and the days' mean and median spelled out.
HEADINGS: dict[str, str] = {
    **{key: d.zh for key, d in DEFINITIONS.items()},
    "amount_fen": "涉及金额（元）",
    "agreement_amount_fen": "协议金额（元）",
    "days_to_agreement_mean": "受理至协议生效平均天数",
    "days_to_agreement_median": "受理至协议生效天数中位数",
    "days_to_closing_mean": "受理至结案平均天数",
    "days_to_closing_median": "受理至结案天数中位数",
}


def _cell(column: str, value: Any) -> Any:
    """Money in yuan (two decimals), rates in percent (one decimal); counts and days as they are."""
    if value is None:
        return ""
    if column.endswith("_fen"):
        return round(value / 100, 2)
    if column.endswith("_rate"):
        return round(value * 100, 1)
    return value


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_row(row: list[Any]) -> list[Any]:
    """A row a spreadsheet shows as typed: text without the control characters XLSX cannot hold (a name
    pasted with them), and a quote before text a spreadsheet would run as a formula (a party called
    "=HYPERLINK(…)"). Numbers stay numbers."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # the characters a workbook cannot hold

    out = []
    for value in row:
        if not isinstance(value, str):
            out.append(value)
            continue
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        out.append("'" + text if text.startswith(FORMULA_START) else text)
    return out


def _heading(column: str) -> str:
    return HEADINGS[column] + ("（%）" if column.endswith("_rate") else "")


def _group_name(by: str, group: dict[str, Any]) -> str:
    if by == "dispute_type":
        return DISPUTE_WORDS.get(str(group["key"]), str(group["key"]))
    if by == "source":
        return CASE_SOURCES.get(str(group["key"]), (str(group["key"]), ""))[0]
    return str(group["name"])


def tables(result: dict[str, Any]) -> list[tuple[str, list[list[Any]]]]:
    """(sheet title, rows with the heading row first) for the totals and for each grouping."""
    scope = f"{result['organisation']['name']}{'（含下级组织）' if result['subtree'] else ''}"
    totals: list[list[Any]] = [
        ["调解组织", scope, ""],
        ["统计期间（受理日期）", f"{result['from']} 至 {result['to']}", ""],
        ["指标", "数值", "口径"],
    ]
    for column in COLUMNS:
        definition = DEFINITIONS.get(column.removesuffix("_mean").removesuffix("_median"))
        totals.append([_heading(column), _cell(column, result["totals"][column]), definition.means_zh if definition else ""])
    out = [("总计", totals)]
    for by, (zh, _) in GROUPS.items():
        rows: list[list[Any]] = [[zh, *(_heading(c) for c in COLUMNS)]]
        rows += [[_group_name(by, g), *(_cell(c, g[c]) for c in COLUMNS)] for g in result["groups"][by]]
        out.append((f"按{zh}", rows))
    return out


def to_json(result: dict[str, Any]) -> bytes:
    return json.dumps(result, ensure_ascii=False, indent=2).encode()


def to_csv(result: dict[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that a spreadsheet opened by double click reads the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for title, rows in tables(result):
        writer.writerow([title])
        writer.writerows(safe_row(row) for row in rows)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode()


def xlsx_file(sheets: Sequence[tuple[str, list[list[Any]]]]) -> bytes:
    """A workbook of a sheet per (title, rows), each row as a spreadsheet shows it typed (``safe_row``)."""
    from openpyxl import Workbook  # loaded when a workbook is asked for, not by every command (#20)

    book = Workbook()
    for n, (title, rows) in enumerate(sheets):
        sheet = book.active if n == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title[:31]  # Excel's limit on a sheet's name
        for row in rows:
            sheet.append(safe_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_xlsx(result: dict[str, Any]) -> bytes:
    return xlsx_file(tables(result))


def render(result: dict[str, Any], format: str) -> bytes:
    if format not in FORMATS:
        raise ValueError(format)
    return {"json": to_json, "csv": to_csv, "xlsx": to_xlsx}[format](result)


#: The words of the ledger's codes in its download (the page has them in both languages, web/js/stats-i18n.js).
AGREEMENT_WORDS = {"drafting": "起草中", "final": "已定稿，待签名", "effective": "已生效"}
PERFORMANCE_WORDS = {"performing": "履行中", "performed": "已履行完毕", "overdue": "逾期未履行"}
CONFIRMATION_WORDS = {
    "awaiting_cosign": "等待对方联署",
    "received": "已提交法院",
    "accepted": "法院已受理",
    "under_review": "审查中",
    "hearing_scheduled": "已安排听证",
    "confirmed": "已确认有效",
    "rejected": "不予确认",
}
OUTCOME_WORDS = {"settled": "调解成功", "failed": "调解不成"}


def ledger_table(facts: Sequence[CaseFacts]) -> list[list[Any]]:
    """The ledger as a table: the headings of definitions.LEDGER_COLUMNS (money in yuan), a row per case."""
    headings = [zh.replace("（分）", "（元）") for zh, _ in LEDGER_COLUMNS.values()]
    rows: list[list[Any]] = [headings]
    for f in facts:
        ground = ground_of(f.outcome_reason) if f.status == "failed" else None
        outcome = OUTCOME_WORDS.get(f.status, "")
        values: dict[str, Any] = {
            "case_number": f.case_number,
            "registered_on": f.registered_on.isoformat(),
            "source": CASE_SOURCES.get(f.source, (f.source, ""))[0],
            "dispute_type": DISPUTE_WORDS.get(f.dispute_type, f.dispute_type),
            "applicants": "、".join(f.applicants),
            "respondents": "、".join(f.respondents),
            "amount_fen": round(f.amount_fen / 100, 2),
            "mediators": "、".join(name for _, name in f.mediators),
            "stage": STAGES[f.stage][0],
            "outcome": f"{outcome}（{ground.zh}）" if ground else outcome,
            "agreement": AGREEMENT_WORDS.get(f.agreement_status or "", ""),
            "performance": PERFORMANCE_WORDS.get(f.performance or "", ""),
            "confirmation": CONFIRMATION_WORDS.get(f.confirmation or "", f.confirmation or ""),
            "closed_on": f.closed_on.isoformat() if f.closed_on else "",
        }
        rows.append([values[key] for key in LEDGER_COLUMNS])
    return rows


def ledger_file(title: str, facts: Sequence[CaseFacts], format: str) -> bytes:
    """The ledger as CSV (UTF-8 with a byte-order mark) or XLSX (one sheet named ``title``)."""
    table = ledger_table(facts)
    if format == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(safe_row(row) for row in table)
        return ("\ufeff" + text.getvalue()).encode()
    if format != "xlsx":
        raise ValueError(format)
    return xlsx_file([(title, table)])
