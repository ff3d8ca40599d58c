"""The parties apply, jointly, for a court to confirm their agreement.

People's Mediation Law art. 33 and Civil Procedure Law art. 205: the parties *jointly* apply,
within 30 days of the agreement taking effect, to a basic-level court of the place of the
mediation organisation, of a party's residence or of the property (or to the court that invited
the mediation). Each party signs a ``confirmation_applied`` statement with their own key, or, a
party who signs nothing with a key (a caller by phone, #25), signs the printed application on
paper and the mediator who receives it attests that with their own key (paper.py); the
application reaches the court only when every party has signed, with the 申请书 filed as a PDF
that says how each one signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.documents.ruling_pdf import RulingDoc
from server.domain import history, particulars, turns
from server.domain.access import case_for_staff
from server.domain.agreements.sealer import AFTER_SEAL, Sealer
from server.domain.clocks import CONFIRMATION_WINDOW, confirmation_due
from server.domain.confirmation.ruling import arabic_date, chinese_date
from server.domain.confirmation.views import ApplicationView, case_of, paper_receipts, view_of
from server.domain.documents import Uploader, add_document
from server.domain.keybinding import current_party_key
from server.domain.ledger import Ledger
from server.domain.party_signing import (
    PreparedStatement,
    Proof,
    body_method,
    prepare_statement,
    statement_to_sign,
)
from server.domain.principal import PartyPrincipal, Principal, require_party, require_staff
from server.errors import Conflict, FieldError, Forbidden, Gone, InvalidInput
from server.evidence.records import Claim, body_hash, make_body
from server.models import (
    Agreement,
    Case,
    CaseDocument,
    ConfirmationApplication,
    ConfirmationSigner,
    Organisation,
    Party,
    utcnow,
)
from server.settings import Settings

#: How a party signed on paper, attested by the mediator who received the page (paper.py, #25).
PAPER = "paper"
#: People's Mediation Law art. 33: within 30 days of the agreement taking effect; the confirmation
#: clock of server/domain/clocks.py, which the case page shows (``confirmation_due``).
WINDOW = CONFIRMATION_WINDOW
#: Why a court may hear the application (the connecting points of art. 33 and CPL art. 205).
GROUNDS: dict[str, tuple[str, str]] = {
    "org_location": ("调解组织所在地", "where the mediation organisation is"),
    "residence": ("当事人住所地", "where a party lives"),
    "property": ("标的物所在地", "where the property in dispute is"),
    "inviting_court": ("委派调解的人民法院", "the court that invited the mediation"),
}


@dataclass(frozen=True)
class Cosignature:
    """How a party co-signed the application: with their own key, or on paper attested by a mediator (#25)."""

    seq: int
    method: str
    received_by: str | None = None  # on paper: the mediator who received the signed page
    scan_sha256: str | None = None  # on paper: the scanned page filed in the case


@dataclass(frozen=True)
class Basis:
    """What every party's co-signature names: the court, the sealed agreement and who applies jointly."""

    court: Organisation
    agreement: Agreement
    signed_pdf_hash: str
    joint: list[str]

    def public(self, application: ConfirmationApplication) -> dict[str, Any]:
        return {
            "application": application.id,
            "court": self.court.id,
            "ground": application.ground,
            "agreement": self.agreement.id,
            "signed_pdf_hash": self.signed_pdf_hash,
            "joint": self.joint,
        }


@dataclass(frozen=True)
class Eligibility:
    effective_at: datetime | None
    deadline: datetime | None
    reason: str | None  # not_effective | out_of_time | None when an application may be made
    courts: list[tuple[Organisation, list[str]]]


class Applications:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, settings: Settings, sealer: Sealer) -> None:
        self._maker = maker
        self._ledger = ledger
        self._settings = settings
        self._sealer = sealer

    # -- who may apply where, and until when ---------------------------------------------------

    async def _eligibility(self, db: AsyncSession, case: Case) -> tuple[Agreement | None, Eligibility]:
        agreement = await db.scalar(select(Agreement).where(Agreement.case_id == case.id))
        if agreement is None or agreement.status != "effective" or agreement.sealed_at is None:
            return agreement, Eligibility(None, None, "not_effective", [])
        deadline = confirmation_due(agreement.sealed_at)
        organisation = await db.get(Organisation, case.organisation_id)
        assert organisation is not None
        residences = {
            p.residence_region for p in await db.scalars(select(Party).where(Party.case_id == case.id)) if p.residence_region
        }
        places: dict[str, set[str]] = {
            "org_location": {organisation.region} if organisation.region else set(),
            "residence": residences,
            "property": {case.property_region} if case.property_region else set(),
        }
        courts = []
        for court in await db.scalars(select(Organisation).where(Organisation.kind == "court").order_by(Organisation.name)):
            grounds = [g for g, regions in places.items() if court.region and court.region in regions]
            if case.invited_by_court_id == court.id:
                grounds.append("inviting_court")
            if grounds:
                courts.append((court, grounds))
        reason = "out_of_time" if utcnow() > deadline else None
        return agreement, Eligibility(agreement.sealed_at, deadline, reason, courts)

    async def eligibility(
        self, principal: Principal | None, case_id: str | None = None
    ) -> tuple[Eligibility, ApplicationView | None]:
        """For a party (their case) or the case's mediator: the deadline, the courts, the application."""
        async with self._maker() as db:
            case = await case_of(db, principal, case_id)
            _, eligible = await self._eligibility(db, case)
            application = await db.scalar(select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id))
            view = await view_of(db, application) if application else None
        return eligible, view

    # -- parties apply, jointly ------------------------------------------------------------------

    async def basis(self, db: AsyncSession, application: ConfirmationApplication) -> Basis:
        agreement = await db.get(Agreement, application.agreement_id)
        court = await db.get(Organisation, application.court_id)
        assert agreement is not None and court is not None
        signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
        assert signed is not None
        parties = list(await db.scalars(select(Party).where(Party.case_id == application.case_id)))
        return Basis(court, agreement, signed.sha256, [p.id for p in particulars.signing_parties(parties)])

    def _claim(self, application: ConfirmationApplication, basis: Basis, party: Party) -> tuple[Claim, dict[str, Any]]:
        body = make_body(
            {
                "name": party.name,
                "court": basis.court.name,
                "statement": f"本人{party.name}与对方当事人共同向{basis.court.name}申请确认人民调解协议的效力。"
                "I apply, jointly with the other party, for the court to confirm the mediation agreement.",
            }
        )
        actor = {"kind": "party", "id": party.id, "role": party.role}
        return Claim(
            self._ledger.origin, "confirmation_applied", application.case_id, actor, body_hash(body), basis.public(application)
        ), body

    async def _prepare(self, db: AsyncSession, me: PartyPrincipal, application: ConfirmationApplication) -> PreparedStatement:
        party = await db.get(Party, me.party_id)
        assert party is not None
        if party.role not in ("applicant", "respondent"):
            raise Forbidden("only the parties themselves apply for confirmation", reason="not_a_signer")
        if await db.get(ConfirmationSigner, (application.id, party.id)) is not None:
            raise Conflict("you have signed this application already", reason="signed")
        key = await current_party_key(db, party)
        claim, body = self._claim(application, await self.basis(db, application), party)
        body["data"]["method"] = body_method(self._settings, party, key)
        claim.body_hash = body_hash(body)
        return await prepare_statement(
            db, self._settings, me, party, key, claim, body,
            purpose="confirmation_apply", use="确认由您本人申请司法确认", extra={"application": application.id},
        )  # fmt: skip

    async def apply(self, principal: Principal | None, court_id: str, ground: str) -> tuple[ApplicationView, PreparedStatement]:
        me = require_party(principal, changes=True)
        if ground not in GROUNDS:
            raise InvalidInput("unknown ground", [FieldError("ground", "one of " + ", ".join(GROUNDS), "choice")])
        async with self._maker() as db, db.begin():
            case = await case_of(db, me, None)
            agreement, eligible = await self._eligibility(db, case)
            if eligible.reason == "not_effective" or agreement is None:
                raise Conflict("the agreement is not in effect yet", reason="not_effective")
            if eligible.reason == "out_of_time":
                raise Gone(
                    "more than 30 days have passed since the agreement took effect (People's Mediation Law art. 33); "
                    "the court can no longer be asked to confirm it this way",
                    reason="out_of_time",
                )
            if await db.scalar(select(ConfirmationApplication.id).where(ConfirmationApplication.case_id == case.id)):
                raise Conflict("an application has been started already; co-sign it instead", reason="exists")
            if not any(court.id == court_id and ground in grounds for court, grounds in eligible.courts):
                raise InvalidInput(
                    "this court cannot hear it on that ground",
                    [FieldError("court_id", "not eligible on this ground", "court_not_eligible")],
                )
            application = ConfirmationApplication(
                case_id=case.id, agreement_id=agreement.id, court_id=court_id, ground=ground, started_by=me.party_id,
                status="awaiting_cosign", created_at=utcnow(),
            )  # fmt: skip
            db.add(application)
            await db.flush()
            history.record(db, case.id, me, "confirmation_started", court_id=court_id, ground=ground)
            prepared = await self._prepare(db, me, application)
            assert agreement.sealed_at is not None
            await turns.ask_to_cosign(
                db,
                self._settings,
                application,
                deadline=confirmation_due(agreement.sealed_at),
                until=agreement.sealed_at + AFTER_SEAL,
            )
            view = await view_of(db, application)
        return view, prepared

    async def prepare_signature(self, principal: Principal | None) -> PreparedStatement:
        me = require_party(principal, changes=True)
        async with self._maker() as db, db.begin():
            application = await db.scalar(select(ConfirmationApplication).where(ConfirmationApplication.case_id == me.case_id))
            if application is None:
                raise Conflict("no application has been started", reason="not_started")
            if application.status != "awaiting_cosign":
                raise Conflict("the application has been submitted", reason="signed")
            await self.check_window(db, application)
            return await self._prepare(db, me, application)

    async def check_window(self, db: AsyncSession, application: ConfirmationApplication) -> None:
        """People's Mediation Law art. 33: no co-signature once 30 days have passed since the agreement took effect."""
        agreement = await db.get(Agreement, application.agreement_id)
        assert agreement is not None and agreement.sealed_at is not None
        if utcnow() > confirmation_due(agreement.sealed_at):
            raise Gone("more than 30 days have passed since the agreement took effect (art. 33)", reason="out_of_time")

    async def sign(self, principal: Principal | None, challenge: str, proof: Proof) -> tuple[int, ApplicationView]:
        me = require_party(principal, changes=True)
        async with statement_to_sign(self._maker, self._ledger, me, challenge, "confirmation_apply") as (db, statement):
            application = await db.get(ConfirmationApplication, statement.data["application"], with_for_update=True)
            assert application is not None
            if application.status != "awaiting_cosign":
                raise Conflict("the application has been submitted", reason="signed")
            await self.check_window(db, application)
            if await db.get(ConfirmationSigner, (application.id, me.party_id)) is not None:
                raise Conflict("you have signed this application already", reason="signed")
            signed = await statement.sign(proof)
            joint = list(signed.claim.public.get("joint") or [])
            await self.cosigned(db, application, me, signer=me.party_id, seq=signed.seq, method=signed.method, joint=joint,
                                kind="confirmation_signed")  # fmt: skip
            view = await view_of(db, application)
        return signed.seq, view

    async def cosigned(
        self, db: AsyncSession, application: ConfirmationApplication, by: Principal, *, signer: str, seq: int, method: str,
        joint: list[str], kind: str, **data: Any,
    ) -> None:  # fmt: skip
        """A party's place among the applicants filled by their logged ``confirmation_applied`` record
        (their own signature, or a mediator's attestation of one on paper: paper.py), and the
        application submitted once every party in ``joint`` has signed: only a joint application
        reaches the court (art. 33: "双方当事人 … 共同申请")."""
        db.add(ConfirmationSigner(application_id=application.id, party_id=signer, seq=seq, method=method, signed_at=utcnow()))
        history.record(db, application.case_id, by, kind, seq=seq, **data)
        await db.flush()
        done = set(
            await db.scalars(select(ConfirmationSigner.party_id).where(ConfirmationSigner.application_id == application.id))
        )
        if joint and set(joint) <= done:
            application.status, application.submitted_at = "received", utcnow()
            await self._application_document(db, application)
            history.record(db, application.case_id, None, "confirmation_submitted", court_id=application.court_id)

    async def _paper(self, db: AsyncSession, application: ConfirmationApplication) -> RulingDoc:
        """The application as it stands, and who has signed it how (the log's records)."""
        case = await db.get(Case, application.case_id)
        court = await db.get(Organisation, application.court_id)
        agreement = await db.get(Agreement, application.agreement_id)
        assert case is not None and court is not None and agreement is not None and agreement.sealed_at is not None
        organisation = await db.get(Organisation, case.organisation_id)
        signed = await db.get(CaseDocument, agreement.signed_document_id) if agreement.signed_document_id else None
        assert organisation is not None and signed is not None
        parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
        rows = list(await db.scalars(select(ConfirmationSigner).where(ConfirmationSigner.application_id == application.id)))
        receipts = await paper_receipts(db, case.id) if any(s.method == PAPER for s in rows) else {}
        cosigned: dict[str, Cosignature] = {}
        for s in rows:
            receipt = receipts.get(s.seq) if s.method == PAPER else None
            scan = await db.get(CaseDocument, receipt.document_id) if receipt and receipt.document_id else None
            cosigned[s.party_id] = Cosignature(
                s.seq, s.method, receipt.received_by if receipt else None, scan.sha256 if scan is not None else None
            )
        printing = application.status == "awaiting_cosign"
        return application_doc(application, case, organisation, court, agreement, signed.sha256, parties, cosigned,
                               printing=printing)  # fmt: skip

    async def _application_document(self, db: AsyncSession, application: ConfirmationApplication) -> None:
        """The application itself as a PDF for the court's file (the signatures are the log's records)."""
        case = await db.get(Case, application.case_id)
        organisation = await db.get(Organisation, case.organisation_id) if case is not None else None
        assert case is not None and organisation is not None
        pdf = await self._sealer.ruling_pdf(await self._paper(db, application))
        await add_document(
            db, self._ledger, case.id, Uploader("platform", None, organisation.name, "platform"), kind="application",
            name=f"司法确认申请书-{case.case_number}.pdf", content_type="application/pdf", data=pdf,
        )  # fmt: skip

    async def paper_form(self, principal: Principal | None, case_id: str) -> tuple[str, bytes]:
        """The application as it stands, printed for a party who signs it on paper (#25): the parties
        who signed with their key said to have done so, a line to sign or thumbprint for the others.
        Nothing is filed: the signed page comes back as a scan (paper.py). Returns its file name and bytes."""
        staff = require_staff(principal, "mediator")
        async with self._maker() as db:
            _, case = await case_for_staff(db, staff, case_id, assigned=True)
            application = await db.scalar(select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id))
            if application is None:
                raise Conflict("no application has been started", reason="not_started")
            if application.status != "awaiting_cosign":
                raise Conflict("the application has been submitted", reason="submitted")
            paper = await self._paper(db, application)
        return f"司法确认申请书（纸质签署用）-{case.case_number}.pdf", await self._sealer.ruling_pdf(paper)


def _signed_how(party: Party, signed: Cosignature | None) -> str:
    """How one applicant signed, as the log's record of it says; or, on the form to print, how they will."""
    if signed is None:
        return f"{party.name}在本申请书上签名或按指印后交调解员收取，由调解员扫描存入案件材料并以本人密钥签名确认"
    if signed.method == PAPER:
        return (
            f"{party.name}在纸质申请书上签名或按指印，原件由调解员{signed.received_by or ''}收取，"
            f"并以其本人密钥签名确认（证据日志第{signed.seq}条记录）"
        )
    return f"{party.name}以本人密钥电子签名（证据日志第{signed.seq}条记录）"


def application_doc(
    application: ConfirmationApplication,
    case: Case,
    organisation: Organisation,
    court: Organisation,
    agreement: Agreement,
    signed_sha256: str,
    parties: list[Party],
    cosigned: dict[str, Cosignature],
    *,
    printing: bool = False,
) -> RulingDoc:
    """The joint application as the court files it: who applies, how to reach them, what is asked, on what ground.

    Laid out as a 申请书 of the SPC's forms: the applicants with their particulars and contacts (SPC
    interpretation of the Civil Procedure Law art. 354: the parties' 身份、住所、联系方式), 请求事项, 事实和理由,
    此致 the court, the applicants and the date. Both parties are applicants: the application is joint
    (People's Mediation Law art. 33). It says how each one signed: with their own key, or on the paper
    application, received and attested by the mediator (#25), each with its record in the evidence
    log. ``printing``: the form a party who signs on paper is given before the application is
    complete, with a line for their signature or thumbprint.
    """
    assert agreement.sealed_at is not None
    applicants = particulars.signing_parties(parties)
    lines = []
    for p in applicants:
        email = f"，电子邮箱{p.email}" if p.email else ""
        place = f"，住所地（行政区划）{p.residence_region}" if p.residence_region and not p.address else ""
        lines.append(f"申请人：{particulars.describe(p, phone=True)}{email}{place}。")
        for agent in particulars.agents_of(p, parties):
            authority = f"，代理权限：{agent.authority}" if agent.authority else ""
            lines.append(f"委托代理人：{particulars.describe(agent, phone=True)}，系申请人{p.name}的委托代理人{authority}。")
    effective = arabic_date(agreement.sealed_at.astimezone(ZoneInfo(organisation.timezone)).date())
    names = "、".join(p.name for p in applicants)
    body = [
        "请求事项：",
        f"请求确认申请人{names}于{effective}经{organisation.name}主持调解达成的人民调解协议（编号{case.case_number}）有效。",
        "事实和理由：",
        f"申请人之间的纠纷经{organisation.name}调解，达成调解协议，协议经双方当事人签名、调解员签名并加盖调解组织印章，"
        f"于{effective}生效。双方自愿于协议生效之日起三十日内共同申请司法确认（《中华人民共和国人民调解法》第三十三条）。"
        f"向贵院申请的依据：{GROUNDS[application.ground][0]}。",
        "申请人同意通过本平台接收法律文书，并以上列联系电话接收通知。",
        # How each one signed (or, on the printed form, will sign): the court reads whose act each signature is.
        "申请人签名方式：" + "；".join(_signed_how(p, cosigned.get(p.id)) for p in applicants) + "。",
        "附：" + "；".join(_enclosures(signed_sha256, applicants, cosigned)) + "。",
    ]
    if printing:
        # The form to sign on paper: a line for each one still to sign, the date left to write.
        unsigned = [f"申请人{p.name}（签名或按指印）：＿＿＿＿＿＿＿＿" for p in applicants if p.id not in cosigned]
        signatures = [*unsigned, "＿＿＿＿年＿＿月＿＿日"]
    else:
        submitted = (application.submitted_at or utcnow()).astimezone(ZoneInfo(court.timezone)).date()
        signatures = [f"申请人：{names}", chinese_date(submitted)]
    return RulingDoc(
        court="", title="司法确认申请书", case_number="", parties=lines, body=body, operative=["此致", court.name],
        signatures=signatures,
    )  # fmt: skip


def _enclosures(signed_sha256: str, applicants: list[Party], cosigned: dict[str, Cosignature]) -> list[str]:
    """What goes with the application: the sealed agreement, the signing records, a page signed on paper."""
    out = [f"调解协议书（已签署盖章，PDF SHA-256 {signed_sha256}）", "当事人签名密钥绑定与身份核验记录"]
    for p in applicants:
        signed = cosigned.get(p.id)
        if signed is not None and signed.method == PAPER and signed.scan_sha256:
            out.append(f"{p.name}签名的纸质申请书扫描件（SHA-256 {signed.scan_sha256}，原件存调解组织）")
    return [*out, "案件材料"]
