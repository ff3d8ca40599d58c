"""The mediators of a case, their disclosures, the parties' requests for another mediator, and the
directory of mediators (server/domain/assignment.py, server/domain/directory.py)."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, StringConstraints

from server.domain.assignment import ROLES, Assigned, CaseMediators
from server.domain.directory import LANGUAGES, PHOTO_MAX_BYTES, PHOTO_TYPES, Entry
from server.domain.vocabulary import DISPUTE_TYPES
from server.http import views
from server.http.cases_api import viewer_zone
from server.http.context import principal_of
from server.http.documents_api import _read_limited
from server.http.routes import api
from server.http.schemas import Input, choice
from server.http.staffkeys_api import prepared_view
from server.models import MediatorChangeRequest
from server.services import services

Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]
Words = Annotated[str, StringConstraints(max_length=2000)]


class AssignIn(Input):
    mediator_id: Id
    #: lead: becomes the case's handling mediator; co: mediates with them (人民调解法 art. 19).
    role: Annotated[str, choice(ROLES)] = "co"


class DisclosureIn(Input):
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    #: Whether there is a circumstance that might affect impartial mediation (在线调解规则 art. 13).
    conflict: bool
    #: The circumstance, required with a conflict.
    statement: Words = ""


class ChangeRequestIn(Input):
    #: The assigned mediator to be replaced (回避, 在线调解规则 art. 14); or none, asking for `preferred_id`.
    mediator_id: Id | None = None
    #: A mediator of the directory the party would like.
    preferred_id: Id | None = None
    reason: Words


class ChangeDecisionIn(Input):
    grant: bool
    #: Granted: the mediator who takes the place (the party's preference when omitted).
    replacement_id: Id | None = None
    #: Required when refused: the party reads it.
    reason: Words = ""


class ProfileIn(Input):
    profile: Annotated[str, StringConstraints(max_length=1000)] = ""
    languages: list[Annotated[str, choice(LANGUAGES)]] = Field(default_factory=list, max_length=20)
    specialities: list[Annotated[str, choice(DISPUTE_TYPES)]] = Field(default_factory=list, max_length=20)


class DirectoryQuery(Input):
    #: An administrator lists any organisation's mediators; staff their own.
    organisation_id: Id | None = None


def entry_view(e: Entry) -> dict[str, Any]:
    p = e.profile
    return {
        "id": e.user.id,
        "display_name": e.user.display_name,
        "organisation": {"id": e.organisation.id, "name": e.organisation.name},
        "profile": p.profile if p is not None else "",
        "languages": list(p.languages) if p is not None else [],
        "specialities": list(p.specialities) if p is not None else [],
        "photo_url": f"{api.prefix}/mediators/{e.user.id}/photo?v={p.photo_sha256[:12]}"
        if p is not None and p.photo_sha256
        else None,
    }


def _assigned(a: Assigned, zone: str) -> dict[str, Any]:
    d = a.disclosure
    return {
        "id": a.user.id,
        "display_name": a.user.display_name,
        "role": a.role,
        "assigned_at": views.local(a.row.assigned_at, zone) if a.row is not None else None,
        "assigned_seq": a.row.assigned_seq if a.row is not None else None,
        "chosen_by": a.chosen_by,
        "disclosure": {
            "conflict": d.conflict,
            "statement": d.statement,
            "signed_at": views.local(d.signed_at, zone),
            "seq": d.seq,
        }
        if d is not None
        else None,
    }


def _request(r: MediatorChangeRequest, view: CaseMediators, zone: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "party": {"id": r.party_id, "name": view.parties.get(r.party_id)},
        "mediator": {"id": r.mediator_id, "display_name": view.name(r.mediator_id)} if r.mediator_id else None,
        "preferred": {"id": r.preferred_id, "display_name": view.name(r.preferred_id)} if r.preferred_id else None,
        "reason": r.reason,
        "requested_at": views.local(r.requested_at, zone),
        "status": r.status,
        "decided_by": view.name(r.decided_by),
        "decided_at": views.local(r.decided_at, zone) if r.decided_at else None,
        "decision_reason": r.decision_reason,
        "replacement": {"id": r.replacement_id, "display_name": view.name(r.replacement_id)} if r.replacement_id else None,
    }


def mediators_view(view: CaseMediators, zone: str, me: str | None = None) -> dict[str, Any]:
    mediators = [_assigned(a, zone) for a in view.mediators]
    return {
        "case_id": view.case.id,
        "mediators": mediators,
        # Assigned mediators who have not signed their disclosure yet (the case page reminds them).
        "awaiting_disclosure": [m["id"] for m in mediators if m["disclosure"] is None],
        "requests": [_request(r, view, zone) for r in view.requests],
        **({"me": me} if me is not None else {}),
    }


@api.route("GET", "/cases/{case_id}/mediators", summary="The case's mediators and the parties' requests", tag="mediators")
async def case_mediators(request: web.Request) -> web.StreamResponse:
    view = await services(request).assignment.of_case(principal_of(request), request.match_info["case_id"])
    return web.json_response(mediators_view(view, viewer_zone(request)))


@api.route(
    "POST", "/cases/{case_id}/mediators", summary="Assign a mediator to the case (lead or co-mediator)",
    body=AssignIn, status=201, tag="mediators",
)  # fmt: skip
async def assign(request: web.Request, body: AssignIn) -> web.StreamResponse:
    view = await services(request).assignment.assign(
        principal_of(request), request.match_info["case_id"], mediator_id=body.mediator_id, role=body.role
    )
    return web.json_response(mediators_view(view, viewer_zone(request)), status=201)


@api.route(
    "POST", "/cases/{case_id}/disclosures", summary="Prepare my conflict-of-interest disclosure for my own key to sign",
    body=DisclosureIn, status=201, tag="mediators",
)  # fmt: skip
async def prepare_disclosure(request: web.Request, body: DisclosureIn) -> web.StreamResponse:
    prepared = await services(request).assignment.prepare_disclosure(
        principal_of(request), request.match_info["case_id"], key=body.key_id, conflict=body.conflict, statement=body.statement
    )
    return web.json_response(prepared_view(prepared), status=201)


@api.route(
    "POST", "/mediator-changes/{request_id}/decision", summary="Decide a party's request for another mediator",
    body=ChangeDecisionIn, tag="mediators",
)  # fmt: skip
async def decide_change(request: web.Request, body: ChangeDecisionIn) -> web.StreamResponse:
    view = await services(request).assignment.decide_change(
        principal_of(request),
        request.match_info["request_id"],
        grant=body.grant,
        replacement_id=body.replacement_id,
        reason=body.reason,
    )
    return web.json_response(mediators_view(view, viewer_zone(request)))


@api.route(
    "GET", "/party/mediators", summary="Who mediates my case, the organisation's directory, my requests",
    tag="party", auth="party",
)  # fmt: skip
async def party_mediators(request: web.Request) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    me, view = await svc.assignment.for_party(principal)
    directory = await svc.directory.entries(principal)
    body = mediators_view(view, viewer_zone(request), me.party_id)
    body["directory"] = [entry_view(e) for e in directory]
    return web.json_response(body)


@api.route(
    "POST", "/party/mediator-changes", summary="Ask for another mediator, or for one from the directory",
    body=ChangeRequestIn, status=201, tag="party", auth="party",
)  # fmt: skip
async def request_change(request: web.Request, body: ChangeRequestIn) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    await svc.assignment.request_change(
        principal, mediator_id=body.mediator_id, preferred_id=body.preferred_id, reason=body.reason
    )
    me, view = await svc.assignment.for_party(principal)
    return web.json_response(mediators_view(view, viewer_zone(request), me.party_id), status=201)


@api.route(
    "GET", "/mediator-directory", summary="The directory of my organisation's mediators", query=DirectoryQuery, tag="mediators"
)
async def directory(request: web.Request, query: DirectoryQuery) -> web.StreamResponse:
    entries = await services(request).directory.entries(principal_of(request), query.organisation_id)
    return web.json_response({"items": [entry_view(e) for e in entries]})


@api.route(
    "PUT", "/mediators/{user_id}/profile", summary="Write a mediator's directory entry (their own, or an administrator)",
    body=ProfileIn, tag="mediators",
)  # fmt: skip
async def update_profile(request: web.Request, body: ProfileIn) -> web.StreamResponse:
    entry = await services(request).directory.update(
        principal_of(request),
        request.match_info["user_id"],
        profile=body.profile,
        languages=body.languages,
        specialities=body.specialities,
    )
    return web.json_response(entry_view(entry))


@api.route(
    "PUT", "/mediators/{user_id}/photo", summary="Upload a mediator's photo (JPEG or PNG; stored re-encoded)",
    tag="mediators", accepts=PHOTO_TYPES,
)  # fmt: skip
async def upload_photo(request: web.Request) -> web.StreamResponse:
    data = await _read_limited(request, PHOTO_MAX_BYTES)
    entry = await services(request).directory.set_photo(
        principal_of(request), request.match_info["user_id"], content_type=request.headers.get("Content-Type", ""), data=data
    )
    return web.json_response(entry_view(entry))


@api.route(
    "GET", "/mediators/{user_id}/photo", summary="A mediator's photo", tag="mediators", auth="any", produces="image/jpeg"
)  # fmt: skip
async def photo(request: web.Request) -> web.StreamResponse:
    profile = await services(request).directory.photo(principal_of(request), request.match_info["user_id"])
    assert profile.photo is not None
    return web.Response(
        body=profile.photo,
        content_type="image/jpeg",
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{profile.photo_sha256}"',
        },
    )
