"""HTML pages, the party link entry point, health and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.domain.principal import PartyPrincipal, Staff
from server.errors import Gone, NotFound
from server.http.api import Handler
from server.http.auth_api import set_cookie
from server.http.context import principal_of
from server.http.routes import api
from server.http.services import services
from server.models import utcnow

VERSION = "1.0.0"
WEB_DIR = Path(__file__).resolve().parents[2] / "web"
ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)
PAGES = {
    "/login": "login.html",
    "/mediator": "mediator.html",
    "/admin": "admin.html",
    "/party": "party.html",
    "/court": "court.html",
}

LINK_ERRORS = {
    "not_found": (
        "链接无效",
        "This link is not valid",
        "请检查短信中的链接是否完整，或联系您的调解员重新发送。",
        "Check that the whole link was opened, or ask your mediator to send it again.",
    ),
    "revoked": (
        "链接已失效",
        "This link was withdrawn",
        "调解员已经收回此链接，请使用最新收到的链接，或联系调解员。",
        "Your mediator withdrew this link. Use the newest link you received, or contact the mediator.",
    ),
    "expired": (
        "链接已过期",
        "This link has expired",
        "此次调解已经结束。如需再次调解，请联系调解员。",
        "This session is over. Contact your mediator if you need another session.",
    ),
    "cancelled": (
        "调解已取消",
        "This session was cancelled",
        "此次视频调解已取消，请留意调解员的新通知。",
        "This video mediation was cancelled. Watch for a new message from your mediator.",
    ),
}


def page(name: str) -> web.FileResponse:
    return web.FileResponse(WEB_DIR / name, headers={"Cache-Control": "no-cache"})


def link_error_page(kind: str, status: int) -> web.Response:
    zh_title, en_title, zh, en = LINK_ERRORS[kind]
    body = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{zh_title}</title>
<link rel="stylesheet" href="/static/css/app.css"></head>
<body class="party"><main class="card link-error" role="main"><h1>{zh_title}</h1><p>{zh}</p>
<h2 lang="en">{en_title}</h2><p lang="en">{en}</p></main></body></html>"""
    return web.Response(text=body, content_type="text/html", status=status)


async def open_link(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    try:
        opened = await services(request).links.open(token)
    except NotFound:
        return link_error_page("not_found", 404)
    except Gone as exc:
        return link_error_page(str(exc.details.get("reason", "expired")), 410)
    response = web.HTTPSeeOther("/party")
    max_age = int((opened.session.ends_at - utcnow()).total_seconds()) + services(request).settings.link_grace_minutes * 60
    set_cookie(response, request, opened.cookie_token, max(max_age, 60))
    response.headers["Cache-Control"] = "no-store"
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    if isinstance(principal, PartyPrincipal):
        raise web.HTTPFound("/party")
    if isinstance(principal, Staff):
        raise web.HTTPFound({"admin": "/admin", "judge": "/court"}.get(principal.role, "/mediator"))
    raise web.HTTPFound("/login")


async def case_page(request: web.Request) -> web.StreamResponse:
    return page("case.html")


async def live_page(request: web.Request) -> web.StreamResponse:
    """The mediator's live room. Staff only; whether this mediator hosts the session is checked
    by the API and by the /live namespace when the page connects (PROTOCOL.md, "Connecting")."""
    if not isinstance(principal_of(request), Staff):
        raise web.HTTPFound(f"/login?next={quote(request.path)}")
    return page("live.html")


async def review_page(request: web.Request) -> web.StreamResponse:
    """Watching a session's recordings. Staff only; whether this person may watch them is checked
    by the API the page calls (the case's mediators)."""
    if not isinstance(principal_of(request), Staff):
        raise web.HTTPFound(f"/login?next={quote(request.path)}")
    return page("review.html")


async def healthz(request: web.Request) -> web.StreamResponse:
    """200 when the server is up and its database answers."""
    engine = request.app[ENGINE]
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means not healthy
        return web.json_response({"status": "unavailable", "database": str(exc)[:200]}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(api.openapi("mediate API", VERSION))


def install(app: web.Application) -> None:
    app.router.add_get("/", home)
    for path, name in PAGES.items():
        app.router.add_get(path, _page_handler(name))
    app.router.add_get("/cases/{case_id}", case_page)
    app.router.add_get("/live/{session_id}", live_page)
    app.router.add_get("/review/{session_id}", review_page)
    app.router.add_get("/j/{token}", open_link)
    app.router.add_get("/v/{code}", _page_handler("verify.html"))
    app.router.add_get("/court/applications/{application_id}", _page_handler("court.html"))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/v1/openapi.json", openapi)
    if WEB_DIR.is_dir():
        app.router.add_static("/static/", WEB_DIR, follow_symlinks=False, append_version=False)


def _page_handler(name: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return page(name)

    return handler
