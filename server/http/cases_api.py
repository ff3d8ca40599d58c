"""Cases, parties, history and outbox."""

from __future__ import annotations

from aiohttp import web

from server.domain.accounts import check_timezone
from server.domain.principal import Staff
from server.domain.registration import Registrant
from server.http import views
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import CaseIn, PartyIn, PartyUpdateIn, ZoneQuery
from server.services import services


def viewer_zone(request: web.Request, asked: str | None = None) -> str:
    if asked:
        return check_timezone(asked, "tz")
    principal = principal_of(request)
    if isinstance(principal, Staff):
        return principal.timezone
    return services(request).settings.default_timezone


@api.route("GET", "/cases", summary="Cases of my organisation", tag="cases")
async def list_cases(request: web.Request) -> web.StreamResponse:
    cases = await services(request).cases.list_cases(principal_of(request))
    zone = viewer_zone(request)
    return web.json_response({"items": [views.case_summary(c, viewer_zone=zone) for c in cases]})


@api.route("POST", "/cases", summary="Register a case, with its parties", body=CaseIn, status=201, tag="cases")
async def open_case(request: web.Request, body: CaseIn) -> web.StreamResponse:
    fields = body.model_dump(exclude={"applicants", "respondents"})
    view = await services(request).cases.open_case(
        principal_of(request),
        **fields,
        applicants=[Registrant("applicant", **person.model_dump()) for person in body.applicants],
        respondents=[Registrant("respondent", **person.model_dump()) for person in body.respondents],
    )
    return web.json_response(
        views.case_summary(view) | {"parties": [views.party(p) for p in view.parties], "sessions": []}, status=201
    )


@api.route("GET", "/cases/{case_id}", summary="A case with its parties and sessions", query=ZoneQuery, tag="cases")
async def get_case(request: web.Request, query: ZoneQuery) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    view = await svc.cases.get(principal, request.match_info["case_id"])
    sessions = await svc.booking.sessions_of_case(principal, view.case.id)
    return web.json_response(views.case(view, sessions, viewer_zone(request, query.tz)))


@api.route(
    "POST",
    "/cases/{case_id}/parties",
    summary="Add a party, agent, interpreter or invited person",
    body=PartyIn,
    status=201,
    tag="cases",
)
async def add_party(request: web.Request, body: PartyIn) -> web.StreamResponse:
    party = await services(request).cases.add_party(principal_of(request), request.match_info["case_id"], **body.model_dump())
    return web.json_response(views.party(party), status=201)


@api.route(
    "PATCH", "/cases/{case_id}/parties/{party_id}", summary="Complete or correct a party's particulars",
    body=PartyUpdateIn, tag="cases",
)  # fmt: skip
async def update_party(request: web.Request, body: PartyUpdateIn) -> web.StreamResponse:
    party = await services(request).cases.update_party(
        principal_of(request), request.match_info["case_id"], request.match_info["party_id"], body.model_dump(exclude_unset=True)
    )
    return web.json_response(views.party(party))


@api.route("GET", "/parties/{party_id}/identity", summary="A party's full ID number (logged)", tag="cases")
async def reveal_identity(request: web.Request) -> web.StreamResponse:
    party = await services(request).cases.reveal_id_number(principal_of(request), request.match_info["party_id"])
    return web.json_response({"party_id": party.id, "id_number": party.id_number})


@api.route("GET", "/cases/{case_id}/history", summary="Everything that happened to a case", tag="cases")
async def case_history(request: web.Request) -> web.StreamResponse:
    events = await services(request).cases.history(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [views.event(e) for e in events]})


@api.route("GET", "/cases/{case_id}/outbox", summary="Notifications of a case, with their links", tag="cases")
async def case_outbox(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    messages = await svc.cases.outbox(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [views.outbox(m, svc.settings) for m in messages]})
