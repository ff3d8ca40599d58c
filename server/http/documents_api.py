"""The case file over HTTP: upload (the raw file as the body), list, download.

Uploads are larger than JSON bodies may be, so the body is read here up to
MEDIATE_MAX_UPLOAD_BYTES, stopping as soon as it is exceeded (413), never buffering more.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from aiohttp import web
from pydantic import StringConstraints

from server.domain.documents import MAGIC, document_view, kept_bytes
from server.errors import FieldError, InvalidInput, TooLarge
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.models import CaseDocument
from server.services import services

#: What a case file takes (the domain checks the bytes too).
UPLOAD_TYPES = tuple(MAGIC)


class UploadQuery(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    #: Comma-separated party ids (at most 50); absent: everyone in the case. Ids are ASCII, so the
    #: URL stays within the 8190 bytes aiohttp reads of a request line.
    visible_to: Annotated[str, StringConstraints(max_length=2000, pattern=r"^[0-9A-Za-z_, -]*$")] | None = None


def document_url(doc: CaseDocument) -> str:
    return f"{api.prefix}/documents/{quote(doc.id)}"


async def _read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(
            f"the file is larger than {limit // (1024 * 1024)} MB",
            [FieldError("file", f"at most {limit} bytes", "file_too_large", {"mb": limit // (1024 * 1024)})],
        )
    chunks, total = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > limit:
            raise TooLarge(
                f"the file is larger than {limit // (1024 * 1024)} MB",
                [FieldError("file", f"at most {limit} bytes", "file_too_large", {"mb": limit // (1024 * 1024)})],
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _visible(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    ids = [p.strip() for p in raw.split(",") if p.strip()]
    if len(ids) > 50:
        raise InvalidInput("too many parties", [FieldError("visible_to", "at most 50", "too_many", {"max": 50})])
    return ids


async def _upload(request: web.Request, query: UploadQuery, case_id: str | None) -> web.StreamResponse:
    svc = services(request)
    await svc.case_files.authorise(principal_of(request), case_id)
    data = await _read_limited(request, svc.settings.max_upload_bytes)
    doc = await svc.case_files.upload(
        principal_of(request),
        case_id,
        name=query.name,
        content_type=request.headers.get("Content-Type", ""),
        data=data,
        visible_to=_visible(query.visible_to),
    )
    return web.json_response(document_view(doc, document_url(doc)), status=201)


@api.route("GET", "/cases/{case_id}/documents", summary="The case file", tag="case files")
async def list_documents(request: web.Request) -> web.StreamResponse:
    docs = await services(request).case_files.documents(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [document_view(d, document_url(d)) for d in docs]})


@api.route(
    "POST",
    "/cases/{case_id}/documents",
    summary="Add a PDF or image to the case file",
    query=UploadQuery,
    status=201,
    tag="case files",
    accepts=UPLOAD_TYPES,
)
async def upload_document(request: web.Request, query: UploadQuery) -> web.StreamResponse:
    return await _upload(request, query, request.match_info["case_id"])


@api.route("GET", "/party/documents", summary="The case file as I may see it", tag="party", auth="party")
async def party_documents(request: web.Request) -> web.StreamResponse:
    docs = await services(request).case_files.for_party(principal_of(request))
    return web.json_response({"items": [document_view(d, document_url(d)) for d in docs]})


@api.route(
    "POST",
    "/party/documents",
    summary="Add a PDF or image to my case's file",
    query=UploadQuery,
    status=201,
    tag="party",
    auth="party",
    accepts=UPLOAD_TYPES,
)
async def party_upload(request: web.Request, query: UploadQuery) -> web.StreamResponse:
    return await _upload(request, query, None)


@api.route(
    "GET",
    "/documents/{document_id}",
    summary="A document of the case file",
    tag="case files",
    auth="any",
    produces="application/octet-stream",
)
async def get_document(request: web.Request) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    doc = await svc.case_files.get(principal, request.match_info["document_id"])
    await svc.confirmations.court.log_view(principal, doc.case_id, "GET /documents/{document_id}", doc.name)
    return document_response(doc, "inline" if doc.content_type.startswith("image/") else "attachment")


def document_response(doc: CaseDocument, disposition: str = "attachment") -> web.Response:
    """A filed document's bytes (410 once destroyed, ``kept_bytes``), never cached, named as filed,
    with its logged hash as the ETag."""
    return web.Response(
        body=kept_bytes(doc),
        content_type=doc.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(doc.name)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{doc.sha256}"',
        },
    )
