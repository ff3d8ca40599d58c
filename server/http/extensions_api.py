"""Extending the mediation period by every party's agreement (server/domain/extensions.py): the
mediator proposes or withdraws on the case page; each party agrees (signing) or declines on theirs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aiohttp import web
from pydantic import StringConstraints

from server.domain.booking import iso
from server.domain.extensions import MAX_REASON, ExtensionView
from server.http import views
from server.http.agreements_api import PartySignatureIn, statement_view
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input
from server.services import services
from server.settings import Settings

Reason = Annotated[str, StringConstraints(max_length=MAX_REASON)]


class ProposeIn(Input):
    #: The new last day (Beijing time), after the current one.
    to_date: date
    reason: Reason


class DeclineIn(Input):
    reason: Reason = ""


class EmptyIn(Input):
    pass


def extension_view(v: ExtensionView, settings: Settings | None = None) -> dict[str, Any]:
    """A proposal; for the case's mediators each signer's ``notice`` too: what became of their text
    (``ExtensionView.notices``; ``settings`` say whether anything sends one not yet handed on)."""
    e = v.extension
    return {
        "id": e.id,
        "case_id": e.case_id,
        # The last day when it was proposed, and the one proposed (Beijing time).
        "from_date": e.from_date.isoformat(),
        "to_date": e.to_date.isoformat(),
        "reason": e.reason,
        # proposed | extended | declined | withdrawn
        "status": e.status,
        "proposed_by": {"id": e.proposed_by, "display_name": v.proposed_by},
        "proposed_at": iso(e.proposed_at),
        "decided_at": iso(e.decided_at) if e.decided_at else None,
        "declined_by": {"party_id": e.declined_by, "name": v.declined_by} if e.declined_by else None,
        "decline_reason": e.decline_reason,
        # The `deadline_extended` record, once every party signed.
        "seq": e.seq,
        # Every party who must agree, and whether they have (their `signature` record) or declined.
        "signers": [
            s
            | {"signed_at": iso(s["signed_at"]) if s["signed_at"] else None}
            | ({"notice": views.notice(v.notices[s["party_id"]], settings)} if v.notices is not None and settings else {})
            for s in v.signers
        ],
    }


@api.route("GET", "/cases/{case_id}/extensions", summary="A case's proposals to extend its mediation period", tag="cases")
async def case_extensions(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    found = await svc.extensions.of_case(principal_of(request), request.match_info["case_id"])
    return web.json_response(
        {
            "last_day": found.last_day.isoformat(),
            "extended": found.extended,
            "items": [extension_view(v, svc.settings) for v in found.items],
        }
    )


@api.route(
    "POST", "/cases/{case_id}/extensions", summary="Propose a later last day of the mediation period", body=ProposeIn,
    status=201, tag="cases",
)  # fmt: skip
async def propose(request: web.Request, body: ProposeIn) -> web.StreamResponse:
    svc = services(request)
    view = await svc.extensions.propose(
        principal_of(request), request.match_info["case_id"], to_date=body.to_date, reason=body.reason
    )
    return web.json_response(extension_view(view, svc.settings), status=201)


@api.route(
    "POST", "/cases/{case_id}/extensions/{extension_id}/withdraw", summary="Withdraw a proposal before it takes effect",
    body=EmptyIn, tag="cases",
)  # fmt: skip
async def withdraw(request: web.Request, body: EmptyIn) -> web.StreamResponse:
    svc = services(request)
    view = await svc.extensions.withdraw(principal_of(request), request.match_info["case_id"], request.match_info["extension_id"])
    return web.json_response(extension_view(view, svc.settings))


@api.route("GET", "/party/extension", summary="The proposal to extend my case's mediation period", tag="party", auth="party")
async def party_extension(request: web.Request) -> web.StreamResponse:
    view, party = await services(request).extensions.for_party(principal_of(request))
    me = next((s for s in view.signers if s["party_id"] == party.id), None) if view else None
    return web.json_response(
        {
            "extension": extension_view(view) if view else None,
            # Whether this party is one who agrees (an applicant or respondent), and whether they have.
            "me": {"party_id": party.id, "signer": me is not None, "signed": bool(me and me["signed_at"])},
        }
    )


@api.route(
    "POST", "/party/extension/sign", summary="Prepare my signature agreeing to the extension", body=EmptyIn, status=201,
    tag="party", auth="party", errors=(429,),
)  # fmt: skip
async def party_prepare_extension(request: web.Request, body: EmptyIn) -> web.StreamResponse:
    prepared = await services(request).extensions.prepare(principal_of(request))
    return web.json_response(statement_view(prepared), status=201)


@api.route(
    "POST", "/party/extension/sign/{challenge}", summary="Sign my agreement to the extension", body=PartySignatureIn,
    status=201, tag="party", auth="party", errors=(410,),
)  # fmt: skip
async def party_sign_extension(request: web.Request, body: PartySignatureIn) -> web.StreamResponse:
    seq, view = await services(request).extensions.sign(principal_of(request), request.match_info["challenge"], body.proof())
    return web.json_response({"seq": seq, "extension": extension_view(view)}, status=201)


@api.route(
    "POST", "/party/extension/decline", summary="Decline the extension: the period stays as it is", body=DeclineIn,
    tag="party", auth="party",
)  # fmt: skip
async def party_decline_extension(request: web.Request, body: DeclineIn) -> web.StreamResponse:
    view = await services(request).extensions.decline(principal_of(request), reason=body.reason)
    return web.json_response(extension_view(view))
