"""A party who co-signs the application for judicial confirmation on paper, attested by the mediator.

People's Mediation Law art. 33 asks the parties to apply *jointly*; the application online is
each party's ``confirmation_applied`` statement signed with their own key (application.py). A
party who joined by telephone (#25), or an old party who comes to the committee's window, has no
key: they sign or thumbprint the printed 申请书 (``Applications.paper_form``), as a court's own
window takes it, and the mediator who receives the page records it for what it is, as for the
agreement (server/domain/agreements/paper.py):

- ``confirmation_applied`` with ``public.method`` ``paper``: the mediator scans the signed page
  into the case file and signs, with their own key bound to the case, that this party co-signed
  this application on paper. A person's key signs only for its holder (FORMAT.md), so the
  record's actor is the mediator and ``public.subject`` names the party; ``public.scan`` names the
  scanned page and its SHA-256, so ``mediate verify`` can check the page in the bundle is the
  one attested. The rest of ``public`` is what the party's own signature would carry (the
  application, court, ground, agreement, sealed PDF's hash and the joint applicants).

The party's place among the applicants is then filled (method ``paper``) exactly as their own
signature fills it, and the application goes to the court once every party has signed
(``Applications.cosigned``); the 申请书 says the party signed on paper and who received it.
It may be done only while the application awaits co-signatures and within the 30 days of art. 33.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.access import case_for_staff
from server.domain.agreements.paper import filed_scan, signing_party
from server.domain.confirmation.application import PAPER, Applications
from server.domain.confirmation.views import PAPER_SIGNED
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, require_staff
from server.domain.staffkeys import Prepared, StaffKeys
from server.errors import Conflict, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body
from server.models import CaseDocument, ConfirmationApplication, ConfirmationSigner, EvidenceKeyCase, Party

#: The purpose of the mediator's statement that a party co-signed the application on paper (a staff-key hook).
PAPER_PURPOSE = "confirmation_paper"


async def _awaiting(db: AsyncSession, application: ConfirmationApplication | None) -> ConfirmationApplication:
    if application is None:
        raise Conflict("no application has been started; a party starts it on their own page", reason="not_started")
    if application.status != "awaiting_cosign":
        raise Conflict("the application has been submitted", reason="submitted")
    return application


class PaperApplications:
    """A party's co-signature of the application on paper, received and attested by the mediator."""

    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, staff_keys: StaffKeys, applications: Applications
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._staff_keys = staff_keys
        self._applications = applications

    async def prepare(
        self, principal: Principal | None, case_id: str, *, party_id: str, document_id: str, key_id: str
    ) -> Prepared:
        """The statement that this party co-signed the application on the scanned page, for my key."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, staff, case_id, write=True, assigned=True, changes=True)
            query = select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id)
            application = await _awaiting(db, await db.scalar(query))
            await self._applications.check_window(db, application)
            party = await signing_party(db, case, party_id)
            if await db.get(ConfirmationSigner, (application.id, party.id)) is not None:
                raise Conflict(f"{party.name} has signed this application already", reason="signed", name=party.name)
            scan = await filed_scan(db, case, document_id)
            info = await self._staff_keys.own_key(db, staff, key_id)
            if await db.get(EvidenceKeyCase, (info.id, case.id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            claim, body = await self._claim(db, application, staff, party, scan)
            return await self._staff_keys.prepare(db, staff, info, claim, body, PAPER_PURPOSE)

    async def _claim(
        self, db: AsyncSession, application: ConfirmationApplication, staff: Staff, party: Party, scan: CaseDocument
    ) -> tuple[Claim, dict[str, Any]]:
        basis = await self._applications.basis(db, application)
        court = basis.court.name
        body = make_body(
            {
                "name": party.name,
                "role": party.role,
                "court": court,
                "statement": f"调解员{staff.display_name}确认：{party.name}已在与对方当事人共同向{court}申请确认人民调解协议效力的"
                "纸质申请书上签名或按指印，签名页即所附扫描件，原件存档。"
                f"The mediator confirms that {party.name} signed or thumbprinted, on paper, the joint application to the "
                "court to confirm the mediation agreement; the attached scan is that page, and the original is kept on file.",
                "method": PAPER,
                "received_by": staff.display_name,
                "scan": scan.name,
            }
        )
        public = basis.public(application) | {
            "method": PAPER,
            "subject": {"kind": "party", "id": party.id},
            "scan": {"document": scan.id, "sha256": scan.sha256},
        }
        actor = {"kind": "staff", "id": staff.user_id, "role": staff.role}
        return Claim(self._ledger.origin, "confirmation_applied", application.case_id, actor, body_hash(body), public), body

    # -- the staff key's hook: the party's place among the applicants, and the submission ---------------

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        application = await _awaiting(
            db, await db.get(ConfirmationApplication, claim.public["application"], with_for_update=True)
        )
        await self._applications.check_window(db, application)
        party = await db.get(Party, claim.public["subject"]["id"])
        if party is None or party.case_id != application.case_id:
            raise NotFound("no such party in this case", reason="no_such_party")
        if await db.get(ConfirmationSigner, (application.id, party.id)) is not None:
            raise Conflict(f"{party.name} has signed this application already", reason="signed", name=party.name)
        await self._applications.cosigned(
            db, application, staff, signer=party.id, seq=seq, method=PAPER, joint=list(claim.public.get("joint") or []),
            kind=PAPER_SIGNED, party_id=party.id, document_id=claim.public["scan"]["document"],
        )  # fmt: skip

    async def after(self, staff: Staff, claim: Claim) -> None:
        """Nothing follows: a submitted application waits for the court, as after a party's own signature."""
