"""Claims, records, bodies, keys and signatures, exactly as FORMAT.md describes them.

Shared by the server (which writes records), the exporter and the offline verifier, so that
what is written and what is checked cannot drift apart. Standard library, `cryptography` and
`rfc8785` only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

VERSION = 1
GENESIS = None  # `prev` of a case's first record

# The types written today, and those that later issues add (FORMAT.md, "Record types").
RECORD_TYPES = frozenset(
    {
        "case_registered",
        "case_opened",  # what cases registered before the registration form (#21) began with
        "key_bound",
        "identity_checked",
        "checkpoint_witnessed",
        "consent",
        "consent_withdrawn",
        "segment_manifest",
        "agreement_version",
        "signature",
        "agreement_read_aloud",
        "confirmation_applied",
        "confirmation_decided",
        "export",
        "recording_interrupted",
        "recording_deleted",
        "document_added",
        "agreement_sealed",
        "delivery",
        "mediation_ended",
        "case_referred",
        "referral_accepted",
        "referral_returned",
        "assistance_reported",
        "supervision_issued",
        "supervision_replied",
        "work_order_joined",
        "deadline_extended",
        "case_accepted",
        "case_declined",
        "filing_package_made",
        "result_reported",
        "mediation_accepted",
        "mediation_refused",
        "mediator_assigned",
        "disclosure_signed",
        "mediator_change_requested",
        "mediator_change_decided",
        "performance_reported",
        "performance_confirmed",
        "performance_disputed",
        "transcript_version",
        "transcript_signed",
        "satisfaction_rated",
        "complaint_filed",
        "complaint_answered",
        "follow_up_planned",
        "follow_up_recorded",
        "case_closed",
        "case_file_made",
        "case_archived",
        "case_file_destroyed",
        "statistics_snapshot",  # in an organisation's statistics stream, not a case (server/domain/statistics/snapshots.py)
        "case_indexed",  # the same stream's index of the cases the organisation leads (server/domain/statistics_stream.py)
    }
)
# Record types whose WebAuthn signer must have verified the user (UV flag), not only be present:
# what a person agrees to or signs (Electronic Signature Law art. 13: the signer's sole control).
USER_VERIFIED_TYPES = frozenset(
    {
        "consent",
        "signature",
        "confirmation_decided",
        "confirmation_applied",
        "performance_confirmed",
        "performance_disputed",
        "transcript_signed",
        "satisfaction_rated",
        "complaint_filed",
    }
)
# A `key_bound` record with method "video_witnessed" rests on an earlier `identity_checked` record
# (the mediator's own signed check of the party's ID card on video) made at most this long before it.
WITNESS_WINDOW_SECONDS = 15 * 60
ACTOR_KINDS = frozenset({"party", "staff", "platform", "recorder"})
KEY_ALGS = frozenset({"ed25519", "es256", "webauthn"})
KEY_PURPOSES = frozenset({"log", "platform", "recorder", "person"})


class RecordError(ValueError):
    """A claim, record, body or key is not of the form FORMAT.md gives."""


class SignatureError(ValueError):
    """A signature does not verify, or is not of the form its algorithm needs."""


# -- encodings ----------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes: the one serialisation that is hashed and signed."""
    return rfc8785.dumps(value)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise RecordError(f"not base64: {text[:20]!r}") from exc


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise RecordError(f"not base64url: {text[:20]!r}") from exc


def timestamp(when: datetime | None = None) -> str:
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """The one time format records use: UTC, microseconds, a Z (as `timestamp` writes it)."""
    if not isinstance(text, str) or len(text) != 27 or not text.endswith("Z") or text[10] != "T":
        raise RecordError(f"bad time {text!r}")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise RecordError(f"bad time {text!r}") from exc


# -- keys ---------------------------------------------------------------------------------


def spki_of(public_key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(spki_der: bytes) -> str:
    return sha256_hex(spki_der)[:32]


@dataclass(frozen=True)
class KeyInfo:
    """A public key and whose it is. For people, trust comes from a `key_bound` record, not from this."""

    id: str
    alg: str
    spki: bytes
    purpose: str
    holder: dict[str, str]
    valid_from: str
    valid_until: str | None = None
    webauthn: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "alg": self.alg,
            "spki": b64(self.spki),
            "purpose": self.purpose,
            "holder": dict(self.holder),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }
        if self.webauthn is not None:
            out["webauthn"] = dict(self.webauthn)
        return out

    @classmethod
    def from_json(cls, data: Any) -> KeyInfo:
        if not isinstance(data, dict):
            raise RecordError("a key must be an object")
        try:
            info = cls(
                id=str(data["id"]),
                alg=str(data["alg"]),
                spki=unb64(str(data["spki"])),
                purpose=str(data["purpose"]),
                holder={str(k): str(v) for k, v in dict(data["holder"]).items()},
                valid_from=str(data["valid_from"]),
                valid_until=None if data.get("valid_until") is None else str(data["valid_until"]),
                webauthn={str(k): str(v) for k, v in dict(data["webauthn"]).items()} if data.get("webauthn") else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RecordError(f"malformed key: {exc}") from exc
        if info.alg not in KEY_ALGS or info.purpose not in KEY_PURPOSES:
            raise RecordError(f"key {info.id}: unknown alg or purpose")
        if key_id(info.spki) != info.id:
            raise RecordError(f"key {info.id}: its id does not match its public key (substituted key?)")
        return info

    def public_key(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
        key = serialization.load_der_public_key(self.spki)
        if self.alg == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            return key
        if (
            self.alg in ("es256", "webauthn")
            and isinstance(key, ec.EllipticCurvePublicKey)
            and isinstance(key.curve, ec.SECP256R1)
        ):
            return key
        if self.alg == "webauthn" and isinstance(key, ed25519.Ed25519PublicKey):
            return key
        raise RecordError(f"key {self.id}: public key does not fit alg {self.alg}")

    def valid_at(self, when: datetime) -> bool:
        if when < parse_time(self.valid_from):
            return False
        return self.valid_until is None or when < parse_time(self.valid_until)


class Ed25519Signer:
    """A platform key (log, platform, recorder) held by the server."""

    def __init__(self, private: ed25519.Ed25519PrivateKey, info: KeyInfo) -> None:
        self.private = private
        self.info = info

    @classmethod
    def generate(cls, purpose: str, holder_id: str = "platform", valid_from: str | None = None) -> Ed25519Signer:
        private = ed25519.Ed25519PrivateKey.generate()
        spki = spki_of(private.public_key())
        info = KeyInfo(key_id(spki), "ed25519", spki, purpose, {"kind": "platform", "id": holder_id}, valid_from or timestamp())
        return cls(private, info)

    def sign(self, statement: bytes) -> dict[str, str]:
        return {"key": self.info.id, "alg": "ed25519", "sig": b64(self.private.sign(statement))}


class DeviceKey:
    """What a browser's non-extractable WebCrypto ECDSA P-256 key does, in Python (demo and tests)."""

    def __init__(self, private: ec.EllipticCurvePrivateKey, info: KeyInfo) -> None:
        self.private = private
        self.info = info

    @classmethod
    def generate(cls, holder: dict[str, str], valid_from: str | None = None) -> DeviceKey:
        private = ec.generate_private_key(ec.SECP256R1())
        spki = spki_of(private.public_key())
        return cls(private, KeyInfo(key_id(spki), "es256", spki, "person", holder, valid_from or timestamp()))

    def sign(self, statement: bytes) -> dict[str, str]:
        der = self.private.sign(statement, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return {"key": self.info.id, "alg": "es256", "sig": b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}


# -- claims, bodies, records --------------------------------------------------------------


def make_body(data: dict[str, Any]) -> dict[str, Any]:
    return {"salt": b64(secrets.token_bytes(16)), "data": data}


def body_hash(body: dict[str, Any]) -> str:
    try:
        return sha256_hex(unb64(str(body["salt"])) + canonical(body["data"]))
    except (KeyError, TypeError) as exc:
        raise RecordError(f"malformed body: {exc}") from exc


@dataclass
class Claim:
    log: str
    type: str
    case: str
    actor: dict[str, str]
    body_hash: str
    public: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=timestamp)
    nonce: str = field(default_factory=lambda: b64url(secrets.token_bytes(16)))

    def to_json(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "log": self.log,
            "type": self.type,
            "case": self.case,
            "time": self.time,
            "actor": dict(self.actor),
            "body_hash": self.body_hash,
            "public": self.public,
            "nonce": self.nonce,
        }

    @property
    def statement(self) -> bytes:
        """JCS of the claim. Cached: claims are not changed once made, and this is hashed often."""
        cached: bytes | None = self.__dict__.get("_statement")
        if cached is None:
            cached = canonical(self.to_json())
            self.__dict__["_statement"] = cached
        return cached

    @classmethod
    def from_json(cls, data: Any) -> Claim:
        if not isinstance(data, dict):
            raise RecordError("a claim must be an object")
        expected = {"v", "log", "type", "case", "time", "actor", "body_hash", "public", "nonce"}
        if set(data) != expected:
            raise RecordError(f"claim fields differ: {sorted(set(data) ^ expected)}")
        if data["v"] != VERSION:
            raise RecordError(f"unknown claim version {data['v']!r}")
        actor = data["actor"]
        if not isinstance(actor, dict) or actor.get("kind") not in ACTOR_KINDS or not isinstance(actor.get("id"), str):
            raise RecordError("claim actor must be {kind, id[, role]}")
        if data["type"] not in RECORD_TYPES:
            raise RecordError(f"unknown record type {data['type']!r}")
        if not isinstance(data["public"], dict):
            raise RecordError("claim public must be an object")
        body = data["body_hash"]
        if not (isinstance(body, str) and len(body) == 64 and all(c in "0123456789abcdef" for c in body)):
            raise RecordError("claim body_hash must be 64 lowercase hex characters")
        nonce = data["nonce"]
        if not isinstance(nonce, str) or len(unb64url(nonce)) < 16:
            raise RecordError("claim nonce must carry at least 16 bytes")
        parse_time(str(data["time"]))
        for name in ("log", "type", "case"):
            if not isinstance(data[name], str) or not data[name]:
                raise RecordError(f"claim {name} must be a non-empty string")
        return cls(
            log=data["log"],
            type=data["type"],
            case=data["case"],
            actor={str(k): str(v) for k, v in actor.items()},
            body_hash=body,
            public=data["public"],
            time=data["time"],
            nonce=nonce,
        )


@dataclass
class Record:
    claim: Claim
    seq: int
    prev: str | None
    sigs: list[dict[str, str]]

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "claim": self.claim.to_json(), "seq": self.seq, "prev": self.prev, "sigs": self.sigs}

    @property
    def entry(self) -> bytes:
        """The bytes that go into the log (and that the next record's `prev` hashes).

        JCS sorts keys (claim < prev < seq < sigs < v), so the canonical record is the claim's
        canonical statement spliced between the other members: the same bytes as
        `canonical(self.to_json())` (a test holds the two equal) without serialising the claim twice.
        """
        return b"".join(
            (
                b'{"claim":',
                self.claim.statement,
                b',"prev":',
                canonical(self.prev),
                b',"seq":',
                str(self.seq).encode(),
                b',"sigs":',
                canonical(self.sigs),
                b',"v":',
                str(VERSION).encode(),
                b"}",
            )
        )

    @classmethod
    def from_entry(cls, entry: bytes) -> Record:
        try:
            data = json.loads(entry)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RecordError(f"not JSON: {exc}") from exc
        if not isinstance(data, dict) or set(data) != {"v", "claim", "seq", "prev", "sigs"}:
            raise RecordError("a record has exactly v, claim, seq, prev and sigs")
        if canonical(data) != entry:
            raise RecordError("not in canonical (RFC 8785) form")
        if data["v"] != VERSION or not isinstance(data["seq"], int) or data["seq"] < 1:
            raise RecordError("bad version or seq")
        prev = data["prev"]
        if (data["seq"] == 1) != (prev is None) or (prev is not None and (not isinstance(prev, str) or len(prev) != 64)):
            raise RecordError("prev must be null for seq 1 and a 64-character hash after")
        sigs = data["sigs"]
        if not isinstance(sigs, list) or not all(isinstance(s, dict) and isinstance(s.get("key"), str) for s in sigs):
            raise RecordError("sigs must be a list of {key, alg, ...}")
        return cls(Claim.from_json(data["claim"]), data["seq"], prev, sigs)


def entry_hash(entry: bytes) -> str:
    """What the next record of the case carries in `prev`."""
    return sha256_hex(entry)
