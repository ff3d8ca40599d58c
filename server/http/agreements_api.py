"""The agreement over HTTP (AGREEMENT_API.md): drafting, signing, documents, outcome, verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from aiohttp import web
from pydantic import Field, StringConstraints

from server.domain.agreements import text as words
from server.domain.agreements.reading import View
from server.domain.agreements.signing import Prepared
from server.domain.booking import iso
from server.domain.documents import kept_bytes
from server.domain.party_signing import PreparedStatement, Proof
from server.errors import FieldError, InvalidInput
from server.evidence.records import b64
from server.http import views
from server.http.cases_api import viewer_zone
from server.http.context import principal_of
from server.http.evidence_api import B64
from server.http.routes import api
from server.http.schemas import Input
from server.http.spooled import send, spool
from server.http.staffkeys_api import prepared_view
from server.models import AgreementComment, AgreementVersion, CaseDocument
from server.services import services

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Version = Annotated[int, Field(ge=1, le=100_000)]


class CreateIn(Input):
    session_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class DraftIn(Input):
    content: dict[str, Any]
    based_on: Version


class FinalIn(Input):
    version: Version
    deadline: datetime


class StaffSignIn(Input):
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class ReadAloudIn(Input):
    party_id: Annotated[str, StringConstraints(max_length=36)]
    method: Annotated[str, StringConstraints(pattern=r"^read_(by_phone|in_session|in_person)$")]


class PaperSignatureIn(Input):
    party_id: Annotated[str, StringConstraints(max_length=36)]
    #: The scanned signed page, uploaded to the case file first (POST /cases/{case_id}/documents).
    document_id: Annotated[str, StringConstraints(max_length=36)]
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class CommentIn(Input):
    version: Version
    clause: Annotated[str, StringConstraints(max_length=20)]
    text: Annotated[str, StringConstraints(max_length=2000)] = ""
    proposal: Annotated[str, StringConstraints(max_length=2000)] | None = None


class PartySignIn(Input):
    version: Version
    #: The SHA-256 of the text the party's screen showed: refused if it is not the final text.
    text_sha256: Hex64 | None = None


class PartySignatureIn(Input):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = None
    signature: B64 | None = None
    credential: dict[str, Any] | None = None
    handwriting: Annotated[str, StringConstraints(max_length=210_000)] | None = None

    def proof(self) -> Proof:
        return Proof(self.code, self.signature, self.credential)


class DiffQuery(Input):
    from_: Version = Field(alias="from")
    to: Version


class PdfQuery(Input):
    kind: Annotated[str, StringConstraints(pattern=r"^(agreement|signed)$")] = "agreement"


class OutcomeIn(Input):
    outcome: Annotated[str, StringConstraints(pattern=r"^failed$")]
    reason: Annotated[str, StringConstraints(max_length=40)]
    note: Annotated[str, StringConstraints(max_length=2000)] = ""
    # The party the ground concerns (在线调解规则 art. 25 items 2, 3, 4 and 7).
    party_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class FilingIn(Input):
    # The applicant who chose online filing, and how they said so (在线调解规则 art. 21 ¶1 (一)).
    applicant_id: Annotated[str, StringConstraints(max_length=36)]
    consent: Annotated[str, StringConstraints(max_length=2000)]
    # Art. 21's other parts of the statement: conduct that raised the other side's costs, and what the court should know.
    cost_behaviour: Annotated[str, StringConstraints(max_length=2000)] = ""
    court_notes: Annotated[str, StringConstraints(max_length=2000)] = ""


def version_view(v: AgreementVersion) -> dict[str, Any]:
    return {
        "number": v.number,
        "content": v.content,
        "text": v.text,
        "text_sha256": v.text_sha256,
        "created_at": iso(v.created_at),
        "author": v.author_name,
        "final": v.final,
    }


def comment_view(c: AgreementComment) -> dict[str, Any]:
    return {
        "id": c.id,
        "version": c.version,
        "clause": c.clause,
        "author": {"kind": c.author_kind, "id": c.author_id, "name": c.author_name, "role": c.author_role},
        "text": c.text,
        "proposal": c.proposal,
        "created_at": iso(c.created_at),
    }


def agreement_view(view: View | None, base: str, settings_url: str) -> dict[str, Any]:
    if view is None:
        return {"agreement": None}
    a, latest = view.agreement, view.latest
    final_numbers = {a.final_version} if a.final_version else set()
    return {
        "agreement": {
            "id": a.id,
            "case_id": a.case_id,
            "session_id": a.session_id,
            "status": a.status,
            "latest_version": a.latest_version,
            "final_version": a.final_version,
            "deadline": iso(a.deadline) if a.deadline else None,
            "content": latest.content,
            "text": latest.text,
            "text_sha256": latest.text_sha256,
            "pdf_sha256": view.pdf_sha256,
            "clauses": words.clauses(words.parse_content(latest.content)),
            "versions": [
                {
                    "number": v.number,
                    "text_sha256": v.text_sha256,
                    "created_at": iso(v.created_at),
                    "author": v.author_name,
                    "final": v.number in final_numbers,
                    "seq": v.seq,
                }
                for v in view.versions
            ],
            "comments": [comment_view(c) for c in view.comments],
            "signers": view.signers,
            "sealed_at": iso(a.sealed_at) if a.sealed_at else None,
            "verify_code": a.verify_code,
            "verify_url": f"{settings_url}/v/{a.verify_code}" if a.verify_code else None,
            "pdf": {
                "agreement": f"{base}/pdf?kind=agreement" if a.pdf_document_id else None,
                "signed": f"{base}/pdf?kind=signed" if a.signed_document_id else None,
            },
            "me": view.me,
        }
    }


def pdf_response(doc: CaseDocument) -> web.Response:
    return web.Response(
        body=kept_bytes(doc),
        content_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.name)}",
            "Cache-Control": "private, no-store",
            "ETag": f'"{doc.sha256}"',
        },
    )


def _staff_base(case_id: str) -> str:
    return f"{api.prefix}/cases/{quote(case_id)}/agreement"


PARTY_BASE = f"{api.prefix}/party/agreement"


def _respond(request: web.Request, view: View | None, base: str, status: int = 200) -> web.Response:
    return web.json_response(agreement_view(view, base, services(request).settings.base_url), status=status)


# -- mediator ------------------------------------------------------------------------------------


@api.route("GET", "/cases/{case_id}/agreement", summary="The case's agreement", tag="agreement")
async def get_agreement(request: web.Request) -> web.StreamResponse:
    case_id = request.match_info["case_id"]
    view = await services(request).agreements.drafting.view(principal_of(request), case_id)
    return _respond(request, view, _staff_base(case_id))


@api.route(
    "POST",
    "/cases/{case_id}/agreement",
    summary="Start the agreement from the template",
    body=CreateIn,
    status=201,
    tag="agreement",
)
async def create_agreement(request: web.Request, body: CreateIn) -> web.StreamResponse:
    case_id = request.match_info["case_id"]
    view = await services(request).agreements.drafting.create(principal_of(request), case_id, body.session_id)
    return _respond(request, view, _staff_base(case_id), 201)


@api.route("POST", "/cases/{case_id}/agreement/versions", summary="Save a new version", body=DraftIn, status=201, tag="agreement")
async def save_version(request: web.Request, body: DraftIn) -> web.StreamResponse:
    case_id = request.match_info["case_id"]
    view = await services(request).agreements.drafting.save(principal_of(request), case_id, body.content, body.based_on)
    return _respond(request, view, _staff_base(case_id), 201)


@api.route("GET", "/cases/{case_id}/agreement/versions/{number}", summary="One version", tag="agreement")
async def get_version(request: web.Request) -> web.StreamResponse:
    number = _number(request)
    version = await services(request).agreements.drafting.version(principal_of(request), request.match_info["case_id"], number)
    return web.json_response(version_view(version))


@api.route(
    "GET", "/cases/{case_id}/agreement/diff", summary="What changed between two versions", query=DiffQuery, tag="agreement"
)
async def diff_versions(request: web.Request, query: DiffQuery) -> web.StreamResponse:
    lines = await services(request).agreements.drafting.diff(
        principal_of(request), request.match_info["case_id"], query.from_, query.to
    )
    return web.json_response({"from": query.from_, "to": query.to, "lines": lines})


@api.route(
    "POST",
    "/cases/{case_id}/agreement/final",
    summary="Declare a version final, with a signing deadline",
    body=FinalIn,
    tag="agreement",
)
async def finalise(request: web.Request, body: FinalIn) -> web.StreamResponse:
    if body.deadline.tzinfo is None:
        raise InvalidInput(
            "give the deadline with its time zone", [FieldError("deadline", "an ISO time with offset", "datetime_offset")]
        )
    case_id = request.match_info["case_id"]
    view = await services(request).agreements.drafting.finalise(principal_of(request), case_id, body.version, body.deadline)
    return _respond(request, view, _staff_base(case_id))


@api.route(
    "POST",
    "/cases/{case_id}/agreement/sign",
    summary="Prepare the mediator's signature",
    body=StaffSignIn,
    status=201,
    tag="agreement",
    errors=(410,),
)
async def prepare_mediator(request: web.Request, body: StaffSignIn) -> web.StreamResponse:
    prepared = await services(request).agreements.signing.prepare_mediator(
        principal_of(request), request.match_info["case_id"], body.key_id
    )
    return web.json_response(prepared_view(prepared), status=201)


@api.route(
    "POST",
    "/cases/{case_id}/agreement/read-aloud",
    summary="Record that I read the final text to a party",
    body=ReadAloudIn,
    status=201,
    tag="agreement",
)
async def read_aloud(request: web.Request, body: ReadAloudIn) -> web.StreamResponse:
    seq = await services(request).agreements.paper.read_aloud(
        principal_of(request), request.match_info["case_id"], party_id=body.party_id, method=body.method
    )
    return web.json_response({"seq": seq}, status=201)


@api.route(
    "POST",
    "/cases/{case_id}/agreement/paper-signatures",
    summary="Prepare my attestation of a party's signature on paper",
    body=PaperSignatureIn,
    status=201,
    tag="agreement",
    errors=(410,),
)
async def prepare_paper_signature(request: web.Request, body: PaperSignatureIn) -> web.StreamResponse:
    prepared = await services(request).agreements.paper.prepare(
        principal_of(request), request.match_info["case_id"],
        party_id=body.party_id, document_id=body.document_id, key_id=body.key_id,
    )  # fmt: skip
    return web.json_response(prepared_view(prepared), status=201)


@api.route(
    "GET",
    "/cases/{case_id}/agreement/pdf",
    summary="The agreement's PDF",
    query=PdfQuery,
    tag="agreement",
    produces="application/pdf",
)
async def staff_pdf(request: web.Request, query: PdfQuery) -> web.StreamResponse:
    doc = await services(request).agreements.sealing.pdf(principal_of(request), request.match_info["case_id"], query.kind)
    return pdf_response(doc)


@api.route("POST", "/cases/{case_id}/outcome", summary="End mediation without an agreement", body=OutcomeIn, tag="agreement")
async def end_mediation(request: web.Request, body: OutcomeIn) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    case_id = request.match_info["case_id"]
    await svc.outcomes.end_without_agreement(principal, case_id, body.reason, body.note, body.party_id)
    view = await svc.cases.get(principal, case_id)
    sessions = await svc.booking.sessions_of_case(principal, case_id)
    return web.json_response(views.case(view, sessions, viewer_zone(request)))


@api.route(
    "POST", "/cases/{case_id}/filing-package",
    summary="Make the package of a failed case's materials for a court's online filing (.zip; it is downloaded, not sent)",
    body=FilingIn, tag="agreement", produces="application/zip",
)  # fmt: skip
async def filing_package(request: web.Request, body: FilingIn) -> web.StreamResponse:
    # Spooled and sent a chunk at a time: the evidence bundle inside is as big as the case's recordings.
    async with spool() as spooled:
        package = await services(request).filing.make(
            principal_of(request), request.match_info["case_id"], **body.model_dump(), into=spooled
        )
        headers = {
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(package.filename)}",
            "Cache-Control": "private, no-store",
            "X-Package-SHA256": package.sha256,
        }
        return await send(request, spooled, "application/zip", headers)


# -- party ---------------------------------------------------------------------------------------


@api.route("GET", "/party/agreement", summary="The agreement of my case", tag="party", auth="party")
async def party_agreement(request: web.Request) -> web.StreamResponse:
    view = await services(request).agreements.drafting.view(principal_of(request), None)
    return _respond(request, view, PARTY_BASE)


@api.route("GET", "/party/agreement/versions/{number}", summary="One version", tag="party", auth="party")
async def party_version(request: web.Request) -> web.StreamResponse:
    version = await services(request).agreements.drafting.version(principal_of(request), None, _number(request))
    return web.json_response(version_view(version))


@api.route(
    "GET", "/party/agreement/diff", summary="What changed between two versions", query=DiffQuery, tag="party", auth="party"
)
async def party_diff(request: web.Request, query: DiffQuery) -> web.StreamResponse:
    lines = await services(request).agreements.drafting.diff(principal_of(request), None, query.from_, query.to)
    return web.json_response({"from": query.from_, "to": query.to, "lines": lines})


@api.route(
    "POST", "/party/agreement/comments", summary="Comment on a clause", body=CommentIn, status=201, tag="party", auth="party"
)
async def party_comment(request: web.Request, body: CommentIn) -> web.StreamResponse:
    c = await services(request).agreements.drafting.comment(
        principal_of(request), body.version, body.clause, body.text, body.proposal
    )
    return web.json_response(comment_view(c), status=201)


def statement_view(prepared: PreparedStatement) -> dict[str, Any]:
    """A statement a party is to sign (AGREEMENT_API.md, CONFIRMATION_API.md: "prepared")."""
    return {
        "challenge": prepared.challenge,
        "statement": b64(prepared.statement),
        "claim": prepared.claim,
        "key": {"id": prepared.key.id, "alg": prepared.key.alg},
        "options": prepared.options,
        "otp": prepared.otp.to_json() if prepared.otp else None,
        # How the signer is confirmed: passkey_uv, sms_otp+device_key, email_otp+device_key, or
        # device_key (no channel reaches the party: no code is sent and none is asked).
        "method": prepared.method,
    }


def party_prepared(prepared: Prepared) -> dict[str, Any]:
    return statement_view(prepared.statement) | {"text_sha256": prepared.text_sha256, "pdf_sha256": prepared.pdf_sha256}


@api.route(
    "POST",
    "/party/agreement/sign",
    summary="Prepare my signature of the final version",
    body=PartySignIn,
    status=201,
    tag="party",
    auth="party",
    errors=(410, 429),
)
async def party_prepare(request: web.Request, body: PartySignIn) -> web.StreamResponse:
    prepared = await services(request).agreements.signing.prepare_party(principal_of(request), body.version, body.text_sha256)
    return web.json_response(party_prepared(prepared), status=201)


@api.route(
    "POST",
    "/party/agreement/sign/{challenge}",
    summary="Sign the agreement",
    body=PartySignatureIn,
    status=201,
    tag="party",
    auth="party",
)
async def party_sign(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    seq = await services(request).agreements.signing.sign_party(
        principal_of(request),
        request.match_info["challenge"],
        body.proof(),
        handwriting=body.handwriting,
    )
    return web.json_response({"seq": seq}, status=201)


@api.route(
    "GET",
    "/party/agreement/pdf",
    summary="The agreement's PDF",
    query=PdfQuery,
    tag="party",
    auth="party",
    produces="application/pdf",
)
async def party_pdf(request: web.Request, query: PdfQuery) -> web.StreamResponse:
    doc = await services(request).agreements.sealing.pdf(principal_of(request), None, query.kind)
    return pdf_response(doc)


# -- anyone --------------------------------------------------------------------------------------


@api.route("GET", "/verify/{code}", summary="What the platform holds for a verification code", tag="verify", auth="none")
async def verify_code(request: web.Request) -> web.StreamResponse:
    found = await services(request).agreements.public.verification(request.match_info["code"])
    return web.json_response(found)


def _number(request: web.Request) -> int:
    raw = request.match_info["number"]
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise InvalidInput("bad version number", [FieldError("number", "a whole number from 1", "whole_number")])
    return int(raw)
