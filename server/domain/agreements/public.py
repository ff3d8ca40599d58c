"""What anyone holding a sealed agreement may check: its verification code, printed on the document.

The code leads to the public page ``/v/<code>``: the agreement's hashes, the signers' roles and
times and each signature's place in the public log, with names masked. It proves the document
in someone's hands is the one sealed, without showing who the parties are.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.agreements import text as words
from server.domain.agreements.reading import version_of
from server.errors import NotFound
from server.models import Agreement, AgreementSignature, Case, CaseDocument, LogEntry, Organisation

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone


def new_code() -> str:
    """A sealed agreement's verification code: 8 characters in two groups, XXXX-XXXX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


class Public:
    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker

    async def verification(self, code: str) -> dict[str, Any]:
        """What anyone holding the document's code may learn: hashes, roles, times; names masked."""
        code = code.strip().upper()
        if len(code) != 9:
            raise NotFound("no agreement has this code", reason="no_such_code")
        async with self._maker() as db:
            agreement = await db.scalar(select(Agreement).where(Agreement.verify_code == code))
            if agreement is None or agreement.final_version is None:
                raise NotFound("no agreement has this code", reason="no_such_code")
            case = await db.get(Case, agreement.case_id)
            organisation = await db.get(Organisation, case.organisation_id) if case else None
            version = await version_of(db, agreement, agreement.final_version)
            pdf = await db.get(CaseDocument, agreement.pdf_document_id) if agreement.pdf_document_id else None
            signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
            signatures = list(await db.scalars(select(AgreementSignature).where(AgreementSignature.agreement_id == agreement.id)))
            index = {e.seq: e.idx for e in await db.scalars(select(LogEntry).where(LogEntry.case_id == agreement.case_id))}
            assert case is not None and organisation is not None
        order = {"applicant": 0, "respondent": 1, "mediator": 2}
        return {
            "case_number": case.case_number,
            "organisation": organisation.name,
            "title": words.TITLE,
            "version": version.number,
            "status": agreement.status,
            "text_sha256": version.text_sha256,
            "pdf_sha256": pdf.sha256 if pdf else None,
            "signed_pdf_sha256": signed.sha256 if signed else None,
            "sealed_at": agreement.sealed_at.isoformat() if agreement.sealed_at else None,
            "signers": [
                {
                    "role": s.role,
                    "name": s.name[:1] + "*" * max(1, len(s.name) - 1),
                    "signed_at": s.signed_at.isoformat(),
                    "log_index": index.get(s.seq),
                }
                for s in sorted(signatures, key=lambda s: (order.get(s.role, 9), s.signed_at))
            ],
        }
