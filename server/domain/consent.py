"""Consent to be recorded: shown, signed by the person's own key, logged; withdrawn at once.

A party sees the recording notice and the session rules (Chinese and English) and signs a
``consent`` statement with the key bound to them in this case (a WebCrypto device key or a
passkey, bound with a one-time code or under the mediator's check of their ID card on video);
no code is asked at signing, and the body's ``method`` says so. The statement carries the hash of the exact text
shown, so the record says what was agreed to, not just that something was. The text is kept
as the record's body; its version and hash are public.

Withdrawal must never be held up by a signing ceremony: a ``consent_withdrawn`` record is
written by the platform on the person's word (their authenticated connection) and the
recording stops first. The mediator's own consent is the act of starting the recording on
their staff login, logged the same way (``method: staff_start``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.access import case_for_staff
from server.domain.keybinding import add_challenge, current_party_key, passkey_signature, signing_options
from server.domain.ledger import Ledger
from server.domain.ledger_shapes import key_info
from server.domain.principal import PartyPrincipal, Principal, Staff, refuse_if_archived_party
from server.domain.staffkeys import PHONE_CONSENT_PURPOSE, Prepared, StaffKeys
from server.errors import FieldError, Forbidden, Gone, InvalidInput, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body, sha256_hex
from server.models import EvidenceChallenge, EvidenceKey, MediationSession, Party, utcnow
from server.settings import Settings

CHALLENGE_TTL = timedelta(minutes=15)
TEXT_VERSION = 1

NOTICE_ZH = """录音录像告知与调解规则

一、本次在线调解将在所有参加人同意后录音录像。录像仅作为调解过程的证据，可能提交人民法院用于司法确认，由平台加密保存，未经授权任何人不得查看。
二、背对背调解（单独谈话）默认不录音录像，只记录开始和结束时间。
三、调解中为达成协议作出的让步、妥协或承认，不得在其后的诉讼中作为对您不利的证据。
四、任何人不得自行录音、录像、截屏，或传播调解内容。
五、您可以随时撤回同意，录制将立即停止，由调解员决定如何继续。"""

NOTICE_EN = """Recording notice and session rules

1. This online mediation is recorded (audio and video) once every participant has agreed. The recording is evidence of the mediation only; it may be submitted to a people's court for judicial confirmation, is stored encrypted, and no one may view it without authorisation.
2. Private talks with one side (caucus) are not recorded by default; only their start and end times are kept.
3. Concessions, compromises or admissions made in mediation to reach an agreement cannot be used against you in later litigation.
4. No one may record, photograph or screenshot the session themselves, or spread what is said in it.
5. You may withdraw your consent at any time; recording stops at once and the mediator decides how to go on."""


def consent_text() -> str:
    """Exactly what the consent screen shows, both languages, in this order."""
    return NOTICE_ZH + "\n\n" + NOTICE_EN


TEXT_HASH = sha256_hex(consent_text().encode())


@dataclass(frozen=True)
class ConsentRequest:
    challenge: str
    statement: bytes
    claim: dict[str, Any]
    key: KeyInfo
    options: dict[str, Any] | None  # WebAuthn request options for a passkey

    def to_json(self, b64: Any) -> dict[str, Any]:
        return {
            "challenge": self.challenge,
            "statement": b64(self.statement),
            "claim": self.claim,
            "key": {"id": self.key.id, "alg": self.key.alg},
            "options": self.options,
            "text": {"zh": NOTICE_ZH, "en": NOTICE_EN},
            "text_hash": TEXT_HASH,
            "text_version": TEXT_VERSION,
        }


class Consents:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings, staff_keys: StaffKeys
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._staff_keys = staff_keys

    async def prepare(self, principal: Principal | None, session_id: str) -> ConsentRequest:
        """The consent statement for this party to sign with their own key."""
        if not isinstance(principal, PartyPrincipal) or principal.session_id != session_id:
            raise Forbidden("only a party of this session signs consent this way", reason="parties_only")
        refuse_if_archived_party(principal)
        async with self._maker() as db, db.begin():
            party = await db.get(Party, principal.party_id)
            if party is None:
                raise NotFound("no such party", reason="no_such_party")
            key = await current_party_key(db, party)
            # Consent never waits for a code (it is given in the live session): the key alone, as the body says.
            method = "passkey_uv" if key.alg == "webauthn" else "device_key"
            body = make_body(
                {"text": consent_text(), "name": party.name, "role": party.role, "session": session_id, "method": method}
            )
            claim = Claim(
                self._ledger.origin,
                "consent",
                party.case_id,
                {"kind": "party", "id": party.id, "role": party.role},
                body_hash(body),
                {"session": session_id, "text_hash": TEXT_HASH, "text_version": TEXT_VERSION, "scope": "joint"},
            )
            challenge = add_challenge(
                db,
                purpose="consent",
                subject_kind="party",
                subject_id=party.id,
                case_id=party.case_id,
                data={"claim": claim.to_json(), "body": body, "key": key.id},
                expires_at=utcnow() + CHALLENGE_TTL,
            )
        options = signing_options(self._settings, key, claim.statement)
        return ConsentRequest(challenge, claim.statement, claim.to_json(), key, options)

    async def give(
        self,
        principal: Principal | None,
        challenge: str,
        *,
        signature: str | None = None,
        credential: dict[str, Any] | None = None,
    ) -> int:
        """Check the party's signature of the prepared consent and log it. Returns the record's seq."""
        if not isinstance(principal, PartyPrincipal):
            raise Forbidden("only a party signs consent this way", reason="parties_only")
        refuse_if_archived_party(principal)
        async with self._maker() as db, db.begin():
            row = await db.get(EvidenceChallenge, challenge, with_for_update=True)
            if row is None or row.purpose != "consent" or row.subject_id != principal.party_id:
                raise NotFound("no such consent request; ask for it again", reason="no_such_request")
            if row.used_at is not None or row.expires_at <= utcnow():
                raise Gone("this consent request has expired or was used", reason="expired")
            assert row.data is not None
            claim = Claim.from_json(row.data["claim"])
            if claim.public.get("session") != principal.session_id:
                raise Forbidden("this consent is for another session", reason="another_session")
            key_row = await db.get(EvidenceKey, row.data["key"])
            if key_row is None:
                raise NotFound("the key of this request is gone", reason="key_changed")
            key = key_info(key_row)
            if key.alg == "webauthn":
                own, _count = await passkey_signature(db, credential, key, claim.statement)
            else:
                if signature is None:
                    raise InvalidInput("sign with your device key", [FieldError("signature", "required", "required")])
                own = {"key": key.id, "alg": key.alg, "sig": signature}
            appended = await self._ledger.append(db, claim, [own], row.data["body"], user_verified=key.alg == "webauthn")
            row.used_at = utcnow()
            history.record(db, claim.case, principal, "consent", seq=appended.record.seq, key_id=key.id)
            return appended.record.seq

    async def _platform_record(self, principal: Principal | None, session_id: str, type: str, public: dict[str, Any]) -> int:
        async with self._maker() as db, db.begin():
            session = await db.get(MediationSession, session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            if isinstance(principal, PartyPrincipal):
                party = await db.get(Party, principal.party_id)
                assert party is not None
                actor = {"kind": "party", "id": party.id, "role": party.role}
                data: dict[str, Any] = {"name": party.name, "session": session_id}
            elif isinstance(principal, Staff):
                actor = {"kind": "staff", "id": principal.user_id, "role": principal.role}
                data = {"name": principal.display_name, "session": session_id}
            else:
                raise Forbidden("sign in first", reason="log_in")
            if type == "consent":
                data["text"] = consent_text()
            appended = await self._ledger.append_platform(
                db, type=type, case=session.case_id, actor=actor, data=data, public={"session": session_id, **public}
            )
            history.record(db, session.case_id, principal, type, seq=appended.record.seq)
            return appended.record.seq

    async def prepare_by_phone(
        self, principal: Principal | None, session_id: str, party_id: str, *, key: str, number: str
    ) -> Prepared:
        """The mediator's witness of a caller's consent by keypress (#25), for them to sign with their own key.

        A caller has no device key (a feature phone signs nothing): they hear the recording notice
        and press 1. What makes that a record a court can rely on is the mediator who heard them
        and signs, with their own key bound to the case, that this party, calling from this number
        with their own PIN, agreed to the notice whose hash the record carries. So the record's
        actor is the witnessing mediator (a person's key signs only for its holder, FORMAT.md) and
        ``public.subject`` names the party; ``method`` is ``dtmf``.
        """
        async with self._maker() as db, db.begin():
            session = await db.get(MediationSession, session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            staff, case = await case_for_staff(db, principal, session.case_id, assigned=True, changes=True)
            party = await db.get(Party, party_id)
            if party is None or party.case_id != case.id:
                raise NotFound("no such party in this case", reason="no_such_party")
            info = await self._staff_keys.own_key(db, staff, key)
            body = make_body(
                {
                    "text": consent_text(),
                    "name": party.name,
                    "role": party.role,
                    "session": session_id,
                    "method": "dtmf",
                    "number": number,
                    "witness": staff.display_name,
                }
            )
            claim = Claim(
                self._ledger.origin,
                "consent",
                case.id,
                {"kind": "staff", "id": staff.user_id, "role": staff.role},
                body_hash(body),
                {
                    "session": session_id,
                    "text_hash": TEXT_HASH,
                    "text_version": TEXT_VERSION,
                    "scope": "joint",
                    "method": "dtmf",
                    "subject": {"kind": "party", "id": party.id},
                },
            )
            return await self._staff_keys.prepare(db, staff, info, claim, body, PHONE_CONSENT_PURPOSE)

    async def witness_by_phone(
        self, principal: Principal | None, challenge: str, *, signature: str | None, credential: dict[str, Any] | None
    ) -> tuple[int, str]:
        """Log the mediator's signed witness; (the record's seq, the party who consented)."""
        seq = await self._staff_keys.complete(principal, challenge, signature=signature, credential=credential)
        async with self._maker() as db:
            row = await db.get(EvidenceChallenge, challenge)
            assert row is not None and row.data is not None
            return seq, str(row.data["claim"]["public"]["subject"]["id"])

    async def withdraw(self, principal: Principal | None, session_id: str) -> int:
        """Log a withdrawal on the person's word (the recording has been stopped before this)."""
        return await self._platform_record(principal, session_id, "consent_withdrawn", {"scope": "joint"})

    async def staff_start(self, principal: Principal | None, session_id: str) -> int:
        """The mediator's consent to their own recording: starting it, on their staff login."""
        public = {"text_hash": TEXT_HASH, "text_version": TEXT_VERSION, "scope": "joint", "method": "staff_start"}
        return await self._platform_record(principal, session_id, "consent", public)
