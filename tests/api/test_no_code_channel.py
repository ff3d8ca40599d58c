"""With no channel to carry a code (no SMS provider, no e-mail address), every step still has a path.

The mediator checks the party's ID card on video and signs an `identity_checked` record with
their own key; that opens a 15-minute, one-use window in which the party binds a key with no
code (`video_witnessed`); the party's device key then signs with no code, and the records say
exactly so. Where a channel exists the code stays required. The server here has no SMS gateway
(its `settings` below), except in the test that asks for one.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from server.evidence.records import DeviceKey, b64, unb64, unb64url
from server.evidence.verify import render, verify_bundle
from server.models import AgreementSignature, EvidenceChallenge, OutboxMessage, utcnow
from server.settings import Settings
from tests.api.agreement_helpers import (
    Mediation,
    bind_device_key,
    draft_and_finalise,
    latest_code,
    mediation,
    mediator_key,
)
from tests.api.test_assisting_mediator import forestry_assisting
from tests.conftest import CHEAP_PASSWORD_HASH, Actor, World
from tests.evidence.test_webauthn import SoftAuthenticator


@pytest.fixture
def settings(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Settings:
    """No SMS gateway and no SMTP server, unless a test asks for ``"sms"`` (indirect parametrisation)."""
    channel = getattr(request, "param", None)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url="http://mediate.test",
        outbox_poll_seconds=0.2,
        sms_gateway=f"spool:{tmp_path / 'sms.jsonl'}" if channel == "sms" else "spool",
        # Codes may be asked for back to back (tests/api/test_codes.py keeps the real limits).
        code_interval_seconds=0,
        codes_per_hour=1000,
        codes_per_day=1000,
        password_hash=CHEAP_PASSWORD_HASH,
    )


@dataclass
class Checker:
    actor: Actor
    key: DeviceKey


async def signed_check(
    checker: Checker, case_id: str, party_id: str, result: str = "confirmed", method: str = "id_card_on_video"
) -> int:
    """The mediator's own signed identity check; returns its seq."""
    body = {"key_id": checker.key.info.id, "party_id": party_id, "method": method, "result": result}
    prepared = await checker.actor.call("POST", f"/api/v1/cases/{case_id}/identity-checks/signed", body, expect=201)
    done = await checker.actor.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": checker.key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )
    return int(done["seq"])


async def start_witnessed(party: Actor, key: DeviceKey, expect: int = 201) -> Any:
    return await party.call("POST", "/api/v1/party/keys/witnessed/device", {"spki": b64(key.info.spki)}, expect=expect)


async def finish_witnessed(party: Actor, key: DeviceKey, started: dict[str, Any], expect: int = 201) -> Any:
    signature = key.sign(unb64(started["statement"]))["sig"]
    return await party.call(
        "POST", f"/api/v1/party/keys/witnessed/device/{started['challenge']}", {"signature": signature}, expect=expect
    )


async def bind_witnessed(party: Actor, party_id: str) -> DeviceKey:
    key = DeviceKey.generate({"kind": "party", "id": party_id})
    bound = await finish_witnessed(party, key, await start_witnessed(party, key))
    assert bound == {"key_id": key.info.id, "alg": "es256", "method": "video_witnessed"}
    return key


async def status(party: Actor) -> Any:
    return await party.call("GET", "/api/v1/party/keys")


async def bundle(world: World, m: Mediation) -> Path:
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    assert response.status == 200
    path = world.services.settings.data_dir / f"bundle-{m.case_id}.zip"
    path.write_bytes(await response.read())
    return path


def bodies_and_records(path: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(record, body data) of every record in a bundle, in order."""
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        names = sorted(n for n in z.namelist() if n.startswith("records/"))
        out = []
        for name in names:
            record = json.loads(z.read(name))
            body_name = name.replace("records/", "bodies/")
            body = json.loads(z.read(body_name))["data"] if body_name in z.namelist() else {}
            out.append((record, body))
    return out


async def test_a_party_no_code_reaches_binds_a_key_under_the_mediators_video_check(world: World) -> None:
    m = await mediation(world)
    applicant_id = m.party_id("applicant")
    # Nothing can carry a code to the party, and the page is told so before it offers one.
    assert await status(m.applicant) == {"key": None, "code_channels": [], "video_check": None}
    key = DeviceKey.generate({"kind": "party", "id": applicant_id})
    refused = await start_witnessed(m.applicant, key, expect=409)
    assert refused["error"]["reason"] == "no_video_check"
    seen = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/identity-status")
    mine = next(i for i in seen["items"] if i["party_id"] == applicant_id)
    assert mine | {"party_id": ""} == {
        "party_id": "",
        "name": "张三",
        "role": "applicant",
        "has_id_number": True,
        "code_channels": [],
        "check": None,
        "key": None,
        "video_check": None,
    }

    # The mediator looks up the ID number (logged), binds their own key to the case and checks on video.
    shown = await m.liu.call("GET", f"/api/v1/parties/{applicant_id}/identity")
    assert shown["id_number"] == "110101199003071234"
    checker = Checker(m.liu, await mediator_key(m.liu, m.case_id))
    seq = await signed_check(checker, m.case_id, applicant_id)
    opened = (await status(m.applicant))["video_check"]
    assert opened["seq"] == seq and opened["checked_by"] == "刘调解员"
    # Only for that party, on the mediator's panel too.
    assert (await status(m.respondent))["video_check"] is None
    panel = {
        i["name"]: i["video_check"] for i in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/identity-status"))["items"]
    }
    assert panel["张三"] is not None and panel["张三"]["seq"] == seq
    assert [name for name, window in panel.items() if window is not None] == ["张三"]

    started = await start_witnessed(m.applicant, key)
    assert started["claim"]["public"]["method"] == "video_witnessed"
    assert started["claim"]["public"]["identity_check"] == {
        "seq": seq,
        "checked_by": {"kind": "staff", "id": world.ids["liu"], "role": "mediator"},
    }
    forged = DeviceKey.generate({"kind": "party", "id": applicant_id}).sign(unb64(started["statement"]))["sig"]
    await m.applicant.call(
        "POST", f"/api/v1/party/keys/witnessed/device/{started['challenge']}", {"signature": forged}, expect=422
    )
    bound = await finish_witnessed(m.applicant, key, started)
    assert bound["method"] == "video_witnessed"
    after = await status(m.applicant)
    assert after["key"]["key_id"] == key.info.id and after["key"]["method"] == "video_witnessed"
    assert after["video_check"] is None  # used up

    seen = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/identity-status")
    mine = next(i for i in seen["items"] if i["party_id"] == applicant_id)
    assert mine["check"]["result"] == "confirmed" and mine["check"]["method"] == "id_card_on_video"
    assert mine["check"]["checked_by"] == "刘调解员" and mine["check"]["seq"] == seq
    assert mine["key"]["method"] == "video_witnessed" and mine["video_check"] is None
    assert [i["name"] for i in seen["items"] if i["key"] is not None] == ["张三"], "the key is the applicant's alone"
    history = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/history")
    assert any(e["kind"] == "identity_viewed" for e in history["items"])

    # The party consents with the key (no code either way), and the bundle verifies with the path in it.
    path = await bundle(world, m)
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    records = bodies_and_records(path)
    binding = next((r, b) for r, b in records if r["claim"]["type"] == "key_bound" and r["claim"]["actor"]["id"] == applicant_id)
    assert binding[1]["method"] == "video_witnessed" and binding[1]["checked_by"] == "刘调解员"
    assert binding[1]["identity_check"] == seq and binding[0]["seq"] > seq


async def test_the_window_serves_once_and_closes_after_fifteen_minutes(world: World) -> None:
    m = await mediation(world)
    applicant_id = m.party_id("applicant")
    checker = Checker(m.liu, await mediator_key(m.liu, m.case_id))
    await signed_check(checker, m.case_id, applicant_id)
    window = (await status(m.applicant))["video_check"]
    remaining = (datetime.fromisoformat(window["expires_at"]) - utcnow()).total_seconds()
    assert 14 * 60 < remaining <= 15 * 60

    # Two bindings started under one check: the first to finish uses it, the second is refused.
    first_key, second_key = (DeviceKey.generate({"kind": "party", "id": applicant_id}) for _ in range(2))
    first, second = await start_witnessed(m.applicant, first_key), await start_witnessed(m.applicant, second_key)
    await finish_witnessed(m.applicant, first_key, first)
    gone = await finish_witnessed(m.applicant, second_key, second, expect=410)
    assert gone["error"]["reason"] == "expired"
    assert (await start_witnessed(m.applicant, second_key, expect=409))["error"]["reason"] == "no_video_check"

    # A new check opens a new window; once its time has passed (moved back here: the clock cannot be), it is shut.
    await signed_check(checker, m.case_id, applicant_id)
    started = await start_witnessed(m.applicant, second_key)
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(EvidenceChallenge)
            .where(EvidenceChallenge.purpose == "video_check", EvidenceChallenge.subject_id == applicant_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await status(m.applicant))["video_check"] is None
    assert (await finish_witnessed(m.applicant, second_key, started, expect=410))["error"]["reason"] == "expired"
    assert (await start_witnessed(m.applicant, second_key, expect=409))["error"]["reason"] == "no_video_check"
    assert (await status(m.applicant))["key"]["key_id"] == first_key.info.id


async def test_a_check_that_did_not_confirm_opens_nothing_and_closes_an_open_window(world: World) -> None:
    m = await mediation(world)
    applicant_id = m.party_id("applicant")
    checker = Checker(m.liu, await mediator_key(m.liu, m.case_id))
    key = DeviceKey.generate({"kind": "party", "id": applicant_id})
    await signed_check(checker, m.case_id, applicant_id, result="not_confirmed")
    assert (await status(m.applicant))["video_check"] is None
    await start_witnessed(m.applicant, key, expect=409)
    # Another method (not the ID card on video) opens nothing either.
    await signed_check(checker, m.case_id, applicant_id, method="phone_callback")
    assert (await status(m.applicant))["video_check"] is None
    # Confirmed, then a second look that does not confirm: the window is shut again.
    await signed_check(checker, m.case_id, applicant_id)
    started = await start_witnessed(m.applicant, key)
    await signed_check(checker, m.case_id, applicant_id, result="not_confirmed")
    assert (await status(m.applicant))["video_check"] is None
    await finish_witnessed(m.applicant, key, started, expect=410)
    seen = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/identity-status")
    assert next(i for i in seen["items"] if i["party_id"] == applicant_id)["check"]["result"] == "not_confirmed"


async def test_another_mediators_or_another_cases_check_and_an_unsigned_record_do_not_count(world: World) -> None:
    m = await mediation(world)
    applicant_id = m.party_id("applicant")
    key = DeviceKey.generate({"kind": "party", "id": applicant_id})
    # 王调解员 (same committee, neither this case's mediator nor a session's host) checks with their own key.
    wang = await world.staff("wang")
    wang_checker = Checker(wang, await mediator_key(wang, m.case_id))
    await signed_check(wang_checker, m.case_id, applicant_id)
    assert (await status(m.applicant))["video_check"] is None
    await start_witnessed(m.applicant, key, expect=409)
    # The same person in another case of liu's, checked there: nothing opens here.
    other = await mediation(world, "（2026）朝调字第13号", hour=14)
    liu_checker = Checker(other.liu, await mediator_key(other.liu, other.case_id))
    await signed_check(liu_checker, other.case_id, other.party_id("applicant"))
    assert (await status(other.applicant))["video_check"] is not None
    assert (await status(m.applicant))["video_check"] is None
    await start_witnessed(m.applicant, key, expect=409)
    # A check recorded without the mediator's own signature (platform-signed) opens nothing.
    await m.liu.call(
        "POST",
        f"/api/v1/cases/{m.case_id}/identity-checks",
        {"party_id": applicant_id, "method": "id_card_on_video", "result": "confirmed"},
        expect=201,
    )
    assert (await status(m.applicant))["video_check"] is None
    await start_witnessed(m.applicant, key, expect=409)


async def test_an_assigned_co_mediators_check_opens_the_window_an_assisting_organisations_too(world: World) -> None:
    """Every mediator assigned to the case hosts its sessions (#21): their check on video counts as the lead's."""
    m = await mediation(world)
    applicant_id, respondent_id = m.party_id("applicant"), m.party_id("respondent")
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/mediators", {"mediator_id": world.ids["wang"], "role": "co"}, expect=201)
    wang = await world.staff("wang")
    await signed_check(Checker(wang, await mediator_key(wang, m.case_id)), m.case_id, respondent_id)
    assert (await status(m.respondent))["video_check"]["checked_by"] == "王调解员"
    # 孙, whom the forestry bureau named as it accepted to assist, checks the applicant, who binds under it.
    sun, _ = await forestry_assisting(world, m.liu, m.case_id, name="sun")
    seq = await signed_check(Checker(sun, await mediator_key(sun, m.case_id)), m.case_id, applicant_id)
    opened = (await status(m.applicant))["video_check"]
    assert opened["seq"] == seq and opened["checked_by"] == "孙调解员"
    await bind_witnessed(m.applicant, applicant_id)
    report = verify_bundle(await bundle(world, m))
    assert report.ok, render(report, "en")


async def test_with_no_channel_a_device_key_signs_with_no_code_and_the_record_says_so(world: World) -> None:
    m = await mediation(world)
    applicant_id = m.party_id("applicant")
    checker = Checker(m.liu, await mediator_key(m.liu, m.case_id))
    await signed_check(checker, m.case_id, applicant_id)
    key = await bind_witnessed(m.applicant, applicant_id)
    await draft_and_finalise(m)

    prepared = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=201)
    assert prepared["otp"] is None and prepared["method"] == "device_key"
    missing = await m.applicant.call("POST", f"/api/v1/party/agreement/sign/{prepared['challenge']}", {}, expect=422)
    assert [f["field"] for f in missing["error"]["fields"]] == ["signature"]
    signed = await m.applicant.call(
        "POST",
        f"/api/v1/party/agreement/sign/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )
    async with world.services.links._maker() as db:
        row = (await db.scalars(select(AgreementSignature).where(AgreementSignature.signer_id == applicant_id))).one()
    assert row.method == "device_key"
    view = await m.applicant.call("GET", "/api/v1/party/agreement")
    signer = next(s for s in view["agreement"]["signers"] if s.get("party_id", s.get("id")) == applicant_id)
    assert signer["method"] == "device_key"

    path = await bundle(world, m)
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    record, body = next((r, b) for r, b in bodies_and_records(path) if r["seq"] == signed["seq"])
    assert record["claim"]["type"] == "signature" and body["method"] == "device_key"
    # No code was ever written for this party: nothing pretends one was sent.
    async with world.services.links._maker() as db:
        otps = list(
            await db.scalars(select(OutboxMessage).where(OutboxMessage.party_id == applicant_id, OutboxMessage.kind == "otp"))
        )
    assert otps == []


@pytest.mark.parametrize("settings", ["sms"], indirect=True)
async def test_with_a_channel_the_code_stays_required(world: World) -> None:
    m = await mediation(world)
    applicant_id = m.party_id("applicant")
    assert (await status(m.applicant))["code_channels"] == ["sms"]
    signer = await bind_device_key(world, m.applicant, applicant_id)
    assert signer.device is not None
    await draft_and_finalise(m)
    prepared = await m.applicant.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=201)
    assert prepared["otp"]["sent_to"] == "138****0001" and prepared["method"] == "sms_otp+device_key"
    signature = signer.device.sign(unb64(prepared["statement"]))["sig"]
    path = f"/api/v1/party/agreement/sign/{prepared['challenge']}"
    refused = await m.applicant.call("POST", path, {"signature": signature}, expect=422)
    assert [f["field"] for f in refused["error"]["fields"]] == ["code"]
    wrong = await m.applicant.call("POST", path, {"code": "000000", "signature": signature}, expect=422)
    assert "tries left" in json.dumps(wrong)
    await m.applicant.call("POST", path, {"code": await latest_code(world, applicant_id), "signature": signature}, expect=201)
    async with world.services.links._maker() as db:
        row = (await db.scalars(select(AgreementSignature).where(AgreementSignature.signer_id == applicant_id))).one()
    assert row.method == "sms_otp+device_key"


async def test_a_passkey_is_bound_under_the_check_and_signs_with_user_verification(world: World) -> None:
    m = await mediation(world)
    respondent_id = m.party_id("respondent")
    settings = world.services.settings
    checker = Checker(m.liu, await mediator_key(m.liu, m.case_id))
    await signed_check(checker, m.case_id, respondent_id)
    passkey = SoftAuthenticator("es256")
    started = await m.respondent.call("POST", "/api/v1/party/keys/witnessed/passkey", expect=201)
    assert started["video_check"]["checked_by"] == "刘调解员"
    base = f"/api/v1/party/keys/witnessed/passkey/{started['challenge']}"
    credential = passkey.register(
        unb64url(started["options"]["challenge"]), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin
    )
    signing = await m.respondent.call("POST", f"{base}/register", {"credential": credential})
    digest = sha256(unb64(signing["statement"])).digest()
    assertion = passkey.sign(digest, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)
    bound = await m.respondent.call("POST", f"{base}/bind", {"credential": assertion}, expect=201)
    assert bound["alg"] == "webauthn" and bound["method"] == "video_witnessed"
    await draft_and_finalise(m)
    prepared = await m.respondent.call("POST", "/api/v1/party/agreement/sign", {"version": 2}, expect=201)
    assert prepared["otp"] is None and prepared["method"] == "passkey_uv" and prepared["options"] is not None
    digest = sha256(unb64(prepared["statement"])).digest()
    body = {"credential": passkey.sign(digest, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)}
    await m.respondent.call("POST", f"/api/v1/party/agreement/sign/{prepared['challenge']}", body, expect=201)
    report = verify_bundle(await bundle(world, m))
    assert report.ok, render(report, "en")
