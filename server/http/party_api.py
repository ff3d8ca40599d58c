"""What a party sees after opening their link."""

from __future__ import annotations

from aiohttp import web

from server.domain.booking import iso
from server.domain.principal import require_party
from server.http.context import principal_of
from server.http.routes import api
from server.http.services import services
from server.http.sessions_api import ics_response


@api.route("GET", "/party/me", summary="The party's case, mediator and session", tag="party", auth="party")
async def party_me(request: web.Request) -> web.StreamResponse:
    me, view, org = await services(request).booking.for_party(principal_of(request))
    party = next(p for p in view.parties if p.id == me.party_id)
    s = view.session
    return web.json_response(
        {
            "case": {"case_number": view.case.case_number, "dispute_type": view.case.dispute_type, "summary": view.case.summary},
            "party": {"id": party.id, "name": party.name, "role": party.role},
            "organisation": {"name": org.name},
            "mediator": {"display_name": view.mediator.display_name},
            "session": {
                "id": s.id,
                "starts_at": iso(s.starts_at),
                "ends_at": iso(s.ends_at),
                "timezone": s.timezone,
                "status": s.status,
            },
            "calendar_url": "/api/v1/party/calendar.ics",
        }
    )


@api.route(
    "GET", "/party/calendar.ics", summary="The party's calendar invitation", tag="party", auth="party", produces="text/calendar"
)
async def party_calendar(request: web.Request) -> web.StreamResponse:
    me = require_party(principal_of(request))
    return await ics_response(request, me.session_id, me.party_id)
