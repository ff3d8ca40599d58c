"""Serving ``web/``: versioned static files, HTML pages with ETags, compression, the favicon.

What is served and how it is versioned is ``server.http.assets``; this module is the HTTP side:

- ``/static/<path>?v=<version>`` with the current version: ``Cache-Control: public,
  max-age=31536000, immutable`` (RFC 8246), so a repeat visit asks the network for nothing but
  the page. Without ``v``, or with an old one: ``no-cache`` (revalidate with the ETag), never a
  stale file under a long lifetime.
- HTML pages: ``no-cache`` with a strong ETag and 304 Not Modified (RFC 9110 §13.1.2), so a
  repeat visit costs one small round trip and always sees the newest URLs.
- Each text file in the encoding the browser accepts (``br`` before ``gzip``; browsers offer
  ``br`` over HTTPS only), from the copies made once; ``Vary: Accept-Encoding``.
- Other text responses (the JSON API) are gzipped by ``compress_text``, except those that carry
  a login's CSRF token (``/api/v1/auth/``): a secret and attacker-chosen text compressed together
  leak the secret by size (BREACH).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

from server.http.assets import Asset, Assets, brotli_available

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
ASSETS: web.AppKey[Assets] = web.AppKey("assets", Assets)
WARMING: web.AppKey[asyncio.Task[None]] = web.AppKey("static_warming", asyncio.Task)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")
NOT_COMPRESSED_PREFIXES = ("/api/v1/auth/", "/socket.io/")
MIN_COMPRESS_BYTES = 1024


def install(app: web.Application, cache_dir: Path | None) -> None:
    app[ASSETS] = Assets(WEB_DIR, cache_dir, recheck_seconds=1.0)
    app.router.add_get("/static/{path:.+}", serve_static)
    app.router.add_get("/favicon.ico", favicon)


async def warm(app: web.Application) -> None:
    """Build and compress every file in a thread, so the first visitors wait for none of it."""

    async def run() -> None:
        try:
            await asyncio.to_thread(app[ASSETS].warm)
        except Exception:  # the files are then compressed on first request instead
            log.exception("could not prepare the static files in advance")

    app[WARMING] = asyncio.get_running_loop().create_task(run())


def accepted_encoding(request: web.Request) -> str | None:
    """The best of br and gzip the request accepts (RFC 9110 §12.5.3), or None."""
    offered: dict[str, float] = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            offered[name.strip().lower()] = q
    for encoding in ("br", "gzip") if brotli_available() else ("gzip",):
        if offered.get(encoding, offered.get("*", 0.0)) > 0:
            return encoding
    return None


def not_modified(request: web.Request, asset: Asset) -> bool:
    given = request.headers.get("If-None-Match", "")
    if not given:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    return "*" in tags or asset.etag in tags


async def respond(request: web.Request, asset: Asset, cache_control: str) -> web.Response:
    headers = {"Cache-Control": cache_control, "ETag": asset.etag, "Vary": "Accept-Encoding"}
    if not_modified(request, asset):
        return web.Response(status=304, headers=headers)
    body = asset.body
    encoding = accepted_encoding(request) if asset.compressible else None
    if encoding is not None:
        assets = request.app[ASSETS]
        encoded = asset.encoded.get(encoding) or await asyncio.to_thread(assets.encoded, asset, encoding)
        if encoded is not None and len(encoded) < len(body):
            body = encoded
            headers["Content-Encoding"] = encoding
    response = web.Response(body=body, headers=headers)
    response.content_type, _, charset = asset.content_type.partition("; charset=")
    if charset:
        response.charset = charset
    return response


async def serve_static(request: web.Request) -> web.StreamResponse:
    assets = request.app[ASSETS]
    built = await asyncio.to_thread(assets.current)
    asset = built.get(request.match_info["path"])
    if asset is None or asset.content_type.startswith("text/html"):
        raise web.HTTPNotFound()
    versioned = request.query.get("v") == asset.version
    return await respond(request, asset, IMMUTABLE if versioned else REVALIDATE)


async def page(request: web.Request, name: str) -> web.StreamResponse:
    """An HTML page of ``web/`` with its URLs versioned; revalidated on every visit."""
    built = await asyncio.to_thread(request.app[ASSETS].current)
    asset = built.get(name)
    if asset is None:
        raise web.HTTPNotFound()
    return await respond(request, asset, REVALIDATE)


async def favicon(request: web.Request) -> web.StreamResponse:
    """Browsers that ignore ``<link rel="icon">`` (and bookmarks) ask for /favicon.ico."""
    built = await asyncio.to_thread(request.app[ASSETS].current)
    asset = built.get("favicon.ico") or built.get("favicon.svg")
    if asset is None:
        raise web.HTTPNotFound()
    return await respond(request, asset, "public, max-age=86400")


@web.middleware
async def compress_text(request: web.Request, handler: Handler) -> web.StreamResponse:
    """gzip text responses made per request (the JSON API, error pages) when the client takes it."""
    response = await handler(request)
    if (
        isinstance(response, web.Response)
        and not response.prepared
        and response.status not in (204, 304)
        and "Content-Encoding" not in response.headers
        and response.body is not None
        and isinstance(response.body, bytes | bytearray)
        and len(response.body) >= MIN_COMPRESS_BYTES
        and response.content_type.startswith(COMPRESSIBLE)
        and not request.path.startswith(NOT_COMPRESSED_PREFIXES)
        and "gzip" in request.headers.get("Accept-Encoding", "")
    ):
        response.enable_compression(web.ContentCoding.gzip)
        vary = response.headers.get("Vary")
        if not vary or "accept-encoding" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    return response
