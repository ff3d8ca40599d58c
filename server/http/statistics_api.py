"""The ledger (台账) and the statistics of an organisation or its subtree, for its staff (#23), and
their downloads: the statistics as ``mediate stats`` writes them, the ledger as it is shown."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args
from urllib.parse import quote

from aiohttp import web
from pydantic import Field, StringConstraints

from server.domain.outcomes import ground_of
from server.domain.statistics.definitions import DEFINITIONS, LEDGER_COLUMNS
from server.domain.statistics.export import ledger_file, render
from server.domain.statistics.facts import CaseFacts
from server.domain.statistics.figures import COUNTS
from server.domain.statistics.service import LedgerQuery
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.services import services

Id = Annotated[str, StringConstraints(max_length=36)]
#: The figures a ledger can be narrowed to (statistics.figures.COUNTS): each figure's link opens its cases.
Figure = Literal[
    "mediated", "successful", "failed", "pending", "with_obligations", "performed", "confirmation_applied", "confirmed",
    "closed", "resolved", "overdue_mediation", "overdue_performance",
]  # fmt: skip
assert set(get_args(Figure)) == set(COUNTS), "the ledger's figures are the statistics' counts"
#: A download's media types: the spreadsheet (ECMA-376, RFC 9110 names no other) and CSV (RFC 4180).
FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class Scoped(Input):
    #: The organisation (default: one's own); a supervisor names any of their subtree.
    organisation_id: Id | None = None
    #: Its organisations below as well (supervisors).
    subtree: bool = False


class LedgerIn(Scoped):
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    dispute_type: Annotated[str, StringConstraints(max_length=32)] | None = None
    stage: Literal["open", "settled", "failed", "closed"] | None = None
    #: A party's name or the case number, or part of either.
    q: Annotated[str, StringConstraints(max_length=100)] | None = None
    source: Annotated[str, StringConstraints(max_length=32)] | None = None
    #: The lead mediator's (a case counts for its lead mediator's subsidy, 以案定补).
    mediator_id: Id | None = None
    #: Only the cases behind this figure of the statistics (with the same period and organisation).
    figure: Figure | None = None
    sort: Literal["registered_on", "case_number", "amount"] = "registered_on"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=50, ge=1, le=200)
    #: The ``next`` of the page before (keyset); else ``offset`` rows are skipped.
    cursor: Annotated[str, StringConstraints(max_length=500)] | None = None
    offset: int = Field(default=0, ge=0, le=1_000_000)


class StatisticsIn(Scoped):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")


class StatisticsFileIn(StatisticsIn):
    format: Literal["xlsx", "csv"] = "xlsx"


class LedgerFileIn(LedgerIn):
    format: Literal["xlsx", "csv"] = "xlsx"


def attachment(body: bytes, format: str, name: str, fallback: str) -> web.Response:
    """A download named in Chinese: ``filename*`` in UTF-8 (RFC 6266 §4.3, RFC 8187), with an ASCII
    ``filename`` for the clients that read only that; never cached (the figures change with the cases)."""
    return web.Response(
        body=body,
        headers={
            "Content-Type": FILE_TYPES[format],
            "Content-Disposition": f"attachment; filename=\"{fallback}.{format}\"; filename*=UTF-8''{quote(name)}.{format}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _query(query: LedgerIn) -> LedgerQuery:
    return LedgerQuery(
        organisation_id=query.organisation_id, subtree=query.subtree, date_from=query.date_from, date_to=query.date_to,
        dispute_type=query.dispute_type, stage=query.stage, q=query.q, source=query.source, mediator_id=query.mediator_id,
        figure=query.figure, sort=query.sort, descending=query.order == "desc", limit=query.limit, cursor=query.cursor,
        offset=query.offset,
    )  # fmt: skip


def _period_words(date_from: date | None, date_to: date | None) -> str:
    if date_from is None and date_to is None:
        return ""
    return f"{date_from.isoformat() if date_from else ''}至{date_to.isoformat() if date_to else ''}"


def ledger_row(f: CaseFacts) -> dict[str, Any]:
    """A row of the ledger: its columns (definitions.LEDGER_COLUMNS), the case's id for a link, its organisation."""
    row: dict[str, Any] = {
        "id": f.id,
        "organisation": {"id": f.organisation_id, "name": f.organisation},
        "case_number": f.case_number,
        "registered_on": f.registered_on.isoformat(),
        "source": f.source,
        "dispute_type": f.dispute_type,
        "applicants": list(f.applicants),
        "respondents": list(f.respondents),
        "amount_fen": f.amount_fen,
        "mediators": [{"id": u, "display_name": name} for u, name in f.mediators],
        "stage": f.stage,
        "outcome": f.status if f.status != "open" else None,
        "outcome_reason": f.outcome_reason,
        "outcome_reason_words": {"zh": ground.zh, "en": ground.en} if (ground := ground_of(f.outcome_reason)) else None,
        "agreement": {"status": f.agreement_status, "sealed_on": f.sealed_on.isoformat() if f.sealed_on else None}
        if f.agreement_status
        else None,
        "performance": f.performance,
        "confirmation": f.confirmation,
        "closed_on": f.closed_on.isoformat() if f.closed_on else None,
    }
    assert set(LEDGER_COLUMNS) <= set(row)
    return row


@api.route("GET", "/ledger", summary="The ledger (台账): one row per case", query=LedgerIn, tag="statistics")
async def ledger_page(request: web.Request, query: LedgerIn) -> web.StreamResponse:
    found = await services(request).statistics.ledger(principal_of(request), _query(query))
    return web.json_response(
        {
            "organisation": {"id": found.scope.organisation.id, "name": found.scope.organisation.name},
            "subtree": found.scope.subtree,
            "choices": [{"id": i, "name": name, "parent_id": parent} for i, name, parent in found.scope.choices],
            "columns": {key: {"zh": zh, "en": en} for key, (zh, en) in LEDGER_COLUMNS.items()},
            # The figure the rows are narrowed to, in words (definitions.py), for the page to say so.
            "figure": {"key": query.figure, "zh": DEFINITIONS[query.figure].zh, "en": DEFINITIONS[query.figure].en}
            if query.figure
            else None,
            "total": found.total,
            "next": found.next,
            "items": [ledger_row(f) for f in found.rows],
        }
    )


@api.route("GET", "/statistics", summary="Counts, rates, amounts and days over a period", query=StatisticsIn, tag="statistics")
async def statistics_figures(request: web.Request, query: StatisticsIn) -> web.StreamResponse:
    result = await services(request).statistics.figures(
        principal_of(request), query.organisation_id, query.date_from, query.date_to, subtree=query.subtree
    )
    return web.json_response(result)


@api.route(
    "GET", "/statistics/export", summary="The figures as a spreadsheet or CSV (as `mediate stats` writes them)",
    query=StatisticsFileIn, tag="statistics", produces=tuple(FILE_TYPES.values()),
)  # fmt: skip
async def statistics_file(request: web.Request, query: StatisticsFileIn) -> web.StreamResponse:
    result = await services(request).statistics.figures(
        principal_of(request), query.organisation_id, query.date_from, query.date_to, subtree=query.subtree
    )
    scope = f"{result['organisation']['name']}{'（含下级组织）' if result['subtree'] else ''}"
    period = _period_words(query.date_from, query.date_to)
    fallback = f"statistics-{query.date_from.isoformat()}-{query.date_to.isoformat()}"
    return attachment(render(result, query.format), query.format, f"{scope}人民调解统计{period}", fallback)


@api.route(
    "GET", "/ledger/export", summary="The ledger as shown (its filters and order), as a spreadsheet or CSV",
    query=LedgerFileIn, tag="statistics", produces=tuple(FILE_TYPES.values()),
)  # fmt: skip
async def ledger_download(request: web.Request, query: LedgerFileIn) -> web.StreamResponse:
    found = await services(request).statistics.ledger_rows(principal_of(request), _query(query))
    scope = f"{found.scope.organisation.name}{'（含下级组织）' if found.scope.subtree else ''}"
    name = f"{scope}人民调解台账{_period_words(query.date_from, query.date_to)}"
    return attachment(ledger_file("人民调解台账", found.rows, query.format), query.format, name, "ledger")
