"""A party binds their own key; mediators record identity checks; the case exports as a bundle."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import select, update

from server.evidence.records import DeviceKey, Record, b64, unb64, unb64url
from server.models import EvidenceChallenge, OutboxMessage, utcnow
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import Actor, World


async def party_of(world: World) -> tuple[Actor, Actor, dict[str, Any], dict[str, Any]]:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    party = await world.actor()
    await party.open_link(booked["links"][0]["url"])
    return liu, party, case, booked


async def latest_code(world: World) -> str:
    """What the SMS gateway would deliver: the outbox keeps the message for the sender."""
    async with world.services.links._maker() as db:
        body = (
            await db.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "otp").order_by(OutboxMessage.id.desc()))
        ).first()
    assert body is not None
    return next(word for word in body.replace("，", " ").replace("是", " ").split() if word.isdigit() and len(word) == 6)


async def test_a_party_binds_a_device_key_after_proving_their_phone(world: World) -> None:
    liu, party, case, _ = await party_of(world)
    key = DeviceKey.generate({"kind": "party", "id": "ignored"})
    started = await party.call("POST", "/api/v1/party/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    assert started["sent_to"] == "138****0001"
    statement = unb64(started["statement"])
    assert started["claim"]["type"] == "key_bound" and started["claim"]["public"]["key"]["id"] == key.info.id
    code = await latest_code(world)
    bound = await party.call(
        "POST",
        f"/api/v1/party/keys/device/{started['challenge']}",
        {"code": code, "signature": key.sign(statement)["sig"]},
        expect=201,
    )
    assert bound["key_id"] == key.info.id
    # The code is single-use.
    again = await party.call(
        "POST",
        f"/api/v1/party/keys/device/{started['challenge']}",
        {"code": code, "signature": key.sign(statement)["sig"]},
        expect=410,
    )
    assert again["error"]["code"] == "gone"
    await world.services.ledger.settle()
    records = (await liu.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    assert [r["type"] for r in records] == ["case_registered", "key_bound"]
    assert all(r["log_index"] is not None for r in records)
    # The mediator sees that a code was sent, never the code.
    outbox = (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]
    otp = next(m for m in outbox if m["kind"] == "otp")
    assert code not in otp["body"]


async def test_wrong_codes_bad_signatures_and_expired_codes_bind_nothing(world: World) -> None:
    liu, party, case, _ = await party_of(world)
    key = DeviceKey.generate({"kind": "party", "id": "x"})
    started = await party.call("POST", "/api/v1/party/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    path = f"/api/v1/party/keys/device/{started['challenge']}"
    good_sig = key.sign(unb64(started["statement"]))["sig"]
    wrong = await party.call(
        "POST", path, {"code": "000000" if await latest_code(world) != "000000" else "111111", "signature": good_sig}, expect=422
    )
    assert "4 tries left" in wrong["error"]["fields"][0]["reason"]
    other_key = DeviceKey.generate({"kind": "party", "id": "x"})
    forged = await party.call(
        "POST",
        path,
        {"code": await latest_code(world), "signature": other_key.sign(unb64(started["statement"]))["sig"]},
        expect=422,
    )
    assert "signature" in forged["error"]["message"]
    for _ in range(4):
        await party.call(
            "POST",
            path,
            {"code": "999999" if await latest_code(world) != "999999" else "888888", "signature": good_sig},
            expect=422,
        )
    locked = await party.call("POST", path, {"code": await latest_code(world), "signature": good_sig}, expect=429)
    assert locked["error"]["code"] == "too_many_attempts"
    second = await party.call("POST", "/api/v1/party/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(EvidenceChallenge)
            .where(EvidenceChallenge.nonce == second["challenge"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    await party.call(
        "POST",
        f"/api/v1/party/keys/device/{second['challenge']}",
        {"code": await latest_code(world), "signature": good_sig},
        expect=410,
    )
    not_a_key = await party.call("POST", "/api/v1/party/keys/device", {"spki": b64(b"not a key")}, expect=422)
    assert not_a_key["error"]["fields"][0]["field"] == "spki"
    await world.services.ledger.settle()
    assert [r["type"] for r in (await liu.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]] == ["case_registered"]


async def test_identity_checks_are_logged_and_the_case_exports_as_a_bundle(world: World) -> None:
    liu, _, case, _ = await party_of(world)
    party_id = case["parties"][0]["id"]
    await liu.call(
        "POST",
        f"/api/v1/cases/{case['id']}/identity-checks",
        {"party_id": party_id, "method": "id_card_on_video", "result": "confirmed", "note": "身份证与本人一致"},
        expect=201,
    )
    bad = await liu.call(
        "POST",
        f"/api/v1/cases/{case['id']}/identity-checks",
        {"party_id": party_id, "method": "guess", "result": "confirmed"},
        expect=422,
    )
    assert bad["error"]["fields"][0]["field"] == "method"
    response = await liu.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")
    assert response.status == 200 and response.content_type == "application/zip"
    data = await response.read()
    files = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"manifest.json", "checkpoint.txt", "proofs.json", "keys.json", "README.txt"} <= set(files)
    records = sorted(n for n in files if n.startswith("records/"))
    assert len(records) == 3
    last = Record.from_entry(zipfile.ZipFile(io.BytesIO(data)).read(records[-1]))
    assert last.claim.type == "export"
    from hashlib import sha256

    assert last.claim.public["manifest_hash"] == sha256(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")).hexdigest()
    assert response.headers["X-Manifest-SHA256"] == last.claim.public["manifest_hash"]


async def test_a_party_binds_a_passkey_after_proving_their_phone(world: World) -> None:
    from tests.evidence.test_webauthn import SoftAuthenticator

    liu, party, case, _ = await party_of(world)
    settings = world.services.settings
    passkey = SoftAuthenticator("es256")
    started = await party.call("POST", "/api/v1/party/keys/passkey", expect=201)
    assert started["options"]["rp"]["id"] == "mediate.test"
    challenge = unb64url(started["options"]["challenge"])
    path = f"/api/v1/party/keys/passkey/{started['challenge']}"
    credential = passkey.register(challenge, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)
    # A passkey made for another site is refused, and so is a wrong code.
    elsewhere = SoftAuthenticator("es256").register(challenge, rp_id="evil.example", origin="https://evil.example")
    await party.call("POST", f"{path}/register", {"code": await latest_code(world), "credential": elsewhere}, expect=422)
    await party.call(
        "POST",
        f"{path}/register",
        {"code": "000000" if await latest_code(world) != "000000" else "111111", "credential": credential},
        expect=422,
    )
    signing = await party.call("POST", f"{path}/register", {"code": await latest_code(world), "credential": credential})
    statement = unb64(signing["statement"])
    assert unb64url(signing["options"]["challenge"]) == sha256(statement).digest()
    wrong = passkey.sign(sha256(b"something else").digest(), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)
    await party.call("POST", f"{path}/bind", {"credential": wrong}, expect=422)
    assertion = passkey.sign(sha256(statement).digest(), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)
    bound = await party.call("POST", f"{path}/bind", {"credential": assertion}, expect=201)
    assert bound["alg"] == "webauthn"
    await party.call("POST", f"{path}/bind", {"credential": assertion}, expect=410)
    await world.services.ledger.settle()
    records = (await liu.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    assert [r["type"] for r in records] == ["case_registered", "key_bound"]
    response = await liu.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")
    bundle_path = world.services.settings.data_dir / "passkey-case.zip"
    bundle_path.write_bytes(await response.read())
    from server.evidence.verify import render, verify_bundle

    report = verify_bundle(bundle_path)
    assert report.ok, render(report, "en")
    assert "passkey" in render(report, "en").lower()


async def test_a_case_exported_twice_gives_two_bundles_that_both_verify(world: World) -> None:
    from server.evidence.verify import render, verify_bundle

    liu, _, case, _ = await party_of(world)
    for n in (1, 2):
        response = await liu.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")
        assert response.status == 200
        path = world.services.settings.data_dir / f"export-{n}.zip"
        path.write_bytes(await response.read())
        report = verify_bundle(path)
        assert report.ok, render(report, "en")
    # The second bundle holds the first export's record too: both exports are logged acts.
    records = (await liu.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    assert [r["type"] for r in records].count("export") == 2
