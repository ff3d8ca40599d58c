"""Passkeys (WebAuthn) as signing keys for people, and the checks a judge can redo offline.

A party who signs with a passkey produces a WebAuthn *assertion* whose challenge is the hash of
the statement being signed (FORMAT.md, "Signatures"). Two checks exist:

- **online**, when the assertion arrives (`verify_assertion`): everything below, plus the
  credential id and the signature counter, which only the server knows at that moment;
- **offline**, from the stored evidence alone (`verify_assertion_signature`, called by
  `signatures.verify_signature`): the fields kept in the record (`authenticator_data`,
  `client_data_json`, `sig`) and the key's `KeyInfo` (SPKI, and the `webauthn` object with
  `rp_id`, `origin`, `cose`). It needs `cryptography` plus py_webauthn's COSE decoder, nothing
  from the server.

Registration and option generation use the maintained py_webauthn package (Duo Labs, 3.x);
the assertion checks are written out here with `cryptography` so that every failure names
exactly what is wrong, which a court needs and a generic "invalid response" does not give.

References: WebAuthn Level 2 (W3C Recommendation, https://www.w3.org/TR/webauthn-2/),
§7.1 "Registering a New Credential", §7.2 "Verifying an Authentication Assertion", §6.1
"Authenticator Data"; WebAuthn Level 3 (https://www.w3.org/TR/webauthn-3/) for the backup
flags and `topOrigin`. Steps are cited by their wording, since their numbers differ between
the levels.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import decode_credential_public_key, parse_authentication_credential_json
from webauthn.helpers.cose import COSECRV, COSEAlgorithmIdentifier
from webauthn.helpers.decode_credential_public_key import DecodedEC2PublicKey, DecodedOKPPublicKey
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server.evidence.records import KeyInfo, SignatureError, b64url, key_id, spki_of

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

# ES256 first: every platform authenticator supports it, and it is what device keys use too.
SUPPORTED_ALGS = [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA]
TIMEOUT_MS = 300_000  # people signing a legal agreement may be slow; the browser may shorten it
MIN_CHALLENGE_BYTES = 16  # WebAuthn L2 §13.4.3: "challenges SHOULD therefore be at least 16 bytes long"
MAX_USER_HANDLE_BYTES = 64  # WebAuthn L2 §5.4.3: user.id "maximum size of 64 bytes"
MAX_CREDENTIAL_ID_BYTES = 1023  # WebAuthn L3 §7.1: "Verify that the credentialId is ≤ 1023 bytes"

# Authenticator data flags, WebAuthn L2 §6.1 (BE and BS: L3 §6.1).
FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
AUTH_DATA_MIN = 37  # rpIdHash (32) ‖ flags (1) ‖ signCount (4)

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class RegistrationError(SignatureError):
    """A passkey registration response cannot be accepted (a SignatureError, so one handler fits both)."""


# -- small encodings ------------------------------------------------------------------------


def _unb64url(value: object, what: str) -> bytes:
    """Strict base64url (no padding, URL alphabet only): a record must have one spelling."""
    if not isinstance(value, str) or not _B64URL.fullmatch(value) or len(value) % 4 == 1:
        raise SignatureError(f"malformed {what}: not base64url")
    try:
        return binascii.a2b_base64((value + "=" * (-len(value) % 4)).replace("-", "+").replace("_", "/"), strict_mode=True)
    except binascii.Error as exc:
        raise SignatureError(f"malformed {what}: {exc}") from exc


# -- COSE keys ------------------------------------------------------------------------------


def cose_public_key(cose: bytes) -> PublicKey:
    """Decode a COSE_Key (RFC 8152 §13; WebAuthn L2 §6.5.1.1) of the two kinds we allow: ES256/P-256, EdDSA/Ed25519.

    Only these two are accepted because they are what `registration_options` asks for and what
    `KeyInfo.public_key` can hold; a key of any other kind in a record is a forgery or a bug.
    """
    if not cose or cose[0] & 0xE0 != 0xA0:  # a CBOR map; py_webauthn would also take a raw U2F point
        raise ValueError("not a COSE key (not a CBOR map)")
    try:
        decoded = decode_credential_public_key(cose)
    except Exception as exc:
        raise ValueError(f"not a COSE key: {exc!r}") from exc
    if isinstance(decoded, DecodedEC2PublicKey):
        if decoded.alg != COSEAlgorithmIdentifier.ECDSA_SHA_256 or decoded.crv != COSECRV.P256:
            raise ValueError(f"EC2 COSE key must be ES256 on P-256, not alg {decoded.alg} crv {decoded.crv}")
        if len(decoded.x) != 32 or len(decoded.y) != 32:
            raise ValueError("EC2 COSE key coordinates must be 32 bytes each")
        # from_encoded_point checks that the point is on the curve.
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + decoded.x + decoded.y)
    if isinstance(decoded, DecodedOKPPublicKey):
        if decoded.alg != COSEAlgorithmIdentifier.EDDSA or decoded.crv != COSECRV.ED25519:
            raise ValueError(f"OKP COSE key must be EdDSA on Ed25519, not alg {decoded.alg} crv {decoded.crv}")
        if len(decoded.x) != 32:
            raise ValueError("Ed25519 COSE key must be 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(decoded.x)
    raise ValueError(f"unsupported COSE key type {type(decoded).__name__}")


def cose_to_spki(cose: bytes) -> bytes:
    """SubjectPublicKeyInfo DER of a COSE key: what KeyInfo stores and key ids hash (FORMAT.md, "Keys")."""
    return spki_of(cose_public_key(cose))


# -- options for the browser ----------------------------------------------------------------


def _uv_requirement(require_uv: bool) -> UserVerificationRequirement:
    return UserVerificationRequirement.REQUIRED if require_uv else UserVerificationRequirement.PREFERRED


def _check_challenge(challenge: bytes) -> None:
    # py_webauthn silently replaces an empty challenge with a random one; ours must be the one we keep.
    if len(challenge) < MIN_CHALLENGE_BYTES:
        raise ValueError(f"a WebAuthn challenge needs at least {MIN_CHALLENGE_BYTES} bytes")


def registration_options(
    *, rp_id: str, rp_name: str, user_id: bytes, user_name: str, display_name: str, challenge: bytes, require_uv: bool
) -> str:
    """JSON for `navigator.credentials.create` (PublicKeyCredentialCreationOptionsJSON).

    Attestation "none": we trust a passkey because the `key_bound` record ties it to a person
    checked another way (SMS, staff), not because of its maker. Resident key "preferred" so the
    party can sign later on the same device without typing anything (L2 §5.4.6).
    """
    _check_challenge(challenge)
    if not 1 <= len(user_id) <= MAX_USER_HANDLE_BYTES:
        raise ValueError(f"user_id must be 1 to {MAX_USER_HANDLE_BYTES} bytes")
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_id=user_id,
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=_uv_requirement(require_uv),
        ),
        supported_pub_key_algs=list(SUPPORTED_ALGS),
    )
    return options_to_json(options)


def assertion_options(*, rp_id: str, challenge: bytes, credential_ids: list[bytes], require_uv: bool) -> str:
    """JSON for `navigator.credentials.get` (PublicKeyCredentialRequestOptionsJSON).

    For a signature the challenge is SHA-256 of the statement (FORMAT.md, "Signatures"), so
    the assertion itself says what was signed.
    """
    _check_challenge(challenge)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in credential_ids],
        user_verification=_uv_requirement(require_uv),
    )
    return options_to_json(options)


# -- registration ---------------------------------------------------------------------------


def verify_registration(
    credential_json: str | dict[str, Any],
    *,
    challenge: bytes,
    origin: str,
    rp_id: str,
    require_uv: bool,
    holder: dict[str, str],
    valid_from: str,
) -> KeyInfo:
    """Check a `navigator.credentials.create` response (L2 §7.1) and describe the new key as a KeyInfo.

    py_webauthn does the §7.1 steps (type "webauthn.create", challenge, origin, rpIdHash, UP,
    UV when required, alg among ours, attestation statement). The COSE key is then converted
    to SPKI so that the key id is computed the same way for every kind of key.
    """
    try:
        verified = verify_registration_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_presence=True,
            require_user_verification=require_uv,
            supported_pub_key_algs=list(SUPPORTED_ALGS),
        )
    except WebAuthnException as exc:
        raise RegistrationError(f"passkey registration rejected: {exc}") from exc
    if len(verified.credential_id) > MAX_CREDENTIAL_ID_BYTES:
        raise RegistrationError(f"passkey registration rejected: credential id longer than {MAX_CREDENTIAL_ID_BYTES} bytes")
    try:
        spki = cose_to_spki(verified.credential_public_key)
    except ValueError as exc:
        raise RegistrationError(f"passkey registration rejected: {exc}") from exc
    return KeyInfo(
        id=key_id(spki),
        alg="webauthn",
        spki=spki,
        purpose="person",
        holder=dict(holder),
        valid_from=valid_from,
        webauthn={
            "rp_id": rp_id,
            "origin": origin,
            "credential_id": b64url(verified.credential_id),
            "cose": b64url(verified.credential_public_key),
            "sign_count": str(verified.sign_count),
        },
    )


# -- the parts of an assertion --------------------------------------------------------------


@dataclass(frozen=True)
class AuthenticatorData:
    """The fixed head of authenticator data (L2 §6.1); extensions, if any, are covered by the signature only."""

    rp_id_hash: bytes
    flags: int
    sign_count: int

    @classmethod
    def parse(cls, data: bytes) -> AuthenticatorData:
        if len(data) < AUTH_DATA_MIN:
            raise SignatureError(f"malformed authenticator_data: {len(data)} bytes, at least {AUTH_DATA_MIN} needed")
        return cls(rp_id_hash=data[:32], flags=data[32], sign_count=int.from_bytes(data[33:37], "big"))


@dataclass(frozen=True)
class _TrustedKey:
    """What the KeyInfo lets a verifier trust: the public key and the RP it was registered for."""

    public_key: PublicKey
    rp_id: str
    origin: str
    cose: bytes


def _trusted_key(key: KeyInfo) -> _TrustedKey:
    """The key to verify with, after checking the KeyInfo is self-consistent.

    The key id commits to the SPKI (FORMAT.md, "Keys"), and the `key_bound` record commits to
    the id; the COSE key must be the same public key, or the KeyInfo was altered.
    """
    if key.alg != "webauthn":
        raise SignatureError(f"key {key.id} is a {key.alg!r} key, not a webauthn key")
    if key_id(key.spki) != key.id:
        raise SignatureError(f"key {key.id}: its id does not match its public key (substituted key?)")
    info = key.webauthn or {}
    missing = [name for name in ("rp_id", "origin", "cose") if not info.get(name)]
    if missing:
        raise SignatureError(f"key {key.id}: webauthn key lacks {', '.join(missing)}")
    cose = _unb64url(info["cose"], f"COSE key of key {key.id}")
    try:
        from_cose = cose_public_key(cose)
        public = key.public_key()
    except ValueError as exc:  # RecordError is a ValueError
        raise SignatureError(f"key {key.id}: {exc}") from exc
    if spki_of(from_cose) != key.spki:
        raise SignatureError(f"key {key.id}: its COSE key and its SPKI are different keys (altered key?)")
    return _TrustedKey(public_key=public, rp_id=info["rp_id"], origin=info["origin"], cose=cose)


def _client_data(raw: bytes) -> dict[str, Any]:
    """L2 §7.2: "Let JSONtext be the result of running UTF-8 decode on the value of cData" and parse it."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # UTF-8 decode strips a leading BOM
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError(f"malformed client_data_json: {exc}") from exc
    if not isinstance(data, dict):
        raise SignatureError("malformed client_data_json: not a JSON object")
    return data


def _check_client_data(data: dict[str, Any], *, challenge_hash: bytes, origin: str) -> None:
    """The client data steps of L2 §7.2 (type, challenge, origin) and L3 §7.2 (topOrigin)."""
    # "Verify that the value of C.type is the string webauthn.get" — a registration response
    # ("webauthn.create") over the same challenge is not a signature.
    if data.get("type") != "webauthn.get":
        raise SignatureError(f"wrong clientDataJSON type {data.get('type')!r}: a signature is a 'webauthn.get' assertion")
    # "Verify that the value of C.challenge equals the base64url encoding of options.challenge":
    # the challenge is the statement hash, so this is what binds the assertion to the statement.
    if data.get("challenge") != b64url(challenge_hash):
        raise SignatureError("wrong challenge: the assertion was made for a different statement")
    # "Verify that the value of C.origin matches the Relying Party's origin": the browser writes
    # the page's origin here, so another origin means another site obtained the assertion.
    if data.get("origin") != origin:
        raise SignatureError(f"wrong origin {data.get('origin')!r}: the key was registered for {origin!r}")
    # L3 §7.2 "If C.topOrigin is present … verify that the Relying Party expects this credential
    # to be used within an iframe": we never sign inside a cross-origin frame.
    if data.get("crossOrigin") is True or "topOrigin" in data:
        raise SignatureError("assertion made inside a cross-origin frame, which mediate never uses for signing")


def _check_authenticator_data(auth: AuthenticatorData, *, rp_id: str, user_verified: bool) -> None:
    """The authenticator data steps of L2 §7.2 (rpIdHash, UP, UV) and L3 §7.2 (BE/BS)."""
    # "Verify that the rpIdHash in authData is the SHA-256 hash of the RP ID expected by the Relying Party."
    if auth.rp_id_hash != hashlib.sha256(rp_id.encode()).digest():
        raise SignatureError(f"wrong rp: rpIdHash is not SHA-256 of rp id {rp_id!r}")
    # "Verify that the User Present bit of the flags in authData is set."
    if not auth.flags & FLAG_UP:
        raise SignatureError("user-present (UP) flag not set: no one touched or confirmed on the authenticator")
    # "If user verification is required for this assertion, verify that the User Verified bit … is set."
    if user_verified and not auth.flags & FLAG_UV:
        raise SignatureError("user-verified (UV) flag not set, but this record needs user verification (PIN/biometric)")
    # L3 §7.2 "If the BE bit of the flags in authData is not set, verify that the BS bit is not set."
    if auth.flags & FLAG_BS and not auth.flags & FLAG_BE:
        raise SignatureError("backup-state (BS) flag set without backup-eligible (BE): malformed flags")


def _check_signature(public: PublicKey, signature: bytes, authenticator_data: bytes, client_data_json: bytes) -> None:
    """L2 §7.2: "verify that sig is a valid signature over the binary concatenation of authData and hash".

    hash = SHA-256(cData). ES256 signatures are ASN.1 DER (L2 §6.5.5), EdDSA ones are raw.
    """
    signed = authenticator_data + hashlib.sha256(client_data_json).digest()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
        else:
            public.verify(signature, signed)
    except InvalidSignature as exc:
        raise SignatureError("bad signature: does not verify over authenticatorData ‖ SHA-256(clientDataJSON)") from exc


# -- the offline check ----------------------------------------------------------------------


def verify_assertion_signature(sig: dict[str, str], key: KeyInfo, challenge_hash: bytes, *, user_verified: bool) -> None:
    """Check a stored `webauthn` signature (FORMAT.md, "Signatures") from the record alone.

    Everything WebAuthn L2 §7.2 asks that does not need the server's state at signing time:
    client data type, challenge (= SHA-256 of the statement), origin, rpIdHash, UP, UV when
    asked, and the signature. The signature is checked first although §7.2 lists it last: the
    outcome is the same, and an altered record then reads "bad signature" rather than naming
    whatever field was altered as if the authenticator had really signed it.
    Raises SignatureError naming what is wrong.
    """
    trusted = _trusted_key(key)
    authenticator_data = _unb64url(sig.get("authenticator_data"), "authenticator_data")
    client_data_json = _unb64url(sig.get("client_data_json"), "client_data_json")
    signature = _unb64url(sig.get("sig"), "sig")
    auth = AuthenticatorData.parse(authenticator_data)
    client = _client_data(client_data_json)
    _check_signature(trusted.public_key, signature, authenticator_data, client_data_json)
    _check_client_data(client, challenge_hash=challenge_hash, origin=trusted.origin)
    _check_authenticator_data(auth, rp_id=trusted.rp_id, user_verified=user_verified)


# -- the online check -----------------------------------------------------------------------


def _parse_assertion(credential_json: str | dict[str, Any]) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(credential_json)
    except (WebAuthnException, binascii.Error, ValueError) as exc:
        raise SignatureError(f"malformed assertion: {exc}") from exc


def _check_credential(credential: AuthenticationCredential, key: KeyInfo) -> None:
    """L2 §7.2: credential.id must identify the credential of this key (and id must equal rawId)."""
    if b64url(credential.raw_id) != credential.id:
        raise SignatureError("malformed assertion: id and rawId differ")
    expected = (key.webauthn or {}).get("credential_id")
    if b64url(credential.raw_id) != expected:
        raise SignatureError(f"assertion by credential {credential.id!r}, not key {key.id}'s credential {expected!r}")


def _sig_of(credential: AuthenticationCredential, key: KeyInfo) -> dict[str, str]:
    response = credential.response
    return {
        "key": key.id,
        "alg": "webauthn",
        "authenticator_data": b64url(response.authenticator_data),
        "client_data_json": b64url(response.client_data_json),
        "sig": b64url(response.signature),
    }


def sig_from_assertion(credential_json: str | dict[str, Any], key: KeyInfo) -> dict[str, str]:
    """The `sigs` entry (FORMAT.md, "Signatures") for a `navigator.credentials.get` response by `key`."""
    credential = _parse_assertion(credential_json)
    _check_credential(credential, key)
    return _sig_of(credential, key)


def _check_sign_count(new: int, current: int) -> None:
    """L2 §7.2: "If authData.signCount is nonzero or storedSignCount is nonzero", it must have grown.

    The spec leaves the reaction to the RP; for a legal signature a counter that did not grow
    means a replayed assertion or a cloned authenticator, so the signature is refused.
    """
    if (new or current) and new <= current:
        raise SignatureError(
            f"sign count {new} is not greater than the stored {current}: replayed assertion or cloned authenticator"
        )


def _second_opinion(
    credential: AuthenticationCredential, trusted: _TrustedKey, challenge_hash: bytes, current_sign_count: int, require_uv: bool
) -> None:
    """Also run py_webauthn's own §7.2 implementation: if the maintained library learns a new check, we get it."""
    try:
        verify_authentication_response(
            credential=credential,
            expected_challenge=challenge_hash,
            expected_rp_id=trusted.rp_id,
            expected_origin=trusted.origin,
            credential_public_key=trusted.cose,
            credential_current_sign_count=current_sign_count,
            require_user_verification=require_uv,
        )
    except WebAuthnException as exc:
        raise SignatureError(f"assertion rejected by py_webauthn: {exc}") from exc


def verify_assertion(
    credential_json: str | dict[str, Any], *, key: KeyInfo, challenge_hash: bytes, current_sign_count: int, require_uv: bool
) -> int:
    """Check an assertion when it arrives (L2 §7.2 in full) and return the new signature counter.

    The offline checks, plus what only the server can check at that moment: that the
    credential is this key's, and that the counter grew (replay or clone detection). Store the
    returned count for the next call.
    """
    credential = _parse_assertion(credential_json)
    _check_credential(credential, key)
    sig = _sig_of(credential, key)
    verify_assertion_signature(sig, key, challenge_hash, user_verified=require_uv)
    new_count = AuthenticatorData.parse(credential.response.authenticator_data).sign_count
    _check_sign_count(new_count, current_sign_count)
    _second_opinion(credential, _trusted_key(key), challenge_hash, current_sign_count, require_uv)
    return new_count
