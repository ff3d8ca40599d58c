"""The case file: documents uploaded by parties and mediators, and the ones the platform makes.

Every document is kept whole with its SHA-256 and logged as a ``document_added`` record in the
same transaction, so a bundle can prove that a file a judge reads is the one that was filed.
Nothing is ever replaced or removed (the database refuses). The uploader chooses which parties
see an upload; the case's mediators always do: they run the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.access import case_for_staff
from server.domain.ledger import Ledger
from server.domain.principal import PartyPrincipal, Principal, Staff, System, require_party
from server.errors import (
    FieldError,
    Forbidden,
    Gone,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooLarge,
    UnsupportedMediaType,
)
from server.evidence.records import sha256_hex
from server.models import CaseDocument, Party, new_id, utcnow
from server.settings import Settings

#: What may be uploaded, and the bytes each kind of file starts with (checked, not trusted).
MAGIC = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
NAME = re.compile(r"^[^\x00-\x1f/\\]{1,200}$")


@dataclass(frozen=True)
class Uploader:
    kind: str  # party | staff | platform
    id: str | None
    name: str
    role: str


def uploader_of(principal: Principal | None, party: Party | None = None) -> Uploader:
    if isinstance(principal, Staff):
        return Uploader("staff", principal.user_id, principal.display_name, principal.role)
    if isinstance(principal, PartyPrincipal):
        return Uploader("party", principal.party_id, principal.name, party.role if party else "party")
    return Uploader("platform", None, "平台", "platform")


def document_file(doc: CaseDocument) -> str:
    """Where a bundle keeps the document (FORMAT.md)."""
    return f"documents/{doc.id}.{EXTENSIONS.get(doc.content_type, 'bin')}"


def check_content(content_type: str, data: bytes, limit: int) -> str:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in MAGIC:
        raise UnsupportedMediaType(
            "only PDF, PNG and JPEG files", [FieldError("content_type", "application/pdf, image/png or image/jpeg", "file_type")]
        )
    if len(data) > limit:
        raise TooLarge(
            f"the file is larger than {limit // (1024 * 1024)} MB",
            [FieldError("file", f"at most {limit} bytes", "file_too_large", {"mb": limit // (1024 * 1024)})],
        )
    if not data:
        raise InvalidInput("the file is empty", [FieldError("file", "empty", "file_empty")])
    if not data.startswith(MAGIC[kind]):
        raise UnsupportedMediaType(
            f"the file is not a {EXTENSIONS[kind].upper()}",
            [FieldError("file", f"not {kind}", "file_content", {"kind": EXTENSIONS[kind].upper()})],
        )
    return kind


async def add_document(
    db: AsyncSession,
    ledger: Ledger,
    case_id: str,
    who: Uploader,
    *,
    kind: str,
    name: str,
    content_type: str,
    data: bytes,
    visible_to: list[str] | None = None,
) -> CaseDocument:
    """Store a document and log its hash, in the caller's transaction (the row is written once, with its seq)."""
    digest = sha256_hex(data)
    doc_id = new_id()
    actor = {"kind": who.kind, "id": who.id or "platform"} | ({"role": who.role} if who.kind != "platform" else {})
    appended = await ledger.append_platform(
        db,
        type="document_added",
        case=case_id,
        actor=actor,
        data={"name": name, "uploaded_by": who.name, "visible_to": visible_to},
        public={"document": doc_id, "kind": kind, "sha256": digest, "bytes": len(data), "content_type": content_type},
    )
    doc = CaseDocument(
        id=doc_id,
        case_id=case_id,
        kind=kind,
        name=name,
        content_type=content_type,
        sha256=digest,
        size=len(data),
        data=data,
        uploaded_by_kind=who.kind,
        uploaded_by_id=who.id,
        uploaded_by_name=who.name,
        visible_to={"parties": visible_to} if visible_to is not None else None,
        seq=appended.record.seq,
        created_at=utcnow(),
    )
    db.add(doc)
    return doc


def kept_bytes(doc: CaseDocument) -> bytes:
    """The document's bytes, unless its case file was destroyed after its retention (server/domain/archive.py)."""
    if doc.destroyed_at is not None:
        raise Gone(
            "this document was destroyed at the end of the case file's retention period; its hash stays in the evidence log",
            reason="document_destroyed",
        )
    return doc.data


def visible_to_party(doc: CaseDocument, party_id: str) -> bool:
    if doc.uploaded_by_kind == "party" and doc.uploaded_by_id == party_id:
        return True
    if doc.kind == "handwriting":
        return False
    parties = (doc.visible_to or {}).get("parties")
    return parties is None or party_id in parties


class CaseFiles:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings

    async def _case_of(
        self, db: AsyncSession, principal: Principal | None, case_id: str | None, *, write: bool = False
    ) -> tuple[str, Party | None]:
        """The case and, for a party, who they are. A court reads the file; only the case's people add to it."""
        if isinstance(principal, PartyPrincipal):
            if case_id is not None and case_id != principal.case_id:
                raise Forbidden("this is another case", reason="another_case")
            require_party(principal, changes=write)
            party = await db.get(Party, principal.party_id)
            return principal.case_id, party
        if isinstance(principal, System):
            if case_id is None:
                raise NotFound("no such case", reason="no_such_case")
            return case_id, None
        if case_id is None:
            raise NotAuthenticated("open the link you were sent to continue", reason="open_link")
        _, case = await case_for_staff(db, principal, case_id, court=not write, write=write, supervise=not write)
        return case.id, None

    async def authorise(self, principal: Principal | None, case_id: str | None) -> None:
        """May this caller add to this case's file? Asked before the upload's bytes are read."""
        async with self._maker() as db:
            await self._case_of(db, principal, case_id, write=True)

    async def upload(
        self,
        principal: Principal | None,
        case_id: str | None,
        *,
        name: str,
        content_type: str,
        data: bytes,
        visible_to: list[str] | None,
    ) -> CaseDocument:
        async with self._maker() as db, db.begin():
            case, party = await self._case_of(db, principal, case_id, write=True)
            kind = check_content(content_type, data, self._settings.max_upload_bytes)
            name = name.strip()
            if not NAME.match(name):
                raise InvalidInput("bad file name", [FieldError("name", "1 to 200 characters, no slashes", "file_name")])
            if visible_to is not None:
                ids = set(await db.scalars(select(Party.id).where(Party.case_id == case)))
                unknown = [p for p in visible_to if p not in ids]
                if unknown:
                    raise InvalidInput("not a party of this case", [FieldError("visible_to", ", ".join(unknown), "not_party")])
                if party is not None and party.id not in visible_to:
                    visible_to = [*visible_to, party.id]
            who = uploader_of(principal, party)
            doc = await add_document(
                db, self._ledger, case, who, kind="upload", name=name, content_type=kind, data=data, visible_to=visible_to
            )
            history.record(db, case, principal, "document_added", document_id=doc.id, name=name, sha256=doc.sha256)
            return doc

    async def documents(self, principal: Principal | None, case_id: str | None) -> list[CaseDocument]:
        async with self._maker() as db:
            case, party = await self._case_of(db, principal, case_id)
            rows = list(
                await db.scalars(select(CaseDocument).where(CaseDocument.case_id == case).order_by(CaseDocument.created_at))
            )
        if party is not None:
            rows = [d for d in rows if visible_to_party(d, party.id)]
        return rows

    async def get(self, principal: Principal | None, document_id: str) -> CaseDocument:
        async with self._maker() as db:
            doc = await db.get(CaseDocument, document_id)
            if doc is None:
                raise NotFound("no such document", reason="no_such_document")
            if isinstance(principal, PartyPrincipal):
                if doc.case_id != principal.case_id or not visible_to_party(doc, principal.party_id):
                    raise NotFound("no such document", reason="no_such_document")
            elif not isinstance(principal, System):
                await case_for_staff(db, principal, doc.case_id, court=True, supervise=True)
            return doc

    async def for_party(self, principal: Principal | None) -> list[CaseDocument]:
        return await self.documents(require_party(principal), None)


def document_view(doc: CaseDocument, url: str) -> dict[str, Any]:
    return {
        "id": doc.id,
        "kind": doc.kind,
        "name": doc.name,
        "content_type": doc.content_type,
        "bytes": doc.size,
        "sha256": doc.sha256,
        "uploaded_by": {"kind": doc.uploaded_by_kind, "name": doc.uploaded_by_name},
        "visible_to": (doc.visible_to or {}).get("parties"),
        "created_at": doc.created_at.isoformat(),
        "seq": doc.seq,
        "url": None if doc.destroyed_at else url,
        # Destroyed after the archived case file's retention: the row and its hash stay, the bytes are gone.
        "destroyed_at": doc.destroyed_at.isoformat() if doc.destroyed_at else None,
    }
