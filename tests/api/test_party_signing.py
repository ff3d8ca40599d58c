"""The frame every party's signature runs in (server/domain/party_signing.py, `statement_to_sign`),
through the agreement: a wrong one-time code is refused with the tries left and signs nothing, yet the
try is kept (its transaction commits before the refusal), so five wrong codes use the statement up;
a passkey's signature without the passkey's assertion is refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from server.evidence.records import unb64
from server.models import AgreementSignature
from tests.api.agreement_helpers import (
    Mediation,
    Signer,
    bind_device_key,
    bind_passkey,
    draft_and_finalise,
    latest_code,
    mediation,
)
from tests.conftest import World


async def prepared_signature(world: World) -> tuple[Mediation, Signer, str, dict[str, Any]]:
    """The applicant's signature of the final agreement prepared: the path to complete it, and a right and a wrong proof."""
    m = await mediation(world)
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    await draft_and_finalise(m)
    prepared = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=201)
    assert a.device is not None
    code = await latest_code(world, a.party_id)
    signature = a.device.sign(unb64(prepared["statement"]))["sig"]
    proofs = {
        "right": {"code": code, "signature": signature},
        "wrong": {"code": "000000" if code != "000000" else "111111", "signature": signature},
    }
    return m, a, f"/api/v1/party/agreement/sign/{prepared['challenge']}", proofs


async def signatures(world: World) -> int:
    async with world.services.links._maker() as db:
        return int(await db.scalar(select(func.count()).select_from(AgreementSignature)) or 0)


def tries_left(refused: dict[str, Any]) -> Any:
    field = refused["error"]["fields"][0]
    assert (field["field"], field["code"]) == ("code", "wrong_code")
    return field["params"]["tries_left"]


async def test_a_wrong_code_is_refused_with_the_tries_left_signs_nothing_and_the_right_code_then_signs(world: World) -> None:
    m, _, path, proofs = await prepared_signature(world)
    first = await m.applicant.call("POST", path, proofs["wrong"], expect=422)
    second = await m.applicant.call("POST", path, proofs["wrong"], expect=422)
    assert (tries_left(first), tries_left(second)) == (4, 3)
    assert await signatures(world) == 0
    signed = await m.applicant.call("POST", path, proofs["right"], expect=201)
    assert signed["seq"] > 0
    assert await signatures(world) == 1


async def test_five_wrong_codes_use_the_statement_up(world: World) -> None:
    m, _, path, proofs = await prepared_signature(world)
    left = [tries_left(await m.applicant.call("POST", path, proofs["wrong"], expect=422)) for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    locked = await m.applicant.call("POST", path, proofs["right"], expect=429)
    assert locked["error"]["reason"] == "too_many_wrong_codes"
    assert await signatures(world) == 0


async def test_a_passkey_signature_without_the_passkey_is_refused_and_signs_nothing(world: World) -> None:
    m = await mediation(world)
    await bind_passkey(world, m.respondent, m.party_id("respondent"))
    await draft_and_finalise(m)
    prepared = await m.respondent.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=201)
    path = f"/api/v1/party/agreement/sign/{prepared['challenge']}"
    refused = await m.respondent.call("POST", path, {"signature": "AAAA"}, expect=422)
    field = refused["error"]["fields"][0]
    assert (field["field"], field["code"]) == ("credential", "passkey_required")
    assert await signatures(world) == 0
