"""Logging in and out, and who am I."""

from __future__ import annotations

from zoneinfo import available_timezones

from aiohttp import web

from server import live
from server.authentication import COOKIE
from server.domain.confirmation.application import GROUNDS
from server.domain.confirmation.decision import REJECTION_GROUNDS
from server.domain.outcomes import AUTOMATIC_GROUNDS, LEGACY
from server.domain.outcomes import GROUNDS as END_GROUNDS
from server.domain.principal import CaseParty, PartyPrincipal, Staff
from server.domain.vocabulary import CASE_SOURCES, DISPUTE_TYPES, INVITED_AS, ORGANISATION_KINDS, PARTY_ROLES, STAFF_ROLES
from server.errors import NotAuthenticated
from server.http import views
from server.http.context import CSRF, principal_of
from server.http.peer import client_address
from server.http.routes import api
from server.http.schemas import LoginIn
from server.services import services

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))


def set_cookie(response: web.StreamResponse, request: web.Request, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        path="/",
        max_age=max_age,
        secure=services(request).settings.cookie_secure or services(request).settings.tls,
    )


@api.route("POST", "/auth/login", summary="Log in as staff", body=LoginIn, tag="auth", auth="none", errors=(401, 429))
async def login(request: web.Request, body: LoginIn) -> web.StreamResponse:
    svc = services(request)
    done = await svc.accounts.login(body.username, body.password, client_address(request, svc.settings.trusted_proxies))
    org = await svc.accounts.organisation_of(done.user)
    response = web.json_response({"user": views.user(done.user, org), "csrf_token": done.csrf_token})
    set_cookie(response, request, done.token, svc.settings.staff_session_hours * 3600)
    return response


@api.route("POST", "/auth/logout", summary="Log out", status=204, tag="auth", auth="none")
async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(COOKIE)
    if token:
        await services(request).accounts.logout(token)
        await live.revoke(request, live.login_room(token), "logged_out")  # this login's open live pages end too
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    return response


@api.route("GET", "/auth/me", summary="The logged-in staff member or party", tag="auth", auth="any")
async def me(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    if isinstance(principal, Staff):
        user = await services(request).accounts.get_user(principal.user_id)
        org = await services(request).accounts.organisation_of(user)
        return web.json_response({"kind": "staff", "user": views.user(user, org), "csrf_token": request[CSRF]})
    if isinstance(principal, PartyPrincipal):
        return web.json_response(
            {
                "kind": "party",
                "party_id": principal.party_id,
                "case_id": principal.case_id,
                "session_id": principal.session_id,
                "csrf_token": request[CSRF],
            }
        )
    if isinstance(principal, CaseParty):
        # A link of the case that belongs to no session yet (server/domain/willingness.py).
        body = {"kind": "party", "party_id": principal.party_id, "case_id": principal.case_id, "session_id": None}
        return web.json_response(body | {"csrf_token": request[CSRF]})
    raise NotAuthenticated("not logged in", reason="log_in")


@api.route("GET", "/meta", summary="Lists to choose from", tag="meta", auth="none")
async def meta(request: web.Request) -> web.StreamResponse:
    return web.json_response(
        {
            "dispute_types": list(DISPUTE_TYPES),
            "party_roles": list(PARTY_ROLES),
            "invited_as": list(INVITED_AS),
            "organisation_kinds": list(ORGANISATION_KINDS),
            "staff_roles": list(STAFF_ROLES),
            "default_timezone": services(request).settings.default_timezone,
            "timezones": ZONES,
            "max_upload_bytes": services(request).settings.max_upload_bytes,
            "confirmation_grounds": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in GROUNDS.items()],
            "rejection_grounds": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in REJECTION_GROUNDS.items()],
            # 在线调解规则 art. 25 items 2-8, each with what choosing it needs (party, applicant, note,
            # period_over, final_agreement) and its source.
            "mediation_end_reasons": [
                {
                    "code": code,
                    "zh": g.zh,
                    "en": g.en,
                    "item": g.item,
                    "needs": list(g.needs),
                    "source_zh": g.source_zh,
                    "source_en": g.source_en,
                }
                for code, g in END_GROUNDS.items()
            ]
            # The grounds the platform records itself (the other side refused or did not answer): never the mediator's to choose.
            + [
                {
                    "code": code,
                    "zh": g.zh,
                    "en": g.en,
                    "item": g.item,
                    "needs": [],
                    "source_zh": g.source_zh,
                    "source_en": g.source_en,
                    "automatic": True,
                }
                for code, g in AUTOMATIC_GROUNDS.items()
            ],
            # The reasons of cases ended before the grounds, and the ground each is.
            "mediation_end_legacy": LEGACY,
            "case_sources": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in CASE_SOURCES.items()],
        }
    )
