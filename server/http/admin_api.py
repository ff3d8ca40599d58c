"""Organisations and staff accounts (administrators), and availability (mediators)."""

from __future__ import annotations

from aiohttp import web

from server import live
from server.domain.principal import require_admin
from server.http import views
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import AvailabilityIn, ExceptionIn, OrganisationIn, OrganisationUpdateIn, UserIn, UserUpdateIn
from server.services import services


@api.route("GET", "/organisations", summary="List organisations", tag="admin")
async def list_organisations(request: web.Request) -> web.StreamResponse:
    orgs = await services(request).accounts.list_organisations(principal_of(request))
    return web.json_response({"items": [views.organisation(o) for o in orgs]})


@api.route("POST", "/organisations", summary="Create an organisation", body=OrganisationIn, status=201, tag="admin")
async def create_organisation(request: web.Request, body: OrganisationIn) -> web.StreamResponse:
    svc = services(request)
    org = await svc.accounts.create_organisation(
        principal_of(request),
        body.name,
        body.kind,
        body.timezone,
        recording_retention_days=body.recording_retention_days,
        case_file_retention_years=body.case_file_retention_years,
        region=body.region,
        court_code=body.court_code,
        parent_id=body.parent_id,
    )
    await svc.sealer.seal_for(org.id, org.name)  # its seal certificate exists from the start
    return web.json_response(views.organisation(org), status=201)


@api.route(
    "PATCH", "/organisations/{organisation_id}", summary="Set an organisation's region, its parent or a court's code",
    body=OrganisationUpdateIn, tag="admin",
)  # fmt: skip
async def update_organisation(request: web.Request, body: OrganisationUpdateIn) -> web.StreamResponse:
    org = await services(request).accounts.update_organisation(
        principal_of(request), request.match_info["organisation_id"], body.model_dump(exclude_unset=True)
    )
    return web.json_response(views.organisation(org))


@api.route("GET", "/users", summary="List staff accounts", tag="admin")
async def list_users(request: web.Request) -> web.StreamResponse:
    accounts = services(request).accounts
    users = await accounts.list_users(principal_of(request))
    orgs = {o.id: o for o in await accounts.list_organisations(principal_of(request))}
    return web.json_response({"items": [views.user(u, orgs.get(u.organisation_id or "")) for u in users]})


@api.route("POST", "/users", summary="Create a staff account", body=UserIn, status=201, tag="admin")
async def create_user(request: web.Request, body: UserIn) -> web.StreamResponse:
    accounts = services(request).accounts
    user = await accounts.create_user(principal_of(request), **body.model_dump())
    return web.json_response(views.user(user, await accounts.organisation_of(user)), status=201)


@api.route(
    "PATCH", "/users/{user_id}", summary="Disable a staff account (its logins and live pages end) or enable it again",
    body=UserUpdateIn, tag="admin",
)  # fmt: skip
async def update_user(request: web.Request, body: UserUpdateIn) -> web.StreamResponse:
    accounts = services(request).accounts
    user_id = request.match_info["user_id"]
    user = await accounts.set_active(principal_of(request), user_id, body.active)
    if not body.active:
        await live.revoke(request, live.user_room(user_id), "account_disabled")
    return web.json_response(views.user(user, await accounts.organisation_of(user)))


@api.route("GET", "/mediators", summary="Mediators of my organisation", tag="booking")
async def list_mediators(request: web.Request) -> web.StreamResponse:
    users = await services(request).accounts.list_mediators(principal_of(request))
    return web.json_response({"items": [views.user(u) for u in users]})


@api.route("GET", "/users/{user_id}/availability", summary="A mediator's weekly availability and exceptions", tag="booking")
async def get_availability(request: web.Request) -> web.StreamResponse:
    a = await services(request).booking.availability.get(principal_of(request), request.match_info["user_id"])
    return web.json_response(views.availability(a))


@api.route("PUT", "/users/{user_id}/availability", summary="Replace my weekly availability", body=AvailabilityIn, tag="booking")
async def put_availability(request: web.Request, body: AvailabilityIn) -> web.StreamResponse:
    a = await services(request).booking.availability.set_weekly(
        principal_of(request), request.match_info["user_id"], body.timezone, [w.model_dump() for w in body.weekly]
    )
    return web.json_response(views.availability(a))


@api.route(
    "POST",
    "/users/{user_id}/availability/exceptions",
    summary="Add a day off or extra hours",
    body=ExceptionIn,
    status=201,
    tag="booking",
)
async def add_exception(request: web.Request, body: ExceptionIn) -> web.StreamResponse:
    availability = services(request).booking.availability
    user_id = request.match_info["user_id"]
    exc = await availability.add_exception(
        principal_of(request),
        user_id,
        day=body.date,
        start=body.start,
        end=body.end,
        available=body.available,
        reason=body.reason,
    )
    shaped = views.availability(await availability.get(principal_of(request), user_id))
    return web.json_response(next(e for e in shaped["exceptions"] if e["id"] == exc.id), status=201)


@api.route(
    "DELETE", "/users/{user_id}/availability/exceptions/{exception_id}", summary="Remove an exception", status=204, tag="booking"
)
async def delete_exception(request: web.Request) -> web.StreamResponse:
    await services(request).booking.availability.delete_exception(
        principal_of(request), request.match_info["user_id"], request.match_info["exception_id"]
    )
    return web.Response(status=204)


@api.route("GET", "/server/address", summary="The address parties' links are built from, and the log's name", tag="admin")
async def server_address(request: web.Request) -> web.StreamResponse:
    """What an administrator must see before the first invitation goes out: links built from a
    loopback address open only on the server itself."""
    require_admin(principal_of(request))
    svc = services(request)
    settings = svc.settings
    return web.json_response(
        {
            "public_url": settings.base_url,
            "configured": settings.public_url is not None,
            "loopback": settings.public_address_is_loopback,
            "log_origin": svc.ledger.origin,
            "log_origin_provisional": svc.ledger.keyring.provisional,
        }
    )
