"""Whether the other side agrees to mediation: the mediator asks, the respondent answers (server/domain/willingness.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aiohttp import web
from pydantic import StringConstraints

from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.services import services


class AskIn(Input):
    #: The last day the respondents may answer (Beijing time); by default the third working day after today.
    due_date: date | None = None


class AnswerIn(Input):
    answer: Literal["accepted", "refused"]
    #: Why not (optional, with a refusal only).
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


@api.route(
    "GET", "/cases/{case_id}/willingness", summary="Whether each respondent agreed to mediation", tag="willingness",
)  # fmt: skip
async def willingness_of_case(request: web.Request) -> web.StreamResponse:
    found = await services(request).willingness.of_case(principal_of(request), request.match_info["case_id"])
    return web.json_response(found.to_json())


@api.route(
    "POST", "/cases/{case_id}/willingness", summary="Ask each respondent whether they agree to mediation",
    body=AskIn, status=201, tag="willingness",
)  # fmt: skip
async def ask(request: web.Request, body: AskIn) -> web.StreamResponse:
    found = await services(request).willingness.ask(principal_of(request), request.match_info["case_id"], body.due_date)
    return web.json_response(found.to_json(), status=201)


@api.route(
    "GET", "/party/willingness", summary="The question put to me, or the other side's answers", tag="party", auth="party",
)  # fmt: skip
async def party_view(request: web.Request) -> web.StreamResponse:
    view = await services(request).willingness.for_party(principal_of(request))
    return web.json_response({"willingness": view})


@api.route(
    "POST", "/party/willingness", summary="Answer whether I agree to mediation (respondents, once)",
    body=AnswerIn, tag="party", auth="party",
)  # fmt: skip
async def answer(request: web.Request, body: AnswerIn) -> web.StreamResponse:
    view = await services(request).willingness.answer(principal_of(request), body.answer, body.reason)
    return web.json_response({"willingness": view})
