"""The mediation record (调解笔录) of a live session: written live, closed into hashed versions, signed by the parties.

人民调解法 art. 28 and 30, and the committees' case-file rules (the record is item 7 of the 司法部
case file, "记录经当事人校阅…由当事人、调解员、记录人签名"): a mediation is written down as it
happens, an oral agreement included, and the parties sign what was written. So:

- **Written live.** One of the case's mediators, or a colleague of the committee acting as its
  recorder (记录人), writes the draft beside the video; each save (the live page sends it a moment
  after the writer stops typing) is kept here at once, so a dropped connection or a reload loses
  nothing, and the live layer (signaling/) sends it to everyone in the room. A draft is not an act
  on the case: it is not logged; closing it is.
- **Versioned and hashed** like the agreement (server/domain/agreements/): closing composes the
  record's text (server/domain/transcript_text.py) and logs it whole as a ``transcript_version``
  record with its SHA-256, in the same transaction. Writing on after a close, then closing again,
  makes the next version; a text identical to the last version is refused.
- **Signed by each party with their own key** (server/domain/party_signing.py, the ceremony of every
  party-signed statement) as ``transcript_signed``: the applicants and respondents themselves, each
  once per version, only the newest version (a party shown an older text is told to reload). A party
  who disagrees with something notes it when signing: the note is in their signed statement and is
  shown beside the record; it never changes the record's text, which the other side signed too.

Parties read their own case's records only. A caucus is confidential (art. 15): the record is of
what is said in the joint session, and the live page shows the draft to everyone in the room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, particulars
from server.domain import transcript_text as words
from server.domain.access import assigned_mediators, case_for_staff
from server.domain.keybinding import current_party_key
from server.domain.ledger import Ledger
from server.domain.party_signing import PreparedStatement, Proof, body_method, prepare_statement, statement_to_sign
from server.domain.principal import PartyPrincipal, Principal, Staff, require_party
from server.domain.recording_choice import Choices, choices_of
from server.domain.transcript_document import file_when_all_signed
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidState, NotFound
from server.evidence.records import Claim, body_hash, make_body, sha256_hex
from server.models import (
    Case,
    MediationRecord,
    MediationSession,
    Organisation,
    Party,
    Recording,
    TranscriptSigner,
    TranscriptVersion,
    User,
    utcnow,
)
from server.settings import Settings

PURPOSE = "transcript_sign"
INTENT = "confirm_transcript"
INTENT_TEXT = (
    "本人已阅读本次调解的记录（第{version}版），确认签名。I have read the record of this session (version {version}) and sign it."
)
MAX_DISAGREEMENT = 2000


@dataclass(frozen=True)
class RecordView:
    """A session's record: the draft as it stands, the newest closed version and who signed it."""

    session_id: str
    case_id: str
    content: dict[str, Any]
    updated_at: datetime | None
    version: TranscriptVersion | None
    #: Every party who signs, in order: {party_id, name, role, signed_at, seq, method, disagreement}.
    signers: list[dict[str, Any]]
    starts_at: datetime
    #: Whether each party chose that the recording stands for the written account (在线调解规则 art. 22).
    recording: Choices


async def _session(db: AsyncSession, session_id: str) -> MediationSession:
    session = await db.get(MediationSession, session_id)
    if session is None:
        raise NotFound("no such session", reason="no_such_session")
    return session


async def _reader(db: AsyncSession, principal: Principal | None, session: MediationSession) -> None:
    """The case's staff (its mediators, the committee's recorder, a supervisor reading) or a party of the case."""
    if isinstance(principal, PartyPrincipal):
        if principal.case_id != session.case_id:
            raise Forbidden("this record is of another case", reason="another_case")
        return
    await case_for_staff(db, principal, session.case_id, assigned=True, supervise=True)


async def _writer(db: AsyncSession, principal: Principal | None, session: MediationSession) -> tuple[Staff, Case]:
    """Who writes: the case's mediators, or a colleague of its committee acting as recorder; never a party."""
    if isinstance(principal, PartyPrincipal):
        raise Forbidden("the mediator writes the record; you read it and sign it", reason="mediator_writes")
    staff, case = await case_for_staff(db, principal, session.case_id, write=True, assigned=True)
    if case.status != "open":
        raise Conflict(f"the case is {case.status} already", reason=case.status)
    return staff, case


async def _parties(db: AsyncSession, case_id: str) -> list[Party]:
    return list(await db.scalars(select(Party).where(Party.case_id == case_id).order_by(Party.created_at, Party.id)))


async def _mediator_names(db: AsyncSession, session: MediationSession) -> list[str]:
    ids = [session.mediator_id] + [m for m in await assigned_mediators(db, session.case_id) if m != session.mediator_id]
    names = []
    for user_id in ids:
        user = await db.get(User, user_id)
        if user is not None:
            names.append(user.display_name)
    return names


async def prefill(db: AsyncSession, session: MediationSession, writer: str = "") -> dict[str, Any]:
    """A new record: who was present, from the case's parties and the session's mediators, by name and role."""
    present = [{"name": p.name, "role": p.role} for p in await _parties(db, session.case_id)]
    present += [{"name": name, "role": "mediator"} for name in await _mediator_names(db, session)]
    return words.Content(recorder=writer, present=tuple(words.Present(p["name"], p["role"]) for p in present)).to_json()


async def _record(db: AsyncSession, session_id: str, *, lock: bool = False) -> MediationRecord | None:
    query = select(MediationRecord).where(MediationRecord.session_id == session_id)
    return await db.scalar(query.with_for_update() if lock else query)


async def _latest(db: AsyncSession, record: MediationRecord | None) -> TranscriptVersion | None:
    if record is None or record.latest_version == 0:
        return None
    return await db.scalar(
        select(TranscriptVersion).where(
            TranscriptVersion.record_id == record.id, TranscriptVersion.number == record.latest_version
        )
    )


async def _view(db: AsyncSession, session: MediationSession, record: MediationRecord | None, writer: str = "") -> RecordView:
    version = await _latest(db, record)
    signed = {}
    if version is not None:
        signed = {
            s.party_id: s for s in await db.scalars(select(TranscriptSigner).where(TranscriptSigner.version_id == version.id))
        }
    signers = []
    for p in particulars.signing_parties(await _parties(db, session.case_id)):
        s = signed.get(p.id)
        signers.append(
            {
                "party_id": p.id,
                "name": p.name,
                "role": p.role,
                "signed_at": s.signed_at if s else None,
                "seq": s.seq if s else None,
                "method": s.method if s else None,
                "disagreement": s.disagreement if s else None,
            }
        )
    content = record.content if record is not None else await prefill(db, session, writer)
    return RecordView(
        session.id,
        session.case_id,
        content,
        record.updated_at if record else None,
        version,
        signers,
        session.starts_at,
        await choices_of(db, session),
    )


class Transcripts:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings

    # -- reading -------------------------------------------------------------------------------

    async def of_session(self, principal: Principal | None, session_id: str) -> RecordView:
        """The record as it stands (a new one prefilled with who is expected): the live page's first draw."""
        async with self._maker() as db:
            session = await _session(db, session_id)
            await _reader(db, principal, session)
            writer = principal.display_name if isinstance(principal, Staff) else ""
            return await _view(db, session, await _record(db, session_id), writer)

    async def of_case(self, principal: Principal | None, case_id: str) -> list[RecordView]:
        """Every session's record of the case, drafts too, newest session first: the case page's section.

        After the session the live page is closed to everyone, so this is where the mediator closes a
        record not closed yet and follows the parties' signatures and notes; a supervisor reads it.
        """
        async with self._maker() as db:
            # Read like the case's other papers: its mediators, a supervisor, the court a confirmation went to.
            await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True, assigned=True)
            records = list(await db.scalars(select(MediationRecord).where(MediationRecord.case_id == case_id)))
            views = [await _view(db, await _session(db, r.session_id), r) for r in records]
        return sorted(views, key=lambda v: v.starts_at, reverse=True)

    async def current(self, session_id: str) -> dict[str, Any] | None:
        """The saved draft, for the live layer to send whoever joins (None: nothing written yet).

        The live layer has already admitted the participant to this session's room.
        """
        async with self._maker() as db:
            record = await _record(db, session_id)
            return record.content if record is not None else None

    async def for_party(self, principal: Principal | None) -> tuple[list[RecordView], Party]:
        """The closed records of the party's case, newest session first: what their page shows to review and sign."""
        me = require_party(principal)
        async with self._maker() as db:
            party = await db.get(Party, me.party_id)
            assert party is not None
            records = list(
                await db.scalars(
                    select(MediationRecord).where(MediationRecord.case_id == me.case_id, MediationRecord.latest_version > 0)
                )
            )
            views = [await _view(db, await _session(db, r.session_id), r) for r in records]
        return sorted(views, key=lambda v: v.starts_at, reverse=True), party

    # -- writing -------------------------------------------------------------------------------

    async def save(self, principal: Principal | None, session_id: str, data: Any) -> RecordView:
        """Keep the draft as the writer sent it (the whole of it: the last save wins)."""
        content = words.parse(data)
        async with self._maker() as db, db.begin():
            session = await _session(db, session_id)
            staff, _ = await _writer(db, principal, session)
            record = await _record(db, session_id, lock=True)
            if record is None:
                record = MediationRecord(case_id=session.case_id, session_id=session.id, latest_version=0, content={})
                db.add(record)
            record.content, record.updated_at, record.updated_by = content.to_json(), utcnow(), staff.user_id
            await db.flush()
            return await _view(db, session, record)

    async def close(self, principal: Principal | None, session_id: str) -> RecordView:
        """The writer closes the record: its text composed, hashed and logged (``transcript_version``)."""
        async with self._maker() as db, db.begin():
            session = await _session(db, session_id)
            staff, case = await _writer(db, principal, session)
            record = await _record(db, session_id, lock=True)
            if record is None:
                raise InvalidState("nothing has been written in this session's record yet", reason="no_transcript")
            content = words.Content.from_json(record.content)
            recording_instead = (await choices_of(db, session)).agreed and not content.statements
            if recording_instead:
                # Art. 22: the recording stands for what was said, never for the facts both sides accept.
                if not content.facts:
                    raise InvalidState(
                        "write the facts both sides accept: they are confirmed in writing", reason="facts_required"
                    )
                if await db.scalar(select(Recording.id).where(Recording.session_id == session.id).limit(1)) is None:
                    raise InvalidState("this session was not recorded; write what the parties said", reason="no_recording")
            elif not content.statements:
                # The written account of what was said is the record, unless every party chose the recording.
                raise InvalidState("write what the parties said before closing the record", reason="statements_required")
            latest = await _latest(db, record)
            if latest is not None and words.Content.from_json(latest.content) == content:
                raise Conflict("the record has not changed since it was closed", reason="transcript_unchanged")
            organisation = await db.get(Organisation, case.organisation_id)
            parties = particulars.signing_parties(await _parties(db, case.id))
            head = words.Head(
                case_number=case.case_number,
                organisation=organisation.name if organisation else "",
                matter=case.summary or "",
                mediators=tuple(await _mediator_names(db, session)),
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                timezone=session.timezone,
                signers=tuple(words.Present(p.name, p.role) for p in parties),
                recording_instead=recording_instead,
            )
            now = utcnow()
            text = words.compose(content, head, now)
            digest = sha256_hex(text.encode())
            number = record.latest_version + 1
            appended = await self._ledger.append_platform(
                db,
                type="transcript_version",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={"text": text, "author": staff.display_name},
                public={
                    "record": record.id,
                    "session": session.id,
                    "version": number,
                    "text_hash": digest,
                    "recording_instead": recording_instead,
                },
            )
            db.add(
                TranscriptVersion(
                    record_id=record.id, number=number, content=content.to_json(), text=text, text_sha256=digest,
                    seq=appended.record.seq, closed_by=staff.user_id, closed_by_name=staff.display_name, closed_at=now,
                )
            )  # fmt: skip
            record.latest_version = number
            await db.flush()
            history.record(
                db, case.id, staff, "transcript_version", session_id=session.id, version=number, text_sha256=digest,
                seq=appended.record.seq,
            )  # fmt: skip
            return await _view(db, session, record)

    # -- the parties sign ----------------------------------------------------------------------

    async def _open_for(
        self, db: AsyncSession, me: PartyPrincipal, session_id: str, number: int, text_sha256: str | None
    ) -> tuple[MediationRecord, TranscriptVersion, Party, Case]:
        session = await _session(db, session_id)
        if session.case_id != me.case_id:
            raise Forbidden("this record is of another case", reason="another_case")
        party = await db.get(Party, me.party_id)
        case = await db.get(Case, me.case_id)
        assert party is not None and case is not None
        if party.id not in {p.id for p in particulars.signing_parties([party])}:
            raise Forbidden("only the parties themselves sign the record", reason="not_a_signer")
        record = await _record(db, session_id, lock=True)
        version = await _latest(db, record)
        if record is None or version is None:
            raise InvalidState("the mediator has not closed this record yet", reason="no_transcript")
        if number != version.number or (text_sha256 is not None and text_sha256 != version.text_sha256):
            raise Conflict(
                "the record was changed after you opened it; read the new version before signing",
                reason="transcript_changed", version=version.number,
            )  # fmt: skip
        if await db.get(TranscriptSigner, (version.id, party.id)) is not None:
            raise Conflict("you have signed this record already", reason="signed")
        return record, version, party, case

    def _claim(
        self, case: Case, record: MediationRecord, version: TranscriptVersion, party: Party, method: str, disagreement: str
    ) -> tuple[Claim, dict[str, Any]]:
        body = make_body(
            {
                "name": party.name,
                "intent": INTENT_TEXT.format(version=version.number),
                "method": method,
                "text": version.text,
                "disagreement": disagreement,
            }
        )
        public = {
            "record": record.id,
            "session": record.session_id,
            "version": version.number,
            "text_hash": version.text_sha256,
            "role": party.role,
            "intent": INTENT,
            "disagreement": bool(disagreement),
        }
        actor = {"kind": "party", "id": party.id, "role": party.role}
        return Claim(self._ledger.origin, "transcript_signed", case.id, actor, body_hash(body), public), body

    async def prepare(
        self, principal: Principal | None, session_id: str, version: int, text_sha256: str | None, disagreement: str = ""
    ) -> PreparedStatement:
        """The party's signature of the version they read, prepared for their key (and a code where one reaches them)."""
        me = require_party(principal, changes=True)
        note = (disagreement or "").strip()
        if len(note) > MAX_DISAGREEMENT:
            raise InvalidInput(
                "the note is too long",
                [FieldError("disagreement", f"at most {MAX_DISAGREEMENT} characters", "too_long", {"max": MAX_DISAGREEMENT})],
            )
        async with self._maker() as db, db.begin():
            record, row, party, case = await self._open_for(db, me, session_id, version, text_sha256)
            key = await current_party_key(db, party)
            claim, body = self._claim(case, record, row, party, body_method(self._settings, party, key), note)
            return await prepare_statement(
                db, self._settings, me, party, key, claim, body,
                purpose=PURPOSE, use="确认由您本人签署调解记录", extra={"session": session_id, "version": row.number},
            )  # fmt: skip

    async def sign(self, principal: Principal | None, challenge: str, proof: Proof) -> tuple[int, RecordView]:
        """Log ``transcript_signed``; a version closed since the statement was prepared refuses it."""
        me = require_party(principal, changes=True)
        async with statement_to_sign(self._maker, self._ledger, me, challenge, PURPOSE) as (db, statement):
            session_id, number = str(statement.data["session"]), int(statement.data["version"])
            record, version, party, _ = await self._open_for(db, me, session_id, number, None)
            signed = await statement.sign(proof)
            note = str(signed.data["body"]["data"].get("disagreement") or "") or None
            db.add(
                TranscriptSigner(
                    version_id=version.id, party_id=party.id, seq=signed.seq, claim_hash=signed.claim_hash,
                    method=signed.method, disagreement=note, signed_at=utcnow(),
                )
            )  # fmt: skip
            await db.flush()
            history.record(
                db, record.case_id, me, "transcript_signed", session_id=session_id, version=number, seq=signed.seq,
                disagreement=bool(note),
            )  # fmt: skip
            await file_when_all_signed(db, self._ledger, self._settings, me, record, version)
            view = await _view(db, await _session(db, session_id), record)
        return signed.seq, view


__all__ = ["MAX_DISAGREEMENT", "RecordView", "Transcripts", "prefill"]
