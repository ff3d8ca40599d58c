"""Every API route, tried as every kind of caller.

The table must name every registered route: a new route without a row fails this test, so
nobody adds an endpoint without deciding who may call it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from server.domain.principal import SYSTEM
from server.evidence.records import DeviceKey, b64
from server.http.routes import api
from server.models import OutboxMessage, Recording, utcnow
from tests.api.helpers import book, next_weekday_at, open_case, weekday_slot
from tests.conftest import Actor, World

ACTORS = ("anonymous", "party", "other_org_mediator", "judge", "admin", "own_mediator")
counter = itertools.count()


@dataclass
class Scene:
    world: World
    liu: Actor
    case: dict[str, Any]
    session: dict[str, Any]
    links: list[dict[str, Any]]

    async def fresh_session(self) -> dict[str, Any]:
        """A session of its own, for calls that end or change it."""
        n = next(counter)
        starts = weekday_slot(n, days_ahead=4)
        session: dict[str, Any] = (await book(self.liu, self.case["id"], starts, minutes=30))["session"]
        return session

    async def fresh_exception(self) -> str:
        me = self.world.ids["liu"]
        body = {"date": f"2030-01-0{1 + next(counter) % 9}", "available": False}
        return str((await self.liu.call("POST", f"/api/v1/users/{me}/availability/exceptions", body, expect=201))["id"])


Call = Callable[[Scene], Awaitable[tuple[str, Any]]]


def applicant_of(scene: Scene) -> str:
    return str(next(p["id"] for p in scene.case["parties"] if p["role"] == "applicant"))


def simple(path: str, body: Any = None) -> Call:
    async def build(scene: Scene) -> tuple[str, Any]:
        ids = {
            "case_id": scene.case["id"],
            "session_id": scene.session["id"],
            "party_id": scene.case["parties"][0]["id"],
            "other_party_id": scene.case["parties"][1]["id"],
            "user_id": scene.world.ids["liu"],
            "organisation_id": scene.world.org_a.id,
        }
        payload = body(scene) if callable(body) else body
        return path.format(**ids), payload

    return build


async def organisation_change(scene: Scene) -> tuple[str, Any]:
    return f"/api/v1/organisations/{scene.world.org_b.id}", {"region": "北京市海淀区"}


def with_fresh_session(path: str, body: Any = None) -> Call:
    async def build(scene: Scene) -> tuple[str, Any]:
        session = await scene.fresh_session()
        payload = body(scene) if callable(body) else body
        return path.format(session_id=session["id"], party_id=scene.case["parties"][1]["id"]), payload

    return build


def with_revocable_link(path: str) -> Call:
    async def build(scene: Scene) -> tuple[str, Any]:
        session = await scene.fresh_session()
        return path.format(session_id=session["id"], party_id=scene.case["parties"][1]["id"]), None

    return build


def with_liu_key(path: str, body: Any = None) -> Call:
    """A fresh device key on the own mediator's account, not yet bound to the case."""

    async def build(scene: Scene) -> tuple[str, Any]:
        key = await scene.liu.call("POST", "/api/v1/me/keys/device", {"spki": device_spki()}, expect=201)
        payload = body(scene, key["key_id"]) if callable(body) else body
        return path.format(case_id=scene.case["id"], key_id=key["key_id"]), payload

    return build


def with_exception(path: str) -> Call:
    async def build(scene: Scene) -> tuple[str, Any]:
        return path.format(user_id=scene.world.ids["liu"], exception_id=await scene.fresh_exception()), None

    return build


def with_own_message(path: str) -> Call:
    """A message to the scene's party (their invitation): theirs to ask about, nobody else's."""

    async def build(scene: Scene) -> tuple[str, Any]:
        async with scene.world.services.recordings.maker() as db:
            query = select(OutboxMessage.id).where(OutboxMessage.party_id == scene.links[0]["party_id"])
            return path.format(message_id=(await db.scalars(query)).first()), None

    return build


def with_stopped_recording(path: str) -> Call:
    """A stopped recording of the scene's session (no segments: its own mediator gets 404, not a file)."""

    async def build(scene: Scene) -> tuple[str, Any]:
        recording_id = uuid.uuid4().hex
        async with scene.world.services.recordings.maker() as db, db.begin():
            db.add(
                Recording(
                    id=recording_id,
                    session_id=scene.session["id"],
                    case_id=scene.case["id"],
                    status="stopped",
                    started_at=utcnow(),
                    ended_at=utcnow(),
                    started_by=scene.world.ids["liu"],
                    master_key_id="test",
                    wrapped_key=b"",
                    base_head="0" * 64,
                    head="0" * 64,
                )
            )
        return path.format(recording_id=recording_id, party_id=scene.case["parties"][0]["id"]), None

    return build


def device_spki() -> str:
    return b64(DeviceKey.generate({"kind": "party", "id": "x"}).info.spki)


def unique_org(_: Scene) -> dict[str, Any]:
    return {"name": f"调解委员会{next(counter)}", "kind": "committee"}


def unique_user(scene: Scene) -> dict[str, Any]:
    return {
        "username": f"mediator{next(counter)}",
        "display_name": "新调解员",
        "password": "Long-enough-9",
        "role": "mediator",
        "organisation_id": scene.world.org_a.id,
    }


def with_new_organisation(path: str) -> Call:
    """An assisting referral to an organisation made for it (so that no caller here may then read the case)."""

    async def build(scene: Scene) -> tuple[str, Any]:
        org = await scene.world.services.accounts.create_organisation(SYSTEM, f"协办机构{next(counter)}", "centre")
        body = {"to_organisation_id": org.id, "role": "assisting", "reason": "需要协助", "task": "核实情况"}
        return path.format(case_id=scene.case["id"]), body

    return build


def unique_case(_: Scene) -> dict[str, Any]:
    return {"case_number": f"M-{next(counter)}", "dispute_type": "other", "source": "party_application", "summary": "摘要"}


def new_booking(_: Scene) -> dict[str, Any]:
    n = next(counter)
    starts = weekday_slot(n, days_ahead=30)
    return {"starts_at": starts.isoformat(), "duration_minutes": 30, "timezone": "Asia/Shanghai"}


def new_time(_: Scene) -> dict[str, Any]:
    return {"starts_at": new_booking(_)["starts_at"]}


WEEKLY = {"timezone": "Asia/Shanghai", "weekly": [{"weekday": d, "start": "08:30", "end": "17:30"} for d in range(5)]}
PARTY = {"role": "respondent", "name": "王五", "phone": "13700000003"}
#                      anonymous, party, other-org mediator, judge, admin, own mediator
STAFF_ONLY_CASE = (401, 403, 403, 403, 403, 200)
PARTY_ONLY = (401, 200, 403, 403, 403, 403)
# Court routes: only judges get past the door; an unknown application is then 404.
JUDGES_ONLY = (401, 403, 403, 404, 403, 403)
DRAFT = {"facts": "拖欠工资", "terms": [{"text": "支付12000元"}], "effect": "签名盖章后生效。", "copies": 2}
TABLE: dict[str, tuple[Call, tuple[int, ...]]] = {
    "GET /organisations": (simple("/api/v1/organisations"), (401, 403, 403, 403, 200, 403)),
    "POST /organisations": (simple("/api/v1/organisations", unique_org), (401, 403, 403, 403, 201, 403)),
    "GET /users": (simple("/api/v1/users"), (401, 403, 403, 403, 200, 403)),
    "GET /server/address": (simple("/api/v1/server/address"), (401, 403, 403, 403, 200, 403)),
    "POST /users": (simple("/api/v1/users", unique_user), (401, 403, 403, 403, 201, 403)),
    "PATCH /users/{user_id}": (simple("/api/v1/users/{user_id}", {"active": True}), (401, 403, 403, 403, 200, 403)),
    "GET /mediators": (simple("/api/v1/mediators"), (401, 403, 200, 403, 403, 200)),
    "GET /users/{user_id}/availability": (simple("/api/v1/users/{user_id}/availability"), (401, 403, 403, 403, 403, 200)),
    "PUT /users/{user_id}/availability": (simple("/api/v1/users/{user_id}/availability", WEEKLY), (401, 403, 403, 403, 403, 200)),
    "POST /users/{user_id}/availability/exceptions": (
        simple("/api/v1/users/{user_id}/availability/exceptions", {"date": "2031-02-03", "available": False}),
        (401, 403, 403, 403, 403, 201),
    ),
    "DELETE /users/{user_id}/availability/exceptions/{exception_id}": (
        with_exception("/api/v1/users/{user_id}/availability/exceptions/{exception_id}"),
        (401, 403, 403, 403, 403, 204),
    ),
    "GET /cases": (simple("/api/v1/cases"), (401, 403, 200, 200, 200, 200)),
    "POST /cases": (simple("/api/v1/cases", unique_case), (401, 403, 201, 403, 403, 201)),
    "GET /cases/{case_id}": (simple("/api/v1/cases/{case_id}"), STAFF_ONLY_CASE),
    "POST /cases/{case_id}/parties": (simple("/api/v1/cases/{case_id}/parties", PARTY), (401, 403, 403, 403, 403, 201)),
    "PATCH /cases/{case_id}/parties/{party_id}": (
        simple("/api/v1/cases/{case_id}/parties/{party_id}", {"ethnicity": "汉族"}),
        (401, 403, 403, 403, 403, 200),
    ),
    "PATCH /organisations/{organisation_id}": (organisation_change, (401, 403, 403, 403, 200, 403)),
    "GET /parties/{party_id}/identity": (simple("/api/v1/parties/{party_id}/identity"), STAFF_ONLY_CASE),
    "GET /cases/{case_id}/history": (simple("/api/v1/cases/{case_id}/history"), STAFF_ONLY_CASE),
    "GET /cases/{case_id}/outbox": (simple("/api/v1/cases/{case_id}/outbox"), STAFF_ONLY_CASE),
    "POST /cases/{case_id}/sessions": (simple("/api/v1/cases/{case_id}/sessions", new_booking), (401, 403, 403, 403, 403, 201)),
    "GET /sessions": (simple("/api/v1/sessions"), (401, 403, 200, 200, 200, 200)),
    "GET /sessions/{session_id}": (simple("/api/v1/sessions/{session_id}"), STAFF_ONLY_CASE),
    "POST /sessions/{session_id}/reschedule": (
        with_fresh_session("/api/v1/sessions/{session_id}/reschedule", new_time),
        (401, 403, 403, 403, 403, 200),
    ),
    "POST /sessions/{session_id}/cancel": (with_fresh_session("/api/v1/sessions/{session_id}/cancel", {}), STAFF_ONLY_CASE),
    "POST /sessions/{session_id}/links/{party_id}": (
        with_fresh_session("/api/v1/sessions/{session_id}/links/{party_id}"),
        (401, 403, 403, 403, 403, 201),
    ),
    "DELETE /sessions/{session_id}/links/{party_id}": (
        with_revocable_link("/api/v1/sessions/{session_id}/links/{party_id}"),
        (401, 403, 403, 403, 403, 204),
    ),
    "GET /sessions/{session_id}/parties/{party_id}/calendar.ics": (
        # The party asks for the *other* party's invitation.
        simple("/api/v1/sessions/{session_id}/parties/{other_party_id}/calendar.ics"),
        STAFF_ONLY_CASE,
    ),
    # The mediation record (调解笔录, #22): the case's mediators write and close it; its parties read and sign.
    # (Here, before anything ends the case: the party's rows first, while no version is closed.)
    "GET /sessions/{session_id}/transcript": (simple("/api/v1/sessions/{session_id}/transcript"), (401, 200, 403, 403, 403, 200)),
    "GET /party/transcripts": (simple("/api/v1/party/transcripts"), (401, 200, 403, 403, 403, 403)),
    "GET /cases/{case_id}/transcripts": (simple("/api/v1/cases/{case_id}/transcripts"), (401, 403, 403, 403, 403, 200)),
    "POST /party/transcripts/{session_id}/sign": (
        simple("/api/v1/party/transcripts/{session_id}/sign", {"version": 1}),
        (401, 409, 403, 403, 403, 403),
    ),
    "POST /party/transcript/sign/{challenge}": (
        simple("/api/v1/party/transcript/sign/unknown", {"code": "123456"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/transcript/recording-choice": (
        simple("/api/v1/party/transcript/recording-choice", {}),
        (401, 409, 403, 403, 403, 403),
    ),
    "POST /party/transcript/recording-choice/{challenge}": (
        simple("/api/v1/party/transcript/recording-choice/unknown", {"code": "123456"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "PUT /sessions/{session_id}/transcript": (
        simple("/api/v1/sessions/{session_id}/transcript", {"statements": "张三：工资欠了三个月。"}),
        (401, 403, 403, 403, 403, 200),
    ),
    "POST /sessions/{session_id}/transcript/close": (
        simple("/api/v1/sessions/{session_id}/transcript/close", {}),
        (401, 403, 403, 403, 403, 201),
    ),
    "GET /sessions/{session_id}/chat": (simple("/api/v1/sessions/{session_id}/chat"), (401, 200, 403, 403, 403, 200)),
    "GET /party/me": (simple("/api/v1/party/me"), (401, 200, 403, 403, 403, 403)),
    "GET /party/calendar.ics": (simple("/api/v1/party/calendar.ics"), (401, 200, 403, 403, 403, 403)),
    "GET /party/messages/{message_id}": (with_own_message("/api/v1/party/messages/{message_id}"), PARTY_ONLY),
    "GET /meta": (simple("/api/v1/meta"), (200, 200, 200, 200, 200, 200)),
    "POST /party/keys/device": (
        simple("/api/v1/party/keys/device", lambda _: {"spki": device_spki()}),
        (401, 201, 403, 403, 403, 403),
    ),
    "POST /party/keys/device/{challenge}": (
        simple("/api/v1/party/keys/device/unknown-challenge", {"code": "123456", "signature": "AAAA"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/keys/passkey": (simple("/api/v1/party/keys/passkey"), (401, 201, 403, 403, 403, 403)),
    "POST /party/keys/passkey/{challenge}/register": (
        simple("/api/v1/party/keys/passkey/unknown/register", {"code": "123456", "credential": {}}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/keys/passkey/{challenge}/bind": (
        simple("/api/v1/party/keys/passkey/unknown/bind", {"credential": {}}),
        (401, 404, 403, 403, 403, 403),
    ),
    # Keys bound under the mediator's video check (#18): with no check open, a party's start is refused (409).
    "GET /party/keys": (simple("/api/v1/party/keys"), PARTY_ONLY),
    "GET /cases/{case_id}/identity-status": (simple("/api/v1/cases/{case_id}/identity-status"), STAFF_ONLY_CASE),
    "POST /party/keys/witnessed/device": (
        simple("/api/v1/party/keys/witnessed/device", lambda _: {"spki": device_spki()}),
        (401, 409, 403, 403, 403, 403),
    ),
    "POST /party/keys/witnessed/device/{challenge}": (
        simple("/api/v1/party/keys/witnessed/device/unknown", {"signature": "AAAA"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/keys/witnessed/passkey": (simple("/api/v1/party/keys/witnessed/passkey"), (401, 409, 403, 403, 403, 403)),
    "POST /party/keys/witnessed/passkey/{challenge}/register": (
        simple("/api/v1/party/keys/witnessed/passkey/unknown/register", {"credential": {}}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/keys/witnessed/passkey/{challenge}/bind": (
        simple("/api/v1/party/keys/witnessed/passkey/unknown/bind", {"credential": {}}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /cases/{case_id}/identity-checks": (
        simple(
            "/api/v1/cases/{case_id}/identity-checks",
            lambda s: {"party_id": s.case["parties"][0]["id"], "method": "id_card_on_video", "result": "confirmed"},
        ),
        (401, 403, 403, 403, 403, 201),
    ),
    "GET /cases/{case_id}/evidence": (simple("/api/v1/cases/{case_id}/evidence"), STAFF_ONLY_CASE),
    "GET /me/keys": (simple("/api/v1/me/keys"), (401, 403, 200, 200, 200, 200)),
    "POST /me/keys/device": (simple("/api/v1/me/keys/device", lambda _: {"spki": device_spki()}), (401, 403, 201, 201, 403, 201)),
    "POST /me/keys/passkey": (simple("/api/v1/me/keys/passkey"), (401, 403, 201, 201, 403, 201)),
    "POST /me/keys/passkey/{challenge}": (
        simple("/api/v1/me/keys/passkey/unknown", {"credential": {}}),
        (401, 403, 404, 404, 403, 404),
    ),
    "POST /cases/{case_id}/keys/{key_id}/bind": (
        with_liu_key("/api/v1/cases/{case_id}/keys/{key_id}/bind"),
        (401, 403, 403, 403, 403, 201),
    ),
    "POST /cases/{case_id}/identity-checks/signed": (
        with_liu_key(
            "/api/v1/cases/{case_id}/identity-checks/signed",
            lambda s, k: {"key_id": k, "party_id": s.case["parties"][0]["id"], "method": "face_to_face", "result": "confirmed"},
        ),
        (401, 403, 403, 403, 403, 201),
    ),
    "POST /signatures/{challenge}": (simple("/api/v1/signatures/unknown", {"signature": "AAAA"}), (401, 403, 404, 404, 403, 404)),
    "POST /cases/{case_id}/evidence/bundle": (simple("/api/v1/cases/{case_id}/evidence/bundle"), STAFF_ONLY_CASE),
    "GET /sessions/{session_id}/recordings": (simple("/api/v1/sessions/{session_id}/recordings"), STAFF_ONLY_CASE),
    "GET /cases/{case_id}/recordings": (simple("/api/v1/cases/{case_id}/recordings"), STAFF_ONLY_CASE),
    "GET /recordings/{recording_id}/participants/{participant_id}/video": (
        with_stopped_recording("/api/v1/recordings/{recording_id}/participants/{party_id}/video"),
        (401, 403, 403, 403, 403, 404),
    ),
    # The stopped recording has no segments: nothing to export (409), no export to show, cancel or download (404).
    "POST /recordings/{recording_id}/export": (
        with_stopped_recording("/api/v1/recordings/{recording_id}/export"),
        (401, 403, 403, 403, 403, 409),
    ),
    "GET /recordings/{recording_id}/export": (
        with_stopped_recording("/api/v1/recordings/{recording_id}/export"),
        (401, 403, 403, 403, 403, 404),
    ),
    "DELETE /recordings/{recording_id}/export": (
        with_stopped_recording("/api/v1/recordings/{recording_id}/export"),
        (401, 403, 403, 403, 403, 404),
    ),
    "GET /recordings/{recording_id}/export/file": (
        with_stopped_recording("/api/v1/recordings/{recording_id}/export/file"),
        (401, 403, 403, 403, 403, 404),
    ),
    # The agreement, in the order a mediation goes: drafted, commented on, made final, signed.
    "GET /cases/{case_id}/agreement": (simple("/api/v1/cases/{case_id}/agreement"), STAFF_ONLY_CASE),
    "POST /cases/{case_id}/agreement": (simple("/api/v1/cases/{case_id}/agreement", {}), (401, 403, 403, 403, 403, 201)),
    "POST /cases/{case_id}/agreement/versions": (
        simple("/api/v1/cases/{case_id}/agreement/versions", {"content": DRAFT, "based_on": 1}),
        (401, 403, 403, 403, 403, 201),
    ),
    "GET /cases/{case_id}/agreement/versions/{number}": (simple("/api/v1/cases/{case_id}/agreement/versions/1"), STAFF_ONLY_CASE),
    "GET /cases/{case_id}/agreement/diff": (simple("/api/v1/cases/{case_id}/agreement/diff?from=1&to=2"), STAFF_ONLY_CASE),
    "GET /party/agreement": (simple("/api/v1/party/agreement"), PARTY_ONLY),
    "GET /party/agreement/versions/{number}": (simple("/api/v1/party/agreement/versions/2"), PARTY_ONLY),
    "GET /party/agreement/diff": (simple("/api/v1/party/agreement/diff?from=1&to=2"), PARTY_ONLY),
    "POST /party/agreement/comments": (
        simple("/api/v1/party/agreement/comments", {"version": 2, "clause": "facts", "text": "请核对金额"}),
        (401, 201, 403, 403, 403, 403),
    ),
    # Not final yet: no PDF.
    "GET /cases/{case_id}/agreement/pdf": (
        simple("/api/v1/cases/{case_id}/agreement/pdf?kind=agreement"),
        (401, 403, 403, 403, 403, 404),
    ),
    "POST /cases/{case_id}/agreement/final": (
        simple(
            "/api/v1/cases/{case_id}/agreement/final",
            lambda _: {"version": 2, "deadline": (utcnow() + timedelta(days=2)).isoformat()},
        ),
        STAFF_ONLY_CASE,
    ),
    # The party has bound no key (409 no_key); the mediator waits for the parties (409).
    "POST /party/agreement/sign": (simple("/api/v1/party/agreement/sign", {"version": 2}), (401, 409, 403, 403, 403, 403)),
    "POST /party/agreement/sign/{challenge}": (
        simple("/api/v1/party/agreement/sign/unknown", {"code": "123456", "signature": "AAAA"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /cases/{case_id}/agreement/sign": (
        with_liu_key("/api/v1/cases/{case_id}/agreement/sign", lambda _, k: {"key_id": k}),
        (401, 403, 403, 403, 403, 409),
    ),
    # A party who signs nothing with a key (#25): the text read to them, their signature on paper
    # (no scan filed under that id: 422 for the own mediator).
    "POST /cases/{case_id}/agreement/read-aloud": (
        simple(
            "/api/v1/cases/{case_id}/agreement/read-aloud", lambda s: {"party_id": applicant_of(s), "method": "read_by_phone"}
        ),
        (401, 403, 403, 403, 403, 201),
    ),
    "POST /cases/{case_id}/agreement/paper-signatures": (
        with_liu_key(
            "/api/v1/cases/{case_id}/agreement/paper-signatures",
            lambda s, k: {"party_id": applicant_of(s), "document_id": "no-such-scan", "key_id": k},
        ),
        (401, 403, 403, 403, 403, 422),
    ),
    # Sealed only once everyone has signed.
    "GET /party/agreement/pdf": (simple("/api/v1/party/agreement/pdf?kind=signed"), (401, 404, 403, 403, 403, 403)),
    "GET /verify/{code}": (simple("/api/v1/verify/AAAA-BBBB"), (404,) * 6),
    # The case file: a JSON body is not a PDF or an image (415); an unknown document is 404 to anyone signed in.
    "GET /cases/{case_id}/documents": (simple("/api/v1/cases/{case_id}/documents"), STAFF_ONLY_CASE),
    "POST /cases/{case_id}/documents": (
        simple("/api/v1/cases/{case_id}/documents?name=a.pdf", {}),
        (401, 403, 403, 403, 403, 415),
    ),
    "GET /party/documents": (simple("/api/v1/party/documents"), PARTY_ONLY),
    "POST /party/documents": (simple("/api/v1/party/documents?name=a.pdf", {}), (401, 415, 403, 403, 403, 403)),
    "GET /documents/{document_id}": (simple("/api/v1/documents/unknown"), (401, 404, 404, 404, 404, 404)),
    # Referrals (#21), while the case is open: each referral goes to an organisation of its own, which no caller here belongs to.
    "GET /referrals/destinations": (simple("/api/v1/referrals/destinations"), (401, 403, 200, 200, 403, 200)),
    "GET /referrals": (simple("/api/v1/referrals?box=incoming"), (401, 403, 200, 200, 403, 200)),
    "GET /cases/{case_id}/referrals": (simple("/api/v1/cases/{case_id}/referrals"), STAFF_ONLY_CASE),
    "POST /cases/{case_id}/referrals": (
        with_new_organisation("/api/v1/cases/{case_id}/referrals"),
        (401, 403, 403, 403, 403, 201),
    ),
    "POST /referrals/{referral_id}/accept": (simple("/api/v1/referrals/unknown/accept", {}), (401, 403, 404, 404, 403, 404)),
    "POST /referrals/{referral_id}/return": (
        simple("/api/v1/referrals/unknown/return", {"reason": "不属受理范围"}),
        (401, 403, 404, 404, 403, 404),
    ),
    "POST /referrals/{referral_id}/result": (
        simple("/api/v1/referrals/unknown/result", {"result": "已核实"}),
        (401, 403, 404, 404, 403, 404),
    ),
    "POST /cases/{case_id}/outcome": (
        simple("/api/v1/cases/{case_id}/outcome", {"outcome": "failed", "reason": "divergence"}),
        STAFF_ONLY_CASE,
    ),
    # Once ended: the package for a court's online filing (a zip), the case's own mediators' alone.
    "POST /cases/{case_id}/filing-package": (
        simple("/api/v1/cases/{case_id}/filing-package", lambda s: {"applicant_id": applicant_of(s), "consent": "当面表示同意"}),
        STAFF_ONLY_CASE,
    ),
    # A court's result report: mediators write it, an unknown referral is 404 to staff who may.
    "POST /referrals/{referral_id}/report": (simple("/api/v1/referrals/unknown/report"), (401, 403, 404, 403, 403, 404)),
    "GET /referrals/{referral_id}/report": (simple("/api/v1/referrals/unknown/report"), (401, 403, 404, 404, 404, 404)),
    # Judicial confirmation: the scene's agreement is final but not in effect, and nothing was applied for.
    "GET /party/confirmation": (simple("/api/v1/party/confirmation"), PARTY_ONLY),
    "POST /party/confirmation": (
        simple("/api/v1/party/confirmation", lambda s: {"court_id": s.world.court.id, "ground": "org_location"}),
        (401, 409, 403, 403, 403, 403),
    ),
    "POST /party/confirmation/sign": (simple("/api/v1/party/confirmation/sign", {}), (401, 409, 403, 403, 403, 403)),
    "POST /party/confirmation/sign/{challenge}": (
        simple("/api/v1/party/confirmation/sign/unknown", {"code": "123456", "signature": "AAAA"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "GET /party/confirmation/ruling.pdf": (simple("/api/v1/party/confirmation/ruling.pdf"), (401, 404, 403, 403, 403, 403)),
    "GET /cases/{case_id}/confirmation": (simple("/api/v1/cases/{case_id}/confirmation"), STAFF_ONLY_CASE),
    "GET /cases/{case_id}/confirmation/ruling.pdf": (
        simple("/api/v1/cases/{case_id}/confirmation/ruling.pdf"),
        (401, 403, 403, 403, 403, 404),
    ),
    # A party's co-signature of the application on paper (#25): nothing was applied for (409 not_started).
    "GET /cases/{case_id}/confirmation/paper-form.pdf": (
        simple("/api/v1/cases/{case_id}/confirmation/paper-form.pdf"),
        (401, 403, 403, 403, 403, 409),
    ),
    "POST /cases/{case_id}/confirmation/paper-signatures": (
        with_liu_key(
            "/api/v1/cases/{case_id}/confirmation/paper-signatures",
            lambda s, k: {"party_id": applicant_of(s), "document_id": "no-such-scan", "key_id": k},
        ),
        (401, 403, 403, 403, 403, 409),
    ),
    "GET /court/judges": (simple("/api/v1/court/judges"), (401, 403, 403, 200, 403, 403)),
    "GET /court/applications": (simple("/api/v1/court/applications"), (401, 403, 403, 200, 403, 403)),
    "GET /court/applications/{application_id}": (simple("/api/v1/court/applications/unknown"), JUDGES_ONLY),
    "POST /court/applications/{application_id}/assign": (
        simple("/api/v1/court/applications/unknown/assign", {"judge_id": "x"}),
        JUDGES_ONLY,
    ),
    "POST /court/applications/{application_id}/status": (
        simple("/api/v1/court/applications/unknown/status", {"status": "accepted"}),
        JUDGES_ONLY,
    ),
    "POST /court/applications/{application_id}/hearing": (
        simple("/api/v1/court/applications/unknown/hearing", {"starts_at": "2031-03-03T10:00:00+08:00"}),
        JUDGES_ONLY,
    ),
    "POST /court/applications/{application_id}/notes": (
        simple("/api/v1/court/applications/unknown/notes", {"text": "x"}),
        JUDGES_ONLY,
    ),
    "POST /court/applications/{application_id}/decision": (
        simple("/api/v1/court/applications/unknown/decision", {"decision": "confirmed", "reasons": "x", "key_id": "0" * 32}),
        JUDGES_ONLY,
    ),
    "GET /court/applications/{application_id}/ruling.pdf": (simple("/api/v1/court/applications/unknown/ruling.pdf"), JUDGES_ONLY),
    "GET /court/applications/{application_id}/access-log": (simple("/api/v1/court/applications/unknown/access-log"), JUDGES_ONLY),
    # Supervision (#21): the board and instructions are supervisors' (none in this scene); replies are
    # the case organisation's mediators' (an unknown instruction is then 404).
    "GET /supervision": (simple("/api/v1/supervision"), (401, 403, 403, 403, 403, 403)),
    # The ledger and statistics (#23): a mediator reads their own organisation's (the other organisation's
    # mediator reads theirs); judges and administrators none.
    "GET /ledger": (simple("/api/v1/ledger"), (401, 403, 200, 403, 403, 200)),
    "GET /statistics": (simple("/api/v1/statistics?from=2026-01-01&to=2026-12-31"), (401, 403, 200, 403, 403, 200)),
    # Signed monthly snapshots (#23): as the statistics; an unknown snapshot is 404 to those who could read one.
    "GET /statistics/snapshots": (simple("/api/v1/statistics/snapshots"), (401, 403, 200, 403, 403, 200)),
    "POST /statistics/snapshots/{snapshot_id}/export": (
        simple("/api/v1/statistics/snapshots/unknown/export"),
        (401, 403, 404, 403, 403, 404),
    ),
    "GET /statistics/export": (
        simple("/api/v1/statistics/export?from=2026-01-01&to=2026-12-31&format=csv"),
        (401, 403, 200, 403, 403, 200),
    ),
    "GET /ledger/export": (simple("/api/v1/ledger/export?format=xlsx"), (401, 403, 200, 403, 403, 200)),
    "GET /statistics/deputies": (simple("/api/v1/statistics/deputies?year=2026&quarter=1"), (401, 403, 200, 403, 403, 200)),
    "GET /cases/{case_id}/supervision": (simple("/api/v1/cases/{case_id}/supervision"), STAFF_ONLY_CASE),
    "POST /cases/{case_id}/supervision": (
        simple("/api/v1/cases/{case_id}/supervision", {"text": "请报告进展"}),
        (401, 403, 403, 403, 403, 403),
    ),
    "POST /supervision/{instruction_id}/reply": (
        simple("/api/v1/supervision/unknown/reply", {"text": "已处理"}),
        (401, 403, 404, 403, 403, 404),
    ),
    # A hotline's keys: an administrator's; its orders: only with a key, whoever's session comes with them.
    "POST /organisations/{organisation_id}/hotline-keys": (
        simple(
            "/api/v1/organisations/{organisation_id}/hotline-keys",
            lambda sc: {"label": "12345", "receiver_id": sc.world.ids["liu"]},
        ),
        (401, 403, 403, 403, 201, 403),
    ),
    "GET /organisations/{organisation_id}/hotline-keys": (
        simple("/api/v1/organisations/{organisation_id}/hotline-keys"),
        (401, 403, 403, 403, 200, 403),
    ),
    "DELETE /hotline-keys/{key_id}": (simple("/api/v1/hotline-keys/unknown"), (401, 403, 403, 403, 404, 403)),
    "POST /work-orders": (
        simple(
            "/api/v1/work-orders",
            {"order_number": "GD-1", "caller": {"name": "马建军", "phone": "13900000001"}, "content": "欠薪"},
        ),
        (401,) * 6,
    ),
    "GET /work-orders/{order_number}": (simple("/api/v1/work-orders/GD-1"), (401,) * 6),
    # A party's online application (public, #21) and the organisation's queue of them.
    "GET /apply/organisations": (simple("/api/v1/apply/organisations"), (200,) * 6),
    "GET /apply/organisations/{organisation_id}": (simple("/api/v1/apply/organisations/{organisation_id}"), (200,) * 6),
    "POST /apply/organisations/{organisation_id}/applications": (
        simple(
            "/api/v1/apply/organisations/{organisation_id}/applications",
            {"applicant": {}, "respondents": [], "facts": "", "requests": ""},
        ),
        (422,) * 6,
    ),
    "POST /apply/applications/{application_id}/code": (simple("/api/v1/apply/applications/unknown/code"), (404,) * 6),
    "POST /apply/applications/{application_id}/confirm": (
        simple("/api/v1/apply/applications/unknown/confirm", {"code": "123456"}),
        (404,) * 6,
    ),
    "GET /apply/status/{token}": (simple("/api/v1/apply/status/unknown"), (404,) * 6),
    "POST /apply/status/{token}/files": (simple("/api/v1/apply/status/unknown/files"), (422,) * 6),
    "GET /applications": (simple("/api/v1/applications"), (401, 403, 200, 403, 403, 200)),
    "GET /applications/{application_id}": (
        simple("/api/v1/applications/unknown"),
        (401, 403, 404, 403, 403, 404),
    ),
    "GET /applications/{application_id}/files/{file_id}": (
        simple("/api/v1/applications/unknown/files/unknown"),
        (401, 403, 404, 403, 403, 404),
    ),
    "POST /applications/{application_id}/accept": (
        simple("/api/v1/applications/unknown/accept", {"case_number": "AP-1", "dispute_type": "wages"}),
        (401, 403, 404, 403, 403, 404),
    ),
    "POST /applications/{application_id}/decline": (
        simple("/api/v1/applications/unknown/decline", {"reason": "不属于调解范围"}),
        (401, 403, 422, 403, 403, 422),
    ),
    # Whether the other side agrees to mediation (#21).
    "GET /cases/{case_id}/willingness": (simple("/api/v1/cases/{case_id}/willingness"), (401, 403, 403, 403, 403, 200)),
    "POST /cases/{case_id}/willingness": (simple("/api/v1/cases/{case_id}/willingness", {}), (401, 403, 403, 403, 403, 409)),
    "GET /party/willingness": (simple("/api/v1/party/willingness"), (401, 200, 403, 403, 403, 403)),
    "POST /party/willingness": (simple("/api/v1/party/willingness", {"answer": "accepted"}), (401, 403, 403, 403, 403, 403)),
    # Extending the mediation period (#21).
    "GET /cases/{case_id}/extensions": (simple("/api/v1/cases/{case_id}/extensions"), (401, 403, 403, 403, 403, 200)),
    "POST /cases/{case_id}/extensions": (
        simple("/api/v1/cases/{case_id}/extensions", {"to_date": "2030-01-31", "reason": "双方同意延长"}),
        (401, 403, 403, 403, 403, 409),
    ),
    "POST /cases/{case_id}/extensions/{extension_id}/withdraw": (
        simple("/api/v1/cases/{case_id}/extensions/unknown/withdraw", {}),
        (401, 403, 403, 403, 403, 404),
    ),
    "GET /party/extension": (simple("/api/v1/party/extension"), (401, 200, 403, 403, 403, 403)),
    "POST /party/extension/sign": (simple("/api/v1/party/extension/sign", {}), (401, 409, 403, 403, 403, 403)),
    "POST /party/extension/sign/{challenge}": (
        simple("/api/v1/party/extension/sign/unknown", {"code": "123456"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/extension/decline": (simple("/api/v1/party/extension/decline", {}), (401, 409, 403, 403, 403, 403)),
    # The sealed agreement's obligations and their performance (#22).
    "GET /cases/{case_id}/obligations": (simple("/api/v1/cases/{case_id}/obligations"), (401, 403, 403, 403, 403, 200)),
    "POST /cases/{case_id}/obligations/{obligation_id}/confirmed-over-video": (
        simple("/api/v1/cases/{case_id}/obligations/unknown/confirmed-over-video", {"key_id": "0" * 32}),
        (401, 403, 403, 403, 403, 404),
    ),
    "GET /party/obligations": (simple("/api/v1/party/obligations"), PARTY_ONLY),
    "POST /party/obligations/{obligation_id}/report": (
        simple("/api/v1/party/obligations/unknown/report", {}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/obligations/{obligation_id}/answer": (
        simple("/api/v1/party/obligations/unknown/answer", {"answer": "confirm"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/obligations/answer/{challenge}": (
        simple("/api/v1/party/obligations/answer/unknown", {"code": "123456"}),
        (401, 404, 403, 403, 403, 403),
    ),
    # The payee's application for enforcement (#22): this party is owed nothing, so refused (not_payee).
    "POST /party/enforcement-application": (
        simple("/api/v1/party/enforcement-application", {}),
        (401, 403, 403, 403, 403, 403),
    ),
    # Ratings and complaints (#22): a party rates and complains; supervisors read complaints; the mediators' record.
    "GET /party/satisfaction": (simple("/api/v1/party/satisfaction"), (401, 200, 403, 403, 403, 403)),
    "POST /party/satisfaction/sign": (
        simple("/api/v1/party/satisfaction/sign", {"session_id": "unknown", "stars": 5}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/satisfaction/sign/{challenge}": (
        simple("/api/v1/party/satisfaction/sign/unknown", {"code": "123456"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "POST /party/complaints/sign": (
        simple("/api/v1/party/complaints/sign", {"about": "mediator", "text": "调解员不听我说话"}),
        (401, 409, 403, 403, 403, 403),
    ),
    "POST /party/complaints/sign/{challenge}": (
        simple("/api/v1/party/complaints/sign/unknown", {"code": "123456"}),
        (401, 404, 403, 403, 403, 403),
    ),
    "GET /supervision/complaints": (simple("/api/v1/supervision/complaints"), (401, 403, 403, 403, 403, 403)),
    "POST /supervision/complaints/{complaint_id}/answer": (
        simple("/api/v1/supervision/complaints/unknown/answer", {"text": "已核实"}),
        (401, 403, 403, 403, 403, 403),
    ),
    "GET /supervision/mediators": (simple("/api/v1/supervision/mediators"), (401, 403, 403, 403, 200, 403)),
    # Follow-up visits and closing the case (#22); the matrix's case has ended by now (an earlier row ended it): it closes.
    "GET /cases/{case_id}/closing": (simple("/api/v1/cases/{case_id}/closing"), (401, 403, 403, 403, 403, 200)),
    "POST /cases/{case_id}/follow-ups/planned": (
        simple("/api/v1/cases/{case_id}/follow-ups/planned", {"planned_on": "2030-01-10"}),
        (401, 403, 403, 403, 403, 201),
    ),
    "POST /cases/{case_id}/follow-ups": (
        simple("/api/v1/cases/{case_id}/follow-ups", {"method": "phone", "performance": "已付清", "satisfaction": "satisfied"}),
        (401, 403, 403, 403, 403, 201),
    ),
    "POST /cases/{case_id}/close": (simple("/api/v1/cases/{case_id}/close", {}), (401, 403, 403, 403, 403, 201)),
    # The closed case's file (卷宗, #22), made at closing just above: its staff read it, its mediators have it made (once).
    "GET /cases/{case_id}/case-file": (simple("/api/v1/cases/{case_id}/case-file"), (401, 403, 403, 403, 403, 200)),
    "POST /cases/{case_id}/case-file": (simple("/api/v1/cases/{case_id}/case-file", {}), (401, 403, 403, 403, 403, 201)),
    # The case's mediators, their disclosures, the directory and a party's request for another (#21).
    "GET /cases/{case_id}/mediators": (simple("/api/v1/cases/{case_id}/mediators"), (401, 403, 403, 403, 403, 200)),
    "POST /cases/{case_id}/mediators": (
        simple("/api/v1/cases/{case_id}/mediators", lambda sc: {"mediator_id": sc.world.ids["wang"], "role": "co"}),
        (401, 403, 403, 403, 403, 409),
    ),
    "POST /cases/{case_id}/disclosures": (
        simple("/api/v1/cases/{case_id}/disclosures", {"key_id": "0" * 32, "conflict": False}),
        (401, 403, 403, 403, 403, 404),
    ),
    "POST /mediator-changes/{request_id}/decision": (
        simple("/api/v1/mediator-changes/unknown/decision", {"grant": False, "reason": "理由不成立"}),
        (401, 403, 404, 404, 404, 404),
    ),
    "GET /party/mediators": (simple("/api/v1/party/mediators"), (401, 200, 403, 403, 403, 403)),
    "POST /party/mediator-changes": (
        simple("/api/v1/party/mediator-changes", {"reason": "调解员是对方的邻居"}),
        (401, 422, 403, 403, 403, 403),
    ),
    "GET /mediator-directory": (simple("/api/v1/mediator-directory"), (401, 403, 200, 200, 403, 200)),
    "PUT /mediators/{user_id}/profile": (
        simple("/api/v1/mediators/{user_id}/profile", {"profile": "从事人民调解十年"}),
        (401, 403, 403, 403, 200, 200),
    ),
    "GET /mediators/{user_id}/photo": (simple("/api/v1/mediators/{user_id}/photo"), (401, 404, 404, 404, 404, 404)),
    "PUT /mediators/{user_id}/photo": (simple("/api/v1/mediators/{user_id}/photo"), (401, 403, 415, 415, 415, 415)),
    "GET /auth/me": (simple("/api/v1/auth/me"), (401, 200, 200, 200, 200, 200)),
    "POST /auth/login": (
        simple("/api/v1/auth/login", lambda _: {"username": f"nobody{next(counter)}", "password": "x"}),
        (401,) * 6,
    ),
    # Archiving the closed case (归档, #22): its own organisation's mediators. Last: from then on it reads only.
    "GET /cases/{case_id}/archive": (simple("/api/v1/cases/{case_id}/archive"), STAFF_ONLY_CASE),
    "POST /cases/{case_id}/archive": (simple("/api/v1/cases/{case_id}/archive"), (401, 403, 403, 403, 403, 201)),
}
# Logging out ends the caller's own session whoever they are; tests/api/test_auth.py covers it.
EXEMPT = {"POST /auth/logout"}


async def test_every_route_answers_every_kind_of_caller_as_the_table_says(world: World) -> None:
    registered = {f"{r.method} {r.path}" for r in api.routes}
    assert registered - EXEMPT == set(TABLE), "every route needs a row in the authorisation table"

    liu = await world.staff("liu")
    case = await open_case(liu, "AUTH-1")
    booked = await book(liu, case["id"], next_weekday_at(9))
    case = await liu.call("GET", f"/api/v1/cases/{case['id']}")
    scene = Scene(world, liu, case, booked["session"], booked["links"])
    party = await world.actor()
    await party.open_link(booked["links"][0]["url"])
    actors = {
        "anonymous": await world.actor(),
        "party": party,
        "other_org_mediator": await world.staff("zhao"),
        "judge": await world.staff("judge1"),
        "admin": await world.staff("admin1"),
        "own_mediator": liu,
    }
    failures = []
    for key, (build, expected) in TABLE.items():
        method = key.split(" ", 1)[0]
        for actor_name, status in zip(ACTORS, expected, strict=True):
            path, body = await build(scene)
            response = await actors[actor_name].request(method, path, body)
            text = (await response.read()).decode("utf-8", "replace")
            if response.status != status:
                failures.append(f"{key} as {actor_name}: {response.status} (expected {status}) {text[:120]}")
            elif actor_name not in ("own_mediator", "party") and case["case_number"] in text:
                failures.append(f"{key} as {actor_name} leaked case AUTH-1: {text[:120]}")
    assert not failures, "\n".join(failures)
