"""Judicial confirmation over HTTP (CONFIRMATION_API.md): the parties' joint application, the
court's inbox, review and ruling."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from aiohttp import web
from pydantic import Field, StringConstraints

from server.domain import particulars
from server.domain.booking import iso
from server.domain.confirmation.application import Eligibility
from server.domain.confirmation.views import ApplicationView
from server.http import views
from server.http.agreements_api import PartySignatureIn, pdf_response, statement_view
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.http.staffkeys_api import prepared_view
from server.models import CaseDocument, CaseEvent, JudgeNote, utcnow
from server.services import services

Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]


class ApplyIn(Input):
    court_id: Id
    ground: Annotated[str, StringConstraints(max_length=20)]


class EmptyIn(Input):
    pass


class PaperCosignIn(Input):
    party_id: Id
    #: The photo or scan of the signed application, uploaded to the case file first (POST /cases/{case_id}/documents).
    document_id: Id
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class AssignIn(Input):
    judge_id: Id


class StatusIn(Input):
    status: Annotated[str, StringConstraints(max_length=20)]


class HearingIn(Input):
    starts_at: datetime
    duration_minutes: Annotated[int, Field(ge=10, le=180)] = 30
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "Asia/Shanghai"


class NoteIn(Input):
    text: Annotated[str, StringConstraints(max_length=5000)]


class DecisionIn(Input):
    decision: Annotated[str, StringConstraints(pattern=r"^(confirmed|rejected)$")]
    grounds: list[Annotated[str, StringConstraints(max_length=40)]] = Field(default_factory=list, max_length=10)
    reasons: Annotated[str, StringConstraints(max_length=5000)]
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    #: The court clerk (书记员) named at the foot of the ruling, if the court has one on the case.
    clerk: Annotated[str, StringConstraints(max_length=100)] | None = None


def document_brief(doc: CaseDocument) -> dict[str, Any]:
    return {"kind": doc.kind, "name": doc.name, "sha256": doc.sha256, "url": f"{api.prefix}/documents/{doc.id}"}


def application_view(view: ApplicationView, ruling_url: str | None, court: bool = False) -> dict[str, Any]:
    a = view.application
    out: dict[str, Any] = {
        "id": a.id,
        "case_id": a.case_id,
        "case_number": view.case.case_number,
        "organisation": view.organisation.name,
        "court": {"id": view.court.id, "name": view.court.name},
        "ground": a.ground,
        "status": a.status,
        # The court's own number, given when it accepted the application (e.g. （2026）京0105民特1号).
        "court_case_number": a.court_case_number,
        "accepted_at": iso(a.accepted_at) if a.accepted_at else None,
        "created_at": iso(a.created_at),
        "submitted_at": iso(a.submitted_at) if a.submitted_at else None,
        "signers": view.signers,
        "judge": {"id": view.judge.id, "name": view.judge.display_name} if view.judge else None,
        "hearing": {"session_id": view.hearing.id, "starts_at": iso(view.hearing.starts_at), "ends_at": iso(view.hearing.ends_at)}
        if view.hearing
        else None,
        "decision": {
            "decision": a.decision,
            "grounds": (a.decision_grounds or {}).get("codes", []),
            "reasons": a.decision_reasons,
            "decided_at": iso(a.decided_at) if a.decided_at else None,
            "clerk": a.clerk_name,
            "pdf": ruling_url if view.ruling else None,
            "sha256": view.ruling.sha256 if view.ruling else None,
        }
        if a.decision
        else None,
    }
    if court:
        out["materials"] = [document_brief(d) for d in view.materials]
        out["notes"] = [note_view(n) for n in view.notes]
        out["parties"] = [
            {
                "id": p.id,
                "name": p.name,
                "role": p.role,
                "phone": p.phone,
                "email": p.email,
                "residence_region": p.residence_region,
                # For service and for the ruling; the full ID number is in the signed agreement.
                "particulars": particulars.describe(p, occupation=True),
                "missing_particulars": particulars.missing_fields(p) if p.role in ("applicant", "respondent") else [],
            }
            for p in view.parties
        ]
    return out


def note_view(note: JudgeNote) -> dict[str, Any]:
    return {"id": note.id, "author": note.author_name, "text": note.text, "created_at": iso(note.created_at)}


def eligibility_view(eligible: Eligibility) -> dict[str, Any]:
    days_left = None
    if eligible.deadline is not None and eligible.reason is None:
        # Days still to go, counting today: 30 on the day it took effect, 1 on the last day.
        days_left = max(0, math.ceil((eligible.deadline - utcnow()).total_seconds() / 86400))
    return {
        "effective_at": iso(eligible.effective_at) if eligible.effective_at else None,
        "deadline": iso(eligible.deadline) if eligible.deadline else None,
        "days_left": days_left,
        "open": eligible.reason is None,
        "reason": eligible.reason,
        "courts": [{"id": c.id, "name": c.name, "region": c.region, "grounds": grounds} for c, grounds in eligible.courts],
    }


PARTY_RULING = f"{api.prefix}/party/confirmation/ruling.pdf"


# -- parties -------------------------------------------------------------------------------------


@api.route("GET", "/party/confirmation", summary="Judicial confirmation of my case's agreement", tag="party", auth="party")
async def party_confirmation(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    eligible, view = await services(request).confirmations.applications.eligibility(principal, None)
    me = getattr(principal, "party_id", None)
    signed = bool(view and any(s["party_id"] == me and s["signed_at"] for s in view.signers))
    body = eligibility_view(eligible) | {
        "application": application_view(view, PARTY_RULING) if view else None,
        "me": {"party_id": me, "signed": signed},
    }
    return web.json_response(body)


@api.route(
    "POST",
    "/party/confirmation",
    summary="Start the joint application",
    body=ApplyIn,
    status=201,
    tag="party",
    auth="party",
    errors=(410,),
)
async def party_apply(request: web.Request, body: ApplyIn) -> web.StreamResponse:
    view, prepared = await services(request).confirmations.applications.apply(principal_of(request), body.court_id, body.ground)
    return web.json_response({"application": application_view(view, PARTY_RULING), "sign": statement_view(prepared)}, status=201)


@api.route(
    "POST",
    "/party/confirmation/sign",
    summary="Prepare my signature of the application",
    body=EmptyIn,
    status=201,
    tag="party",
    auth="party",
    errors=(410, 429),
)
async def party_prepare_application(request: web.Request, body: EmptyIn) -> web.StreamResponse:
    prepared = await services(request).confirmations.applications.prepare_signature(principal_of(request))
    return web.json_response(statement_view(prepared), status=201)


@api.route(
    "POST",
    "/party/confirmation/sign/{challenge}",
    summary="Sign the application",
    body=PartySignatureIn,
    status=201,
    tag="party",
    auth="party",
)
async def party_sign_application(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    seq, view = await services(request).confirmations.applications.sign(
        principal_of(request),
        request.match_info["challenge"],
        body.proof(),
    )
    return web.json_response({"seq": seq, "application": application_view(view, PARTY_RULING)}, status=201)


@api.route(
    "GET", "/party/confirmation/ruling.pdf", summary="The court's ruling", tag="party", auth="party", produces="application/pdf"
)
async def party_ruling(request: web.Request) -> web.StreamResponse:
    return pdf_response(await services(request).confirmations.decisions.ruling(principal_of(request)))


# -- the case's mediator -------------------------------------------------------------------------


@api.route("GET", "/cases/{case_id}/confirmation", summary="The case's application for confirmation", tag="confirmation")
async def case_confirmation(request: web.Request) -> web.StreamResponse:
    case_id = request.match_info["case_id"]
    eligible, view = await services(request).confirmations.applications.eligibility(principal_of(request), case_id)
    url = f"{api.prefix}/cases/{case_id}/confirmation/ruling.pdf"
    return web.json_response(eligibility_view(eligible) | {"application": application_view(view, url) if view else None})


@api.route(
    "GET",
    "/cases/{case_id}/confirmation/ruling.pdf",
    summary="The court's ruling",
    tag="confirmation",
    produces="application/pdf",
)
async def case_ruling(request: web.Request) -> web.StreamResponse:
    return pdf_response(
        await services(request).confirmations.decisions.ruling(principal_of(request), case_id=request.match_info["case_id"])
    )


@api.route(
    "GET",
    "/cases/{case_id}/confirmation/paper-form.pdf",
    summary="The application printed for a party who signs it on paper",
    tag="confirmation",
    produces="application/pdf",
    errors=(409,),
)
async def case_paper_form(request: web.Request) -> web.StreamResponse:
    name, pdf = await services(request).confirmations.applications.paper_form(
        principal_of(request), request.match_info["case_id"]
    )
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "private, no-store"},
    )


@api.route(
    "POST",
    "/cases/{case_id}/confirmation/paper-signatures",
    summary="Prepare my attestation that a party co-signed the application on paper",
    body=PaperCosignIn,
    status=201,
    tag="confirmation",
    errors=(410,),
)
async def prepare_paper_cosignature(request: web.Request, body: PaperCosignIn) -> web.StreamResponse:
    prepared = await services(request).confirmations.paper.prepare(
        principal_of(request), request.match_info["case_id"],
        party_id=body.party_id, document_id=body.document_id, key_id=body.key_id,
    )  # fmt: skip
    return web.json_response(prepared_view(prepared), status=201)


# -- the court -----------------------------------------------------------------------------------


def _court_ruling(application_id: str) -> str:
    return f"{api.prefix}/court/applications/{application_id}/ruling.pdf"


@api.route("GET", "/court/judges", summary="The judges of my court", tag="court")
async def court_judges(request: web.Request) -> web.StreamResponse:
    judges = await services(request).confirmations.court.judges(principal_of(request))
    return web.json_response({"items": [{"id": j.id, "name": j.display_name} for j in judges]})


@api.route("GET", "/court/applications", summary="Applications submitted to my court", tag="court")
async def court_inbox(request: web.Request) -> web.StreamResponse:
    views = await services(request).confirmations.court.inbox(principal_of(request))
    return web.json_response({"items": [application_view(v, _court_ruling(v.application.id)) for v in views]})


@api.route(
    "GET", "/court/applications/{application_id}", summary="An application, its materials and what the verifier says", tag="court"
)
async def court_application(request: web.Request) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    view = await svc.confirmations.court.detail(principal, request.match_info["application_id"])
    found = await svc.confirmations.court.verification(principal, view.application.id)
    body = application_view(view, _court_ruling(view.application.id), court=True)
    body["verification"] = {"ok": found.ok, "report_zh": found.report_zh, "report_en": found.report_en}
    return web.json_response(body)


@api.route(
    "POST", "/court/applications/{application_id}/assign", summary="Assign to a judge of the court", body=AssignIn, tag="court"
)
async def court_assign(request: web.Request, body: AssignIn) -> web.StreamResponse:
    view = await services(request).confirmations.court.assign(
        principal_of(request), request.match_info["application_id"], body.judge_id
    )
    return web.json_response(application_view(view, _court_ruling(view.application.id), court=True))


@api.route(
    "POST", "/court/applications/{application_id}/status", summary="Accept, or mark under review", body=StatusIn, tag="court"
)
async def court_status(request: web.Request, body: StatusIn) -> web.StreamResponse:
    view = await services(request).confirmations.court.set_status(
        principal_of(request), request.match_info["application_id"], body.status
    )
    return web.json_response(application_view(view, _court_ruling(view.application.id), court=True))


@api.route(
    "POST",
    "/court/applications/{application_id}/hearing",
    summary="Schedule a video hearing",
    body=HearingIn,
    status=201,
    tag="court",
)
async def court_hearing(request: web.Request, body: HearingIn) -> web.StreamResponse:
    svc = services(request)
    view = await svc.confirmations.court.schedule_hearing(
        principal_of(request),
        request.match_info["application_id"],
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        timezone=body.timezone,
    )
    out = application_view(view, _court_ruling(view.application.id), court=True)
    # How each party joins the hearing by phone (#25): the PIN is in clear in this answer only.
    out["hearing_phone"] = [
        {"party_id": link["party_id"], "party_name": link["party_name"], "role": link["role"], **link["phone"]}
        for link in (views.issued_link(issued, svc.settings) for issued in view.hearing_links)
        if "phone" in link
    ]
    return web.json_response(out, status=201)


@api.route(
    "POST",
    "/court/applications/{application_id}/notes",
    summary="A note for the court only",
    body=NoteIn,
    status=201,
    tag="court",
)
async def court_note(request: web.Request, body: NoteIn) -> web.StreamResponse:
    note = await services(request).confirmations.court.add_note(
        principal_of(request), request.match_info["application_id"], body.text
    )
    return web.json_response(note_view(note), status=201)


@api.route(
    "POST",
    "/court/applications/{application_id}/decision",
    summary="Prepare the ruling for my signature",
    body=DecisionIn,
    status=201,
    tag="court",
)
async def court_decision(request: web.Request, body: DecisionIn) -> web.StreamResponse:
    prepared = await services(request).confirmations.decisions.prepare_decision(
        principal_of(request),
        request.match_info["application_id"],
        decision=body.decision,
        grounds=list(body.grounds),
        reasons=body.reasons,
        key_id=body.key_id,
        clerk=body.clerk,
    )
    return web.json_response(prepared_view(prepared), status=201)


@api.route(
    "GET", "/court/applications/{application_id}/ruling.pdf", summary="The ruling", tag="court", produces="application/pdf"
)
async def court_ruling(request: web.Request) -> web.StreamResponse:
    doc = await services(request).confirmations.decisions.ruling(
        principal_of(request), application_id=request.match_info["application_id"]
    )
    return pdf_response(doc)


def access_view(event: CaseEvent) -> dict[str, Any]:
    data = event.data or {}
    # Reads are logged as evidence_viewed with the route; exports and recording views keep their own kind.
    what = data.get("what") or event.kind
    detail = data.get("detail") or data.get("recording_id") or data.get("manifest_hash") or ""
    return {"at": iso(event.at), "who": event.actor_name, "what": what, "detail": str(detail)}


@api.route("GET", "/court/applications/{application_id}/access-log", summary="Every evidence view by the court", tag="court")
async def court_access_log(request: web.Request) -> web.StreamResponse:
    events = await services(request).confirmations.court.access_log(principal_of(request), request.match_info["application_id"])
    return web.json_response({"items": [access_view(e) for e in events]})
