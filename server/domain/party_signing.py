"""A party signs a statement with their own key: the ceremony shared by everything a party signs.

The server prepares the exact statement under a single-use challenge. A passkey confirms the
signer by its user verification (fingerprint, face, PIN). A device key is confirmed again with a
one-time code on a channel that really reaches the party (server/domain/reach.py), so whoever
holds the party's unlocked phone or laptop still cannot sign as them.

Where no channel reaches the party (no SMS provider, no e-mail address), the device key signs
with no code, and the record says exactly that (method ``device_key``, not
``sms_otp+device_key``). Electronic Signature Law art. 13 asks that the signing data be the
signer's alone and under their sole control when signing: the device key is a non-extractable
WebCrypto key that exists only in the party's own browser, bound to them either by a code or,
without one, under the mediator's witnessed check of their ID card on video (server/domain/
witnessed.py). A code texted to that same phone adds little against someone who holds the
phone, and a code that is never delivered would leave the party unable to sign at all. Where a
channel exists, the code stays required: it is the stronger of the two and nothing weakens it.

The caller decides what the statement is and what its signature changes; this module checks and
logs it. ``statement_to_sign`` is the frame every party-signed statement's ``sign`` runs in: open the
statement in one transaction, sign it, and refuse a wrong code only after that transaction has
committed, so that the wrong try counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.codes import CodeSent
from server.domain.keybinding import (
    add_challenge,
    open_code_challenge,
    passkey_signature,
    refuse_code,
    signing_options,
    start_code,
    wrong_code,
)
from server.domain.ledger import Ledger
from server.domain.ledger_shapes import key_info
from server.domain.principal import PartyPrincipal
from server.domain.reach import code_channels
from server.errors import Conflict, FieldError, InvalidInput
from server.evidence.records import Claim, KeyInfo
from server.models import EvidenceChallenge, EvidenceKey, Party, utcnow
from server.settings import Settings

CHALLENGE_TTL = timedelta(minutes=15)


def method_of(key: KeyInfo) -> str:
    """The kind of key, as signature rows and pages name it: ``passkey`` or ``device_key``."""
    return "passkey" if key.alg == "webauthn" else "device_key"


def code_channel(settings: Settings, party: Party, key: KeyInfo) -> str | None:
    """The channel a one-time code goes by for this signature, or None when none is asked.

    A passkey needs none (its user verification confirms the signer); a device key needs one
    whenever a channel reaches the party (see the module's docstring).
    """
    if key.alg == "webauthn":
        return None
    channels = code_channels(settings, party)
    return channels[0] if channels else None


def body_method(settings: Settings, party: Party, key: KeyInfo) -> str:
    """How the signer is confirmed, as the signed body says it.

    ``passkey_uv``; ``sms_otp+device_key`` or ``email_otp+device_key`` (a code, then the device
    key); ``device_key`` (no channel reaches the party: the device key alone).
    """
    if key.alg == "webauthn":
        return "passkey_uv"
    channel = code_channel(settings, party, key)
    return f"{channel}_otp+device_key" if channel else "device_key"


def signed_method(key: KeyInfo, code_used: bool, channel: str | None) -> str:
    """The method a signature row records: ``passkey``, ``device_key`` or ``<channel>_otp+device_key``."""
    if key.alg == "webauthn":
        return "passkey"
    return f"{channel or 'sms'}_otp+device_key" if code_used else "device_key"


@dataclass(frozen=True)
class PreparedStatement:
    challenge: str
    statement: bytes
    claim: dict[str, Any]
    key: KeyInfo
    options: dict[str, Any] | None  # WebAuthn request options for a passkey
    otp_sent_to: str | None  # the masked phone or address a code went to; None when no code was sent
    method: str  # what the signed body says: passkey_uv | sms_otp+device_key | email_otp+device_key | device_key
    otp: CodeSent | None = None  # where the code went (channel, masked address, message id)


@dataclass(frozen=True)
class Proof:
    """What the party sends to sign a prepared statement: a passkey's ``credential``, or the device
    key's ``signature`` with the one-time ``code`` when one was sent."""

    code: str | None = None
    signature: str | None = None
    credential: dict[str, Any] | None = None


@dataclass(frozen=True)
class SignedStatement:
    claim: Claim
    seq: int
    claim_hash: str
    key: KeyInfo
    data: dict[str, Any]
    method: str  # what the signature row records (signed_method)


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
    """Keep the statement under a challenge; send a code when the key is a device key and a channel reaches the party.

    The claim's body names the method (``body_method``), decided from the same settings and
    party as here, so what the record says is what was done.
    """
    data = {"claim": claim.to_json(), "body": body, "key": key.id, **(extra or {})}
    sent = None
    channel = code_channel(settings, party, key)
    if channel is None:
        challenge = add_challenge(
            db,
            purpose=purpose,
            subject_kind="party",
            subject_id=party.id,
            case_id=party.case_id,
            data=data,
            expires_at=utcnow() + CHALLENGE_TTL,
        )
    else:
        data["channel"] = channel
        _, challenge, _, sent = await start_code(db, settings, me, purpose, data, use=use)
    options = signing_options(settings, key, claim.statement)
    return PreparedStatement(
        challenge,
        claim.statement,
        claim.to_json(),
        key,
        options,
        sent.sent_to if sent else None,
        body_method(settings, party, key),
        sent,
    )


class _WrongCode(Exception):
    """A wrong one-time code, raised out of the caller's work so that ``statement_to_sign`` commits, then refuses."""

    def __init__(self, tries_left: int) -> None:
        super().__init__(tries_left)
        self.tries_left = tries_left


@dataclass(frozen=True)
class OpenStatement:
    """A prepared statement opened (locked) in the party's transaction: what it keeps, and signing it."""

    row: EvidenceChallenge
    _db: AsyncSession
    _ledger: Ledger
    _challenge: str

    @property
    def data(self) -> dict[str, Any]:
        """What ``prepare_statement`` kept with the statement (the claim, the body, the caller's ``extra``)."""
        assert self.row.data is not None
        return self.row.data

    async def sign(self, proof: Proof) -> SignedStatement:
        """Check the code (if one was sent) and the signature and log the record, in the caller's transaction.

        Whether a code is needed was settled when the statement was prepared: a challenge with a
        code's hash needs that code; one without (no channel reached the party) needs the device
        key's signature alone. A wrong code ends the caller's work here: nothing after this call
        runs, the transaction commits with the try counted, and ``statement_to_sign`` refuses the
        party with the tries left.
        """
        db, row, data = self._db, self.row, self.data
        code, signature, credential = proof.code, proof.signature, proof.credential
        claim = Claim.from_json(data["claim"])
        key_row = await db.get(EvidenceKey, data["key"])
        if key_row is None or key_row.valid_until is not None:
            raise Conflict("your key was replaced; ask for the statement again", reason="key_changed")
        key = key_info(key_row)
        count = 0
        if key.alg == "webauthn":
            own, count = await passkey_signature(db, credential, key, claim.statement)
        else:
            needs_code = row.code_hash is not None
            missing = [
                name for name, v in (("code", code), ("signature", signature)) if v is None and (needs_code or name != "code")
            ]
            if missing:
                raise InvalidInput(
                    "enter the code sent to you and sign with your device key" if needs_code else "sign with your device key",
                    [FieldError(name, "required", "required") for name in missing],
                )
            assert signature is not None
            if needs_code:
                assert code is not None
                tries_left = wrong_code(row, self._challenge, code)
                if tries_left is not None:
                    raise _WrongCode(tries_left)
            own = {"key": key.id, "alg": key.alg, "sig": signature}
        appended = await self._ledger.append(db, claim, [own], data["body"], user_verified=key.alg == "webauthn")
        row.used_at = utcnow()
        if count:
            await db.execute(update(EvidenceKey).where(EvidenceKey.id == key.id).values(sign_count=count))
        method = signed_method(key, row.code_hash is not None, data.get("channel"))
        return SignedStatement(claim, appended.record.seq, appended.claim_hash, key, data, method)


@asynccontextmanager
async def statement_to_sign(
    maker: async_sessionmaker[AsyncSession], ledger: Ledger, me: PartyPrincipal, challenge: str, purpose: str
) -> AsyncIterator[tuple[AsyncSession, OpenStatement]]:
    """The frame of a party's signature: one transaction, the statement opened in it, a wrong code refused after it.

    The statement must be this party's, for this purpose, unused and in time; it is locked for the
    transaction. The caller checks what the statement is about, calls ``statement.sign(...)`` and
    records what the signature changes, all in the transaction it is given::

        async with statement_to_sign(maker, ledger, me, challenge, PURPOSE) as (db, statement):
            row = await open_the_thing(db, statement.data["thing"])
            signed = await statement.sign(proof)
            db.add(Signer(..., seq=signed.seq))

    A wrong code ends the caller's work at ``sign``; the transaction still commits, so the try
    counts (a challenge allows only so many), and then ``refuse_code`` says how many are left.
    """
    tries_left: int | None = None
    async with maker() as db, db.begin():
        row = open_code_challenge(await db.get(EvidenceChallenge, challenge, with_for_update=True), me.party_id, purpose)
        try:
            yield db, OpenStatement(row, db, ledger, challenge)
        except _WrongCode as wrong:
            tries_left = wrong.tries_left
    if tries_left is not None:
        raise refuse_code(tries_left)
