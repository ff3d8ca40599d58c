"""The people's-deputy report (人大代表参与调解情况) of a quarter, for an organisation's staff (#23).

The cases a people's deputy was invited to in the quarter, with what became of each
(server/domain/statistics/deputies.py); read by whoever may read the organisation's statistics.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field, StringConstraints

from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.services import services


class DeputiesIn(Input):
    #: The organisation (default: one's own); a supervisor names any of their subtree.
    organisation_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    #: Its organisations below as well (supervisors).
    subtree: bool = False
    year: int = Field(ge=2000, le=2999)
    quarter: int = Field(ge=1, le=4)


@api.route("GET", "/statistics/deputies", summary="The people's-deputy report of a quarter", query=DeputiesIn, tag="statistics")
async def deputies_report(request: web.Request, query: DeputiesIn) -> web.StreamResponse:
    result = await services(request).statistics.deputies(
        principal_of(request), query.organisation_id, query.year, query.quarter, subtree=query.subtree
    )
    return web.json_response(result)
