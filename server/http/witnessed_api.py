"""Binding a party's key under the mediator's video check of their ID card (server/domain/witnessed.py).

Also what the pages need to offer the path that works: for a party, whether a code can reach
them and whether a check is open for them; for the mediator, the same for every party of a case.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.evidence.records import KeyInfo, b64
from server.http.context import principal_of
from server.http.evidence_api import B64, DeviceKeyIn
from server.http.routes import api
from server.http.schemas import Input
from server.http.staffkeys_api import CredentialIn
from server.services import services


class SignatureOnlyIn(Input):
    signature: B64


def bound_view(info: KeyInfo) -> dict[str, Any]:
    return {"key_id": info.id, "alg": info.alg, "method": "video_witnessed"}


@api.route(
    "GET", "/party/keys", summary="My signing key, whether codes reach me, and an open video check", tag="evidence", auth="party"
)
async def party_key_status(request: web.Request) -> web.StreamResponse:
    status = await services(request).witnessed.party_status(principal_of(request))
    return web.json_response(status.to_json())


@api.route(
    "GET",
    "/cases/{case_id}/identity-status",
    summary="Each party: whether codes reach them, their identity check, their signing key",
    tag="evidence",
)
async def case_identity_status(request: web.Request) -> web.StreamResponse:
    items = await services(request).witnessed.case_status(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [item.to_json() for item in items]})


@api.route(
    "POST",
    "/party/keys/witnessed/device",
    summary="Start binding a device key under the mediator's video check (no code)",
    body=DeviceKeyIn,
    status=201,
    tag="evidence",
    auth="party",
    errors=(429,),
)
async def start_witnessed_device_key(request: web.Request, body: DeviceKeyIn) -> web.StreamResponse:
    started = await services(request).witnessed.start_device_key(principal_of(request), body.spki)
    return web.json_response(
        {
            "challenge": started.challenge,
            "claim": started.claim,
            "statement": b64(started.statement),
            "video_check": started.video_check.to_json(),
        },
        status=201,
    )


@api.route(
    "POST",
    "/party/keys/witnessed/device/{challenge}",
    summary="Finish: the new key's signature of its binding statement",
    body=SignatureOnlyIn,
    status=201,
    tag="evidence",
    auth="party",
)
async def finish_witnessed_device_key(request: web.Request, body: SignatureOnlyIn) -> web.StreamResponse:
    info = await services(request).witnessed.finish_device_key(
        principal_of(request), request.match_info["challenge"], body.signature
    )
    return web.json_response(bound_view(info), status=201)


@api.route(
    "POST",
    "/party/keys/witnessed/passkey",
    summary="Start binding a passkey under the mediator's video check (no code)",
    status=201,
    tag="evidence",
    auth="party",
    errors=(429,),
)
async def start_witnessed_passkey(request: web.Request) -> web.StreamResponse:
    challenge, options, check = await services(request).witnessed.start_passkey(principal_of(request))
    return web.json_response({"challenge": challenge, "options": options, "video_check": check.to_json()}, status=201)


@api.route(
    "POST",
    "/party/keys/witnessed/passkey/{challenge}/register",
    summary="The new passkey; answers the binding statement to sign",
    body=CredentialIn,
    tag="evidence",
    auth="party",
)
async def register_witnessed_passkey(request: web.Request, body: CredentialIn) -> web.StreamResponse:
    statement, claim, options = await services(request).witnessed.register_passkey(
        principal_of(request), request.match_info["challenge"], body.credential
    )
    return web.json_response({"statement": b64(statement), "claim": claim, "options": options})


@api.route(
    "POST",
    "/party/keys/witnessed/passkey/{challenge}/bind",
    summary="The passkey's signature of its binding statement",
    body=CredentialIn,
    status=201,
    tag="evidence",
    auth="party",
)
async def bind_witnessed_passkey(request: web.Request, body: CredentialIn) -> web.StreamResponse:
    info = await services(request).witnessed.bind_passkey(principal_of(request), request.match_info["challenge"], body.credential)
    return web.json_response(bound_view(info), status=201)
