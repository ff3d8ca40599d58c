"""Binding a person's own signing key to them in a case (`key_bound` records).

Electronic Signature Law art. 13 asks that signing data be the signer's alone and under their
sole control. The key is generated in the party's browser (a non-extractable WebCrypto key, or
a passkey) and never leaves it; the platform only learns its public key. To bind it to the
party, the party proves control of the phone number on file with a one-time code, and signs
the binding statement with the new key; the platform then co-signs and logs it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.ledger import Ledger
from server.domain.principal import Principal, require_party
from server.errors import FieldError, Gone, InvalidInput, NotFound, TooManyAttempts
from server.evidence.records import Claim, KeyInfo, body_hash, key_id, make_body, timestamp, unb64
from server.models import EvidenceChallenge, OutboxMessage, Party, utcnow

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5


def mask_phone(phone: str) -> str:
    digits = phone.replace(" ", "").replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


def code_hash(challenge: str, code: str) -> str:
    return hashlib.sha256(f"{challenge}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class BindingStarted:
    challenge: str
    claim: dict[str, Any]
    statement: bytes
    sent_to: str
    expires_at: str


class KeyBinding:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger) -> None:
        self._maker = maker
        self._ledger = ledger

    async def start_device_key(self, principal: Principal | None, spki_b64: str) -> BindingStarted:
        """Prepare the binding statement for a browser-made P-256 key and text the party a code."""
        me = require_party(principal)
        try:
            spki = unb64(spki_b64)
            public = serialization.load_der_public_key(spki)
        except ValueError:
            raise InvalidInput("not a public key", [FieldError("spki", "base64 SubjectPublicKeyInfo DER")]) from None
        if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve, ec.SECP256R1):
            raise InvalidInput("device keys are ECDSA P-256", [FieldError("spki", "not a P-256 key")])
        async with self._maker() as db, db.begin():
            party = await db.get(Party, me.party_id)
            assert party is not None
            holder = {"kind": "party", "id": party.id, "role": party.role}
            info = KeyInfo(key_id(spki), "es256", spki, "person", holder, timestamp())
            body = make_body({"name": party.name, "phone": mask_phone(party.phone), "method": "sms_otp", "key": info.id})
            claim = Claim(self._ledger.origin, "key_bound", party.case_id, holder, body_hash(body),
                          {"key": info.to_json(), "method": "sms_otp"})
            challenge = secrets.token_urlsafe(24)
            code = f"{secrets.randbelow(1_000_000):06d}"
            expires = utcnow() + CODE_TTL
            db.add(
                EvidenceChallenge(
                    nonce=challenge, purpose="key_bound", subject_kind="party", subject_id=party.id, case_id=party.case_id,
                    code_hash=code_hash(challenge, code), data={"claim": claim.to_json(), "key": info.to_json(), "body": body},
                    expires_at=expires,
                )
            )
            db.add(
                OutboxMessage(
                    case_id=party.case_id, session_id=me.session_id, party_id=party.id, kind="otp", channel="sms",
                    recipient=party.phone, subject="验证码",
                    body=f"【在线调解】您的验证码是{code}，10分钟内有效，用于确认本人签名密钥。请勿告诉任何人，包括调解员。"
                    f" Your code is {code} (valid 10 minutes). Tell no one, not even the mediator.",
                    status="pending", created_at=utcnow(),
                )
            )
        return BindingStarted(challenge, claim.to_json(), claim.statement, mask_phone(party.phone), expires.isoformat())

    async def finish_device_key(self, principal: Principal | None, challenge: str, code: str, signature_b64: str) -> KeyInfo:
        """Check the code and the new key's signature, co-sign and log the binding."""
        me = require_party(principal)
        tries_left: int | None = None
        async with self._maker() as db, db.begin():
            row = await db.get(EvidenceChallenge, challenge, with_for_update=True)
            if row is None or row.subject_id != me.party_id or row.purpose != "key_bound":
                raise NotFound("no such key binding; start again")
            if row.used_at is not None or row.expires_at <= utcnow():
                raise Gone("this code has expired or was used; ask for a new one", reason="expired")
            if row.attempts >= MAX_CODE_ATTEMPTS:
                raise TooManyAttempts("too many wrong codes; ask for a new one", retry_after=0)
            assert row.data is not None and row.code_hash is not None
            if not hmac.compare_digest(row.code_hash, code_hash(challenge, code.strip())):
                # The transaction commits the count; the refusal is raised after it.
                row.attempts += 1
                tries_left = MAX_CODE_ATTEMPTS - row.attempts
            else:
                claim = Claim.from_json(row.data["claim"])
                info = KeyInfo.from_json(row.data["key"])
                device_sig = {"key": info.id, "alg": "es256", "sig": signature_b64}
                platform_sig = self._ledger.keyring.signer("platform").sign(claim.statement)
                appended = await self._ledger.append(db, claim, [device_sig, platform_sig], row.data["body"], new_key=info)
                row.used_at = utcnow()
                history.record(db, claim.case, me, "key_bound", key_id=info.id, method="sms_otp", seq=appended.record.seq)
        if tries_left is not None:
            raise InvalidInput("wrong code", [FieldError("code", f"wrong code; {tries_left} tries left")])
        return info
