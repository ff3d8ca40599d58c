"""A party's online application for mediation: the public page's calls (no account) and the staff queue."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from aiohttp import web
from pydantic import Field, StringConstraints

from server.domain.booking import iso
from server.domain.online_applications import DECLINE_ROUTES, ApplicationForm, ApplicationView, Door
from server.domain.registration import Registrant
from server.domain.vocabulary import DISPUTE_TYPES
from server.http import views
from server.http.context import principal_of
from server.http.documents_api import UPLOAD_TYPES, _read_limited
from server.http.peer import client_address
from server.http.routes import api
from server.http.schemas import Input, Name, choice
from server.services import services
from server.settings import Settings

Text = Annotated[str, StringConstraints(max_length=4000)]
Phone = Annotated[str, StringConstraints(max_length=32)]
Address = Annotated[str, StringConstraints(max_length=200)]
Id = Annotated[str, StringConstraints(max_length=36)]


class ApplicantIn(Input):
    """Who applies: the application form's (人民调解申请书) particulars, as the window registers them."""

    name: Name
    phone: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    sex: Literal["male", "female"] | None = None
    birth_date: date | None = None
    age: Annotated[int, Field(ge=0, le=130)] | None = None
    address: Address | None = None


class OtherSideIn(Input):
    """The other side: a name, and a phone and address where the applicant knows them."""

    name: Name
    phone: Phone | None = None
    address: Address | None = None


class ApplicationIn(Input):
    applicant: ApplicantIn
    respondents: list[OtherSideIn] = Field(min_length=1, max_length=10)
    facts: Text
    requests: Text
    #: The organisation chosen among those the page offers; null on a centre's page: 让中心分派.
    organisation_id: Id | None = None
    preferred_mediator_id: Id | None = None
    #: The page's language: the text telling the applicant staff's answer adds English for en.
    language: Literal["zh", "en"] = "zh"


class CodeIn(Input):
    code: Annotated[str, StringConstraints(min_length=1, max_length=12)]


class AcceptIn(Input):
    case_number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    dispute_type: Annotated[str, choice(DISPUTE_TYPES)]
    #: The mediator who handles the case; by default the one the applicant asked for.
    mediator_id: Id | None = None


class FileQuery(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class DeclineIn(Input):
    reason: Text = ""
    routes: list[Annotated[str, choice(tuple(DECLINE_ROUTES))]] = Field(default_factory=list, max_length=10)


def door_view(door: Door) -> dict[str, Any]:
    return {
        "organisation": {"id": door.organisation.id, "name": door.organisation.name, "kind": door.organisation.kind},
        "centre": door.centre,
        "choices": [
            {
                "id": o.id,
                "name": o.name,
                "kind": o.kind,
                "mediators": [{"id": m.id, "display_name": m.display_name} for m in mediators],
            }
            for o, mediators in door.choices
        ],
        "phone_confirmation": door.phone_confirmation,
    }


def status_view(v: ApplicationView, *, staff: bool = False, settings: Settings | None = None) -> dict[str, Any]:
    """What the applicant's status page shows; staff also see the particulars, the texts, and what
    became of the text message telling the applicant the answer (``notice``, with the settings)."""
    a = v.application
    clock = v.acceptance
    out: dict[str, Any] = {
        "id": a.id,
        "status": a.status,
        "organisation": {"id": v.organisation.id, "name": v.organisation.name},
        "centre_assigns": a.centre_assigns,
        "applicant_name": a.applicant.get("name"),
        "applied_at": iso(a.created_at),
        "confirmed_at": iso(a.confirmed_at) if a.confirmed_at else None,
        # The organisation answers by the end of this day (在线调解规则 art. 12: 3 working days).
        "answer_due_date": clock.due_date.isoformat() if clock is not None else None,
        "preferred_mediator": {"id": v.preferred_mediator.id, "display_name": v.preferred_mediator.display_name}
        if v.preferred_mediator
        else None,
        "decided_at": iso(a.decided_at) if a.decided_at else None,
        "case": {"case_number": v.case.case_number, "mediator": v.mediator.display_name if v.mediator else None}
        if v.case is not None
        else None,
        "decline_reason": a.decline_reason,
        "decline_routes": a.decline_routes or [],
        "files": [{"id": f.id, "name": f.name, "content_type": f.content_type, "bytes": f.size} for f in v.files],
    }
    if staff:
        out |= {
            "applicant": a.applicant,
            "respondents": a.respondents,
            "facts": a.facts,
            "requests": a.requests,
            "acceptance_state": clock.state if clock is not None else None,
            "decided_by": v.decided_by.display_name if v.decided_by else None,
            "case_id": a.case_id,
            "notice": views.notice(v.notice, settings) if v.notice is not None and settings is not None else None,
        }
        for f in out["files"]:
            f["url"] = f"{api.prefix}/applications/{quote(a.id)}/files/{quote(f['id'])}"
    return out


# -- the public page (no account) ------------------------------------------------------------


@api.route("GET", "/apply/organisations", summary="Organisations that take applications online", tag="apply", auth="none")
async def open_doors(request: web.Request) -> web.StreamResponse:
    orgs, phone = await services(request).online_applications.open_doors()
    return web.json_response({"items": [{"id": o.id, "name": o.name, "kind": o.kind} for o in orgs], "phone_confirmation": phone})


@api.route(
    "GET", "/apply/organisations/{organisation_id}", summary="What an organisation's application page offers",
    tag="apply", auth="none",
)  # fmt: skip
async def door(request: web.Request) -> web.StreamResponse:
    found = await services(request).online_applications.door(request.match_info["organisation_id"])
    return web.json_response(door_view(found))


@api.route(
    "POST", "/apply/organisations/{organisation_id}/applications",
    summary="Apply for mediation; a code is sent to the applicant's phone", body=ApplicationIn, status=201,
    tag="apply", auth="none", errors=(409, 429),
)  # fmt: skip
async def submit(request: web.Request, body: ApplicationIn) -> web.StreamResponse:
    svc = services(request)
    applicant = body.applicant
    form = ApplicationForm(
        applicant=Registrant("applicant", **applicant.model_dump()),
        respondents=[Registrant("respondent", o.name, o.phone or "", address=o.address) for o in body.respondents],
        facts=body.facts,
        requests=body.requests,
        organisation_id=body.organisation_id,
        preferred_mediator_id=body.preferred_mediator_id,
        language=body.language,
    )
    address = client_address(request, svc.settings.trusted_proxies)
    done = await svc.online_applications.submit(request.match_info["organisation_id"], form, address)
    a = done.application
    return web.json_response(
        {"id": a.id, "code": done.sent.to_json(), "expires_at": iso(a.expires_at), "code_expires_at": iso(a.code_expires_at or a.expires_at)},
        status=201,
    )  # fmt: skip


@api.route(
    "POST", "/apply/applications/{application_id}/code", summary="Send the applicant a new code",
    tag="apply", auth="none", errors=(409, 410, 429),
)  # fmt: skip
async def resend(request: web.Request) -> web.StreamResponse:
    sent = await services(request).online_applications.resend_code(request.match_info["application_id"])
    return web.json_response({"code": sent.to_json()})


@api.route(
    "POST", "/apply/applications/{application_id}/confirm", summary="Confirm the applicant's phone with the code",
    body=CodeIn, tag="apply", auth="none", errors=(409, 410, 429),
)  # fmt: skip
async def confirm(request: web.Request, body: CodeIn) -> web.StreamResponse:
    apps = services(request).online_applications
    _, token = await apps.confirm(request.match_info["application_id"], body.code)
    view = await apps.status(token)
    return web.json_response(status_view(view) | {"status_url": apps.status_url(token)})


@api.route("GET", "/apply/status/{token}", summary="Where my application stands (the applicant's link)", tag="apply", auth="none")
async def status(request: web.Request) -> web.StreamResponse:
    view = await services(request).online_applications.status(request.match_info["token"])
    response = web.json_response(status_view(view))
    response.headers["Cache-Control"] = "no-store"
    return response


@api.route(
    "POST", "/apply/status/{token}/files", summary="Attach a PDF or photo to my application (by my status link)",
    query=FileQuery, status=201, tag="apply", auth="none", accepts=UPLOAD_TYPES, errors=(409,),
)  # fmt: skip
async def attach(request: web.Request, query: FileQuery) -> web.StreamResponse:
    svc = services(request)
    await svc.online_applications.may_attach(request.match_info["token"])
    data = await _read_limited(request, svc.settings.max_upload_bytes)
    file = await svc.online_applications.attach(
        request.match_info["token"], name=query.name, content_type=request.headers.get("Content-Type", ""), data=data
    )
    return web.json_response(
        {"id": file.id, "name": file.name, "content_type": file.content_type, "bytes": file.size}, status=201
    )


# -- staff -------------------------------------------------------------------------------------


@api.route("GET", "/applications", summary="Confirmed applications awaiting my organisation's answer", tag="apply")
async def queue(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    items = await svc.application_answers.queue(principal_of(request))
    return web.json_response({"items": [status_view(v, staff=True, settings=svc.settings) for v in items]})


@api.route("GET", "/applications/{application_id}", summary="One application to my organisation, and the text telling its answer", tag="apply")  # fmt: skip
async def staff_application(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    view = await svc.application_answers.for_staff(principal_of(request), request.match_info["application_id"])
    return web.json_response(status_view(view, staff=True, settings=svc.settings))


@api.route("POST", "/applications/{application_id}/accept", summary="Accept an application: the case is registered", body=AcceptIn, tag="apply")  # fmt: skip
async def accept_application(request: web.Request, body: AcceptIn) -> web.StreamResponse:
    svc = services(request)
    view, case = await svc.application_answers.accept(
        principal_of(request), request.match_info["application_id"], **body.model_dump()
    )
    return web.json_response(
        status_view(view, staff=True, settings=svc.settings) | {"case": {"id": case.case.id, "case_number": case.case.case_number, "mediator": case.mediator.display_name}}
    )  # fmt: skip


@api.route("POST", "/applications/{application_id}/decline", summary="Decline an application, saying why and the routes open", body=DeclineIn, tag="apply")  # fmt: skip
async def decline(request: web.Request, body: DeclineIn) -> web.StreamResponse:
    svc = services(request)
    view = await svc.application_answers.decline(
        principal_of(request), request.match_info["application_id"], reason=body.reason, routes=body.routes
    )
    return web.json_response(status_view(view, staff=True, settings=svc.settings))


@api.route(
    "GET", "/applications/{application_id}/files/{file_id}", summary="A file an applicant attached", tag="apply",
    produces="application/octet-stream",
)  # fmt: skip
async def application_file(request: web.Request) -> web.StreamResponse:
    file = await services(request).application_answers.file_for_staff(
        principal_of(request), request.match_info["application_id"], request.match_info["file_id"]
    )
    disposition = "inline" if file.content_type.startswith("image/") else "attachment"
    return web.Response(
        body=file.data,
        content_type=file.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(file.name)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
