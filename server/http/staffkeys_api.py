"""Staff signing keys over the API: register on the account, bind to a case, sign."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import StringConstraints

from server.domain.evidence import IDENTITY_METHODS, IDENTITY_RESULTS
from server.domain.staffkeys import Prepared
from server.evidence.records import KeyInfo, b64
from server.http.context import principal_of
from server.http.evidence_api import B64, DeviceKeyIn
from server.http.routes import api
from server.http.schemas import Input, choice
from server.services import services


class CredentialIn(Input):
    credential: dict[str, Any]


class SignedIdentityCheckIn(Input):
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    party_id: str
    method: Annotated[str, choice(IDENTITY_METHODS)]
    result: Annotated[str, choice(IDENTITY_RESULTS)]
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class SignatureIn(Input):
    signature: B64 | None = None
    credential: dict[str, Any] | None = None


def key_view(info: KeyInfo) -> dict[str, Any]:
    return {"key_id": info.id, "alg": info.alg, "registered_at": info.valid_from}


def prepared_view(prepared: Prepared) -> dict[str, Any]:
    return {
        "challenge": prepared.challenge,
        "statement": b64(prepared.statement),
        "claim": prepared.claim,
        "options": prepared.options,
    }


@api.route("GET", "/me/keys", summary="My signing keys", tag="staff keys")
async def my_keys(request: web.Request) -> web.StreamResponse:
    keys = await services(request).staff_keys.list(principal_of(request))
    return web.json_response({"items": [key_view(k) for k in keys]})


@api.route(
    "POST",
    "/me/keys/device",
    summary="Register a device key (WebCrypto P-256) on my account",
    body=DeviceKeyIn,
    status=201,
    tag="staff keys",
)
async def register_device_key(request: web.Request, body: DeviceKeyIn) -> web.StreamResponse:
    info = await services(request).staff_keys.register_device_key(principal_of(request), body.spki)
    return web.json_response(key_view(info), status=201)


@api.route("POST", "/me/keys/passkey", summary="Start registering a passkey on my account", status=201, tag="staff keys")
async def start_staff_passkey(request: web.Request) -> web.StreamResponse:
    challenge, options = await services(request).staff_keys.start_passkey(principal_of(request))
    return web.json_response({"challenge": challenge, "options": options}, status=201)


@api.route(
    "POST",
    "/me/keys/passkey/{challenge}",
    summary="Finish registering a passkey",
    body=CredentialIn,
    status=201,
    tag="staff keys",
)
async def finish_staff_passkey(request: web.Request, body: CredentialIn) -> web.StreamResponse:
    info = await services(request).staff_keys.finish_passkey(
        principal_of(request), request.match_info["challenge"], body.credential
    )
    return web.json_response(key_view(info), status=201)


@api.route(
    "POST",
    "/cases/{case_id}/keys/{key_id}/bind",
    summary="Prepare binding one of my keys to this case",
    status=201,
    tag="staff keys",
)
async def prepare_binding(request: web.Request) -> web.StreamResponse:
    prepared = await services(request).staff_keys.prepare_binding(
        principal_of(request), request.match_info["case_id"], request.match_info["key_id"]
    )
    return web.json_response(prepared_view(prepared), status=201)


@api.route(
    "POST",
    "/cases/{case_id}/identity-checks/signed",
    summary="Prepare an identity check signed with my own key",
    body=SignedIdentityCheckIn,
    status=201,
    tag="staff keys",
)
async def prepare_identity_check(request: web.Request, body: SignedIdentityCheckIn) -> web.StreamResponse:
    prepared = await services(request).staff_keys.prepare_identity_check(
        principal_of(request),
        request.match_info["case_id"],
        key=body.key_id,
        party_id=body.party_id,
        method=body.method,
        result=body.result,
        note_text=body.note,
    )
    return web.json_response(prepared_view(prepared), status=201)


@api.route(
    "POST",
    "/signatures/{challenge}",
    summary="Complete a prepared statement with my key's signature",
    body=SignatureIn,
    status=201,
    tag="staff keys",
)
async def complete_signature(request: web.Request, body: SignatureIn) -> web.StreamResponse:
    seq = await services(request).staff_keys.complete(
        principal_of(request), request.match_info["challenge"], signature=body.signature, credential=body.credential
    )
    return web.json_response({"seq": seq}, status=201)
