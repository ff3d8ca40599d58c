"""An archived case reads only, for everyone (#22): every route of the API is tried on one.

The authorisation table (tests/api/test_authorization.py) names every route with a call that works on
a case as its own mediator or its party would make it. Here the same calls are made on a case that was
mediated, closed and archived: each one that would change the case answers 409 ``case_archived`` (before
any other check that the case's state would fail), each read still answers as a read does. The routes
that change no case, or name no object of this one, are listed with why; a new route that changes a
case must not be added there.
"""

from __future__ import annotations

from typing import Any

from server.domain.principal import SYSTEM
from tests.api.helpers import book, next_weekday_at, open_case
from tests.api.test_authorization import ACTORS, TABLE, Call, Scene, simple
from tests.conftest import PASSWORD, Actor, World

# Writes that change no case (accounts, availability, organisations, a hotline, public applications,
# the caller's own keys and login), or that name no object of this case (an unknown referral, signature
# challenge, application or request: 404 comes first), or that the party may not make at all.
NOT_THIS_CASE = {
    "POST /organisations", "POST /cases", "POST /users", "PATCH /users/{user_id}", "PUT /users/{user_id}/availability",
    "POST /users/{user_id}/availability/exceptions", "DELETE /users/{user_id}/availability/exceptions/{exception_id}",
    "PATCH /organisations/{organisation_id}", "POST /me/keys/device", "POST /me/keys/passkey",
    "POST /me/keys/passkey/{challenge}", "POST /signatures/{challenge}", "POST /referrals/{referral_id}/accept",
    "POST /referrals/{referral_id}/return", "POST /referrals/{referral_id}/result", "POST /referrals/{referral_id}/report",
    "POST /supervision/{instruction_id}/reply", "POST /organisations/{organisation_id}/hotline-keys",
    "DELETE /hotline-keys/{key_id}", "POST /work-orders", "POST /apply/organisations/{organisation_id}/applications",
    "POST /apply/applications/{application_id}/code", "POST /apply/applications/{application_id}/confirm",
    "POST /apply/status/{token}/files", "POST /applications/{application_id}/accept",
    "POST /applications/{application_id}/decline", "POST /mediator-changes/{request_id}/decision",
    "PUT /mediators/{user_id}/profile", "PUT /mediators/{user_id}/photo", "POST /auth/login",
}  # fmt: skip
# Reads that are posts: the evidence bundle (its `export` record is no change of the case), and a
# recording's copy for watching (none here: this one has no segments, as the table's says).
READ_BY_POST = {
    "POST /cases/{case_id}/evidence/bundle": 200,
    "POST /recordings/{recording_id}/export": 409,
    "DELETE /recordings/{recording_id}/export": 404,
    # An organisation's statistics snapshot with its cases' bundles (#23): a read, of no case in particular.
    "POST /statistics/snapshots/{snapshot_id}/export": 404,
}
# The table books a new session for calls that change one; an archived case books none: the scene's own.
ON_THE_SCENES_SESSION: dict[str, Call] = {
    "POST /sessions/{session_id}/reschedule": simple(
        "/api/v1/sessions/{session_id}/reschedule", {"starts_at": next_weekday_at(11, days_ahead=9).isoformat()}
    ),
    "POST /sessions/{session_id}/cancel": simple("/api/v1/sessions/{session_id}/cancel", {}),
    "POST /sessions/{session_id}/links/{party_id}": simple("/api/v1/sessions/{session_id}/links/{other_party_id}"),
    "DELETE /sessions/{session_id}/links/{party_id}": simple("/api/v1/sessions/{session_id}/links/{other_party_id}"),
}
# Reads a caller may make on this case (the table's row allows them in): what they answer now.
READS = {"GET /cases/{case_id}", "GET /cases/{case_id}/history", "GET /cases/{case_id}/documents", "GET /party/me",
         "GET /cases/{case_id}/evidence", "GET /cases/{case_id}/archive", "GET /party/documents", "GET /cases/{case_id}/closing",
         "GET /cases/{case_id}/agreement", "GET /sessions/{session_id}"}  # fmt: skip


async def archived_scene(world: World) -> tuple[Scene, dict[str, Any]]:
    liu = await world.staff("liu")
    case = await open_case(liu, "ARCHIVED-1")
    booked = await book(liu, case["id"], next_weekday_at(9))
    case = await liu.call("GET", f"/api/v1/cases/{case['id']}")
    scene = Scene(world, liu, case, booked["session"], booked["links"])
    party = await world.actor()
    await party.open_link(booked["links"][0]["url"])
    base = f"/api/v1/cases/{case['id']}"
    await liu.call("POST", f"{base}/outcome", {"outcome": "failed", "reason": "divergence"})
    await liu.call("POST", f"{base}/close", {"reason": "other", "note": "调解不成"}, expect=201)
    await liu.call("POST", f"{base}/archive", expect=201)
    return scene, {"party": party, "own_mediator": liu}


async def test_every_change_of_an_archived_case_is_refused_and_every_read_still_answers(world: World) -> None:
    scene, actors = await archived_scene(world)
    failures, refused, read = [], 0, 0
    for key, (build, expected) in TABLE.items():
        method = key.split(" ", 1)[0]
        for name in ("party", "own_mediator"):
            allowed = expected[ACTORS.index(name)] not in (401, 403)
            if not allowed or (method != "GET" and key in NOT_THIS_CASE):
                continue
            path, body = await ON_THE_SCENES_SESSION.get(key, build)(scene)
            response = await actors[name].request(method, path, body)
            text = (await response.read()).decode("utf-8", "replace")
            reason = (
                (await response.json()).get("error", {}).get("reason") if response.content_type == "application/json" else None
            )
            said = f"{key} as {name}: {response.status} {text[:160]}"
            if method == "GET" or key in READ_BY_POST:
                read += 1
                wanted = READ_BY_POST.get(key, 200 if key in READS else None)
                if reason == "case_archived" or response.status >= 500 or (wanted and response.status != wanted):
                    failures.append(f"a read refused or failed: {said}")
            elif (response.status, reason) != (409, "case_archived"):
                failures.append(f"a change not refused case_archived: {said}")
            else:
                refused += 1
    assert not failures, "\n".join(failures)
    assert refused >= 60 and read >= 50, (refused, read)  # the walk reached the routes, not a few of them

    # What the table gives nobody here: the other party's answer to mediation, the payee's application
    # for enforcement, a supervisor's instruction (a court's acts: tests/api/test_archive.py).
    respondent = await world.actor()
    await respondent.open_link(scene.links[1]["url"])
    for actor, path, body in (
        (respondent, "/api/v1/party/willingness", {"answer": "accepted"}),
        (respondent, "/api/v1/party/enforcement-application", {}),
        (await supervisor_of(world), f"/api/v1/cases/{scene.case['id']}/supervision", {"text": "请报告进展"}),
    ):
        answer = await actor.call("POST", path, body, expect=409)
        assert answer["error"]["reason"] == "case_archived", path


async def supervisor_of(world: World) -> Actor:
    city = await world.services.accounts.create_organisation(SYSTEM, "乌兰市司法局", "bureau")
    await world.services.accounts.update_organisation(SYSTEM, world.org_a.id, {"parent_id": city.id})
    await world.services.accounts.create_user(
        SYSTEM, username="sup", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=city.id
    )
    return await world.staff("sup")
