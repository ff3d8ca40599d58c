"""A hotline's work orders (12345 派单): its system sends orders and reads results with a key.

The keys are issued and revoked by an administrator, per organisation (the key is shown once).
The two operations for the hotline's system answer in JSON with the case number and, in Chinese
and English, the state of the case (server/domain/work_orders.py says how repeated orders join).
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import StringConstraints

from server.domain.booking import iso
from server.domain.vocabulary import DISPUTE_TYPES
from server.domain.work_orders import IssuedKey, Order, OrderResult, Person, result_words
from server.http.context import principal_of
from server.http.routes import api
from server.http.schemas import Input, Name, choice
from server.models import HotlineKey
from server.services import services

OrderNumber = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")]
Phone = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Address = Annotated[str, StringConstraints(max_length=200)]


class KeyIn(Input):
    #: What the hotline is called on the pages and in the records, e.g. 12345 政务服务便民热线.
    label: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    #: The mediator in whose name orders are received (the cases' first mediator).
    receiver_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]


class PersonIn(Input):
    name: Name
    phone: Phone
    address: Address | None = None


class OrderIn(Input):
    #: The hotline's own order number (工单编号).
    order_number: OrderNumber
    caller: PersonIn
    #: The other side, when the caller named them.
    respondent: PersonIn | None = None
    dispute_type: Annotated[str, choice(DISPUTE_TYPES)] = "other"
    #: What the caller said and asks for (诉求内容), as the hotline wrote it down.
    content: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    #: The earlier order this one repeats (重复件), if the hotline marked it so.
    related_order_number: OrderNumber | None = None


def key_view(issued: IssuedKey) -> dict[str, Any]:
    key = issued.key
    out: dict[str, Any] = {
        "id": key.id,
        "label": key.label,
        "prefix": key.prefix,
        "receiver": {"id": issued.receiver.id, "display_name": issued.receiver.display_name},
        "created_at": iso(key.created_at),
        "revoked_at": iso(key.revoked_at) if key.revoked_at else None,
        "last_used_at": iso(key.last_used_at) if key.last_used_at else None,
    }
    if issued.secret is not None:
        out["key"] = issued.secret  # shown once
    return out


def result_view(result: OrderResult) -> dict[str, Any]:
    case = result.case
    return {
        "order_number": result.order.order_number,
        # registered | joined (this request), already_received (sent before; nothing changed)
        "received": result.outcome,
        "case_number": case.case_number,
        "registered_on": case.registered_on.isoformat(),
        "status": case.status,
        "handled_by": result.handled_by.name,
        "mediator": result.mediator.display_name,
        "outcome_reason": case.outcome_reason,
        "closed_at": iso(case.closed_at) if case.closed_at else None,
        **result_words(result),
    }


@api.route(
    "POST",
    "/organisations/{organisation_id}/hotline-keys",
    summary="Issue a hotline's key for work orders",
    body=KeyIn,
    status=201,
    tag="admin",
)
async def issue_key(request: web.Request, body: KeyIn) -> web.StreamResponse:
    issued = await services(request).work_orders.issue_key(
        principal_of(request), request.match_info["organisation_id"], label=body.label, receiver_id=body.receiver_id
    )
    return web.json_response(key_view(issued), status=201)


@api.route("GET", "/organisations/{organisation_id}/hotline-keys", summary="An organisation's hotline keys", tag="admin")
async def list_keys(request: web.Request) -> web.StreamResponse:
    keys = await services(request).work_orders.keys(principal_of(request), request.match_info["organisation_id"])
    return web.json_response({"keys": [key_view(k) for k in keys]})


@api.route("DELETE", "/hotline-keys/{key_id}", summary="Revoke a hotline's key", status=204, tag="admin")
async def revoke_key(request: web.Request) -> web.StreamResponse:
    await services(request).work_orders.revoke_key(principal_of(request), request.match_info["key_id"])
    return web.Response(status=204)


@api.route(
    "POST",
    "/work-orders",
    summary="Send a work order (the hotline's system, with its key)",
    body=OrderIn,
    tag="work-orders",
    auth="hotline",
)
async def receive_order(request: web.Request, body: OrderIn, key: HotlineKey) -> web.StreamResponse:
    work_orders = services(request).work_orders

    def person(p: PersonIn) -> Person:
        return Person(name=p.name, phone=p.phone, address=p.address)

    order = Order(
        order_number=body.order_number,
        caller=person(body.caller),
        content=body.content,
        dispute_type=body.dispute_type,
        respondent=person(body.respondent) if body.respondent else None,
        related_order_number=body.related_order_number,
    )
    result = await work_orders.receive(key, order)
    # 200 whatever happened, which `received` says: a resend changes nothing and is answered as the
    # first time, so a retrying system never makes a second case.
    return web.json_response(
        result_view(result),
    )


@api.route(
    "GET",
    "/work-orders/{order_number}",
    summary="The result of a work order (the hotline's system, with its key)",
    tag="work-orders",
    auth="hotline",
)
async def order_result(request: web.Request, key: HotlineKey) -> web.StreamResponse:
    work_orders = services(request).work_orders
    return web.json_response(result_view(await work_orders.result(key, request.match_info["order_number"])))
