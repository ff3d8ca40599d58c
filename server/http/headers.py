"""Security headers on every answer the server makes: pages, static files, the API, 404s and 500s.

They are added in ``on_response_prepare`` rather than in a middleware, because a middleware
never sees what aiohttp makes itself: the 404 of an unknown path, a 405, an ``HTTPException``
raised from a page handler, or the 500 of an unhandled error (OWASP Secure Headers Project: the
headers belong on every response, errors included).

- **Content-Security-Policy** (CSP Level 3). Scripts only from this origin, plus the hash of each
  script a page carries inline (party.html's browser check, ``server.http.assets``): a hash keeps
  a page the same bytes for every visitor, so its ETag and 304 answers still work, which a
  per-request nonce would break. The import map is resolved by the server (no
  ``<script type="importmap">`` is served), so it needs no source. No ``'unsafe-inline'`` for
  styles either: the pages set styles through the CSSOM (``el.style``), which CSP allows, and
  carry no ``style=`` attributes. ``connect-src`` names ``ws:``/``wss:`` of the requested host as
  well as ``'self'``: CSP Level 2 browsers (older WebKit among them) do not count a WebSocket to
  the same host as ``'self'``; ``img-src data: blob:`` for the drawn signature, ``media-src blob:`` for
  recordings played back. ``frame-ancestors 'none'`` with ``X-Frame-Options: DENY`` for older
  browsers (clickjacking), ``object-src 'none'`` and ``base-uri 'none'`` as OWASP's CSP cheat
  sheet advises.
- **Permissions-Policy**: camera and microphone for this origin only on the pages that call
  ``getUserMedia`` (the party's page, ``/j/<token>`` that answers with it, and the mediator's
  live room), screen sharing (``display-capture``) on the live room only, where the mediator
  shares a screen; denied everywhere else, so that a script injected into any other page could
  not turn them on.
- **Strict-Transport-Security** (RFC 6797) when people reach the server over HTTPS (``mediate
  serve --cert``, or a public address that is https behind nginx): two years, as
  ``deploy/nginx/mediate.conf`` had it. Never over plain HTTP (browsers ignore it there, §8.1).
- ``Server: mediate``: aiohttp would name itself and its version (``Python/3.11 aiohttp/3.x``),
  telling a prober which advisories to try.
"""

from __future__ import annotations

from aiohttp import web

from server.http.static import ASSETS
from server.services import SERVICES

HSTS = "max-age=63072000"
SERVER = "mediate"

# Paths of the pages that use the camera and microphone (rtc.js's getUserMedia), and of the one
# that also shares a screen (getDisplayMedia: room.js, the mediator's controls).
CAMERA_PAGES = ("/party", "/j/", "/live/")
SCREEN_PAGES = ("/live/",)
# Features no page of ours uses; each name is one Chromium knows, so none is logged as unknown.
NEVER = ("geolocation", "payment", "usb", "serial", "midi")


def content_security_policy(host: str, script_hashes: tuple[str, ...]) -> str:
    scripts = " ".join(("'self'", *script_hashes))
    sockets = f" ws://{host} wss://{host}" if host else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            f"connect-src 'self'{sockets}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        )
    )


def permissions_policy(path: str) -> str:
    camera = "(self)" if path.startswith(CAMERA_PAGES) else "()"
    screen = "(self)" if path.startswith(SCREEN_PAGES) else "()"
    allowed = [f"camera={camera}", f"microphone={camera}", f"display-capture={screen}"]
    return ", ".join(allowed + [f"{feature}=()" for feature in NEVER])


def serves_https(request: web.Request) -> bool:
    settings = request.app[SERVICES].settings
    return settings.tls or settings.base_url.startswith("https://")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    assets = request.app.get(ASSETS)
    # The Host header as the browser sent it: the WebSocket of this page goes to the same place.
    host = request.headers.get("Host", "")
    host = host if host and all(c.isalnum() or c in ".-:[]" for c in host) else ""
    headers["Content-Security-Policy"] = content_security_policy(host, assets.script_hashes if assets else ())
    headers["Permissions-Policy"] = permissions_policy(request.path)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers["Server"] = SERVER
    if serves_https(request):
        headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")


def install(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
