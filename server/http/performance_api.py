"""Performing the sealed agreement (server/domain/performance.py): the case's obligations for its
mediators; what a party owes and is owed, their report, and their signed confirmation or dispute."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import StringConstraints

from server.domain.documents import document_view
from server.domain.performance import MAX_NOTE
from server.http.agreements_api import PartySignatureIn, statement_view
from server.http.context import principal_of
from server.http.documents_api import document_url
from server.http.routes import api
from server.http.schemas import Input
from server.http.staffkeys_api import prepared_view
from server.services import services

Note = Annotated[str, StringConstraints(max_length=MAX_NOTE)]


class ReportIn(Input):
    note: Note = ""
    #: A transfer screenshot or receipt the party added to the case file first (POST /party/documents).
    proof_document_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None


class AnswerIn(Input):
    answer: Literal["confirm", "dispute"]
    #: Why it was not performed (a dispute needs one).
    reason: Note = ""


class OverVideoIn(Input):
    #: The mediator's own key, bound to the case: the record is theirs, not the party's signature.
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    note: Note = ""


@api.route("GET", "/cases/{case_id}/obligations", summary="What the sealed agreement binds the parties to perform", tag="cases")
async def case_obligations(request: web.Request) -> web.StreamResponse:
    views = await services(request).performance.of_case(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [v.to_json() for v in views]})


@api.route(
    "POST", "/cases/{case_id}/obligations/{obligation_id}/confirmed-over-video",
    summary="Prepare my signed record that the party owed confirmed performance on video", body=OverVideoIn, status=201,
    tag="cases",
)  # fmt: skip
async def confirm_over_video(request: web.Request, body: OverVideoIn) -> web.StreamResponse:
    prepared = await services(request).performance.prepare_over_video(
        principal_of(request), request.match_info["case_id"], request.match_info["obligation_id"], key=body.key_id,
        note=body.note,
    )  # fmt: skip
    return web.json_response(prepared_view(prepared), status=201)


@api.route("GET", "/party/obligations", summary="What I owe and am owed under the agreement", tag="party", auth="party")
async def party_obligations(request: web.Request) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    mine = await svc.performance.for_party(principal)
    offer = await svc.enforcement.offer(principal)
    body: dict[str, Any] = {k: [v.to_json() for v in views] for k, views in mine.items()}
    # After a court confirmed the agreement, what the payee's card offers for an overdue instalment.
    body["enforcement"] = {"court": offer.court, "ruling_number": offer.ruling_number, "unpaid": offer.unpaid} if offer else None
    return web.json_response(body)


@api.route(
    "POST", "/party/enforcement-application",
    summary="My pre-filled application for enforcement of the confirmed agreement, to sign by hand (PDF in my case file)",
    status=201, tag="party", auth="party",
)  # fmt: skip
async def party_enforcement_application(request: web.Request) -> web.StreamResponse:
    doc = await services(request).enforcement.application(principal_of(request))
    return web.json_response(document_view(doc, document_url(doc)), status=201)


@api.route(
    "POST", "/party/obligations/{obligation_id}/report", summary="Report that I performed an instalment",
    body=ReportIn, status=201, tag="party", auth="party",
)  # fmt: skip
async def party_report_performance(request: web.Request, body: ReportIn) -> web.StreamResponse:
    view = await services(request).performance.report(
        principal_of(request), request.match_info["obligation_id"], note=body.note, proof_document_id=body.proof_document_id
    )
    return web.json_response(view.to_json(), status=201)


@api.route(
    "POST", "/party/obligations/{obligation_id}/answer", summary="Prepare my signed confirmation or dispute of a performance",
    body=AnswerIn, status=201, tag="party", auth="party", errors=(429,),
)  # fmt: skip
async def party_prepare_performance_answer(request: web.Request, body: AnswerIn) -> web.StreamResponse:
    prepared = await services(request).performance.prepare(
        principal_of(request), request.match_info["obligation_id"], body.answer, body.reason
    )
    return web.json_response(statement_view(prepared), status=201)


@api.route(
    "POST", "/party/obligations/answer/{challenge}", summary="Sign my confirmation or dispute of a performance",
    body=PartySignatureIn, status=201, tag="party", auth="party", errors=(410,),
)  # fmt: skip
async def party_sign_performance_answer(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    view = await services(request).performance.sign(principal_of(request), request.match_info["challenge"], body.proof())
    return web.json_response(view.to_json(), status=201)
