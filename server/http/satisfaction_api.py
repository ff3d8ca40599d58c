"""Parties' ratings of the mediation and their complaints (server/domain/satisfaction.py): a party
rates and complains from their page, signing with their own key; supervisors read the complaints
addressed to their subtree and answer them, and read each mediator's ratings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import StringConstraints

from server.domain.satisfaction import MAX_COMMENT, MAX_COMPLAINT, ComplaintView, MediatorRecord
from server.http import views
from server.http.agreements_api import PartySignatureIn, statement_view
from server.http.cases_api import viewer_zone
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.services import services


class RateIn(Input):
    #: What is rated: a session that has ended (``closing`` comes with the case's closing).
    occasion: Literal["session", "closing"] = "session"
    session_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    #: 5 非常满意, 4 满意, 3 一般, 2 不满意, 1 非常不满意
    stars: int
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT)] = ""


class ComplainIn(Input):
    about: Literal["mediator", "mediation"]
    text: Annotated[str, StringConstraints(max_length=MAX_COMPLAINT)]


class AnswerIn(Input):
    text: Annotated[str, StringConstraints(max_length=MAX_COMPLAINT)]


def complaint_view(v: ComplaintView, zone: str) -> dict[str, Any]:
    """A complaint as a supervisor reads it: who complained in which case, about whom, and the answer."""
    c = v.complaint
    return {
        "id": c.id,
        "case_id": c.case_id,
        "case_number": v.case_number,
        "party": {"id": c.party_id, "name": v.party_name},
        "mediator": {"id": c.mediator_id, "display_name": v.mediator_name},
        "organisation": {"id": c.organisation_id, "name": v.organisation},
        # mediator | mediation
        "about": c.about,
        "text": c.text,
        "filed_at": views.local(c.filed_at, zone),
        "seq": c.seq,
        "answer": c.answer,
        "answered_by": {"id": c.answered_by, "display_name": c.answered_by_name} if c.answered_by else None,
        "answered_at": views.local(c.answered_at, zone) if c.answered_at else None,
        "answer_seq": c.answer_seq,
    }


def mediator_record(r: MediatorRecord, zone: str) -> dict[str, Any]:
    return {
        "mediator": {"id": r.mediator.id, "display_name": r.mediator.display_name},
        "organisation": {"id": r.organisation.id, "name": r.organisation.name},
        "count": r.count,
        "average": r.average,
        # Newest first; the case number, never a party's name.
        "ratings": [x | {"rated_at": views.local(x["rated_at"], zone)} for x in r.ratings],
    }


@api.route("GET", "/party/satisfaction", summary="My ratings of the mediation and my complaints", tag="party", auth="party")
async def party_satisfaction(request: web.Request) -> web.StreamResponse:
    return web.json_response(await services(request).satisfaction.for_party(principal_of(request)))


@api.route(
    "POST", "/party/satisfaction/sign", summary="Prepare my signed rating of a session that has ended", body=RateIn,
    status=201, tag="party", auth="party", errors=(429,),
)  # fmt: skip
async def party_prepare_rating(request: web.Request, body: RateIn) -> web.StreamResponse:
    prepared = await services(request).satisfaction.prepare_rating(
        principal_of(request), occasion=body.occasion, session_id=body.session_id, stars=body.stars, comment=body.comment
    )
    return web.json_response(statement_view(prepared), status=201)


@api.route(
    "POST", "/party/satisfaction/sign/{challenge}", summary="Sign my rating", body=PartySignatureIn, status=201,
    tag="party", auth="party", errors=(410,),
)  # fmt: skip
async def party_sign_rating(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    view = await services(request).satisfaction.sign_rating(principal_of(request), request.match_info["challenge"], body.proof())
    return web.json_response(view, status=201)


@api.route(
    "POST", "/party/complaints/sign", summary="Prepare my signed complaint to the supervising organisation",
    body=ComplainIn, status=201, tag="party", auth="party", errors=(429,),
)  # fmt: skip
async def party_prepare_complaint(request: web.Request, body: ComplainIn) -> web.StreamResponse:
    prepared = await services(request).satisfaction.prepare_complaint(principal_of(request), about=body.about, text=body.text)
    return web.json_response(statement_view(prepared), status=201)


@api.route(
    "POST", "/party/complaints/sign/{challenge}", summary="Sign and file my complaint", body=PartySignatureIn,
    status=201, tag="party", auth="party", errors=(410,),
)  # fmt: skip
async def party_sign_complaint(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    view = await services(request).satisfaction.sign_complaint(
        principal_of(request), request.match_info["challenge"], body.proof()
    )
    return web.json_response(view, status=201)


@api.route("GET", "/supervision/complaints", summary="Parties' complaints addressed to my subtree", tag="supervision")
async def supervision_complaints(request: web.Request) -> web.StreamResponse:
    found = await services(request).satisfaction.complaints(principal_of(request))
    zone = viewer_zone(request)
    return web.json_response({"items": [complaint_view(v, zone) for v in found]})


@api.route(
    "POST", "/supervision/complaints/{complaint_id}/answer", summary="Answer a party's complaint (supervisors)",
    body=AnswerIn, tag="supervision",
)  # fmt: skip
async def answer_complaint(request: web.Request, body: AnswerIn) -> web.StreamResponse:
    found = await services(request).satisfaction.answer(principal_of(request), request.match_info["complaint_id"], text=body.text)
    return web.json_response(complaint_view(found, viewer_zone(request)))


@api.route(
    "GET",
    "/supervision/mediators",
    summary="Each mediator's satisfaction ratings (supervisors, administrators)",
    tag="supervision",
)
async def mediator_ratings(request: web.Request) -> web.StreamResponse:
    found = await services(request).satisfaction.mediator_records(principal_of(request))
    zone = viewer_zone(request)
    return web.json_response({"items": [mediator_record(r, zone) for r in found]})
