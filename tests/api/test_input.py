"""Malformed, mistyped, oversized and unknown input gets one precise 4xx and changes nothing."""

from __future__ import annotations

from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World


async def test_malformed_json_is_a_400_naming_the_body(world: World) -> None:
    liu = await world.staff("liu")
    response = await liu.client.post(
        "/api/v1/cases",
        data=b'{"case_number": "X",',
        headers={"Content-Type": "application/json", "X-CSRF-Token": liu.csrf or ""},
    )
    body = await response.json()
    assert response.status == 400 and body["error"]["code"] == "malformed_json"
    not_json = await liu.client.post("/api/v1/cases", data=b"case_number=X", headers={"X-CSRF-Token": liu.csrf or ""})
    assert not_json.status == 400
    array = await liu.request("POST", "/api/v1/cases", [1, 2])
    assert array.status == 422


async def test_wrong_types_and_unknown_fields_name_the_field(world: World) -> None:
    liu = await world.staff("liu")
    cases = [
        ({"case_number": 12, "dispute_type": "wages", "summary": "s"}, "case_number"),
        ({"case_number": "A", "dispute_type": "piracy", "summary": "s"}, "dispute_type"),
        ({"case_number": "A", "dispute_type": "wages", "summary": "s", "amount_in_dispute": "12.345"}, "amount_in_dispute"),
        ({"case_number": "A", "dispute_type": "wages", "summary": "s", "amount_in_dispute": "-5"}, "amount_in_dispute"),
        ({"case_number": "A", "dispute_type": "wages", "summary": "s", "owner": "me"}, "owner"),
        ({"case_number": "A", "dispute_type": "wages"}, "summary"),
        ({"case_number": "", "dispute_type": "wages", "summary": "s"}, "case_number"),
    ]
    for body, field in cases:
        answer = await liu.call("POST", "/api/v1/cases", body, expect=422)
        assert field in [f["field"] for f in answer["error"]["fields"]], (body, answer)
    assert (await liu.call("GET", "/api/v1/cases"))["items"] == []


async def test_party_fields_are_checked(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu, parties=0)
    path = f"/api/v1/cases/{case['id']}/parties"
    for body, field in [
        ({"role": "judge", "name": "甲", "phone": "13800000000"}, "role"),
        ({"role": "applicant", "name": "甲", "phone": "call me"}, "phone"),
        ({"role": "applicant", "name": "甲", "phone": "13800000000", "email": "not-an-email"}, "email"),
        ({"role": "applicant", "name": "甲", "phone": "13800000000", "id_number": "11010119900307123<"}, "id_number"),
        ({"role": "agent", "name": "律师", "phone": "13800000000"}, "represents_party_id"),
        ({"role": "agent", "name": "律师", "phone": "13800000000", "represents_party_id": "nope"}, "represents_party_id"),
    ]:
        answer = await liu.call("POST", path, body, expect=422)
        assert answer["error"]["fields"][0]["field"] == field, answer


async def test_oversized_bodies_are_refused_with_413(world: World) -> None:
    liu = await world.staff("liu")
    huge = {"case_number": "BIG", "dispute_type": "wages", "summary": "字" * 200_000}
    response = await liu.request("POST", "/api/v1/cases", huge)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"
    long_summary = {"case_number": "LONG", "dispute_type": "wages", "summary": "字" * 6000}
    assert (await liu.request("POST", "/api/v1/cases", long_summary)).status == 422


async def test_booking_input_is_checked(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    path = f"/api/v1/cases/{case['id']}/sessions"
    start = next_weekday_at(10).isoformat()
    for body, field in [
        ({"starts_at": "next tuesday", "duration_minutes": 60, "timezone": "Asia/Shanghai"}, "starts_at"),
        ({"starts_at": start, "duration_minutes": "an hour", "timezone": "Asia/Shanghai"}, "duration_minutes"),
        ({"starts_at": start, "duration_minutes": 5, "timezone": "Asia/Shanghai"}, "duration_minutes"),
        ({"starts_at": start, "duration_minutes": 60, "timezone": "Beijing"}, "timezone"),
        ({"starts_at": start, "duration_minutes": 60}, "timezone"),
    ]:
        answer = await liu.call("POST", path, body, expect=422)
        assert answer["error"]["fields"][0]["field"] == field, answer
    assert (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["sessions"] == []


async def test_unknown_ids_are_404_and_unknown_routes_answer_json(world: World) -> None:
    liu = await world.staff("liu")
    assert (await liu.request("GET", "/api/v1/cases/00000000-0000-0000-0000-000000000000")).status == 404
    assert (await liu.request("GET", "/api/v1/sessions/nope")).status == 404
    response = await liu.request("GET", "/api/v1/no-such-thing")
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"
    wrong_method = await liu.request("PATCH", "/api/v1/meta", {})
    assert wrong_method.status == 405


async def test_a_duplicate_case_number_is_a_conflict_within_one_organisation_only(world: World) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    await open_case(liu, "DUP-1", parties=0)
    answer = await liu.call(
        "POST", "/api/v1/cases", {"case_number": "DUP-1", "dispute_type": "wages", "summary": "s"}, expect=409
    )
    assert answer["error"]["code"] == "conflict"
    await open_case(zhao, "DUP-1", parties=0)


async def test_cancelled_sessions_cannot_be_rescheduled_or_cancelled_again(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    session = (await book(liu, case["id"], next_weekday_at(10)))["session"]
    await liu.call("POST", f"/api/v1/sessions/{session['id']}/cancel", {})
    again = await liu.call("POST", f"/api/v1/sessions/{session['id']}/cancel", {}, expect=409)
    assert again["error"]["code"] == "invalid_state"
    moved = await liu.call(
        "POST", f"/api/v1/sessions/{session['id']}/reschedule", {"starts_at": next_weekday_at(11).isoformat()}, expect=409
    )
    assert moved["error"]["code"] == "invalid_state"


async def test_id_numbers_are_masked_and_revealing_one_is_logged(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    applicant = case["parties"][0]
    assert applicant["id_number_masked"] == "1101**********1234"
    assert "110101199003071234" not in str(case)
    full = await liu.call("GET", f"/api/v1/parties/{applicant['id']}/identity")
    assert full["id_number"] == "110101199003071234"
    history = (await liu.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"]
    assert history[-1]["kind"] == "identity_viewed" and history[-1]["actor_name"] == "刘调解员"
