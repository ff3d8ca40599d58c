"""Mediators' and judges' own signing keys.

Staff register a device key (WebCrypto P-256, non-extractable) or a passkey on their account
once. Using it in a case needs that case's `key_bound` record, signed by the key and
co-signed by the platform, so a bundle proves the binding by itself; after that the key signs
the staff member's records in that case (an identity check now; consents and decisions in
later issues). Every signature goes through the same two steps: the server prepares the exact
statement under a single-use challenge, the browser signs it, the server checks and logs it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.access import case_for_staff
from server.domain.evidence import IDENTITY_METHODS, IDENTITY_RESULTS
from server.domain.keybinding import add_challenge, device_key_info, new_passkey_info, passkey_signature, signing_options
from server.domain.ledger import Ledger
from server.domain.ledger_shapes import key_info, key_row
from server.domain.principal import Principal, Staff, require_staff
from server.errors import Conflict, FieldError, Gone, InvalidInput, NotFound
from server.evidence import webauthn
from server.evidence.records import (
    Claim,
    KeyInfo,
    b64url,
    body_hash,
    make_body,
)
from server.models import EvidenceChallenge, EvidenceKey, EvidenceKeyCase, Party, utcnow
from server.settings import Settings

CHALLENGE_TTL = timedelta(minutes=10)
#: The purpose of an identity check's challenge: services that act on a signed check hook it (witnessed.py).
IDENTITY_PURPOSE = "identity_check"
#: A mediator's witness of a caller's consent by keypress (server/domain/consent.py, #25).
PHONE_CONSENT_PURPOSE = "phone_consent"


class SignedHook(Protocol):
    """What another service does when a staff signature of its purpose is logged.

    ``during`` runs inside the transaction that logs the record (so its rows and the record
    stand or fall together); ``after`` runs once that transaction has committed.
    """

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None: ...

    async def after(self, staff: Staff, claim: Claim) -> None: ...


@dataclass(frozen=True)
class Prepared:
    """A statement waiting for the staff member's signature."""

    challenge: str
    statement: bytes
    claim: dict[str, Any]
    options: dict[str, Any] | None  # WebAuthn request options when the key is a passkey


class StaffKeys:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        #: purpose -> hook, for signatures other services prepare (the agreement's mediator signature).
        self.hooks: dict[str, SignedHook] = {}

    @staticmethod
    def _holder(staff: Staff) -> dict[str, str]:
        return {"kind": "staff", "id": staff.user_id, "role": staff.role}

    async def _store(self, db: AsyncSession, info: KeyInfo) -> KeyInfo:
        if await db.get(EvidenceKey, info.id) is not None:
            raise Conflict("this key is registered already", reason="key_registered")
        db.add(key_row(info, None))
        return info

    # -- registering on the account ------------------------------------------------------------

    async def list(self, principal: Principal | None) -> list[KeyInfo]:
        staff = require_staff(principal)
        async with self._maker() as db:
            rows = await db.scalars(
                select(EvidenceKey).where(EvidenceKey.holder_kind == "staff", EvidenceKey.holder_id == staff.user_id)
            )
            return [key_info(r) for r in rows]

    async def register_device_key(self, principal: Principal | None, spki_b64: str) -> KeyInfo:
        staff = require_staff(principal, "mediator", "judge")
        info = device_key_info(spki_b64, self._holder(staff))
        async with self._maker() as db, db.begin():
            return await self._store(db, info)

    async def start_passkey(self, principal: Principal | None) -> tuple[str, dict[str, Any]]:
        staff = require_staff(principal, "mediator", "judge")
        registration = secrets.token_bytes(32)
        options = webauthn.registration_options(
            rp_id=self._settings.webauthn_rp_id,
            rp_name="在线调解 mediate",
            user_id=staff.user_id.encode(),
            user_name=staff.display_name,
            display_name=staff.display_name,
            challenge=registration,
            require_uv=True,
        )
        async with self._maker() as db, db.begin():
            challenge = add_challenge(
                db,
                purpose="staff_passkey",
                subject_kind="staff",
                subject_id=staff.user_id,
                case_id=None,
                data={"registration": b64url(registration)},
                expires_at=utcnow() + CHALLENGE_TTL,
            )
        return challenge, json.loads(options)

    async def finish_passkey(self, principal: Principal | None, challenge: str, credential: dict[str, Any]) -> KeyInfo:
        staff = require_staff(principal, "mediator", "judge")
        async with self._maker() as db, db.begin():
            row = await self._challenge(db, staff, challenge, "staff_passkey")
            assert row.data is not None
            info = new_passkey_info(self._settings, credential, row.data["registration"], self._holder(staff))
            row.used_at = utcnow()
            return await self._store(db, info)

    # -- preparing statements for the key to sign ---------------------------------------------

    async def own_key(self, db: AsyncSession, staff: Staff, key: str) -> KeyInfo:
        row = await db.get(EvidenceKey, key)
        if row is None or row.holder_kind != "staff" or row.holder_id != staff.user_id:
            raise NotFound("no such key on your account", reason="no_such_key")
        return key_info(row)

    async def prepare(
        self, db: AsyncSession, staff: Staff, info: KeyInfo, claim: Claim, body: dict[str, Any], purpose: str
    ) -> Prepared:
        challenge = add_challenge(
            db,
            purpose=purpose,
            subject_kind="staff",
            subject_id=staff.user_id,
            case_id=claim.case,
            data={"claim": claim.to_json(), "body": body, "key": info.id},
            expires_at=utcnow() + CHALLENGE_TTL,
        )
        options = signing_options(self._settings, info, claim.statement)
        return Prepared(challenge, claim.statement, claim.to_json(), options)

    async def prepare_binding(self, principal: Principal | None, case_id: str, key: str) -> Prepared:
        """The `key_bound` statement that brings one of my keys into this case (an assisting
        organisation's assigned mediator's too: they sign identity checks and their disclosure, #21)."""
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, court=True, assigned=True, changes=True)
            info = await self.own_key(db, staff, key)
            if await db.get(EvidenceKeyCase, (info.id, case.id)) is not None:
                raise Conflict("this key is bound to this case already", reason="key_bound_already")
            body = make_body({"name": staff.display_name, "role": staff.role, "method": "staff_login", "key": info.id})
            claim = Claim(
                self._ledger.origin,
                "key_bound",
                case.id,
                self._holder(staff),
                body_hash(body),
                {"key": info.to_json(), "method": "staff_login"},
            )
            return await self.prepare(db, staff, info, claim, body, "staff_bind")

    async def prepare_identity_check(
        self, principal: Principal | None, case_id: str, *, key: str, party_id: str, method: str, result: str, note_text: str = ""
    ) -> Prepared:
        """An `identity_checked` record the mediator signs with their own key (bound to the case, or the log refuses it)."""
        if method not in IDENTITY_METHODS:
            raise InvalidInput("unknown method", [FieldError("method", "one of " + ", ".join(IDENTITY_METHODS), "choice")])
        if result not in IDENTITY_RESULTS:
            raise InvalidInput("unknown result", [FieldError("result", "one of " + ", ".join(IDENTITY_RESULTS), "choice")])
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, assigned=True, changes=True)
            info = await self.own_key(db, staff, key)
            party = await db.get(Party, party_id)
            if party is None or party.case_id != case.id:
                raise InvalidInput(
                    "no such party in this case", [FieldError("party_id", "not a party of this case", "not_party")]
                )
            body = make_body(
                {
                    "party": party.name,
                    "party_role": party.role,
                    "checked_by": staff.display_name,
                    "method": method,
                    "result": result,
                    "note": note_text,
                }
            )
            claim = Claim(
                self._ledger.origin,
                "identity_checked",
                case.id,
                self._holder(staff),
                body_hash(body),
                {"subject": {"kind": "party", "id": party.id}, "method": method, "result": result},
            )
            return await self.prepare(db, staff, info, claim, body, IDENTITY_PURPOSE)

    # -- completing a signature ------------------------------------------------------------------

    async def _challenge(self, db: AsyncSession, staff: Staff, challenge: str, *purposes: str) -> EvidenceChallenge:
        row = await db.get(EvidenceChallenge, challenge, with_for_update=True)
        if row is None or row.subject_kind != "staff" or row.subject_id != staff.user_id or row.purpose not in purposes:
            raise NotFound("no such signature request; prepare it again", reason="no_such_request")
        if row.used_at is not None or row.expires_at <= utcnow():
            raise Gone("this signature request has expired or was used", reason="expired")
        return row

    async def complete(
        self,
        principal: Principal | None,
        challenge: str,
        *,
        signature: str | None = None,
        credential: dict[str, Any] | None = None,
    ) -> int:
        """Check my key's signature of the prepared statement and log the record. Returns its seq."""
        staff = require_staff(principal, "mediator", "judge")
        async with self._maker() as db, db.begin():
            row = await self._challenge(
                db, staff, challenge, "staff_bind", "staff_sign", IDENTITY_PURPOSE, PHONE_CONSENT_PURPOSE, *self.hooks
            )
            assert row.data is not None
            claim = Claim.from_json(row.data["claim"])
            info = await self.own_key(db, staff, row.data["key"])
            count = 0
            if info.alg == "webauthn":
                own, count = await passkey_signature(db, credential, info, claim.statement)
            else:
                if signature is None:
                    raise InvalidInput("sign with your device key", [FieldError("signature", "required", "required")])
                own = {"key": info.id, "alg": info.alg, "sig": signature}
            sigs = [own]
            binding = row.purpose == "staff_bind"
            if binding:
                sigs.append(self._ledger.keyring.signer("platform").sign(claim.statement))
            appended = await self._ledger.append(
                db, claim, sigs, row.data["body"], new_key=info if binding else None, user_verified=info.alg == "webauthn"
            )
            row.used_at = utcnow()
            if count:
                await db.execute(update(EvidenceKey).where(EvidenceKey.id == info.id).values(sign_count=count))
            history.record(db, claim.case, staff, claim.type, key_id=info.id, seq=appended.record.seq, signed_by="own key")
            hook = self.hooks.get(row.purpose)
            if hook is not None:
                await hook.during(db, staff, claim, appended.record.seq, info)
        if hook is not None:
            await hook.after(staff, claim)
        return appended.record.seq
