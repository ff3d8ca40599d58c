"""Binding a person's own signing key to them in a case (`key_bound` records).

Electronic Signature Law art. 13 asks that signing data be the signer's alone and under their
sole control. The key is generated in the party's browser (a non-extractable WebCrypto key, or
a passkey) and never leaves it; the platform only learns its public key. To bind it to the
party, the party proves control of the phone number on file with a one-time code, and signs
the binding statement with the new key; the platform then co-signs and logs it. Where no code
can reach the party, the key is bound instead under the mediator's check of their ID card on
video (witnessed.py), which shares the logging (`log_binding`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.codes import CodeSent, mask_phone, otp_method, send_code
from server.domain.ledger import Ledger
from server.domain.ledger_shapes import key_info
from server.domain.principal import PartyPrincipal, Principal, require_party
from server.errors import Conflict, FieldError, Gone, InvalidInput, NotFound, TooManyAttempts
from server.evidence import webauthn
from server.evidence.records import (
    Claim,
    KeyInfo,
    SignatureError,
    b64url,
    body_hash,
    key_id,
    make_body,
    sha256,
    timestamp,
    unb64,
    unb64url,
)
from server.models import EvidenceChallenge, EvidenceKey, Party, utcnow
from server.settings import Settings

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5


def code_hash(challenge: str, code: str) -> str:
    return hashlib.sha256(f"{challenge}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class BindingStarted:
    challenge: str
    claim: dict[str, Any]
    statement: bytes
    sent_to: str
    expires_at: str
    sent: CodeSent


def add_challenge(
    db: AsyncSession,
    *,
    purpose: str,
    subject_kind: str,
    subject_id: str,
    case_id: str | None,
    data: dict[str, Any],
    expires_at: datetime,
    code: str | None = None,
) -> str:
    """Issue a single-use challenge (an `EvidenceChallenge` row, added to `db`); returns its nonce.

    The client answers with the nonce; the row keeps what the answer is checked against (`data`:
    the prepared statement, a registration) until `expires_at`. With a one-time `code`, only the
    code's hash, salted with the nonce, is kept.
    """
    nonce = secrets.token_urlsafe(24)
    db.add(
        EvidenceChallenge(
            nonce=nonce,
            purpose=purpose,
            subject_kind=subject_kind,
            subject_id=subject_id,
            case_id=case_id,
            code_hash=code_hash(nonce, code) if code is not None else None,
            data=data,
            expires_at=expires_at,
        )
    )
    return nonce


def open_code_challenge(row: EvidenceChallenge | None, party_id: str, purpose: str) -> EvidenceChallenge:
    if row is None or row.subject_id != party_id or row.purpose != purpose:
        raise NotFound("no such key binding; start again", reason="no_such_request")
    if row.used_at is not None or row.expires_at <= utcnow():
        raise Gone("this code has expired or was used; ask for a new one", reason="expired")
    if row.attempts >= MAX_CODE_ATTEMPTS:
        raise TooManyAttempts("too many wrong codes; ask for a new one", retry_after=0, reason="too_many_wrong_codes")
    return row


def wrong_code(row: EvidenceChallenge, challenge: str, code: str) -> int | None:
    """None if the code is right; else counts the try and says how many are left."""
    assert row.code_hash is not None
    if hmac.compare_digest(row.code_hash, code_hash(challenge, code.strip())):
        return None
    row.attempts += 1
    return MAX_CODE_ATTEMPTS - row.attempts


def refuse_code(tries_left: int) -> InvalidInput:
    return InvalidInput(
        "wrong code", [FieldError("code", f"wrong code; {tries_left} tries left", "wrong_code", {"tries_left": tries_left})]
    )


def device_key_info(spki_b64: str, holder: dict[str, str]) -> KeyInfo:
    """A browser-made WebCrypto key (ECDSA P-256, non-extractable) as a person's KeyInfo."""
    try:
        spki = unb64(spki_b64)
        public = serialization.load_der_public_key(spki)
    except ValueError:
        raise InvalidInput("not a public key", [FieldError("spki", "base64 SubjectPublicKeyInfo DER", "device_key")]) from None
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve, ec.SECP256R1):
        raise InvalidInput("device keys are ECDSA P-256", [FieldError("spki", "not a P-256 key", "device_key")])
    return KeyInfo(key_id(spki), "es256", spki, "person", holder, timestamp())


def new_passkey_info(settings: Settings, credential: dict[str, Any], registration: str, holder: dict[str, str]) -> KeyInfo:
    """Check a passkey registration made for our registration challenge (b64url)."""
    try:
        return webauthn.verify_registration(
            credential,
            challenge=unb64url(registration),
            origin=settings.webauthn_origin,
            rp_id=settings.webauthn_rp_id,
            require_uv=True,
            holder=holder,
            valid_from=timestamp(),
        )
    except SignatureError as exc:
        raise InvalidInput(f"passkey not accepted: {exc}", [FieldError("credential", str(exc), "passkey_refused")]) from None


async def passkey_signature(
    db: AsyncSession, credential: dict[str, Any] | None, info: KeyInfo, statement: bytes
) -> tuple[dict[str, str], int]:
    """The record's signature from a passkey assertion over `statement`, and the new signature counter.

    No assertion is refused (``passkey_required``). The counter to beat is the stored one (updated
    after every use), so that a cloned authenticator shows (WebAuthn §6.1.1); a key not stored yet
    starts from its registration.
    """
    if credential is None:
        raise InvalidInput("sign with your passkey", [FieldError("credential", "required for a passkey", "passkey_required")])
    stored = await db.get(EvidenceKey, info.id)
    current = stored.sign_count if stored is not None else int((info.webauthn or {}).get("sign_count", 0))
    try:
        count = webauthn.verify_assertion(
            credential, key=info, challenge_hash=sha256(statement), current_sign_count=current, require_uv=True
        )
        return webauthn.sig_from_assertion(credential, info), count
    except SignatureError as exc:
        raise InvalidInput(f"signature rejected: {exc}", [FieldError("credential", str(exc), "passkey_refused")]) from None


def signing_options(settings: Settings, key: KeyInfo, statement: bytes) -> dict[str, Any] | None:
    """WebAuthn request options to sign `statement` with this passkey (user verified); None for a device key."""
    if key.alg != "webauthn" or not key.webauthn:
        return None
    return dict(
        json.loads(
            webauthn.assertion_options(
                rp_id=settings.webauthn_rp_id,
                challenge=sha256(statement),
                credential_ids=[unb64url(key.webauthn["credential_id"])],
                require_uv=True,
            )
        )
    )


async def current_party_key(db: AsyncSession, party: Party) -> KeyInfo:
    """The key this party signs with in their case: the newest one bound and not closed."""
    query = (
        select(EvidenceKey)
        .where(
            EvidenceKey.holder_kind == "party",
            EvidenceKey.holder_id == party.id,
            EvidenceKey.case_id == party.case_id,
            EvidenceKey.valid_until.is_(None),
        )
        .order_by(EvidenceKey.valid_from.desc())
        .limit(1)
    )
    row = (await db.scalars(query)).first()
    if row is None:
        raise Conflict("bind your signing key first (a code is sent to your phone)", reason="no_key")
    return key_info(row)


async def start_code(
    db: AsyncSession,
    settings: Settings,
    me: PartyPrincipal,
    purpose: str,
    data: dict[str, Any],
    *,
    use: str = "确认本人签名密钥",
) -> tuple[Party, str, datetime, CodeSent]:
    """A challenge for this party, and a one-time code sent to them (codes.send_code: by SMS to
    the phone on file, or by e-mail; refused when nothing reaches them or they ask too often).

    Returns (party, challenge, expiry, where the code went). ``use`` says in the message what the
    code is for, so a party who did not ask for it knows what someone else is trying to do.
    """
    party = await db.get(Party, me.party_id)
    assert party is not None
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = utcnow() + CODE_TTL
    sent = await send_code(db, settings, party, code, use=use, session_id=me.session_id)
    challenge = add_challenge(
        db,
        purpose=purpose,
        subject_kind="party",
        subject_id=party.id,
        case_id=party.case_id,
        data=data,
        expires_at=expires,
        code=code,
    )
    return party, challenge, expires, sent


async def log_binding(
    db: AsyncSession,
    ledger: Ledger,
    me: PartyPrincipal,
    row: EvidenceChallenge,
    claim: Claim,
    body: dict[str, Any],
    info: KeyInfo,
    own_sig: dict[str, str],
    method: str,
) -> int:
    """Log a party's `key_bound` record: the new key's signature (possession) and the platform's. Returns its seq."""
    platform_sig = ledger.keyring.signer("platform").sign(claim.statement)
    appended = await ledger.append(db, claim, [own_sig, platform_sig], body, new_key=info, user_verified=info.alg == "webauthn")
    row.used_at = utcnow()
    history.record(db, claim.case, me, "key_bound", key_id=info.id, method=method, seq=appended.record.seq)
    return appended.record.seq


class KeyBinding:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings

    def _binding_claim(self, party: Party, info: KeyInfo, method: str) -> tuple[Claim, dict[str, Any]]:
        body = make_body({"name": party.name, "phone": mask_phone(party.phone), "method": method, "key": info.id})
        holder = {"kind": "party", "id": party.id, "role": party.role}
        claim = Claim(
            self._ledger.origin, "key_bound", party.case_id, holder, body_hash(body), {"key": info.to_json(), "method": method}
        )
        return claim, body

    async def _bind(
        self,
        db: AsyncSession,
        me: PartyPrincipal,
        row: EvidenceChallenge,
        claim: Claim,
        body: dict[str, Any],
        info: KeyInfo,
        own_sig: dict[str, str],
        method: str,
    ) -> None:
        await log_binding(db, self._ledger, me, row, claim, body, info, own_sig, method)

    # -- device keys (WebCrypto P-256, non-extractable, in IndexedDB) --------------------------

    async def start_device_key(self, principal: Principal | None, spki_b64: str) -> BindingStarted:
        """Prepare the binding statement for a browser-made P-256 key and text the party a code."""
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            party = await db.get(Party, me.party_id)
            assert party is not None
            info = device_key_info(spki_b64, {"kind": "party", "id": party.id, "role": party.role})
            claim, body = self._binding_claim(party, info, otp_method(self._settings, party))
            party, challenge, expires, sent = await start_code(
                db, self._settings, me, "key_bound", {"claim": claim.to_json(), "key": info.to_json(), "body": body}
            )
        return BindingStarted(challenge, claim.to_json(), claim.statement, sent.sent_to, expires.isoformat(), sent)

    async def finish_device_key(self, principal: Principal | None, challenge: str, code: str, signature_b64: str) -> KeyInfo:
        """Check the code and the new key's signature, co-sign and log the binding."""
        me = require_party(principal, changes=True)
        tries_left: int | None = None
        async with self._maker() as db, db.begin():
            row = open_code_challenge(await db.get(EvidenceChallenge, challenge, with_for_update=True), me.party_id, "key_bound")
            assert row.data is not None
            # A wrong code is counted by this transaction's commit; the refusal comes after it.
            tries_left = wrong_code(row, challenge, code)
            if tries_left is None:
                claim = Claim.from_json(row.data["claim"])
                info = KeyInfo.from_json(row.data["key"])
                own = {"key": info.id, "alg": "es256", "sig": signature_b64}
                await self._bind(db, me, row, claim, row.data["body"], info, own, str(claim.public["method"]))
        if tries_left is not None:
            raise refuse_code(tries_left)
        return info

    # -- passkeys (WebAuthn) ----------------------------------------------------------------------

    async def start_passkey(self, principal: Principal | None) -> tuple[str, dict[str, Any], CodeSent, str]:
        """Registration options for a new passkey, and a code to the party's phone.

        Returns (challenge, creation options, where the code went, expiry).
        """
        me = require_party(principal, changes=True)
        registration = secrets.token_bytes(32)
        async with self._maker() as db, db.begin():
            party = await db.get(Party, me.party_id)
            assert party is not None
            options = webauthn.registration_options(
                rp_id=self._settings.webauthn_rp_id,
                rp_name="在线调解 mediate",
                user_id=party.id.encode(),
                user_name=mask_phone(party.phone),
                display_name=party.name,
                challenge=registration,
                require_uv=True,
            )
            party, challenge, expires, sent = await start_code(
                db, self._settings, me, "passkey", {"stage": "register", "registration": b64url(registration)}
            )
        return challenge, json.loads(options), sent, expires.isoformat()

    async def register_passkey(
        self, principal: Principal | None, challenge: str, code: str, credential: dict[str, Any]
    ) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
        """Check the code and the new passkey; return the binding statement for it to sign.

        Returns (statement, claim, assertion options whose challenge is the statement's hash).
        """
        me = require_party(principal, changes=True)
        tries_left: int | None = None
        async with self._maker() as db, db.begin():
            row = open_code_challenge(await db.get(EvidenceChallenge, challenge, with_for_update=True), me.party_id, "passkey")
            assert row.data is not None
            if row.data.get("stage") != "register":
                raise Gone("this passkey is registered already; sign the binding", reason="stage")
            tries_left = wrong_code(row, challenge, code)
            if tries_left is None:
                party = await db.get(Party, me.party_id)
                assert party is not None
                holder = {"kind": "party", "id": party.id, "role": party.role}
                info = new_passkey_info(self._settings, credential, row.data["registration"], holder)
                claim, body = self._binding_claim(party, info, otp_method(self._settings, party) + "+passkey")
                row.data = {"stage": "sign", "claim": claim.to_json(), "key": info.to_json(), "body": body}
        if tries_left is not None:
            raise refuse_code(tries_left)
        options = signing_options(self._settings, info, claim.statement)
        assert options is not None  # a passkey's
        return claim.statement, claim.to_json(), options

    async def bind_passkey(self, principal: Principal | None, challenge: str, assertion: dict[str, Any]) -> KeyInfo:
        """The passkey signs its own binding (proof of possession); the platform co-signs; logged."""
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            row = open_code_challenge(await db.get(EvidenceChallenge, challenge, with_for_update=True), me.party_id, "passkey")
            assert row.data is not None
            if row.data.get("stage") != "sign":
                raise InvalidInput(
                    "register the passkey first", [FieldError("credential", "not registered yet", "passkey_required")]
                )
            claim = Claim.from_json(row.data["claim"])
            info = KeyInfo.from_json(row.data["key"])
            own, count = await passkey_signature(db, assertion, info, claim.statement)
            await self._bind(db, me, row, claim, row.data["body"], info, own, str(claim.public["method"]))
            if count:
                await db.execute(update(EvidenceKey).where(EvidenceKey.id == info.id).values(sign_count=count))
        return info
