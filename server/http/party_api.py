"""What a party sees after opening their link."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.domain.agreements.reading import View as AgreementView
from server.domain.booking import iso
from server.domain.confirmation.application import Eligibility
from server.domain.confirmation.views import ApplicationView
from server.domain.party_path import (
    AgreementFacts,
    ApplicationFacts,
    ConfirmationFacts,
    PathFacts,
    Step,
    days_left,
    next_step,
    session_phase,
)
from server.domain.principal import CaseParty, require_party
from server.http.context import principal_of
from server.http.routes import api
from server.http.sessions_api import ics_response
from server.models import utcnow
from server.services import services


@api.route("GET", "/party/me", summary="The party's case, mediator and session, and what to do now", tag="party", auth="party")
async def party_me(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    willingness = await services(request).willingness.for_party(principal)
    if isinstance(principal, CaseParty):
        # A link of the case that belongs to no session (server/domain/willingness.py): the
        # question or its outcome is all there is; ``session`` is null and the page shows just that.
        return web.json_response(_case_party_me(principal, willingness))
    me, view, org = await services(request).booking.for_party(principal)
    party = next(p for p in view.parties if p.id == me.party_id)
    s = view.session
    # What the page needs to put one step at the top (server/domain/party_path.py), in this one answer.
    later = await services(request).booking.next_session_for_party(principal)
    agreement = await services(request).agreements.drafting.view(principal, None)
    eligible, application = await services(request).confirmations.applications.eligibility(principal, None)
    now = utcnow()
    agreement_facts = _agreement_facts(agreement, me.party_id)
    confirmation_facts = _confirmation_facts(eligible, application, me.party_id) if eligible.effective_at else None
    step = next_step(
        PathFacts(
            now=now,
            session_status=s.status,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            case_status=view.case.status,
            next_session_at=later.starts_at if later else None,
            agreement=agreement_facts,
            confirmation=confirmation_facts,
        )
    )
    return web.json_response(
        {
            "case": {
                "case_number": view.case.case_number,
                "dispute_type": view.case.dispute_type,
                "summary": view.case.summary,
                "status": view.case.status,
            },
            "party": {"id": party.id, "name": party.name, "role": party.role},
            "organisation": {"name": org.name},
            "mediator": {"display_name": view.mediator.display_name, "phone": view.mediator.phone},
            "session": {
                "id": s.id,
                "starts_at": iso(s.starts_at),
                "ends_at": iso(s.ends_at),
                "timezone": s.timezone,
                "status": s.status,
                "phase": session_phase(
                    PathFacts(now=now, session_status=s.status, starts_at=s.starts_at, ends_at=s.ends_at, case_status="")
                ),
            },
            "calendar_url": "/api/v1/party/calendar.ics",
            "next_session": {"starts_at": iso(later.starts_at), "ends_at": iso(later.ends_at)} if later else None,
            "agreement": {
                "status": agreement_facts.status,
                "must_sign": agreement_facts.must_sign,
                "signed": agreement_facts.signed,
                "deadline": iso(agreement_facts.deadline) if agreement_facts.deadline else None,
            }
            if agreement_facts
            else None,
            "confirmation": {
                "deadline": iso(confirmation_facts.deadline) if confirmation_facts.deadline else None,
                "days_left": days_left(confirmation_facts.deadline, now) if confirmation_facts.reason is None else None,
                "open": confirmation_facts.reason is None,
                "application": {"status": confirmation_facts.application.status, "court": confirmation_facts.application.court}
                if confirmation_facts.application
                else None,
            }
            if confirmation_facts
            else None,
            "now": step_view(step),
            # Whether the other side agreed to mediation (server/domain/willingness.py), null if nobody was asked.
            "willingness": willingness,
        }
    )


def _case_party_me(me: CaseParty, willingness: dict[str, Any] | None) -> dict[str, Any]:
    w = willingness or {}
    return {
        "case": {
            "case_number": w.get("case_number"),
            "dispute_type": None,
            "summary": w.get("summary"),
            "status": w.get("case_status"),
        },
        "party": {"id": me.party_id, "name": me.name, "role": w.get("role")},
        "organisation": {"name": w.get("organisation", "")},
        "mediator": w.get("mediator") or {"display_name": "", "phone": ""},
        "session": None,
        "calendar_url": None,
        "next_session": None,
        "agreement": None,
        "confirmation": None,
        "now": None,
        "willingness": willingness,
    }


def step_view(step: Step) -> dict[str, Any]:
    """``now`` of GET /party/me: the step and what fills in its text (PARTY_API in README, party_path.py)."""
    return {
        "step": step.step,
        "at": iso(step.at) if step.at else None,
        "days_left": step.days_left,
        "name": step.name,
        "court": step.court,
        "result": step.result,
        "urgent": step.urgent,
    }


def _agreement_facts(view: AgreementView | None, party_id: str) -> AgreementFacts | None:
    if view is None:
        return None
    me = view.me or {}
    waiting = tuple(str(x["name"]) for x in view.signers if not x["signed_at"] and x["id"] != party_id)
    return AgreementFacts(
        status=view.agreement.status,
        must_sign=bool(me.get("must_sign")),
        signed=bool(me.get("signed")),
        deadline=view.agreement.deadline,
        waiting_for=waiting,
    )


def _confirmation_facts(eligible: Eligibility, view: ApplicationView | None, party_id: str) -> ConfirmationFacts:
    application = None
    if view is not None:
        mine = [x for x in view.signers if x["party_id"] == party_id]
        others = [x for x in view.signers if x["party_id"] != party_id]
        hearing = view.hearing
        application = ApplicationFacts(
            status=view.application.status,
            court=view.court.name,
            me_signed=any(x["signed_at"] for x in mine),
            signed_by=next((str(x["name"]) for x in others if x["signed_at"]), None),
            unsigned=next((str(x["name"]) for x in others if not x["signed_at"]), None),
            hearing_starts_at=hearing.starts_at if hearing and hearing.status != "cancelled" else None,
            hearing_ends_at=hearing.ends_at if hearing and hearing.status != "cancelled" else None,
            decision=view.application.decision,
        )
    return ConfirmationFacts(
        deadline=eligible.deadline, reason=eligible.reason, courts=len(eligible.courts), application=application
    )


@api.route(
    "GET", "/party/calendar.ics", summary="The party's calendar invitation", tag="party", auth="party", produces="text/calendar"
)
async def party_calendar(request: web.Request) -> web.StreamResponse:
    me = require_party(principal_of(request))
    return await ics_response(request, me.session_id, me.party_id)
