"""The mediation record of a session (server/domain/transcripts.py): the mediator writes and closes it
(on the live page, which saves through Socket.IO too, signaling/PROTOCOL.md ``transcript``); each
party reads it and signs the closed version from their own page."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, StringConstraints

from server.domain.booking import iso
from server.domain.transcripts import MAX_DISAGREEMENT, RecordView
from server.http.agreements_api import PartySignatureIn, Version, statement_view
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.services import services

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class PresentIn(Input):
    name: Annotated[str, StringConstraints(max_length=100)]
    #: applicant | respondent | agent | interpreter | invited | mediator, or a word of the writer's
    role: Annotated[str, StringConstraints(max_length=20)] = ""


class DraftIn(Input):
    #: The recorder (记录人), as named at the foot of the record.
    recorder: Annotated[str, StringConstraints(max_length=100)] = ""
    #: Who was present, by name and role (prefilled from the case's parties and mediators).
    present: list[PresentIn] = Field(default_factory=list)
    #: What was said, one line each, starting with who said it ("问：", "张三：").
    statements: str = ""
    #: The facts both sides accept (无争议事实).
    facts: str = ""
    #: The mediator's proposals.
    proposals: str = ""
    #: An oral agreement reached in the session (人民调解法 arts. 28, 30), if any.
    agreement: str = ""


class SignIn(Input):
    #: The version the party read, and the SHA-256 of its text: a newer version refuses the signature.
    version: Version
    text_sha256: Sha256 | None = None
    #: What the party disagrees with, kept beside the record in their signed statement.
    disagreement: Annotated[str, StringConstraints(max_length=MAX_DISAGREEMENT)] = ""


class EmptyIn(Input):
    pass


def record_view(v: RecordView) -> dict[str, Any]:
    version = v.version
    return {
        "session_id": v.session_id,
        "case_id": v.case_id,
        "starts_at": iso(v.starts_at),
        # The draft as it stands (what the live page shows); for a new record, the prefilled one.
        "content": v.content,
        "updated_at": iso(v.updated_at) if v.updated_at else None,
        # The newest closed version (its text is what the parties sign), or null.
        "version": {
            "number": version.number,
            "text": version.text,
            "text_sha256": version.text_sha256,
            "seq": version.seq,
            "closed_at": iso(version.closed_at),
            "closed_by": version.closed_by_name,
        }
        if version
        else None,
        # Every party who signs, and whether they signed that version (with the disagreement they noted).
        "signers": [s | {"signed_at": iso(s["signed_at"]) if s["signed_at"] else None} for s in v.signers],
        # Whether each party chose that the recording stands for the written account (在线调解规则 art. 22).
        "recording": v.recording.to_json(),
        # The draft was changed after the newest version was closed (or was never closed): a new close is due.
        "unclosed": v.updated_at is not None and (version is None or v.updated_at > version.closed_at),
    }


@api.route(
    "GET", "/sessions/{session_id}/transcript", summary="The session's mediation record, as it stands", tag="live", auth="any"
)
async def session_transcript(request: web.Request) -> web.StreamResponse:
    view = await services(request).transcripts.of_session(principal_of(request), request.match_info["session_id"])
    return web.json_response(record_view(view))


@api.route("GET", "/cases/{case_id}/transcripts", summary="The mediation records of a case's sessions", tag="cases")
async def case_transcripts(request: web.Request) -> web.StreamResponse:
    views = await services(request).transcripts.of_case(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [record_view(v) for v in views]})


@api.route(
    "PUT", "/sessions/{session_id}/transcript", summary="Save the mediation record's draft (the case's mediators)",
    body=DraftIn, tag="live", errors=(409,),
)  # fmt: skip
async def save_transcript(request: web.Request, body: DraftIn) -> web.StreamResponse:
    view = await services(request).transcripts.save(principal_of(request), request.match_info["session_id"], body.model_dump())
    return web.json_response(record_view(view))


@api.route(
    "POST", "/sessions/{session_id}/transcript/close", summary="Close the mediation record: a new version, hashed and logged",
    body=EmptyIn, status=201, tag="live", errors=(409,),
)  # fmt: skip
async def close_transcript(request: web.Request, body: EmptyIn) -> web.StreamResponse:
    view = await services(request).transcripts.close(principal_of(request), request.match_info["session_id"])
    return web.json_response(record_view(view), status=201)


@api.route("GET", "/party/transcripts", summary="The closed mediation records of my case", tag="party", auth="party")
async def party_transcripts(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    views, party = await svc.transcripts.for_party(principal_of(request))
    signer = party.role in ("applicant", "respondent")
    choices = await svc.recording_choices.for_party(principal_of(request))
    return web.json_response(
        {
            "items": [record_view(v) for v in views],
            # For this link's session: who chose that its recording stands for the written account.
            "recording": choices.to_json(),
            # Whether this party signs (an applicant or respondent; agents and invited persons read).
            "me": {"party_id": party.id, "signer": signer},
        }
    )


@api.route(
    "POST", "/party/transcripts/{session_id}/sign", summary="Prepare my signature of a closed mediation record",
    body=SignIn, status=201, tag="party", auth="party", errors=(409, 429),
)  # fmt: skip
async def party_prepare_transcript(request: web.Request, body: SignIn) -> web.StreamResponse:
    prepared = await services(request).transcripts.prepare(
        principal_of(request), request.match_info["session_id"], body.version, body.text_sha256, body.disagreement
    )
    return web.json_response(statement_view(prepared), status=201)


@api.route(
    "POST", "/party/transcript/sign/{challenge}", summary="Sign the mediation record", body=PartySignatureIn,
    status=201, tag="party", auth="party", errors=(409, 410),
)  # fmt: skip
async def party_sign_transcript(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    seq, view = await services(request).transcripts.sign(principal_of(request), request.match_info["challenge"], body.proof())
    return web.json_response({"seq": seq, "record": record_view(view)}, status=201)


@api.route(
    "POST", "/party/transcript/recording-choice", summary="Prepare my choice that the recording stands for the written record",
    body=EmptyIn, status=201, tag="party", auth="party", errors=(409, 429),
)  # fmt: skip
async def party_prepare_recording_choice(request: web.Request, body: EmptyIn) -> web.StreamResponse:
    prepared = await services(request).recording_choices.prepare(principal_of(request))
    return web.json_response(statement_view(prepared), status=201)


@api.route(
    "POST", "/party/transcript/recording-choice/{challenge}", summary="Sign my choice that the recording stands for the written record",
    body=PartySignatureIn, status=201, tag="party", auth="party", errors=(409, 410),
)  # fmt: skip
async def party_sign_recording_choice(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    seq, choices = await services(request).recording_choices.sign(
        principal_of(request), request.match_info["challenge"], body.proof()
    )
    return web.json_response({"seq": seq, "recording": choices.to_json()}, status=201)
