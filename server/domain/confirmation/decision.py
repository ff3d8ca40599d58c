"""The court's decision: the judge's signed ruling, and its document sealed by the court.

Civil Procedure Law art. 206: the court rules the agreement valid, and it can then be enforced,
or rejects the application. The ruling is a ``confirmation_decided`` record signed with the
judge's own staff key (server/domain/staffkeys.py), naming the decision, the statutory grounds
for a rejection and the reasons; its PDF (the words are ruling.py) is sealed by the court, filed
in the case and delivered to the parties. ``Decided`` is the staff key's hook for that
signature, wired in the composition root (server/app.py).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, notifications, particulars
from server.domain.agreements.sealer import Sealer
from server.domain.confirmation.court import MAX_NOTE, for_judge, number
from server.domain.confirmation.ruling import load_ruling
from server.domain.confirmation.views import case_of
from server.domain.documents import Uploader, add_document
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff
from server.domain.staffkeys import Prepared as StaffPrepared
from server.domain.staffkeys import StaffKeys
from server.errors import Conflict, FieldError, InvalidInput, InvalidState, NotFound
from server.evidence.records import Claim, KeyInfo, body_hash, make_body, sha256_hex
from server.models import (
    Agreement,
    Case,
    CaseDocument,
    ConfirmationApplication,
    EvidenceBody,
    EvidenceKeyCase,
    Organisation,
    Party,
    utcnow,
)

log = logging.getLogger(__name__)

#: Why a court does not confirm an agreement (the Supreme People's Court's provisions on judicial
#: confirmation and the Civil Procedure Law interpretation; check the article numbers cited in rulings).
REJECTION_GROUNDS: dict[str, tuple[str, str]] = {
    "violates_mandatory_law": ("违反法律强制性规定", "violates a mandatory provision of law"),
    "harms_interests": ("损害国家利益、社会公共利益或者他人合法权益", "harms state, public or third-party interests"),
    "public_order": ("违背公序良俗", "against public order or good morals"),
    "not_voluntary": ("违反自愿原则", "not voluntary"),
    "unclear": ("内容不明确", "its content is unclear"),
    "personal_status": ("涉及身份关系、收养关系或者婚姻关系", "concerns personal status, adoption or marriage"),
    "other": ("其他不能进行司法确认的情形", "another ground on which it cannot be confirmed"),
}
DECIDABLE = ("accepted", "under_review", "hearing_scheduled")


class Decisions:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, staff_keys: StaffKeys, sealer: Sealer) -> None:
        self._maker = maker
        self._ledger = ledger
        self._staff_keys = staff_keys
        self._sealer = sealer

    async def prepare_decision(
        self,
        principal: Principal | None,
        application_id: str,
        *,
        decision: str,
        grounds: list[str],
        reasons: str,
        key_id: str,
        clerk: str | None = None,
    ) -> StaffPrepared:
        """The ruling's record for the judge to sign: decision, statutory grounds, reasons, the clerk named at its foot."""
        if decision not in ("confirmed", "rejected"):
            raise InvalidInput("confirm or reject", [FieldError("decision", "confirmed or rejected", "choice")])
        unknown = [g for g in grounds if g not in REJECTION_GROUNDS]
        if unknown or (decision == "rejected" and not grounds) or (decision == "confirmed" and grounds):
            raise InvalidInput(
                "choose the grounds for rejecting (and none for confirming)",
                [FieldError("grounds", "statutory grounds", "rejection_grounds")],
            )
        reasons = reasons.strip()
        if not reasons or len(reasons) > MAX_NOTE:
            raise InvalidInput(
                "write the reasons", [FieldError("reasons", f"1 to {MAX_NOTE} characters", "length", {"min": 1, "max": MAX_NOTE})]
            )
        clerk = (clerk or "").strip() or None
        async with self._maker() as db, db.begin():
            staff, application = await for_judge(db, principal, application_id, changes=True)
            if application.status not in DECIDABLE:
                raise InvalidState("accept the application before deciding it", reason=application.status, need="accept_first")
            if application.court_case_number is None:  # accepted before case numbers existed
                await number(db, application)
            info = await self._staff_keys.own_key(db, staff, key_id)
            if await db.get(EvidenceKeyCase, (info.id, application.case_id)) is None:
                raise Conflict("bind this key to the case first", reason="key_not_bound")
            agreement = await db.get(Agreement, application.agreement_id)
            court = await db.get(Organisation, application.court_id)
            assert agreement is not None and court is not None
            signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
            assert signed is not None
            body = make_body({"reasons": reasons, "judge": staff.display_name, "court": court.name,
                              "grounds": [REJECTION_GROUNDS[g][0] for g in grounds], "clerk": clerk,
                              "case_number": application.court_case_number})  # fmt: skip
            public = {"application": application.id, "decision": decision, "grounds": grounds, "agreement": agreement.id,
                      "signed_pdf_hash": signed.sha256, "court": court.id}  # fmt: skip
            actor = {"kind": "staff", "id": staff.user_id, "role": "judge"}
            claim = Claim(self._ledger.origin, "confirmation_decided", application.case_id, actor, body_hash(body), public)
            return await self._staff_keys.prepare(db, staff, info, claim, body, "confirmation_decide")

    async def decided(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        application = await db.get(ConfirmationApplication, claim.public["application"], with_for_update=True)
        assert application is not None
        if application.status not in DECIDABLE or application.decision is not None:
            raise InvalidState("this application has been decided", reason=application.status)
        stored = await db.get(EvidenceBody, sha256_hex(claim.statement))
        body = dict(stored.body.get("data") or {}) if stored is not None else {}
        application.decision = str(claim.public["decision"])
        application.status = application.decision
        application.decision_grounds = {"codes": list(claim.public.get("grounds") or [])}
        application.decision_reasons = str(body.get("reasons", ""))
        application.clerk_name = str(body["clerk"]) if body.get("clerk") else None
        application.decided_at = utcnow()
        application.judge_id = application.judge_id or staff.user_id
        history.record(db, application.case_id, staff, "confirmation_decided", decision=application.decision, seq=seq)

    async def ruling_document(self, application_id: str) -> None:
        """The ruling as a PDF sealed by the court, filed and delivered. Safe to run again."""
        async with self._maker() as db, db.begin():
            application = await db.get(ConfirmationApplication, application_id, with_for_update=True)
            if application is None or application.decision is None or application.decision_document_id is not None:
                return
            case = await db.get(Case, application.case_id)
            court = await db.get(Organisation, application.court_id)
            assert case is not None and court is not None
            ruling = await load_ruling(db, application)
            pdf = await self._sealer.ruling_pdf(ruling)
            sealed, _ = await self._sealer.seal_document(pdf, court.id, court.name, "民事裁定书 人民法院印章")
            doc = await add_document(
                db, self._ledger, case.id, Uploader("platform", None, court.name, "platform"), kind="ruling",
                name=f"民事裁定书-{ruling.case_number}.pdf", content_type="application/pdf", data=sealed,
            )  # fmt: skip
            application.decision_document_id = doc.id
            for party in particulars.signing_parties(list(await db.scalars(select(Party).where(Party.case_id == case.id)))):
                await self._ledger.append_platform(
                    db, type="delivery", case=case.id, actor={"kind": "platform", "id": "platform"},
                    data={"name": party.name, "channel": "platform"},
                    public={"document": doc.id, "sha256": doc.sha256, "party": party.id, "event": "delivered"},
                )  # fmt: skip
                outcome = "确认调解协议有效" if application.decision == "confirmed" else "驳回申请"
                outcome_en = "the agreement is confirmed as valid" if application.decision == "confirmed" else "rejected"
                notifications.notify(
                    db, "confirmation_decided", party,
                    {"name": party.name, "court": court.name, "case": ruling.case_number, "outcome": outcome},
                    case_id=case.id, english={"outcome_en": outcome_en},
                )  # fmt: skip

    async def recover(self) -> None:
        """Make the rulings a crash left decided but without their document."""
        async with self._maker() as db:
            ids = list(
                await db.scalars(
                    select(ConfirmationApplication.id).where(
                        ConfirmationApplication.decision.is_not(None), ConfirmationApplication.decision_document_id.is_(None)
                    )
                )
            )
        for application_id in ids:
            await self.ruling_document(application_id)

    async def ruling(
        self, principal: Principal | None, case_id: str | None = None, application_id: str | None = None
    ) -> CaseDocument:
        async with self._maker() as db:
            if application_id is not None:
                _, application = await for_judge(db, principal, application_id)
            else:
                case = await case_of(db, principal, case_id)
                found = await db.scalar(select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id))
                if found is None:
                    raise NotFound("no application", reason="not_started")
                application = found
            if application.decision_document_id is None:
                raise NotFound("there is no ruling yet", reason="not_ready")
            doc = await db.get(CaseDocument, application.decision_document_id)
            assert doc is not None
            return doc


class Decided:
    """The staff key's hook for ``confirmation_decide``: the decision recorded, then its sealed document."""

    def __init__(self, decisions: Decisions) -> None:
        self._decisions = decisions

    async def during(self, db: AsyncSession, staff: Staff, claim: Claim, seq: int, key: KeyInfo) -> None:
        await self._decisions.decided(db, staff, claim, seq, key)

    async def after(self, staff: Staff, claim: Claim) -> None:
        try:
            await self._decisions.ruling_document(str(claim.public["application"]))
        except Exception:
            log.exception("making the ruling document of %s failed", claim.public["application"])
