"""Malformed, mistyped, oversized and unknown input gets one precise 4xx and changes nothing."""

from __future__ import annotations

import pytest

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
        ({"case_number": 12, "dispute_type": "wages", "source": "party_application", "summary": "s"}, "case_number"),
        ({"case_number": "A", "dispute_type": "piracy", "source": "party_application", "summary": "s"}, "dispute_type"),
        (
            {
                "case_number": "A",
                "dispute_type": "wages",
                "source": "party_application",
                "summary": "s",
                "amount_in_dispute": "12.345",
            },
            "amount_in_dispute",
        ),
        (
            {
                "case_number": "A",
                "dispute_type": "wages",
                "source": "party_application",
                "summary": "s",
                "amount_in_dispute": "-5",
            },
            "amount_in_dispute",
        ),
        ({"case_number": "A", "dispute_type": "wages", "source": "party_application", "summary": "s", "owner": "me"}, "owner"),
        ({"case_number": "A", "dispute_type": "wages", "source": "party_application"}, "summary"),
        ({"case_number": "", "dispute_type": "wages", "source": "party_application", "summary": "s"}, "case_number"),
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
    huge = {"case_number": "BIG", "dispute_type": "wages", "source": "party_application", "summary": "字" * 200_000}
    response = await liu.request("POST", "/api/v1/cases", huge)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"
    long_summary = {"case_number": "LONG", "dispute_type": "wages", "source": "party_application", "summary": "字" * 6000}
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
        "POST",
        "/api/v1/cases",
        {"case_number": "DUP-1", "dispute_type": "wages", "source": "party_application", "summary": "s"},
        expect=409,
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


DEEP = b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
HUGE_NUMBER = b'{"x": 1' + b"0" * 5_000 + b"}"


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        (None, "POST", "/api/v1/auth/login"),
        ("liu", "POST", "/api/v1/cases"),
        ("admin1", "POST", "/api/v1/organisations"),
        ("liu", "PUT", "/api/v1/users/{liu}/availability"),
    ],
)
@pytest.mark.parametrize(
    ("body", "reason"), [(DEEP, "json_too_deep"), (HUGE_NUMBER, "json_number_too_long")], ids=["deep", "huge_number"]
)
async def test_json_too_deep_or_with_a_huge_number_is_a_400_with_a_reason_on_every_json_route(
    world: World, who: str | None, method: str, path: str, body: bytes, reason: str
) -> None:
    """Python's parser recurses per nesting level and refuses integers over 4,300 digits (CVE-2020-10735):
    both used to escape as a 500 with a traceback, even before logging in."""
    actor = await world.staff(who) if who else await world.actor()
    response = await actor.request(method, path.format(**world.ids), data=body, headers={"Content-Type": "application/json"})
    answer = await response.json()
    assert response.status == 400, answer
    assert answer["error"]["code"] == "malformed_json" and answer["error"]["reason"] == reason
    assert [f["code"] for f in answer["error"]["fields"]] == ["json"]
    # Still answering, and a body within the limits is parsed as before.
    nested_ok = await actor.request(method, path.format(**world.ids), json={"x": [[[[1]]]], "n": 10**40})
    assert nested_ok.status in (401, 422), await nested_ok.text()


async def test_brackets_typed_in_a_text_are_text_not_nesting(world: World) -> None:
    """The nesting limit counts the body's own arrays and objects, read before parsing: a summary
    full of brackets, after escaped quotes too, is stored as typed."""
    liu = await world.staff("liu")
    summary = "附件清单" + "[" * 40 + '"{' * 40 + "\\" + "]" * 3
    case = {"case_number": "（2026）朝调字第7号", "dispute_type": "wages", "source": "party_application", "summary": summary}
    response = await liu.request("POST", "/api/v1/cases", json=case)
    assert response.status == 201, await response.text()
    assert (await response.json())["summary"] == summary


async def test_text_with_a_null_character_or_a_lone_surrogate_is_refused_with_a_reason_not_a_500(world: World) -> None:
    """PostgreSQL stores no NUL in text or JSON, and a lone surrogate is not UTF-8: both were a 500
    on PostgreSQL (found by schemathesis, tests/api/test_openapi_conformance.py). Refused at the edge
    on every database, in a body (however deep), a query string or the path."""
    liu = await world.staff("liu")
    case = {"case_number": "（2026）朝调字第1号", "dispute_type": "wages", "source": "party_application", "summary": "拖欠工资"}
    for bad in ({**case, "mediator_id": "a\x00b"}, {**case, "summary": "\ud800"}):
        response = await liu.request("POST", "/api/v1/cases", json=bad)
        assert response.status == 422, await response.text()
        [field] = (await response.json())["error"]["fields"]
        assert field["code"] == "unstorable_character" and field["field"] in ("mediator_id", "summary")
    draft = await liu.request(
        "POST", "/api/v1/cases/x/agreement/versions", json={"content": {"clauses": [{"text": "\x00"}]}, "based_on": 1}
    )
    assert draft.status == 422 and (await draft.json())["error"]["fields"][0]["field"] == "content.clauses.0.text"
    query = await liu.request("GET", "/api/v1/sessions?mediator_id=%00")
    assert query.status == 422, await query.text()
    path = await liu.request("GET", "/api/v1/cases/a%00b")
    assert path.status == 422, await path.text()
    assert (await liu.request("GET", "/api/v1/cases")).status == 200
