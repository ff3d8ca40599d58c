"""Passkey signatures, online and offline, against a software authenticator written here.

The authenticator produces exactly the bytes a browser and a platform authenticator would:
clientDataJSON as Chromium serialises it, authenticator data with rpIdHash, flags and
signCount, a COSE key (CBOR via `cbor2`, which py_webauthn itself depends on), an attestation
object of format "none", and ES256 (DER) or EdDSA signatures over authData ‖ SHA-256(cData).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from server.evidence import webauthn
from server.evidence.records import (
    Claim,
    KeyInfo,
    SignatureError,
    b64url,
    body_hash,
    key_id,
    make_body,
    timestamp,
    unb64url,
)
from server.evidence.signatures import verify_signature

RP_ID = "mediate.example.cn"
ORIGIN = "https://mediate.example.cn"
HOLDER = {"kind": "party", "id": "p1", "role": "applicant"}
UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class SoftAuthenticator:
    """A passkey in software: one credential, ES256 (P-256) or EdDSA (Ed25519)."""

    AAGUID = bytes(16)

    def __init__(self, alg: str) -> None:
        self.alg = alg
        self.private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
            ec.generate_private_key(ec.SECP256R1()) if alg == "es256" else ed25519.Ed25519PrivateKey.generate()
        )
        self.credential_id = os.urandom(32)
        self.user_handle = os.urandom(16)
        self.sign_count = 0

    def cose(self) -> bytes:
        public = self.private.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            numbers = public.public_numbers()
            return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: raw})

    @staticmethod
    def client_data(kind: str, challenge: bytes, origin: str, cross_origin: bool = False) -> bytes:
        # Chromium's serialisation: type, challenge, origin, crossOrigin, no spaces.
        return json.dumps(
            {"type": kind, "challenge": b64url(challenge), "origin": origin, "crossOrigin": cross_origin}, separators=(",", ":")
        ).encode()

    @staticmethod
    def authenticator_data(rp_id: str, flags: int, count: int, attested: bytes = b"") -> bytes:
        return sha256(rp_id.encode()) + bytes([flags]) + count.to_bytes(4, "big") + attested

    def _sign(self, data: bytes) -> bytes:
        if isinstance(self.private, ec.EllipticCurvePrivateKey):
            return self.private.sign(data, ec.ECDSA(hashes.SHA256()))
        return self.private.sign(data)

    def _credential(self, response: dict[str, Any]) -> dict[str, Any]:
        cid = b64url(self.credential_id)
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }

    def register(
        self, challenge: bytes, *, rp_id: str = RP_ID, origin: str = ORIGIN, flags: int = UP | UV | AT, cose: bytes | None = None
    ) -> dict[str, Any]:
        cose = self.cose() if cose is None else cose
        attested = self.AAGUID + len(self.credential_id).to_bytes(2, "big") + self.credential_id + cose
        auth = self.authenticator_data(rp_id, flags, 0, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
        return self._credential(
            {
                "clientDataJSON": b64url(self.client_data("webauthn.create", challenge, origin)),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            }
        )

    def sign(
        self,
        challenge: bytes,
        *,
        rp_id: str = RP_ID,
        origin: str = ORIGIN,
        kind: str = "webauthn.get",
        flags: int = UP | UV,
        count: int | None = None,
        cross_origin: bool = False,
    ) -> dict[str, Any]:
        if count is None:
            self.sign_count += 1
            count = self.sign_count
        auth = self.authenticator_data(rp_id, flags, count)
        client = self.client_data(kind, challenge, origin, cross_origin)
        signature = self._sign(auth + sha256(client))
        return self._credential(
            {
                "clientDataJSON": b64url(client),
                "authenticatorData": b64url(auth),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            }
        )


def statement(kind: str = "agreement_version") -> bytes:
    body = make_body({"text": "双方同意：乙方于十日内赔偿甲方人民币三千元。"})
    return Claim(log="mediate.test/log", type=kind, case="case-1", actor=dict(HOLDER), body_hash=body_hash(body)).statement


def register(auth: SoftAuthenticator, *, require_uv: bool = True) -> KeyInfo:
    challenge = os.urandom(32)
    return webauthn.verify_registration(
        auth.register(challenge),
        challenge=challenge,
        origin=ORIGIN,
        rp_id=RP_ID,
        require_uv=require_uv,
        holder=HOLDER,
        valid_from=timestamp(),
    )


def offline(assertion: dict[str, Any], key: KeyInfo, stmt: bytes, *, user_verified: bool = True) -> None:
    verify_signature(webauthn.sig_from_assertion(assertion, key), key, stmt, user_verified=user_verified)


@pytest.fixture(params=["es256", "ed25519"])
def auth(request: pytest.FixtureRequest) -> SoftAuthenticator:
    return SoftAuthenticator(request.param)


@pytest.fixture
def key(auth: SoftAuthenticator) -> KeyInfo:
    return register(auth)


# -- options --------------------------------------------------------------------------------


def test_registration_options_ask_for_es256_or_eddsa_a_resident_key_and_no_attestation() -> None:
    challenge, user_id = os.urandom(32), os.urandom(16)
    options = json.loads(
        webauthn.registration_options(
            rp_id=RP_ID,
            rp_name="调解平台",
            user_id=user_id,
            user_name="p1",
            display_name="王阿姨",
            challenge=challenge,
            require_uv=True,
        )
    )
    assert options["rp"] == {"id": RP_ID, "name": "调解平台"}
    assert options["user"] == {"id": b64url(user_id), "name": "p1", "displayName": "王阿姨"}
    assert options["challenge"] == b64url(challenge)
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8]
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"


def test_assertion_options_name_the_credentials_and_the_statement_hash() -> None:
    challenge, ids = sha256(statement()), [os.urandom(32), os.urandom(16)]
    options = json.loads(webauthn.assertion_options(rp_id=RP_ID, challenge=challenge, credential_ids=ids, require_uv=False))
    assert options["rpId"] == RP_ID and options["challenge"] == b64url(challenge)
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(i) for i in ids]
    assert options["userVerification"] == "preferred"


def test_a_short_challenge_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        webauthn.assertion_options(rp_id=RP_ID, challenge=b"", credential_ids=[], require_uv=True)


# -- registration ---------------------------------------------------------------------------


def test_registration_gives_a_webauthn_key_info(auth: SoftAuthenticator, key: KeyInfo) -> None:
    expected_spki = auth.private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key.alg == "webauthn" and key.purpose == "person" and key.holder == HOLDER
    assert key.spki == expected_spki and key.id == key_id(expected_spki)
    assert key.webauthn == {
        "rp_id": RP_ID,
        "origin": ORIGIN,
        "credential_id": b64url(auth.credential_id),
        "cose": b64url(auth.cose()),
        "sign_count": "0",
    }
    assert KeyInfo.from_json(json.loads(json.dumps(key.to_json()))) == key
    assert webauthn.cose_to_spki(auth.cose()) == key.spki


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"challenge": os.urandom(32)}, "challenge"),
        ({"origin": "https://evil.example"}, "origin"),
        ({"rp_id": "evil.example"}, "RP ID"),
    ],
)
def test_registration_for_another_challenge_origin_or_rp_is_refused(change: dict[str, Any], message: str) -> None:
    auth, challenge = SoftAuthenticator("es256"), os.urandom(32)
    expected = {"challenge": challenge, "origin": ORIGIN, "rp_id": RP_ID, **change}
    with pytest.raises(webauthn.RegistrationError, match=message):
        webauthn.verify_registration(
            auth.register(challenge), require_uv=False, holder=HOLDER, valid_from=timestamp(), **expected
        )


def test_registration_without_user_verification_is_refused_only_when_required() -> None:
    auth, challenge = SoftAuthenticator("es256"), os.urandom(32)
    response = auth.register(challenge, flags=UP | AT)
    common: dict[str, Any] = {
        "challenge": challenge,
        "origin": ORIGIN,
        "rp_id": RP_ID,
        "holder": HOLDER,
        "valid_from": timestamp(),
    }
    with pytest.raises(webauthn.RegistrationError, match="User verification"):
        webauthn.verify_registration(response, require_uv=True, **common)
    assert webauthn.verify_registration(response, require_uv=False, **common).alg == "webauthn"


def test_registration_of_an_rsa_key_is_refused() -> None:
    auth, challenge = SoftAuthenticator("es256"), os.urandom(32)
    numbers = rsa.generate_private_key(65537, 2048).public_key().public_numbers()
    rsa_cose = cbor2.dumps({1: 3, 3: -257, -1: numbers.n.to_bytes(256, "big"), -2: numbers.e.to_bytes(3, "big")})
    with pytest.raises(webauthn.RegistrationError, match="alg"):
        webauthn.verify_registration(
            auth.register(challenge, cose=rsa_cose),
            challenge=challenge,
            origin=ORIGIN,
            rp_id=RP_ID,
            require_uv=False,
            holder=HOLDER,
            valid_from=timestamp(),
        )


# -- a good signature -----------------------------------------------------------------------


def test_a_good_assertion_verifies_online_and_offline(auth: SoftAuthenticator, key: KeyInfo) -> None:
    stmt = statement()
    assertion = auth.sign(sha256(stmt))
    count = webauthn.verify_assertion(assertion, key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=True)
    assert count == 1
    sig = webauthn.sig_from_assertion(json.dumps(assertion), key)
    assert set(sig) == {"key", "alg", "authenticator_data", "client_data_json", "sig"}
    assert sig["key"] == key.id and sig["alg"] == "webauthn"
    verify_signature(sig, key, stmt, user_verified=True)
    # what the evidence keeps is enough: the key and the signature through their JSON forms
    verify_signature(json.loads(json.dumps(sig)), KeyInfo.from_json(key.to_json()), stmt, user_verified=True)


def test_without_user_verification_it_verifies_only_where_none_is_needed(auth: SoftAuthenticator, key: KeyInfo) -> None:
    stmt = statement()
    assertion = auth.sign(sha256(stmt), flags=UP)
    offline(assertion, key, stmt, user_verified=False)
    assert webauthn.verify_assertion(assertion, key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=False) == 1


def test_authenticators_that_always_report_zero_are_accepted(auth: SoftAuthenticator, key: KeyInfo) -> None:
    """Synced passkeys report signCount 0 forever; §7.2 then skips the counter check."""
    stmt = statement()
    for _ in range(2):
        assertion = auth.sign(sha256(stmt), count=0)
        assert (
            webauthn.verify_assertion(assertion, key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=True) == 0
        )


# -- what must be refused, offline ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sign_with", "message"),
    [
        ({"origin": "https://mediate.example.cn.evil.example"}, r"wrong origin 'https://mediate\.example\.cn\.evil\.example'"),
        ({"rp_id": "evil.example"}, r"wrong rp: rpIdHash is not SHA-256 of rp id 'mediate\.example\.cn'"),
        ({"kind": "webauthn.create"}, r"wrong clientDataJSON type 'webauthn\.create'"),
        ({"flags": UV}, r"user-present \(UP\) flag not set"),
        ({"flags": UP}, r"user-verified \(UV\) flag not set"),
        ({"flags": UP | UV | BS}, r"backup-state \(BS\) flag set without backup-eligible"),
        ({"cross_origin": True}, r"cross-origin frame"),
    ],
)
def test_assertions_made_in_the_wrong_context_are_refused(
    auth: SoftAuthenticator, key: KeyInfo, sign_with: dict[str, Any], message: str
) -> None:
    stmt = statement()
    assertion = auth.sign(sha256(stmt), **sign_with)
    with pytest.raises(SignatureError, match=message):
        offline(assertion, key, stmt)
    with pytest.raises(SignatureError, match=message):
        webauthn.verify_assertion(assertion, key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=True)


def test_an_assertion_for_another_statement_is_refused(auth: SoftAuthenticator, key: KeyInfo) -> None:
    signed, other = statement(), statement()
    assertion = auth.sign(sha256(signed))
    offline(assertion, key, signed)
    with pytest.raises(SignatureError, match="wrong challenge: the assertion was made for a different statement"):
        offline(assertion, key, other)


@pytest.mark.parametrize("field", ["sig", "authenticator_data", "client_data_json"])
def test_a_flipped_byte_is_a_bad_signature(auth: SoftAuthenticator, key: KeyInfo, field: str) -> None:
    stmt = statement()
    sig = webauthn.sig_from_assertion(auth.sign(sha256(stmt)), key)
    raw = bytearray(unb64url(sig[field]))
    # sig: a byte inside the value; authenticator_data: the signCount, which no other check reads;
    # client_data_json: a letter of the origin, which would otherwise read "wrong origin".
    if field == "sig":
        index = len(raw) - 5
    elif field == "authenticator_data":
        index = 36
    else:
        index = raw.index(b"mediate")
    raw[index] ^= 0x01
    sig[field] = b64url(bytes(raw))
    with pytest.raises(SignatureError, match="bad signature"):
        verify_signature(sig, key, stmt, user_verified=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sig", "not base64!", "malformed sig: not base64url"),
        ("authenticator_data", b64url(b"\x00" * 36), "malformed authenticator_data: 36 bytes"),
        ("client_data_json", b64url(b"{not json"), "malformed client_data_json"),
        ("client_data_json", b64url(b"[]"), "malformed client_data_json: not a JSON object"),
    ],
)
def test_malformed_encodings_are_named(auth: SoftAuthenticator, key: KeyInfo, field: str, value: str, message: str) -> None:
    stmt = statement()
    sig = webauthn.sig_from_assertion(auth.sign(sha256(stmt)), key)
    sig[field] = value
    with pytest.raises(SignatureError, match=message):
        verify_signature(sig, key, stmt, user_verified=True)
    del sig[field]
    with pytest.raises(SignatureError, match=f"malformed {field}"):
        verify_signature(sig, key, stmt, user_verified=True)


def test_keys_whose_id_does_not_match_are_refused(auth: SoftAuthenticator, key: KeyInfo) -> None:
    stmt = statement()
    sig = webauthn.sig_from_assertion(auth.sign(sha256(stmt)), key)
    intruder = register(SoftAuthenticator(auth.alg))

    # the signature names another key
    with pytest.raises(SignatureError, match="signature names key"):
        verify_signature(sig, intruder, stmt, user_verified=True)
    # a key relabelled with another id
    relabelled = dataclasses.replace(key, id=intruder.id)
    with pytest.raises(SignatureError, match="its id does not match its public key"):
        verify_signature({**sig, "key": intruder.id}, relabelled, stmt, user_verified=True)
    # the real id, another public key (a substituted SPKI)
    substituted = dataclasses.replace(key, spki=intruder.spki)
    with pytest.raises(SignatureError, match="its id does not match its public key"):
        verify_signature(sig, substituted, stmt, user_verified=True)
    # id and SPKI consistent, but the COSE key is another one
    assert key.webauthn is not None and intruder.webauthn is not None
    mixed = dataclasses.replace(key, webauthn={**key.webauthn, "cose": intruder.webauthn["cose"]})
    with pytest.raises(SignatureError, match="COSE key and its SPKI are different keys"):
        verify_signature(sig, mixed, stmt, user_verified=True)


def test_a_key_registered_for_another_origin_does_not_vouch_for_this_one(auth: SoftAuthenticator, key: KeyInfo) -> None:
    """The origin and rp id come from the KeyInfo, which the key_bound record fixed at registration."""
    assert key.webauthn is not None
    stmt = statement()
    sig = webauthn.sig_from_assertion(auth.sign(sha256(stmt)), key)
    moved = dataclasses.replace(key, webauthn={**key.webauthn, "origin": "https://other.example"})
    with pytest.raises(SignatureError, match="wrong origin"):
        verify_signature(sig, moved, stmt, user_verified=True)
    incomplete = dataclasses.replace(key, webauthn={k: v for k, v in key.webauthn.items() if k != "rp_id"})
    with pytest.raises(SignatureError, match="lacks rp_id"):
        verify_signature(sig, incomplete, stmt, user_verified=True)


# -- what must be refused, online -----------------------------------------------------------


def test_a_replayed_sign_count_is_refused_online(auth: SoftAuthenticator, key: KeyInfo) -> None:
    stmt = statement()
    first = auth.sign(sha256(stmt))
    count = webauthn.verify_assertion(first, key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=True)
    with pytest.raises(SignatureError, match=r"sign count 1 is not greater than the stored 1: replayed"):
        webauthn.verify_assertion(first, key=key, challenge_hash=sha256(stmt), current_sign_count=count, require_uv=True)
    stale = auth.sign(sha256(stmt), count=count)  # a clone that has not seen the newer use
    with pytest.raises(SignatureError, match="sign count"):
        webauthn.verify_assertion(stale, key=key, challenge_hash=sha256(stmt), current_sign_count=count, require_uv=True)
    later = auth.sign(sha256(stmt))
    assert webauthn.verify_assertion(later, key=key, challenge_hash=sha256(stmt), current_sign_count=count, require_uv=True) == 2
    # a counter that drops to zero after being non-zero is a replay or a clone as well
    with pytest.raises(SignatureError, match="sign count 0"):
        webauthn.verify_assertion(
            auth.sign(sha256(stmt), count=0), key=key, challenge_hash=sha256(stmt), current_sign_count=2, require_uv=True
        )


def test_an_assertion_by_another_credential_is_refused_online(key: KeyInfo) -> None:
    stmt = statement()
    stranger = SoftAuthenticator("es256")
    with pytest.raises(SignatureError, match=r"not key .*'s credential"):
        webauthn.verify_assertion(
            stranger.sign(sha256(stmt)), key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=True
        )
    with pytest.raises(SignatureError, match=r"not key .*'s credential"):
        webauthn.sig_from_assertion(stranger.sign(sha256(stmt)), key)


def test_a_malformed_assertion_is_refused_online(auth: SoftAuthenticator, key: KeyInfo) -> None:
    stmt = statement()
    with pytest.raises(SignatureError, match="malformed assertion"):
        webauthn.verify_assertion("{", key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=True)
    assertion = auth.sign(sha256(stmt))
    assertion["id"] = b64url(os.urandom(32))
    with pytest.raises(SignatureError, match="id and rawId differ"):
        webauthn.verify_assertion(assertion, key=key, challenge_hash=sha256(stmt), current_sign_count=0, require_uv=True)
