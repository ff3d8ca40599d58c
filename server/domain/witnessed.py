"""A party's signing key bound under the mediator's check of their identity on video.

A party binds their signing key by typing a one-time code sent to them (keybinding.py). Where
no channel reaches the party (no SMS provider configured, no e-mail address: reach.py), that
code can never arrive, and without a bound key the party can neither consent to recording nor
sign the agreement or an application to the court. The path that works is the one a committee
uses at its own desk, moved onto the video: the mediator asks the party to hold their resident
identity card to the camera, compares it with the name and ID number on file (revealing the
number is logged), and signs an `identity_checked` record (method `id_card_on_video`, result
`confirmed`) with their own key, bound to the case.

That signed check opens a short window (`WINDOW`, one use) for that party alone, in which their
page binds a key with no code: the `key_bound` record's method is `video_witnessed` and it names
the check (its seq and the checking mediator), so the bundle shows the path and `mediate verify`
checks it offline (the check came first, confirmed this party, was signed by a mediator's own
key bound to the case: server/evidence/verify/signers.py). Only a mediator of the case (its own, or a
session's host) opens a window; a check that did not confirm the party opens none and closes any
window still open. Electronic Signature Law art. 13: the key is still made in the party's own
browser and never leaves it; what the witness replaces is only the proof of who is holding it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.access import assigned_mediators, case_for_staff
from server.domain.codes import mask_phone
from server.domain.keybinding import (
    add_challenge,
    device_key_info,
    log_binding,
    new_passkey_info,
    passkey_signature,
    signing_options,
)
from server.domain.ledger import Ledger
from server.domain.principal import PartyPrincipal, Principal, Staff, require_party
from server.domain.reach import code_channels
from server.errors import Conflict, FieldError, Gone, InvalidInput, NotFound
from server.evidence import webauthn
from server.evidence.records import (
    WITNESS_WINDOW_SECONDS,
    Claim,
    KeyInfo,
    Record,
    b64url,
    body_hash,
    make_body,
    parse_time,
)
from server.models import (
    Case,
    EvidenceChallenge,
    EvidenceKey,
    EvidencePending,
    LogEntry,
    MediationSession,
    Party,
    User,
    utcnow,
)
from server.settings import Settings

WINDOW = timedelta(seconds=WITNESS_WINDOW_SECONDS)
METHOD = "video_witnessed"
CHECK_METHOD = "id_card_on_video"
WINDOW_PURPOSE = "video_check"  # the open window (an EvidenceChallenge row: single use, expiring)
DEVICE_PURPOSE = "witnessed_key"
PASSKEY_PURPOSE = "witnessed_passkey"


@dataclass(frozen=True)
class VideoCheck:
    """An open window: the signed check that opened it, who made it, until when."""

    seq: int
    checked_by: dict[str, str]  # {"kind": "staff", "id", "role"}
    name: str
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "checked_by": self.name, "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True)
class BoundKey:
    key_id: str
    alg: str
    method: str | None  # the key_bound record's method: sms_otp, sms_otp+passkey, video_witnessed, …
    bound_at: str

    def to_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "alg": self.alg, "method": self.method, "bound_at": self.bound_at}


@dataclass(frozen=True)
class PartyKeyStatus:
    """What a party's page needs to offer the right path: their key, who can reach them, an open check."""

    key: BoundKey | None
    code_channels: tuple[str, ...]
    video_check: VideoCheck | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_json() if self.key else None,
            "code_channels": list(self.code_channels),
            "video_check": self.video_check.to_json() if self.video_check else None,
        }


@dataclass(frozen=True)
class PartyIdentity:
    """One party as the mediator sees them: can codes reach them, were they checked, is a key bound."""

    party: Party
    code_channels: tuple[str, ...]
    check: dict[str, Any] | None  # the newest identity_checked record of this party
    key: BoundKey | None
    video_check: VideoCheck | None

    def to_json(self) -> dict[str, Any]:
        return {
            "party_id": self.party.id,
            "name": self.party.name,
            "role": self.party.role,
            "has_id_number": bool(self.party.id_number),
            "code_channels": list(self.code_channels),
            "check": self.check,
            "key": self.key.to_json() if self.key else None,
            "video_check": self.video_check.to_json() if self.video_check else None,
        }


@dataclass(frozen=True)
class WitnessedStart:
    challenge: str
    claim: dict[str, Any]
    statement: bytes
    video_check: VideoCheck


async def _records(db: AsyncSession, case_id: str, *types: str) -> list[Record]:
    """The case's records of these types, logged or still pending, in order."""
    found: dict[int, Record] = {}
    for table in (LogEntry, EvidencePending):
        for entry in await db.scalars(select(table.entry).where(table.case_id == case_id, table.type.in_(types))):
            record = Record.from_entry(entry)
            found[record.seq] = record
    return [found[seq] for seq in sorted(found)]


async def mediators_of(db: AsyncSession, case: Case) -> set[str]:
    """The staff who mediate this case: its own mediator, each of its sessions' hosts, and every
    mediator assigned to it (co-mediators host its sessions too, an assisting organisation's
    included: ``assigned_mediators``, issue #21)."""
    hosts = await db.scalars(select(MediationSession.mediator_id).where(MediationSession.case_id == case.id))
    return {case.mediator_id, *hosts, *await assigned_mediators(db, case.id)}


_Row = TypeVar("_Row")


def _open_windows() -> Select[EvidenceChallenge]:
    """Video-check windows still open (unused, unexpired), the newest first."""
    return (
        select(EvidenceChallenge)
        .where(
            EvidenceChallenge.purpose == WINDOW_PURPOSE,
            EvidenceChallenge.subject_kind == "party",
            EvidenceChallenge.used_at.is_(None),
            EvidenceChallenge.expires_at > utcnow(),
        )
        .order_by(EvidenceChallenge.created_at.desc())
    )


async def _window(db: AsyncSession, party: Party, *, lock: bool = False) -> EvidenceChallenge | None:
    query = _open_windows().where(EvidenceChallenge.subject_id == party.id, EvidenceChallenge.case_id == party.case_id).limit(1)
    if lock:
        query = query.with_for_update()
    return (await db.scalars(query)).first()


def _video_check(row: EvidenceChallenge) -> VideoCheck:
    assert row.data is not None
    return VideoCheck(int(row.data["seq"]), dict(row.data["checked_by"]), str(row.data["name"]), row.expires_at)


def _current_keys() -> Select[EvidenceKey]:
    """Parties' signing keys still valid, the newest first."""
    return (
        select(EvidenceKey)
        .where(EvidenceKey.holder_kind == "party", EvidenceKey.valid_until.is_(None))
        .order_by(EvidenceKey.valid_from.desc())
    )


async def _bound_key(db: AsyncSession, party: Party, bindings: list[Record]) -> BoundKey | None:
    query = _current_keys().where(EvidenceKey.holder_id == party.id, EvidenceKey.case_id == party.case_id).limit(1)
    return _as_bound_key((await db.scalars(query)).first(), bindings)


def _as_bound_key(row: EvidenceKey | None, bindings: list[Record]) -> BoundKey | None:
    if row is None:
        return None
    record = next((r for r in reversed(bindings) if (r.claim.public.get("key") or {}).get("id") == row.id), None)
    method = str(record.claim.public.get("method")) if record else None
    return BoundKey(row.id, row.alg, method, record.claim.time if record else row.valid_from)


def _newest_by(rows: Iterable[_Row], holder: Callable[[_Row], str]) -> dict[str, _Row]:
    """The first row of each holder, from rows ordered newest first."""
    newest: dict[str, _Row] = {}
    for row in rows:
        newest.setdefault(holder(row), row)
    return newest


class IdentityChecked:
    """The hook on a mediator's signed identity check (StaffKeys): opens or closes the party's window."""

    def __init__(self, service: Witnessed) -> None:
        self._service = service

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        await self._service.checked(db, staff, claim, seq)

    async def after(self, staff: Staff, claim: Claim) -> None:
        return None


class Witnessed:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings

    # -- the mediator's check opens (or closes) the window ---------------------------------------

    async def checked(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int) -> None:
        """In the transaction that logs a signed `identity_checked`: close the party's open windows; open one if it confirmed them on video."""
        subject = claim.public.get("subject") or {}
        party = await db.get(Party, str(subject.get("id")))
        case = await db.get(Case, claim.case)
        if party is None or case is None or party.case_id != case.id:
            return
        await db.execute(
            update(EvidenceChallenge)
            .where(
                EvidenceChallenge.purpose == WINDOW_PURPOSE,
                EvidenceChallenge.subject_id == party.id,
                EvidenceChallenge.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        confirmed = claim.public.get("method") == CHECK_METHOD and claim.public.get("result") == "confirmed"
        if not confirmed or staff.role != "mediator" or staff.user_id not in await mediators_of(db, case):
            return
        add_challenge(
            db,
            purpose=WINDOW_PURPOSE,
            subject_kind="party",
            subject_id=party.id,
            case_id=case.id,
            data={"seq": seq, "checked_by": dict(claim.actor), "name": staff.display_name},
            # From the check's own time, as `mediate verify` counts it (records.WITNESS_WINDOW_SECONDS).
            expires_at=parse_time(claim.time) + WINDOW,
        )

    # -- what the pages show -------------------------------------------------------------------------

    async def party_status(self, principal: Principal | None) -> PartyKeyStatus:
        me = require_party(principal)
        async with self._maker() as db:
            party = await db.get(Party, me.party_id)
            if party is None:
                raise NotFound("no such party")
            key = await _bound_key(db, party, await _records(db, party.case_id, "key_bound"))
            window = await _window(db, party)
            return PartyKeyStatus(key, code_channels(self._settings, party), _video_check(window) if window else None)

    async def case_status(self, principal: Principal | None, case_id: str) -> list[PartyIdentity]:
        """Each party of the case: whether codes reach them, their newest identity check, their key."""
        async with self._maker() as db:
            # For the case's mediators, an assisting organisation's assigned one too (the live page's panel, #21).
            _, case = await case_for_staff(db, principal, case_id, assigned=True)
            parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
            records = await _records(db, case.id, "key_bound", "identity_checked")
            checkers = {r.claim.actor.get("id") for r in records if r.claim.type == "identity_checked"}
            names = {u.id: u.display_name for u in await db.scalars(select(User).where(User.id.in_(checkers)))}
            # Each party's open window and current key, read for the whole case at once (two queries
            # however many parties: a wage case has seventy-two, and the live page asks again and again).
            windows = _newest_by(
                await db.scalars(_open_windows().where(EvidenceChallenge.case_id == case.id)),
                lambda w: str(w.subject_id),
            )
            keys = _newest_by(await db.scalars(_current_keys().where(EvidenceKey.case_id == case.id)), lambda k: k.holder_id)
            out = []
            for party in parties:
                mine = [r for r in records if (r.claim.public.get("subject") or {}).get("id") == party.id]
                check = None
                if mine:
                    newest = mine[-1]
                    check = {
                        "seq": newest.seq,
                        "method": newest.claim.public.get("method"),
                        "result": newest.claim.public.get("result"),
                        "checked_by": names.get(str(newest.claim.actor.get("id")), ""),
                        "at": newest.claim.time,
                    }
                bindings = [r for r in records if r.claim.type == "key_bound" and r.claim.actor.get("id") == party.id]
                window = windows.get(party.id)
                out.append(
                    PartyIdentity(
                        party,
                        code_channels(self._settings, party),
                        check,
                        _as_bound_key(keys.get(party.id), bindings),
                        _video_check(window) if window else None,
                    )
                )
            return out

    # -- the party binds under the window ----------------------------------------------------------

    async def _open_window(self, db: AsyncSession, party: Party) -> EvidenceChallenge:
        window = await _window(db, party)
        if window is None:
            raise Conflict(
                "no check of your identity is open: ask the mediator to check your ID card in the video session",
                reason="no_video_check",
            )
        return window

    def _claim(self, party: Party, info: KeyInfo, check: VideoCheck) -> tuple[Claim, dict[str, Any]]:
        body = make_body(
            {
                "name": party.name,
                "phone": mask_phone(party.phone),
                "method": METHOD,
                "key": info.id,
                "checked_by": check.name,
                "identity_check": check.seq,
            }
        )
        public = {
            "key": info.to_json(),
            "method": METHOD,
            "identity_check": {"seq": check.seq, "checked_by": check.checked_by},
        }
        holder = {"kind": "party", "id": party.id, "role": party.role}
        return Claim(self._ledger.origin, "key_bound", party.case_id, holder, body_hash(body), public), body

    @staticmethod
    def _request(db: AsyncSession, party: Party, purpose: str, data: dict[str, Any], window: EvidenceChallenge) -> str:
        """A binding request under the window: it names the window and closes when the window does."""
        return add_challenge(
            db,
            purpose=purpose,
            subject_kind="party",
            subject_id=party.id,
            case_id=party.case_id,
            data={**data, "window": window.nonce},
            expires_at=window.expires_at,
        )

    @staticmethod
    async def _take(
        db: AsyncSession, me: PartyPrincipal, challenge: str, purpose: str
    ) -> tuple[EvidenceChallenge, EvidenceChallenge]:
        """The binding request and its window, both locked, both still open (else 404/410)."""
        row = await db.get(EvidenceChallenge, challenge, with_for_update=True)
        if row is None or row.purpose != purpose or row.subject_id != me.party_id or row.data is None:
            raise NotFound("no such key binding; start again")
        window = await db.get(EvidenceChallenge, row.data["window"], with_for_update=True)
        now = utcnow()
        if (
            row.used_at is not None
            or row.expires_at <= now
            or window is None
            or window.used_at is not None
            or window.expires_at <= now
        ):
            raise Gone(
                "the mediator's check has expired or was used; ask the mediator to check your ID card again", reason="expired"
            )
        return row, window

    async def start_device_key(self, principal: Principal | None, spki_b64: str) -> WitnessedStart:
        """The binding statement for a browser-made P-256 key, under the open check (no code)."""
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            party = await db.get(Party, me.party_id)
            assert party is not None
            window = await self._open_window(db, party)
            check = _video_check(window)
            info = device_key_info(spki_b64, {"kind": "party", "id": party.id, "role": party.role})
            claim, body = self._claim(party, info, check)
            challenge = self._request(
                db, party, DEVICE_PURPOSE, {"claim": claim.to_json(), "key": info.to_json(), "body": body}, window
            )
        return WitnessedStart(challenge, claim.to_json(), claim.statement, check)

    async def finish_device_key(self, principal: Principal | None, challenge: str, signature_b64: str) -> KeyInfo:
        """The new key's signature of its binding: co-signed by the platform, logged; the window is used up."""
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            row, window = await self._take(db, me, challenge, DEVICE_PURPOSE)
            assert row.data is not None
            claim = Claim.from_json(row.data["claim"])
            info = KeyInfo.from_json(row.data["key"])
            own = {"key": info.id, "alg": "es256", "sig": signature_b64}
            await log_binding(db, self._ledger, me, row, claim, row.data["body"], info, own, METHOD)
            window.used_at = utcnow()
        return info

    async def start_passkey(self, principal: Principal | None) -> tuple[str, dict[str, Any], VideoCheck]:
        """Registration options for a new passkey, under the open check. Returns (challenge, options, check)."""
        me = require_party(principal, changes=True)
        registration = secrets.token_bytes(32)
        async with self._maker() as db, db.begin():
            party = await db.get(Party, me.party_id)
            assert party is not None
            window = await self._open_window(db, party)
            options = webauthn.registration_options(
                rp_id=self._settings.webauthn_rp_id,
                rp_name="在线调解 mediate",
                user_id=party.id.encode(),
                user_name=mask_phone(party.phone),
                display_name=party.name,
                challenge=registration,
                require_uv=True,
            )
            challenge = self._request(
                db, party, PASSKEY_PURPOSE, {"stage": "register", "registration": b64url(registration)}, window
            )
            check = _video_check(window)
        return challenge, json.loads(options), check

    async def register_passkey(
        self, principal: Principal | None, challenge: str, credential: dict[str, Any]
    ) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
        """Check the new passkey; return (binding statement, claim, assertion options over the statement's hash)."""
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            row, window = await self._take(db, me, challenge, PASSKEY_PURPOSE)
            assert row.data is not None
            if row.data.get("stage") != "register":
                raise Gone("this passkey is registered already; sign the binding", reason="stage")
            party = await db.get(Party, me.party_id)
            assert party is not None
            info = new_passkey_info(
                self._settings, credential, row.data["registration"], {"kind": "party", "id": party.id, "role": party.role}
            )
            claim, body = self._claim(party, info, _video_check(window))
            row.data = {"stage": "sign", "claim": claim.to_json(), "key": info.to_json(), "body": body, "window": window.nonce}
        options = signing_options(self._settings, info, claim.statement)
        assert options is not None  # a passkey's
        return claim.statement, claim.to_json(), options

    async def bind_passkey(self, principal: Principal | None, challenge: str, assertion: dict[str, Any]) -> KeyInfo:
        """The passkey signs its own binding; the platform co-signs; logged; the window is used up."""
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            row, window = await self._take(db, me, challenge, PASSKEY_PURPOSE)
            assert row.data is not None
            if row.data.get("stage") != "sign":
                raise InvalidInput(
                    "register the passkey first", [FieldError("credential", "not registered yet", "passkey_not_registered")]
                )
            claim = Claim.from_json(row.data["claim"])
            info = KeyInfo.from_json(row.data["key"])
            own, count = await passkey_signature(db, assertion, info, claim.statement)
            await log_binding(db, self._ledger, me, row, claim, row.data["body"], info, own, METHOD)
            window.used_at = utcnow()
            if count:
                await db.execute(update(EvidenceKey).where(EvidenceKey.id == info.id).values(sign_count=count))
        return info
