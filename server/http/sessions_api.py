"""Booking, rescheduling and cancelling sessions; party links and invitations."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from aiohttp import web

from server import live
from server.domain.calendar import Invitation, build_ics
from server.errors import FieldError, InvalidInput
from server.http import views
from server.http.cases_api import viewer_zone
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import CancelIn, RangeQuery, RescheduleIn, SessionIn, ZoneQuery
from server.models import utcnow
from server.services import services


@api.route(
    "POST",
    "/cases/{case_id}/sessions",
    summary="Book a video session; issues each party's link",
    body=SessionIn,
    status=201,
    tag="booking",
)
async def book_session(request: web.Request, body: SessionIn) -> web.StreamResponse:
    booked = await services(request).booking.book(
        principal_of(request),
        request.match_info["case_id"],
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        timezone=body.timezone,
        mediator_id=body.mediator_id,
    )
    settings = services(request).settings
    return web.json_response(
        {
            "session": views.session(booked.view, viewer_zone(request)),
            "links": [views.issued_link(i, settings) for i in booked.issued],
        },
        status=201,
    )


@api.route("GET", "/sessions", summary="My sessions in a period (default: the next 14 days)", query=RangeQuery, tag="booking")
async def list_sessions(request: web.Request, query: RangeQuery) -> web.StreamResponse:
    start = query.start or utcnow() - timedelta(hours=12)
    end = query.end or start + timedelta(days=14)
    for value in (start, end):
        if value.tzinfo is None:
            raise InvalidInput(
                "give times with their UTC offset", [FieldError("from", "e.g. 2026-12-01T00:00:00+08:00", "datetime_offset")]
            )
    found = await services(request).booking.upcoming(principal_of(request), start, end, query.mediator_id)
    zone = viewer_zone(request, query.tz)
    return web.json_response({"items": [views.session(v, zone) for v in found]})


@api.route("GET", "/sessions/{session_id}", summary="A session", query=ZoneQuery, tag="booking")
async def get_session(request: web.Request, query: ZoneQuery) -> web.StreamResponse:
    view = await services(request).booking.get(principal_of(request), request.match_info["session_id"])
    body = views.session(view, viewer_zone(request, query.tz))
    settings = services(request).settings
    # The live page offers to call a party only when this server can (MEDIATE_SIP_LISTEN and MEDIATE_SIP_TRUNK).
    body["phone"] = {"call_out": settings.sip_listen is not None and settings.sip_trunk is not None}
    return web.json_response(body)


@api.route(
    "GET", "/sessions/{session_id}/chat", summary="The session's chat, each line with who it reached", tag="live", auth="any"
)
async def session_chat(request: web.Request) -> web.StreamResponse:
    lines = await services(request).chat.of_session(principal_of(request), request.match_info["session_id"])
    return web.json_response({"items": [views.chat_line(line) for line in lines]})


@api.route(
    "POST",
    "/sessions/{session_id}/reschedule",
    summary="Move a session (same links, same calendar UID)",
    body=RescheduleIn,
    tag="booking",
)
async def reschedule_session(request: web.Request, body: RescheduleIn) -> web.StreamResponse:
    view = await services(request).booking.reschedule(
        principal_of(request),
        request.match_info["session_id"],
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        timezone=body.timezone,
        reason=body.reason,
    )
    return web.json_response({"session": views.session(view, viewer_zone(request)), "links": []})


@api.route(
    "POST", "/sessions/{session_id}/cancel", summary="Cancel a session; its links stop working", body=CancelIn, tag="booking"
)
async def cancel_session(request: web.Request, body: CancelIn) -> web.StreamResponse:
    view = await services(request).booking.cancel(principal_of(request), request.match_info["session_id"], body.reason)
    await live.revoke(request, live.session_room(view.session.id), "session_cancelled")
    return web.json_response(views.session(view, viewer_zone(request)))


@api.route(
    "POST",
    "/sessions/{session_id}/links/{party_id}",
    summary="Issue a new link with a new phone PIN (the old link and PIN stop working)",
    status=201,
    tag="links",
)
async def reissue_link(request: web.Request) -> web.StreamResponse:
    session_id, party_id = request.match_info["session_id"], request.match_info["party_id"]
    issued = await services(request).booking.reissue_link(principal_of(request), session_id, party_id)
    await live.revoke(request, live.party_room(session_id, party_id), "link_reissued")
    return web.json_response(views.issued_link(issued, services(request).settings), status=201)


@api.route("DELETE", "/sessions/{session_id}/links/{party_id}", summary="Revoke a party's link", status=204, tag="links")
async def revoke_link(request: web.Request) -> web.StreamResponse:
    session_id, party_id = request.match_info["session_id"], request.match_info["party_id"]
    await services(request).booking.revoke_link(principal_of(request), session_id, party_id)
    await live.revoke(request, live.party_room(session_id, party_id), "link_revoked")
    return web.Response(status=204)


async def ics_response(request: web.Request, session_id: str, party_id: str) -> web.StreamResponse:
    view, party, org = await services(request).booking.invitation_for(principal_of(request), session_id, party_id)
    body = build_ics(
        Invitation(
            session=view.session,
            case_number=view.case.case_number,
            organisation=org.name,
            mediator=view.mediator.display_name,
            attendee_name=party.name,
            attendee_email=party.email,
            join_hint="请用短信或邮件中的专属链接进入 Join with the personal link in your message: "
            + services(request).settings.base_url
            + "/party",
        )
    )
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": "attachment; filename=\"mediation.ics\"; filename*=UTF-8''"
            + quote(f"mediation-{view.case.case_number}.ics")
        },
    )


@api.route(
    "GET",
    "/sessions/{session_id}/parties/{party_id}/calendar.ics",
    summary="A party's calendar invitation",
    tag="links",
    produces="text/calendar",
)
async def staff_calendar(request: web.Request) -> web.StreamResponse:
    return await ics_response(request, request.match_info["session_id"], request.match_info["party_id"])
