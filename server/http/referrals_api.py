"""Referrals of a case between organisations: refer, accept, return, report an assisting result."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from aiohttp import web
from pydantic import StringConstraints

from server.domain.booking import iso
from server.domain.referrals import COURT_STAGES, ROLES, ReferralView
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input, choice
from server.services import services

Long = Annotated[str, StringConstraints(max_length=2000)]


class ReferIn(Input):
    to_organisation_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]
    role: Annotated[str, choice(ROLES)]
    reason: Long
    task: Long = ""
    #: Only for a court's referral: before_filing (委派) or after_filing (委托).
    court_stage: Annotated[str, choice(COURT_STAGES)] | None = None


class AcceptIn(Input):
    #: For a lead referral: the mediator of the accepting organisation who handles the case.
    mediator_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class ReturnIn(Input):
    reason: Long = ""


class ReportIn(Input):
    result: Long = ""


class BoxQuery(Input):
    box: Literal["incoming", "sent"] = "incoming"


def referral_view(v: ReferralView) -> dict[str, Any]:
    r = v.referral
    report = v.court_report
    if report is not None and report["closed_at"] is not None:
        report = report | {"closed_at": iso(report["closed_at"])}
    if report is not None and report["report"] is not None:
        made = report["report"]
        report = report | {"report": made | {"made_at": iso(made["made_at"]), "url": f"/api/v1/referrals/{v.referral.id}/report"}}
    return {
        "id": r.id,
        "case": {"id": v.case.id, "case_number": v.case.case_number, "status": v.case.status, "summary": v.case.summary},
        "from_organisation": {"id": v.from_organisation.id, "name": v.from_organisation.name, "kind": v.from_organisation.kind},
        "to_organisation": {"id": v.to_organisation.id, "name": v.to_organisation.name, "kind": v.to_organisation.kind},
        "role": r.role,
        "reason": r.reason,
        "task": r.task,
        "court_stage": r.court_stage,
        "status": r.status,
        "referred_by": {"id": r.referred_by, "display_name": v.name(r.referred_by)},
        "referred_at": iso(r.referred_at),
        # Accept or return by then: the end of the third working day (Beijing time), and that day.
        "acceptance_due": iso(v.acceptance_due) if v.acceptance_due else None,
        "acceptance_due_date": v.acceptance.due_date.isoformat() if v.acceptance is not None else None,
        "decided_by": {"id": r.decided_by, "display_name": v.name(r.decided_by)} if r.decided_by else None,
        "decided_at": iso(r.decided_at) if r.decided_at else None,
        "return_reason": r.return_reason,
        "mediator": {"id": r.mediator_id, "display_name": v.name(r.mediator_id)} if r.mediator_id else None,
        "result": r.result,
        "reported_by": {"id": r.reported_by, "display_name": v.name(r.reported_by)} if r.reported_by else None,
        "reported_at": iso(r.reported_at) if r.reported_at else None,
        # A court's lead referral, accepted: what the court is owed once mediation ends (特邀调解规定 art. 26).
        "court_report": report,
    }


@api.route("GET", "/referrals/destinations", summary="Organisations I may refer a case to", tag="referrals")
async def destinations(request: web.Request) -> web.StreamResponse:
    orgs = await services(request).referrals.destinations(principal_of(request))
    return web.json_response({"items": [{"id": o.id, "name": o.name, "kind": o.kind} for o in orgs]})


@api.route(
    "GET", "/referrals", summary="Referrals awaiting my organisation's decision, or those it made", query=BoxQuery,
    tag="referrals",
)  # fmt: skip
async def inbox(request: web.Request, query: BoxQuery) -> web.StreamResponse:
    items = await services(request).referrals.inbox(principal_of(request), query.box)
    return web.json_response({"items": [referral_view(v) for v in items]})


@api.route("GET", "/cases/{case_id}/referrals", summary="A case's referrals and their results", tag="referrals")
async def case_referrals(request: web.Request) -> web.StreamResponse:
    items = await services(request).referrals.of_case(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [referral_view(v) for v in items]})


@api.route(
    "POST", "/cases/{case_id}/referrals", summary="Refer a case to another organisation", body=ReferIn, status=201,
    tag="referrals",
)  # fmt: skip
async def refer(request: web.Request, body: ReferIn) -> web.StreamResponse:
    view = await services(request).referrals.refer(principal_of(request), request.match_info["case_id"], **body.model_dump())
    return web.json_response(referral_view(view), status=201)


@api.route("POST", "/referrals/{referral_id}/accept", summary="Accept a referral", body=AcceptIn, tag="referrals")
async def accept(request: web.Request, body: AcceptIn) -> web.StreamResponse:
    view = await services(request).referrals.accept(principal_of(request), request.match_info["referral_id"], **body.model_dump())
    return web.json_response(referral_view(view))


@api.route("POST", "/referrals/{referral_id}/return", summary="Return a referral, saying why", body=ReturnIn, tag="referrals")
async def return_referral(request: web.Request, body: ReturnIn) -> web.StreamResponse:
    view = await services(request).referrals.return_(principal_of(request), request.match_info["referral_id"], reason=body.reason)
    return web.json_response(referral_view(view))


@api.route(
    "POST", "/referrals/{referral_id}/result", summary="Report an assisting organisation's result", body=ReportIn,
    tag="referrals",
)  # fmt: skip
async def report(request: web.Request, body: ReportIn) -> web.StreamResponse:
    view = await services(request).referrals.report(principal_of(request), request.match_info["referral_id"], result=body.result)
    return web.json_response(referral_view(view))


@api.route(
    "POST", "/referrals/{referral_id}/report",
    summary="Write the result report to the court that referred the case (特邀调解规定 art. 26)", status=201,
    tag="referrals",
)  # fmt: skip
async def make_court_report(request: web.Request) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    referral = await svc.court_reports.make(principal, request.match_info["referral_id"])
    views = await svc.referrals.of_case(principal, referral.case_id)
    return web.json_response(referral_view(next(v for v in views if v.referral.id == referral.id)), status=201)


@api.route(
    "GET", "/referrals/{referral_id}/report", summary="The result report to the court (PDF)", tag="referrals",
    produces="application/pdf",
)  # fmt: skip
async def court_report_pdf(request: web.Request) -> web.StreamResponse:
    doc = await services(request).court_reports.pdf(principal_of(request), request.match_info["referral_id"])
    return web.Response(
        body=doc.data,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.name)}",
            "Cache-Control": "private, no-store",
            "ETag": f'"{doc.sha256}"',
        },
    )
