"""The signed monthly statistics snapshots of an organisation or its subtree, and their export for an
audit with the case bundles behind them (#23, server/domain/statistics/snapshots.py)."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import StringConstraints

from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.http.spooled import send, spool
from server.services import services

Id = Annotated[str, StringConstraints(max_length=36)]


class SnapshotsIn(Input):
    #: The organisation (default: one's own); a supervisor names any of their subtree.
    organisation_id: Id | None = None
    #: Its organisations below as well (supervisors).
    subtree: bool = False


@api.route("GET", "/statistics/snapshots", summary="The signed monthly statistics snapshots", query=SnapshotsIn, tag="statistics")
async def list_snapshots(request: web.Request, query: SnapshotsIn) -> web.StreamResponse:
    items = await services(request).statistics_snapshots.listing(
        principal_of(request), query.organisation_id, subtree=query.subtree
    )
    return web.json_response({"items": items})


@api.route(
    "POST",
    "/statistics/snapshots/{snapshot_id}/export",
    summary="A snapshot with the evidence bundles of the cases it counts (.zip), for mediate verify-stats",
    status=200,
    tag="statistics",
    produces="application/zip",
)
async def export_snapshot(request: web.Request) -> web.StreamResponse:
    # Spooled and sent a chunk at a time: the cases' bundles inside are as big as their recordings.
    async with spool() as spooled:
        snapshots = services(request).statistics_snapshots
        filename, _ = await snapshots.export(principal_of(request), request.match_info["snapshot_id"], into=spooled)
        return await send(request, spooled, "application/zip", {"Content-Disposition": f'attachment; filename="{filename}"'})
