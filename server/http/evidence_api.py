"""Evidence over the API: binding a party's key, identity checks, records and the bundle."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import StringConstraints

from server.domain.evidence import IDENTITY_METHODS, IDENTITY_RESULTS
from server.evidence.records import b64
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input, choice
from server.http.spooled import send, spool
from server.services import services

B64 = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[A-Za-z0-9+/=]+$")]


class DeviceKeyIn(Input):
    spki: B64


class DeviceKeyFinishIn(Input):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    signature: B64


class PasskeyRegisterIn(Input):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    credential: dict[str, Any]


class PasskeyBindIn(Input):
    credential: dict[str, Any]


class IdentityCheckIn(Input):
    party_id: str
    method: Annotated[str, choice(IDENTITY_METHODS)]
    result: Annotated[str, choice(IDENTITY_RESULTS)]
    note: Annotated[str, StringConstraints(max_length=500)] = ""


@api.route(
    "POST",
    "/party/keys/device",
    summary="Start binding a device key: sends a one-time code (SMS, or e-mail); 409 no_code_channel, 429 too often",
    body=DeviceKeyIn,
    status=201,
    tag="evidence",
    auth="party",
    errors=(429,),
)
async def start_device_key(request: web.Request, body: DeviceKeyIn) -> web.StreamResponse:
    started = await services(request).keys.start_device_key(principal_of(request), body.spki)
    return web.json_response(
        {
            "challenge": started.challenge,
            "claim": started.claim,
            "statement": b64(started.statement),
            "sent_to": started.sent_to,
            "channel": started.sent.channel,
            "message_id": started.sent.message_id,
            "expires_at": started.expires_at,
        },
        status=201,
    )


@api.route(
    "POST",
    "/party/keys/device/{challenge}",
    summary="Finish binding: the code and the key's signature of the statement",
    body=DeviceKeyFinishIn,
    status=201,
    tag="evidence",
    auth="party",
)
async def finish_device_key(request: web.Request, body: DeviceKeyFinishIn) -> web.StreamResponse:
    info = await services(request).keys.finish_device_key(
        principal_of(request), request.match_info["challenge"], body.code, body.signature
    )
    return web.json_response({"key_id": info.id, "alg": info.alg}, status=201)


@api.route(
    "POST",
    "/party/keys/passkey",
    summary="Start binding a passkey: registration options, and a one-time code by SMS",
    status=201,
    tag="evidence",
    auth="party",
    errors=(429,),
)
async def start_passkey(request: web.Request) -> web.StreamResponse:
    challenge, options, sent, expires = await services(request).keys.start_passkey(principal_of(request))
    return web.json_response({"challenge": challenge, "options": options, **sent.to_json(), "expires_at": expires}, status=201)


@api.route(
    "POST",
    "/party/keys/passkey/{challenge}/register",
    summary="The code and the new passkey; answers the binding statement to sign",
    body=PasskeyRegisterIn,
    tag="evidence",
    auth="party",
)
async def register_passkey(request: web.Request, body: PasskeyRegisterIn) -> web.StreamResponse:
    statement, claim, options = await services(request).keys.register_passkey(
        principal_of(request), request.match_info["challenge"], body.code, body.credential
    )
    return web.json_response({"statement": b64(statement), "claim": claim, "options": options})


@api.route(
    "POST",
    "/party/keys/passkey/{challenge}/bind",
    summary="The passkey's signature of its binding statement",
    body=PasskeyBindIn,
    status=201,
    tag="evidence",
    auth="party",
)
async def bind_passkey(request: web.Request, body: PasskeyBindIn) -> web.StreamResponse:
    info = await services(request).keys.bind_passkey(principal_of(request), request.match_info["challenge"], body.credential)
    return web.json_response({"key_id": info.id, "alg": info.alg}, status=201)


@api.route(
    "POST",
    "/cases/{case_id}/identity-checks",
    summary="Record how a party's identity was checked",
    body=IdentityCheckIn,
    status=201,
    tag="evidence",
)
async def identity_check(request: web.Request, body: IdentityCheckIn) -> web.StreamResponse:
    seq = await services(request).evidence.check_identity(
        principal_of(request),
        request.match_info["case_id"],
        party_id=body.party_id,
        method=body.method,
        result=body.result,
        note_text=body.note,
    )
    return web.json_response({"seq": seq}, status=201)


@api.route(
    "GET", "/cases/{case_id}/evidence", summary="The case's evidence records and where they are in the log", tag="evidence"
)
async def case_records(request: web.Request) -> web.StreamResponse:
    found = await services(request).evidence.records(principal_of(request), request.match_info["case_id"])
    return web.json_response(
        {"items": [{"seq": r.seq, "type": r.type, "time": r.time, "actor": r.actor, "log_index": r.index} for r in found]}
    )


@api.route(
    "POST",
    "/cases/{case_id}/evidence/bundle",
    summary="Export the case's evidence bundle (.zip); logged as an export record",
    status=200,
    tag="evidence",
    produces="application/zip",
)
async def export_bundle(request: web.Request) -> web.StreamResponse:
    # Spooled to a temporary file and sent from there a chunk at a time: with recordings, a
    # bundle is as big as the sessions (about a gigabyte per participant of a two-hour session).
    async with spool() as spooled:
        exported = await services(request).evidence.export(principal_of(request), request.match_info["case_id"], into=spooled)
        headers = {
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "X-Manifest-SHA256": exported.manifest_hash,
        }
        return await send(request, spooled, "application/zip", headers)
