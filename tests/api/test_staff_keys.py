"""Mediators sign with their own keys: registered on the account, bound per case, logged."""

from __future__ import annotations

from hashlib import sha256

from server.evidence.records import DeviceKey, b64, unb64, unb64url
from server.evidence.verify import render, verify_bundle
from tests.api.helpers import open_case
from tests.conftest import World
from tests.evidence.test_webauthn import SoftAuthenticator


async def test_a_mediator_binds_a_device_key_and_signs_an_identity_check_with_it(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    key = DeviceKey.generate({"kind": "staff", "id": "ignored"})
    registered = await liu.call("POST", "/api/v1/me/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    assert registered["key_id"] == key.info.id
    assert [k["key_id"] for k in (await liu.call("GET", "/api/v1/me/keys"))["items"]] == [key.info.id]
    await liu.call("POST", "/api/v1/me/keys/device", {"spki": b64(key.info.spki)}, expect=409)

    check = {"key_id": key.info.id, "party_id": case["parties"][0]["id"], "method": "id_card_on_video", "result": "confirmed"}
    # Not bound to the case yet: the signature is refused and nothing is logged.
    early = await liu.call("POST", f"/api/v1/cases/{case['id']}/identity-checks/signed", check, expect=201)
    refused = await liu.call(
        "POST", f"/api/v1/signatures/{early['challenge']}", {"signature": key.sign(unb64(early["statement"]))["sig"]}, expect=422
    )
    assert "unknown signing key" in refused["error"]["message"]

    binding = await liu.call("POST", f"/api/v1/cases/{case['id']}/keys/{key.info.id}/bind", expect=201)
    assert binding["claim"]["type"] == "key_bound" and binding["options"] is None
    await liu.call(
        "POST",
        f"/api/v1/signatures/{binding['challenge']}",
        {"signature": key.sign(unb64(binding["statement"]))["sig"]},
        expect=201,
    )
    await liu.call("POST", f"/api/v1/cases/{case['id']}/keys/{key.info.id}/bind", expect=409)

    prepared = await liu.call("POST", f"/api/v1/cases/{case['id']}/identity-checks/signed", check, expect=201)
    forged = DeviceKey.generate({"kind": "staff", "id": "x"}).sign(unb64(prepared["statement"]))["sig"]
    await liu.call("POST", f"/api/v1/signatures/{prepared['challenge']}", {"signature": forged}, expect=422)
    signed = await liu.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )
    await liu.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=410,
    )

    # A colleague cannot use liu's key, nor complete liu's request.
    wang = await world.staff("wang")
    await wang.call("POST", f"/api/v1/cases/{case['id']}/keys/{key.info.id}/bind", expect=404)
    await wang.call("POST", f"/api/v1/signatures/{prepared['challenge']}", {"signature": "AAAA"}, expect=404)

    response = await liu.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")
    path = world.services.settings.data_dir / "staff.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    text = render(report, "en")
    assert report.ok, text
    assert signed["seq"] == 3 and "刘调解员" in text


async def test_the_same_staff_key_serves_two_cases_and_a_passkey_works_too(world: World) -> None:
    liu = await world.staff("liu")
    settings = world.services.settings
    first, second = await open_case(liu, "S-1"), await open_case(liu, "S-2")
    passkey = SoftAuthenticator("es256")
    started = await liu.call("POST", "/api/v1/me/keys/passkey", expect=201)
    credential = passkey.register(
        unb64url(started["options"]["challenge"]), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin
    )
    key = await liu.call("POST", f"/api/v1/me/keys/passkey/{started['challenge']}", {"credential": credential}, expect=201)
    assert key["alg"] == "webauthn"
    for case in (first, second):
        binding = await liu.call("POST", f"/api/v1/cases/{case['id']}/keys/{key['key_id']}/bind", expect=201)
        assert unb64url(binding["options"]["challenge"]) == sha256(unb64(binding["statement"])).digest()
        assertion = passkey.sign(
            sha256(unb64(binding["statement"])).digest(), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin
        )
        await liu.call("POST", f"/api/v1/signatures/{binding['challenge']}", {"credential": assertion}, expect=201)
        check = {"key_id": key["key_id"], "party_id": case["parties"][1]["id"], "method": "face_to_face", "result": "confirmed"}
        prepared = await liu.call("POST", f"/api/v1/cases/{case['id']}/identity-checks/signed", check, expect=201)
        assertion = passkey.sign(
            sha256(unb64(prepared["statement"])).digest(), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin
        )
        await liu.call("POST", f"/api/v1/signatures/{prepared['challenge']}", {"credential": assertion}, expect=201)
        response = await liu.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")
        path = settings.data_dir / f"{case['case_number']}.zip"
        path.write_bytes(await response.read())
        report = verify_bundle(path)
        assert report.ok, render(report, "en")


async def test_a_passkey_whose_counter_goes_back_is_refused(world: World) -> None:
    """The counter to beat is the one stored after the last use, not the one at registration."""
    liu = await world.staff("liu")
    settings = world.services.settings
    case = await open_case(liu, "C-1")
    passkey = SoftAuthenticator("es256")
    started = await liu.call("POST", "/api/v1/me/keys/passkey", expect=201)
    credential = passkey.register(
        unb64url(started["options"]["challenge"]), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin
    )
    key = await liu.call("POST", f"/api/v1/me/keys/passkey/{started['challenge']}", {"credential": credential}, expect=201)

    def signed(statement_b64: str, count: int | None = None) -> dict[str, object]:
        digest = sha256(unb64(statement_b64)).digest()
        return passkey.sign(digest, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin, count=count)

    binding = await liu.call("POST", f"/api/v1/cases/{case['id']}/keys/{key['key_id']}/bind", expect=201)
    await liu.call("POST", f"/api/v1/signatures/{binding['challenge']}", {"credential": signed(binding["statement"])}, expect=201)
    check = {"key_id": key["key_id"], "party_id": case["parties"][0]["id"], "method": "face_to_face", "result": "confirmed"}
    first = await liu.call("POST", f"/api/v1/cases/{case['id']}/identity-checks/signed", check, expect=201)
    await liu.call("POST", f"/api/v1/signatures/{first['challenge']}", {"credential": signed(first["statement"])}, expect=201)
    # A clone of the authenticator, still at the counter of its first use.
    second = await liu.call("POST", f"/api/v1/cases/{case['id']}/identity-checks/signed", check, expect=201)
    cloned = await liu.call(
        "POST", f"/api/v1/signatures/{second['challenge']}", {"credential": signed(second["statement"], count=1)}, expect=422
    )
    assert "count" in cloned["error"]["message"].lower() or "counter" in cloned["error"]["message"].lower()
