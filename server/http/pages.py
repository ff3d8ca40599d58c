"""HTML pages, the party link entry point, health and the OpenAPI document."""

from __future__ import annotations

import asyncio
import hashlib
import html
from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.documents.qr import qr_svg
from server.domain.principal import CaseParty, PartyPrincipal, Staff
from server.errors import DomainError, Gone, NotFound
from server.http import party_api, static
from server.http.api import Handler
from server.http.auth_api import set_cookie
from server.http.context import PRINCIPAL, principal_of
from server.http.routes import api
from server.http.static import ASSETS
from server.http.static import page as static_page
from server.models import utcnow
from server.services import services

VERSION = "1.0.0"
ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)
PAGES = {
    "/login": "login.html",
    "/mediator": "mediator.html",
    "/admin": "admin.html",
    "/court": "court.html",
    "/supervision": "supervision.html",
    "/ledger": "ledger.html",
    "/statistics": "statistics.html",
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
        "此次调解已经结束。如果还要签署协议、申请司法确认或再次调解，请打开最新收到的短信中的链接，或联系调解员。",
        "This session is over. To sign the agreement, apply for judicial confirmation or meet again, open the newest"
        " link you received, or contact your mediator.",
    ),
    "cancelled": (
        "调解已取消",
        "This session was cancelled",
        "此次视频调解已取消。调解员会另约时间并发来新的链接；如有疑问，请联系调解员。",
        "This video mediation was cancelled. Your mediator will send a new time and a new link; contact them if in doubt.",
    ),
}


async def page(request: web.Request, name: str) -> web.StreamResponse:
    return await static_page(request, name)


def link_error_page(request: web.Request, kind: str, status: int, mediator: str = "", phone: str = "") -> web.Response:
    """The page a dead link opens: what happened and what to do, in Chinese and English, naming
    the mediator to call (and their number, when the organisation gave one)."""
    zh_title, en_title, zh, en = LINK_ERRORS[kind]
    assets = request.app[ASSETS]
    contact_zh = contact_en = ""
    if mediator:
        who, tel = html.escape(mediator), html.escape(phone)
        call = f'<a href="tel:{tel}">{tel}</a>' if phone else ""
        contact_zh = f'<p data-testid="link-error-contact">您的调解员：{who}{"，电话 " + call if call else ""}</p>'
        contact_en = f'<p lang="en">Your mediator: {who}{", phone " + call if call else ""}</p>'
    body = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{zh_title}</title>
<link rel="icon" href="{assets.url("favicon.svg")}" type="image/svg+xml">
<link rel="stylesheet" href="{assets.url("css/base.css")}"></head>
<body class="party"><main class="card link-error" role="main"><h1>{zh_title}</h1><p>{zh}</p>{contact_zh}
<h2 lang="en">{en_title}</h2><p lang="en">{en}</p>{contact_en}</main></body></html>"""
    return web.Response(text=body, content_type="text/html", status=status)


async def open_link(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    try:
        opened = await services(request).links.open(token)
    except NotFound:
        return link_error_page(request, "not_found", 404)
    except Gone as exc:
        details = exc.details
        return link_error_page(
            request, str(details.get("reason", "expired")), 410, str(details.get("mediator", "")), str(details.get("phone", ""))
        )
    max_age = int((opened.expires_at - utcnow()).total_seconds())
    if "text/html" in request.headers.get("Accept", ""):
        # A browser gets the party's page at once rather than a redirect to /party: on a weak rural
        # network (400 ms a request) that is 0.4 s less every time the party taps the link in
        # their message (issue #18). The page then shows /party in the address bar (party.js,
        # history.replaceState), so a reload or bookmark uses the cookie, not the token.
        party = opened.party
        request[PRINCIPAL] = (
            PartyPrincipal(party.id, party.case_id, opened.session.id, party.name)
            if opened.session is not None
            else CaseParty(party.id, party.case_id, party.name)
        )
        page_response: web.StreamResponse = await party_page(request, revalidate=False)
    else:
        page_response = web.HTTPSeeOther("/party")
    set_cookie(page_response, request, opened.cookie_token, max(max_age, 60))
    page_response.headers["Cache-Control"] = "no-store"
    if isinstance(page_response, web.HTTPException):
        raise page_response
    return page_response


async def home(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    if isinstance(principal, PartyPrincipal | CaseParty):
        raise web.HTTPFound("/party")
    if isinstance(principal, Staff):
        raise web.HTTPFound({"admin": "/admin", "judge": "/court", "supervisor": "/supervision"}.get(principal.role, "/mediator"))
    raise web.HTTPFound("/login")


async def party_page(request: web.Request, *, revalidate: bool = True) -> web.StreamResponse:
    """The party's page with their ``GET /api/v1/party/me`` answer inside it.

    On a weak network (400 ms per request) the page would otherwise wait for one more round trip
    before drawing anything; with the data in the page, a repeat visit draws from the cache and
    this one response. The answer is the API handler's own, so the two never differ; without a
    party (an ended link, no cookie) the page asks the API itself and shows its error.
    """
    built = await asyncio.to_thread(request.app[ASSETS].current)
    asset = built["party.html"]
    html = asset.body
    if isinstance(principal_of(request), PartyPrincipal | CaseParty):
        try:
            answer = await party_api.party_me(request)
        except DomainError:
            answer = None
        if isinstance(answer, web.Response) and answer.status == 200 and isinstance(answer.body, bytes):
            # Inside <script>, "<" must not start a tag: JSON allows it escaped.
            data = answer.body.replace(b"<", b"\\u003c")
            html = html.replace(b"</body>", b'<script type="application/json" id="party-data">' + data + b"</script>\n</body>", 1)
    etag = f'"{hashlib.sha256(html).hexdigest()[:16]}"'
    headers = {"Cache-Control": "private, no-cache", "ETag": etag, "Vary": "Accept-Encoding, Cookie"}
    if revalidate and etag in {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    return web.Response(body=html, content_type="text/html", charset="utf-8", headers=headers)


async def case_page(request: web.Request) -> web.StreamResponse:
    return await page(request, "case.html")


async def live_page(request: web.Request) -> web.StreamResponse:
    """The mediator's live room. Staff only; whether this mediator hosts the session is checked
    by the API and by the /live namespace when the page connects (PROTOCOL.md, "Connecting")."""
    if not isinstance(principal_of(request), Staff):
        raise web.HTTPFound(f"/login?next={quote(request.path)}")
    return await page(request, "live.html")


async def review_page(request: web.Request) -> web.StreamResponse:
    """Watching a session's recordings. Staff only; whether this person may watch them is checked
    by the API the page calls (the case's mediators)."""
    if not isinstance(principal_of(request), Staff):
        raise web.HTTPFound(f"/login?next={quote(request.path)}")
    return await page(request, "review.html")


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


def install(app: web.Application, cache_dir: Path | None = None) -> None:
    """The pages, and ``web/`` under /static/ (``server.http.static``); compressed copies of the
    static files are kept in ``cache_dir``."""
    static.install(app, cache_dir)
    app.router.add_get("/", home)
    for path, name in PAGES.items():
        app.router.add_get(path, _page_handler(name))
    app.router.add_get("/party", party_page)
    app.router.add_get("/cases/{case_id}", case_page)
    app.router.add_get("/live/{session_id}", live_page)
    app.router.add_get("/review/{session_id}", review_page)
    app.router.add_get("/j/{token}", open_link)
    app.router.add_get("/v/{code}", _page_handler("verify.html"))
    app.router.add_get("/court/applications/{application_id}", _page_handler("court.html"))
    # A party applies online (#21): the list, an organisation's form, the applicant's status link.
    app.router.add_get("/apply", _page_handler("apply.html"))
    app.router.add_get("/apply/s/{token}", apply_status_page)
    app.router.add_get("/apply/{organisation_id}", _page_handler("apply.html"))
    app.router.add_get("/apply/{organisation_id}/poster", apply_poster)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/v1/openapi.json", openapi)


async def apply_status_page(request: web.Request) -> web.StreamResponse:
    """The applicant's status link: the page, never cached or sent on as a referrer (the token is in it)."""
    response = await page(request, "apply.html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def apply_poster(request: web.Request) -> web.StreamResponse:
    """A printable poster of an organisation's application page: its name, a QR code that opens the
    form, the address written out and the three steps, in large Chinese (English below). Staff only."""
    if not isinstance(principal_of(request), Staff):
        raise web.HTTPFound(f"/login?next={quote(request.path)}")
    svc = services(request)
    door = await svc.online_applications.door(request.match_info["organisation_id"])
    url = f"{svc.settings.base_url}/apply/{door.organisation.id}"
    code = await asyncio.to_thread(qr_svg, url, 360)
    assets = request.app[ASSETS]
    name, link = html.escape(door.organisation.name), html.escape(url)
    body = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{name} · 在线申请调解</title>
<link rel="icon" href="{assets.url("favicon.svg")}" type="image/svg+xml">
<link rel="stylesheet" href="{assets.url("css/base.css")}"><link rel="stylesheet" href="{assets.url("css/apply.css")}"></head>
<body class="poster"><main class="poster-sheet" role="main">
<h1 data-testid="poster-org">{name}</h1>
<p class="poster-call">扫码申请调解</p>
<div class="poster-qr" data-testid="poster-qr" role="img" aria-label="在线申请调解的二维码 / QR code of the application page">{code}</div>
<p class="poster-url" data-testid="poster-url">{link}</p>
<ol class="poster-steps"><li>用手机扫描二维码，填写您和对方的情况、发生了什么、您的请求。</li>
<li>输入短信验证码，确认手机号码。</li><li>3个工作日内，调解组织答复是否受理。保存好您收到的查询链接。</li></ol>
<p class="poster-free">人民调解不收费（《人民调解法》第四条）。</p>
<p lang="en" class="poster-en">Scan to apply for mediation: fill in the form, confirm your phone with the code sent by SMS,
and the organisation answers within 3 working days. People's mediation is free.</p>
<p class="poster-print noprint"><button type="button" data-print>打印 / Print</button></p>
</main><script type="module" src="{assets.url("js/poster.js")}"></script></body></html>"""
    return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "no-store"})


def _page_handler(name: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await page(request, name)

    return handler
