"""Follow-up visits after the agreement and closing the case (server/domain/closing.py): for the case's mediators;
and the closed case's file (卷宗, server/domain/case_file/): made at closing (or on a mediator's word), downloaded by staff."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aiohttp import web
from pydantic import StringConstraints

from server.domain.clocks import local_day
from server.domain.closing import MAX_TEXT
from server.http.context import principal_of
from server.http.documents_api import document_response
from server.http.routes import api
from server.http.schemas import Input
from server.models import utcnow
from server.services import services

Words = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


class VisitPlanIn(Input):
    #: The day the visit is to be made (a Beijing day, today or later).
    planned_on: date


class VisitIn(Input):
    #: The visit due that this records (``plan`` of the case's follow-ups); none for a visit made unplanned.
    plan: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None
    method: Literal["phone", "video", "in_person"]
    #: What was found of the agreement's performance.
    performance: Words
    satisfaction: Literal["satisfied", "partly", "dissatisfied"]
    #: The remaining risk (隐患), and what was done about it (整改).
    risk: Words = ""
    actions: Words = ""


class CloseIn(Input):
    #: Needed while an obligation is outstanding; ``performed`` only once every one is.
    reason: Literal["performed", "waived", "litigation", "other"] | None = None
    note: Words = ""


def _today() -> date:
    return local_day(utcnow())


@api.route("GET", "/cases/{case_id}/closing", summary="The case's follow-up visits and its closing", tag="cases")
async def case_closing(request: web.Request) -> web.StreamResponse:
    view = await services(request).closing.view(principal_of(request), request.match_info["case_id"])
    return web.json_response(view.to_json(_today()))


@api.route(
    "POST", "/cases/{case_id}/follow-ups/planned", summary="Plan a follow-up visit on a day", body=VisitPlanIn, status=201,
    tag="cases",
)  # fmt: skip
async def plan_follow_up(request: web.Request, body: VisitPlanIn) -> web.StreamResponse:
    view = await services(request).closing.plan_visit(principal_of(request), request.match_info["case_id"], body.planned_on)
    return web.json_response(view.to_json(_today()), status=201)


@api.route("POST", "/cases/{case_id}/follow-ups", summary="Record a follow-up visit made", body=VisitIn, status=201, tag="cases")
async def record_follow_up(request: web.Request, body: VisitIn) -> web.StreamResponse:
    view = await services(request).closing.record_visit(
        principal_of(request), request.match_info["case_id"], plan=body.plan, method=body.method,
        performance=body.performance, satisfaction=body.satisfaction, risk=body.risk, actions=body.actions,
    )  # fmt: skip
    return web.json_response(view.to_json(_today()), status=201)


@api.route("POST", "/cases/{case_id}/close", summary="Close the case (结案)", body=CloseIn, status=201, tag="cases")
async def close_case(request: web.Request, body: CloseIn) -> web.StreamResponse:
    view = await services(request).closing.close(
        principal_of(request), request.match_info["case_id"], reason=body.reason, note=body.note
    )
    return web.json_response(view.to_json(_today()), status=201)


@api.route(
    "GET", "/cases/{case_id}/case-file", summary="The closed case's file (人民调解卷宗) as PDF", tag="cases",
    produces="application/pdf",
)  # fmt: skip
async def case_file_pdf(request: web.Request) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    doc = await svc.dossiers.get(principal, request.match_info["case_id"])
    await svc.confirmations.court.log_view(principal, doc.case_id, "GET /cases/{case_id}/case-file", doc.name)
    return document_response(doc)


@api.route("POST", "/cases/{case_id}/case-file", summary="Make the closed case's file (制作卷宗)", status=201, tag="cases")
async def make_case_file(request: web.Request) -> web.StreamResponse:
    made = await services(request).dossiers.make(principal_of(request), request.match_info["case_id"])
    doc = made.document
    return web.json_response({"id": doc.id, "name": doc.name, "sha256": doc.sha256, "bytes": doc.size}, status=201)
