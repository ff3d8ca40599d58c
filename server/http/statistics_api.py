"""The ledger (台账) and the statistics of an organisation or its subtree, for its staff (#23)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from server.domain.statistics.definitions import LEDGER_COLUMNS
from server.domain.statistics.facts import CaseFacts
from server.domain.statistics.service import LedgerQuery
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.services import services

Id = Annotated[str, StringConstraints(max_length=36)]


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
    sort: Literal["registered_on", "case_number", "amount"] = "registered_on"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=50, ge=1, le=200)
    #: The ``next`` of the page before (keyset); else ``offset`` rows are skipped.
    cursor: Annotated[str, StringConstraints(max_length=500)] | None = None
    offset: int = Field(default=0, ge=0, le=1_000_000)


class StatisticsIn(Scoped):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")


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
    found = await services(request).statistics.ledger(
        principal_of(request),
        LedgerQuery(
            organisation_id=query.organisation_id, subtree=query.subtree, date_from=query.date_from, date_to=query.date_to,
            dispute_type=query.dispute_type, stage=query.stage, q=query.q, sort=query.sort, descending=query.order == "desc",
            limit=query.limit, cursor=query.cursor, offset=query.offset,
        ),
    )  # fmt: skip
    return web.json_response(
        {
            "organisation": {"id": found.scope.organisation.id, "name": found.scope.organisation.name},
            "subtree": found.scope.subtree,
            "columns": {key: {"zh": zh, "en": en} for key, (zh, en) in LEDGER_COLUMNS.items()},
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
