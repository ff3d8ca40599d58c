"""Sealing: once everyone has signed, the organisation's seal, delivery, and the documents.

People's Mediation Law art. 29: with the parties' and the mediator's signatures, the committee's
seal makes the agreement take effect. Here that is an ``agreement_sealed`` record naming the
final document (signature page, evidence certificate) sealed with the organisation's PAdES
signature, and a ``delivery`` record for each party as the document is made available to them
and as they receive it (the court rules for online mediation (2021) ask for delivery through
the platform). The ``agreement_sealed`` record's body also lists the instalments the sealed text binds
the parties to (``instalments_of``; art. 31: the committee follows their performance), so that a
statistics snapshot's figures of performance can be recomputed from the signed records alone (#23).

The mediator signs last; ``MediatorSigned`` is the staff key's hook for that signature, wired
in the composition root (server/app.py): it records the signature, then seals.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, links
from server.domain.agreements import text as words
from server.domain.agreements.public import new_code
from server.domain.agreements.reading import case_of, load, signers
from server.domain.agreements.sealer import AFTER_SEAL, Sealer
from server.domain.agreements.signing import Signing
from server.domain.clocks import end_of
from server.domain.documents import Uploader, add_document, kept_bytes
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff
from server.errors import NotFound
from server.evidence.records import Claim, KeyInfo
from server.models import Agreement, AgreementVersion, Case, CaseDocument, Obligation, Organisation, Party, utcnow

log = logging.getLogger(__name__)

#: How long after an instalment's last day the parties' links still open, to report it late or answer a report.
ANSWER_AFTER_DUE = timedelta(days=30)


async def create_from_sealed(db: AsyncSession, agreement: Agreement, case: Case) -> list[Obligation]:
    """The sealed version's obligations as rows, one per instalment, in the sealing transaction (once).

    Made (and flushed, so that each has its id) before the ``agreement_sealed`` record is appended: that
    record's body lists them (``instalments_of``), so that the statistics can be audited from the records
    alone (#23, server/domain/statistics/record_facts.py). ``listed`` then notes them in the history."""
    if await db.scalar(select(Obligation.id).where(Obligation.agreement_id == agreement.id).limit(1)) is not None:
        return []
    assert agreement.final_version is not None
    version = await db.get(AgreementVersion, (agreement.id, agreement.final_version))
    assert version is not None
    content = words.parse_content(version.content)
    parties = list(await db.scalars(select(Party).where(Party.case_id == case.id)))
    rows = []
    for term, ob in words.obligations(content):
        wording = words.obligation_line(ob, parties).strip()
        for n, inst in enumerate(ob.instalments, start=1):
            row = Obligation(
                case_id=case.id, agreement_id=agreement.id, version=version.number, term=term, instalment=n,
                instalments=len(ob.instalments), debtor_party_id=ob.debtor, creditor_party_id=ob.creditor, kind=ob.kind,
                what=ob.what, amount_fen=inst.amount_fen, due_date=inst.due, wording=wording, status="pending",
                created_at=utcnow(),
            )  # fmt: skip
            db.add(row)
            rows.append(row)
    if rows:
        await db.flush()
    return rows


def instalments_of(rows: list[Obligation]) -> list[dict[str, object]]:
    """What the ``agreement_sealed`` record's body says the agreement binds the parties to: each instalment
    with its obligation's id (which the performance records name), who owes whom, what and by which day."""
    return [
        {
            "obligation": r.id,
            "term": r.term,
            "instalment": r.instalment,
            "debtor": r.debtor_party_id,
            "creditor": r.creditor_party_id,
            "kind": r.kind,
            "amount_fen": r.amount_fen,
            "due_date": r.due_date.isoformat(),
        }
        for r in rows
    ]


async def listed(db: AsyncSession, case: Case, rows: list[Obligation]) -> None:
    """The instalments made at sealing, in the history; the parties' links kept open to perform them."""
    if not rows:
        return
    history.record(db, case.id, None, "obligations_listed", count=len(rows), version=rows[0].version)
    # The parties report and confirm from the links they have: open until the last instalment is answerable.
    await links.keep_open(db, case.id, end_of(max(r.due_date for r in rows)) + ANSWER_AFTER_DUE)


class Sealing:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, sealer: Sealer) -> None:
        self._maker = maker
        self._ledger = ledger
        self._sealer = sealer

    async def seal(self, agreement_id: str) -> None:
        """Make the final document, seal it, log it, deliver it. Safe to run again after a crash."""
        await self._ledger.settle()  # the signature page names each signature's place in the log
        async with self._maker() as db, db.begin():
            agreement = await db.scalar(select(Agreement).where(Agreement.id == agreement_id).with_for_update())
            if agreement is None or agreement.status != "final":
                return
            case = await db.get(Case, agreement.case_id)
            assert case is not None
            everyone = await signers(db, agreement, case)
            if not all(s["signed_at"] for s in everyone):
                return
            organisation = await db.get(Organisation, case.organisation_id)
            assert organisation is not None
            code = agreement.verify_code or new_code()
            document = await self._sealer.sealed_document(db, agreement, case, organisation, code)
            doc = await add_document(
                db, self._ledger, case.id, Uploader("platform", None, organisation.name, "platform"), kind="signed_agreement",
                name=f"调解协议书-{case.case_number}-已签署.pdf", content_type="application/pdf", data=document.pdf,
            )  # fmt: skip
            # What the sealed text binds the parties to perform, made first so that the record can list it.
            rows = await create_from_sealed(db, agreement, case)
            await self._ledger.append_platform(
                db,
                type="agreement_sealed",
                case=case.id,
                actor={"kind": "platform", "id": "platform"},
                data={
                    "organisation": organisation.name,
                    "seal_certificate": document.certificate_pem,
                    "instalments": instalments_of(rows),
                },
                public={
                    "agreement": agreement.id,
                    "version": agreement.final_version,
                    "document": doc.id,
                    "signed_pdf_hash": doc.sha256,
                    "pdf_hash": document.agreement_pdf_sha256,
                    "seal_certificate_sha256": document.certificate_sha256,
                    "signatures": [s["seq"] for s in everyone],
                    "instalments": len(rows),
                },
            )
            agreement.status, agreement.signed_document_id = "effective", doc.id
            agreement.verify_code, agreement.sealed_at = code, utcnow()
            case.status, case.closed_at = "settled", utcnow()
            await links.keep_open(db, case.id, utcnow() + AFTER_SEAL)
            history.record(db, case.id, None, "agreement_sealed", document_id=doc.id, sha256=doc.sha256)
            await self._sealer.deliver(db, self._ledger, agreement, case, doc)
            # Their links (delivery's too) stay open to perform it.
            await listed(db, case, rows)

    async def recover(self) -> None:
        """Seal what a crash left fully signed but unsealed."""
        async with self._maker() as db:
            ids = list(await db.scalars(select(Agreement.id).where(Agreement.status == "final")))
        for agreement_id in ids:
            await self.seal(agreement_id)

    # -- the documents ------------------------------------------------------------------------------

    async def pdf(self, principal: Principal | None, case_id: str | None, kind: str) -> CaseDocument:
        async with self._maker() as db, db.begin():
            case, party = await case_of(db, principal, case_id)
            agreement = await load(db, case.id)
            wanted = agreement.pdf_document_id if kind == "agreement" else agreement.signed_document_id
            if wanted is None:
                raise NotFound("there is no such document yet", reason="not_ready")
            doc = await db.get(CaseDocument, wanted)
            assert doc is not None
            kept_bytes(doc)  # destroyed after the case file's retention: nothing is delivered, nor a receipt logged
            if party is not None and kind == "signed":
                await self._sealer.receipt(db, self._ledger, agreement, party, principal)
            return doc


class MediatorSigned:
    """The staff key's hook for ``agreement_sign``: the mediator's signature is the last, so it seals."""

    def __init__(self, signing: Signing, sealing: Sealing) -> None:
        self._signing = signing
        self._sealing = sealing

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        await self._signing.mediator_signed(db, staff, claim, seq, key)

    async def after(self, staff: Staff, claim: Claim) -> None:
        # The signature is logged whatever happens here; a seal that fails is applied on the next start.
        try:
            await self._sealing.seal(str(claim.public["agreement"]))
        except Exception:
            log.exception("sealing agreement %s failed; it is retried when the server starts", claim.public["agreement"])
