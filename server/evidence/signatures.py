"""Checking one `sigs` entry of a record against its statement, whatever the key's algorithm.

Apart from :mod:`server.evidence.records` (the record format, which signs but never needs to
know WebAuthn) and from :mod:`server.evidence.webauthn` (which reads the record format's key
info), so that imports run one way: records <- webauthn <- signatures. Ed25519 (RFC 8032) and
ES256 (raw r‖s, as in RFC 7518 §3.4) are checked here; a WebAuthn assertion is checked by
:func:`server.evidence.webauthn.verify_assertion_signature` over the statement's SHA-256.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from server.evidence.records import KeyInfo, RecordError, SignatureError, sha256, unb64
from server.evidence.webauthn import verify_assertion_signature


def verify_signature(sig: dict[str, str], key: KeyInfo, statement: bytes, *, user_verified: bool = False) -> None:
    """Check one `sigs` entry against the statement. Raises SignatureError naming what failed."""
    if sig.get("key") != key.id:
        raise SignatureError(f"signature names key {sig.get('key')!r}, not {key.id}")
    alg = sig.get("alg")
    if alg != key.alg:
        raise SignatureError(f"signature alg {alg!r} does not match key {key.id} ({key.alg})")
    try:
        public = key.public_key()
        if alg == "ed25519":
            assert isinstance(public, ed25519.Ed25519PublicKey)
            public.verify(unb64(sig["sig"]), statement)
        elif alg == "es256":
            assert isinstance(public, ec.EllipticCurvePublicKey)
            raw = unb64(sig["sig"])
            if len(raw) != 64:
                raise SignatureError("an es256 signature is 64 bytes (r‖s)")
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            public.verify(der, statement, ec.ECDSA(hashes.SHA256()))
        elif alg == "webauthn":
            verify_assertion_signature(sig, key, sha256(statement), user_verified=user_verified)
        else:
            raise SignatureError(f"unknown signature alg {alg!r}")
    except InvalidSignature as exc:
        raise SignatureError(f"signature by key {key.id} does not verify") from exc
    except (KeyError, RecordError) as exc:
        raise SignatureError(f"malformed signature by key {key.id}: {exc}") from exc
