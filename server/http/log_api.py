"""The evidence log, read-only, in the C2SP tlog-tiles layout, and the platform's public keys.

Any client written to the spec can follow and audit the log from these URLs alone:
`/log/checkpoint`, `/log/tile/<L>/<N>[.p/<W>]`, `/log/tile/entries/<N>[.p/<W>]`, and `/log/key`
(the log's verifier key as a signed-note `vkey`). Full tiles never change, so they are
cacheable forever; the checkpoint and partial tiles change as the log grows.
"""

from __future__ import annotations

from aiohttp import web

from server.evidence import merkle
from server.services import services

IMMUTABLE = "public, max-age=31536000, immutable"
FRESH = "no-cache"


def text_response(body: str, cache: str = FRESH) -> web.Response:
    return web.Response(text=body, content_type="text/plain", charset="utf-8", headers={"Cache-Control": cache})


async def checkpoint(request: web.Request) -> web.StreamResponse:
    ledger = services(request).ledger
    signed = await ledger.checkpoint_text()
    if signed is None:
        await ledger.checkpoint()
        signed = await ledger.checkpoint_text()
    assert signed is not None
    return text_response(signed)


async def tile(request: web.Request) -> web.StreamResponse:
    path = "tile/" + request.match_info["path"]
    entries = path.startswith("tile/entries/")
    try:
        address = merkle.TileAddress.parse("tile/0/" + path[len("tile/entries/") :] if entries else path)
    except ValueError:
        raise web.HTTPNotFound(text="not a tile path (C2SP tlog-tiles)") from None
    ledger = services(request).ledger
    data = await (ledger.entry_bundle(address) if entries else ledger.tile(address))
    if data is None:
        raise web.HTTPNotFound(text="the log has no such tile yet")
    cache = FRESH if address.is_partial else IMMUTABLE
    return web.Response(body=data, content_type="application/octet-stream", headers={"Cache-Control": cache})


async def vkey(request: web.Request) -> web.StreamResponse:
    return text_response(services(request).ledger.keyring.vkey() + "\n", "public, max-age=300")


async def well_known_keys(request: web.Request) -> web.StreamResponse:
    document = services(request).ledger.keyring.public_document()
    return web.json_response(document, headers={"Cache-Control": "public, max-age=300"})


async def seal_ca(request: web.Request) -> web.StreamResponse:
    """The root a court pins to check the organisations' PAdES seals on agreements."""
    authority = services(request).sealer.authority
    pem = b"".join(authority.trust_roots())
    return web.Response(body=pem, content_type="application/x-pem-file", headers={"Cache-Control": "public, max-age=300"})


def install(app: web.Application) -> None:
    app.router.add_get("/log/checkpoint", checkpoint)
    app.router.add_get("/log/key", vkey)
    app.router.add_get("/log/tile/{path:.+}", tile)
    app.router.add_get("/.well-known/mediate-keys.json", well_known_keys)
    app.router.add_get("/.well-known/mediate-seal-ca.pem", seal_ca)
