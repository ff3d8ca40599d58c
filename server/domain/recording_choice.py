"""The parties' choice that a session's recording stands for its written record (人民法院在线调解规则 art. 22).

Online, the rules let the audio and video recording of a session replace the written account of
what was said, but only with the parties' agreement, and the facts both sides accept are still
confirmed in writing. So each party who signs (the applicants and respondents themselves, as for
the record, particulars.signing_parties) makes that choice with their own key, through the ceremony
of every party-signed statement (server/domain/party_signing.py): a ``signature`` record whose
intent is ``recording_instead_of_record``, like a party's agreement to extend the period
(server/domain/extensions.py). One party's choice changes nothing; once every one of them has
chosen, the mediator may close the record with no written account of the statements, provided the
session was recorded and the undisputed facts are written (server/domain/transcripts.py ``close``),
and the record's text says on whose signed choice the recording stands for it.

A choice is made once per session and not withdrawn here: a party who changes their mind tells the
mediator, who then writes the statements as usual (a written account is always allowed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, particulars
from server.domain.keybinding import current_party_key
from server.domain.ledger import Ledger
from server.domain.party_signing import PreparedStatement, Proof, body_method, prepare_statement, statement_to_sign
from server.domain.principal import PartyPrincipal, Principal, require_party
from server.errors import Conflict, Forbidden, NotFound
from server.evidence.records import Claim, body_hash, make_body
from server.models import MediationSession, Party, TranscriptChoice, utcnow
from server.settings import Settings

PURPOSE = "transcript_choice"
INTENT = "recording_instead_of_record"
INTENT_TEXT = (
    "本人同意以本次调解的录音录像代替调解笔录中对当事人陈述的记录；双方无争议的事实仍以书面记录确认"
    "（《人民法院在线调解规则》第二十二条）。"
    "I agree that the recording of this session stands for the written account of what the parties said; "
    "the facts both sides accept are still confirmed in writing."
)
RULE = "《人民法院在线调解规则》第二十二条"


@dataclass(frozen=True)
class Choices:
    """Who of the parties who sign chose the recording for a session's record, and whether all did."""

    session_id: str
    #: {party_id, name, role, signed_at, seq}, every party who signs, in order.
    parties: list[dict[str, Any]]

    @property
    def agreed(self) -> bool:
        return bool(self.parties) and all(p["signed_at"] is not None for p in self.parties)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "agreed": self.agreed,
            "parties": [p | {"signed_at": _iso(p["signed_at"])} for p in self.parties],
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


async def choices_of(db: AsyncSession, session: MediationSession) -> Choices:
    parties = particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == session.case_id))))
    chosen = {c.party_id: c for c in await db.scalars(select(TranscriptChoice).where(TranscriptChoice.session_id == session.id))}
    return Choices(
        session.id,
        [
            {
                "party_id": p.id,
                "name": p.name,
                "role": p.role,
                "signed_at": chosen[p.id].signed_at if p.id in chosen else None,
                "seq": chosen[p.id].seq if p.id in chosen else None,
            }
            for p in parties
        ],
    )


class RecordingChoices:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings

    async def _open_for(self, db: AsyncSession, me: PartyPrincipal) -> tuple[MediationSession, Party]:
        """The party's own session (their link's), if they sign and have not chosen yet."""
        session = await db.get(MediationSession, me.session_id)
        party = await db.get(Party, me.party_id)
        if session is None or party is None:
            raise NotFound("no such session", reason="no_such_session")
        if party.id not in {p.id for p in particulars.signing_parties([party])}:
            raise Forbidden("only the parties themselves make this choice", reason="not_a_signer")
        if await db.get(TranscriptChoice, (session.id, party.id)) is not None:
            raise Conflict("you have made this choice already", reason="signed")
        return session, party

    def _claim(self, session: MediationSession, party: Party, method: str) -> tuple[Claim, dict[str, Any]]:
        body = make_body({"name": party.name, "intent": INTENT_TEXT, "method": method, "rule": RULE})
        public = {"session": session.id, "role": party.role, "intent": INTENT}
        actor = {"kind": "party", "id": party.id, "role": party.role}
        return Claim(self._ledger.origin, "signature", session.case_id, actor, body_hash(body), public), body

    async def for_party(self, principal: Principal | None) -> Choices:
        me = require_party(principal)
        async with self._maker() as db:
            session = await db.get(MediationSession, me.session_id)
            if session is None:
                raise NotFound("no such session", reason="no_such_session")
            return await choices_of(db, session)

    async def prepare(self, principal: Principal | None) -> PreparedStatement:
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            session, party = await self._open_for(db, me)
            key = await current_party_key(db, party)
            claim, body = self._claim(session, party, body_method(self._settings, party, key))
            return await prepare_statement(
                db, self._settings, me, party, key, claim, body,
                purpose=PURPOSE, use="确认由您本人同意以录音录像代替调解笔录", extra={"session": session.id},
            )  # fmt: skip

    async def sign(self, principal: Principal | None, challenge: str, proof: Proof) -> tuple[int, Choices]:
        me = require_party(principal, changes=True)
        async with statement_to_sign(self._maker, self._ledger, me, challenge, PURPOSE) as (db, statement):
            session, party = await self._open_for(db, me)
            signed = await statement.sign(proof)
            db.add(
                TranscriptChoice(
                    session_id=session.id, party_id=party.id, seq=signed.seq, claim_hash=signed.claim_hash,
                    method=signed.method, signed_at=utcnow(),
                )
            )  # fmt: skip
            await db.flush()
            history.record(db, session.case_id, me, "transcript_recording_chosen", session_id=session.id, seq=signed.seq)
            choices = await choices_of(db, session)
        return signed.seq, choices


__all__ = ["Choices", "RecordingChoices", "choices_of"]
