"""Archiving a closed case (归档) and what retention then applies to its file (server/domain/archive.py)."""

from __future__ import annotations

from aiohttp import web

from server.http.context import principal_of
from server.http.routes import api
from server.services import services


@api.route(
    "GET", "/cases/{case_id}/archive", summary="Whether the case is archived, its file's retention and destruction", tag="cases"
)
async def case_archive(request: web.Request) -> web.StreamResponse:
    view = await services(request).archive.view(principal_of(request), request.match_info["case_id"])
    return web.json_response(view.to_json())


@api.route("POST", "/cases/{case_id}/archive", summary="Archive the closed case (归档): it reads only from then on", status=201,
           tag="cases")  # fmt: skip
async def archive_case(request: web.Request) -> web.StreamResponse:
    view = await services(request).archive.archive(principal_of(request), request.match_info["case_id"])
    return web.json_response(view.to_json(), status=201)
