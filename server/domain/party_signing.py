"""A party signs a statement with their own key: the ceremony shared by everything a party signs.

The server prepares the exact statement under a single-use challenge. A device key is confirmed
again with a one-time code to the party's phone on file; a passkey by its user verification. So
whoever holds the party's unlocked phone or laptop still cannot sign as them (Electronic
Signature Law art. 13: signing data under the signer's sole control). The caller decides what
the statement is and what its signature changes; this module checks and logs it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.keybinding import mask_phone, open_code_challenge, passkey_signature, signing_options, start_code, wrong_code
from server.domain.ledger import Ledger, key_info
from server.domain.principal import PartyPrincipal
from server.errors import Conflict, FieldError, InvalidInput
from server.evidence.records import Claim, KeyInfo
from server.models import EvidenceChallenge, EvidenceKey, Party, utcnow
from server.settings import Settings

CHALLENGE_TTL = timedelta(minutes=15)


def method_of(key: KeyInfo) -> str:
    return "passkey" if key.alg == "webauthn" else "device_key"


def body_method(key: KeyInfo) -> str:
    """How the signer was confirmed, as the signed body says it."""
    return "passkey_uv" if key.alg == "webauthn" else "sms_otp+device_key"


@dataclass(frozen=True)
class PreparedStatement:
    challenge: str
    statement: bytes
    claim: dict[str, Any]
    key: KeyInfo
    options: dict[str, Any] | None  # WebAuthn request options for a passkey
    otp_sent_to: str | None  # the masked phone a code went to, for a device key


@dataclass(frozen=True)
class SignedStatement:
    claim: Claim
    seq: int
    claim_hash: str
    key: KeyInfo
    data: dict[str, Any]


async def prepare_statement(
    db: AsyncSession,
    settings: Settings,
    me: PartyPrincipal,
    party: Party,
    key: KeyInfo,
    claim: Claim,
    body: dict[str, Any],
    *,
    purpose: str,
    use: str,
    extra: dict[str, Any] | None = None,
) -> PreparedStatement:
    """Keep the statement under a challenge; text a code when the key is a device key."""
    data = {"claim": claim.to_json(), "body": body, "key": key.id, **(extra or {})}
    sent_to = None
    if key.alg == "webauthn":
        challenge = secrets.token_urlsafe(24)
        db.add(
            EvidenceChallenge(
                nonce=challenge,
                purpose=purpose,
                subject_kind="party",
                subject_id=party.id,
                case_id=party.case_id,
                data=data,
                expires_at=utcnow() + CHALLENGE_TTL,
            )
        )
    else:
        _, challenge, _ = await start_code(db, me, purpose, data, use=use)
        sent_to = mask_phone(party.phone)
    options = signing_options(settings, key, claim.statement)
    return PreparedStatement(challenge, claim.statement, claim.to_json(), key, options, sent_to)


async def open_statement(db: AsyncSession, me: PartyPrincipal, challenge: str, purpose: str) -> EvidenceChallenge:
    """The prepared statement (locked), if it is this party's, unused and in time."""
    row = open_code_challenge(await db.get(EvidenceChallenge, challenge, with_for_update=True), me.party_id, purpose)
    assert row.data is not None
    return row


async def sign_statement(
    db: AsyncSession,
    ledger: Ledger,
    row: EvidenceChallenge,
    challenge: str,
    *,
    code: str | None,
    signature: str | None,
    credential: dict[str, Any] | None,
) -> SignedStatement | int:
    """Check the code and the signature and log the record, in the caller's transaction.

    Returns the logged statement, or the number of tries left after a wrong code: the caller
    lets its transaction commit (so the wrong try counts) and then refuses.
    """
    assert row.data is not None
    claim = Claim.from_json(row.data["claim"])
    key_row = await db.get(EvidenceKey, row.data["key"])
    if key_row is None or key_row.valid_until is not None:
        raise Conflict("your key was replaced; ask for the statement again", reason="key_changed")
    key = key_info(key_row)
    count = 0
    if key.alg == "webauthn":
        if credential is None:
            raise InvalidInput("sign with your passkey", [FieldError("credential", "required for a passkey")])
        own, count = await passkey_signature(db, credential, key, claim.statement)
    else:
        if code is None or signature is None:
            raise InvalidInput(
                "enter the code sent to your phone and sign with your device key",
                [FieldError(name, "required") for name, v in (("code", code), ("signature", signature)) if v is None],
            )
        tries_left = wrong_code(row, challenge, code)
        if tries_left is not None:
            return tries_left
        own = {"key": key.id, "alg": key.alg, "sig": signature}
    appended = await ledger.append(db, claim, [own], row.data["body"], user_verified=key.alg == "webauthn")
    row.used_at = utcnow()
    if count:
        await db.execute(update(EvidenceKey).where(EvidenceKey.id == key.id).values(sign_count=count))
    return SignedStatement(claim, appended.record.seq, appended.claim_hash, key, row.data)
