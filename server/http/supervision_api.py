"""The supervision board, supervisors' instructions on cases and the mediators' replies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import StringConstraints

from server.domain.supervision import BoardCase
from server.http import views
from server.http.cases_api import viewer_zone
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.models import SupervisionInstruction
from server.services import services

Words = Annotated[str, StringConstraints(max_length=2000)]


class BoardQuery(Input):
    #: Only this organisation's cases (one of the supervisor's subtree).
    organisation_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class InstructionIn(Input):
    text: Words
    #: The day the supervisor expects the handling organisation's answer by.
    due_date: date | None = None


class ReplyIn(Input):
    text: Words


def _today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def instruction(row: SupervisionInstruction, zone: str) -> dict[str, Any]:
    """An instruction and its reply; ``overdue`` when unanswered after its due date (in ``zone``)."""
    return {
        "id": row.id,
        "case_id": row.case_id,
        "text": row.text,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "issued_by": {"id": row.issued_by, "display_name": row.issued_by_name, "organisation": row.issued_by_organisation},
        "issued_at": views.local(row.issued_at, zone),
        "issued_seq": row.issued_seq,
        "reply": row.reply,
        "replied_by": {"id": row.replied_by, "display_name": row.replied_by_name} if row.replied_by else None,
        "replied_at": views.local(row.replied_at, zone) if row.replied_at else None,
        "replied_seq": row.replied_seq,
        "awaiting_reply": row.replied_at is None,
        "overdue": row.replied_at is None and row.due_date is not None and row.due_date < _today(zone),
    }


def board_case(item: BoardCase, zone: str) -> dict[str, Any]:
    c = item.case
    # The day it was registered at the window (受理登记, which may be a day before it was typed in).
    registered = c.registered_on
    return {
        "id": c.id,
        "case_number": c.case_number,
        "dispute_type": c.dispute_type,
        "summary": c.summary,
        "status": c.status,
        "organisation": {"id": item.organisation.id, "name": item.organisation.name},
        "mediator": {"id": item.mediator.id, "display_name": item.mediator.display_name},
        "created_at": views.local(c.created_at, zone),
        "registered_on": c.registered_on.isoformat(),
        "days_since_registration": (_today(zone) - registered).days,
        # The 30-day mediation period, as the case page shows it (views.clock).
        "mediation_clock": views.clock(item.mediation) if item.mediation is not None else None,
        "next_session": views.session_brief(item.next_session, zone) if item.next_session is not None else None,
        "instructions": [instruction(i, zone) for i in item.instructions],
        "awaiting_reply": sum(1 for i in item.instructions if i.replied_at is None),
        # After the agreement (People's Mediation Law art. 31): instalments overdue, visits due, whether closed.
        "overdue_obligations": [o.to_json() for o in item.overdue],
        "follow_ups_due": [p.to_json(_today(zone)) for p in item.follow_ups_due],
        "case_closed_at": views.local(c.case_closed_at, zone) if c.case_closed_at else None,
    }


@api.route("GET", "/supervision", summary="The cases of my organisation and those below it", query=BoardQuery, tag="supervision")
async def board(request: web.Request, query: BoardQuery) -> web.StreamResponse:
    found = await services(request).supervision.board(principal_of(request), query.organisation_id)
    zone = viewer_zone(request)
    return web.json_response(
        {
            "organisations": [
                {"id": o.id, "name": o.name, "kind": o.kind, "parent_id": o.parent_id} for o in found.organisations
            ],
            "items": [board_case(c, zone) for c in found.cases],
        }
    )


@api.route("GET", "/cases/{case_id}/supervision", summary="A case's supervision instructions and replies", tag="supervision")
async def of_case(request: web.Request) -> web.StreamResponse:
    rows = await services(request).supervision.of_case(principal_of(request), request.match_info["case_id"])
    zone = viewer_zone(request)
    return web.json_response({"items": [instruction(r, zone) for r in rows]})


@api.route(
    "POST", "/cases/{case_id}/supervision", summary="Issue a supervision instruction on a case (supervisors)",
    body=InstructionIn, status=201, tag="supervision",
)  # fmt: skip
async def issue(request: web.Request, body: InstructionIn) -> web.StreamResponse:
    row = await services(request).supervision.issue(
        principal_of(request), request.match_info["case_id"], text=body.text, due_date=body.due_date
    )
    return web.json_response(instruction(row, viewer_zone(request)), status=201)


@api.route(
    "POST", "/supervision/{instruction_id}/reply", summary="Answer a supervision instruction (the case's mediators)",
    body=ReplyIn, tag="supervision",
)  # fmt: skip
async def reply(request: web.Request, body: ReplyIn) -> web.StreamResponse:
    row = await services(request).supervision.reply(principal_of(request), request.match_info["instruction_id"], text=body.text)
    return web.json_response(instruction(row, viewer_zone(request)))
