"""What became of a message to a party: the page that asked for a code polls it."""

from __future__ import annotations

from aiohttp import web

from server.errors import NotFound
from server.http.context import principal_of
from server.http.routes import api
from server.services import services


@api.route(
    "GET",
    "/party/messages/{message_id}",
    summary="A message to me (the one carrying my code): sending, sent, delivered, failed or not sent; never its text",
    tag="party",
    auth="party",
)
async def party_message(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["message_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("no such message")
    status = await services(request).messages.status(principal_of(request), int(raw))
    return web.json_response(status.to_json())
