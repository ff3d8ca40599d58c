"""Refusals a page shows carry reason codes, so that a page in Chinese says them in Chinese and says
how to put them right (web/js/errors-i18n.js): a code per field (FieldError), a reason for the whole."""

from __future__ import annotations

from pathlib import Path

from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World


async def test_a_booking_outside_the_hours_names_the_mediator_and_says_why_in_codes(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    refused = await book(liu, case["id"], next_weekday_at(20), expect=422)
    error = refused["error"]
    assert error["reason"] == "outside_availability"
    [field] = error["fields"]
    assert field["field"] == "starts_at" and field["code"] == "outside_availability"
    assert field["params"]["name"] == "刘调解员" and field["params"]["timezone"] == "Asia/Shanghai"
    assert liu.user is not None and field["params"]["mediator_id"] == liu.user["id"]


async def test_a_double_booking_says_whose_time_and_the_gap_kept(world: World) -> None:
    liu = await world.staff("liu")
    first, second = await open_case(liu, "R-1"), await open_case(liu, "R-2")
    await book(liu, first["id"], next_weekday_at(10))
    error = (await book(liu, second["id"], next_weekday_at(10), expect=409))["error"]
    assert (error["reason"], error["name"]) == ("double_booked", "刘调解员")
    assert error["buffer_minutes"] == world.services.settings.booking_buffer_minutes


async def test_malformed_fields_carry_the_code_and_the_limits_of_the_rule_they_broke(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    refused = await liu.call(
        "POST",
        f"/api/v1/cases/{case['id']}/sessions",
        {"starts_at": next_weekday_at(10).isoformat(), "duration_minutes": "lang", "timezone": "Asia/Shanghai", "x": 1},
        expect=422,
    )
    codes = {f["field"]: (f["code"], f["params"]) for f in refused["error"]["fields"]}
    assert codes["duration_minutes"] == ("whole_number", {})
    assert codes["x"] == ("unknown_field", {})
    added = await liu.call("POST", f"/api/v1/cases/{case['id']}/parties", {"role": "applicant", "name": "王五"}, expect=422)
    assert [(f["field"], f["code"]) for f in added["error"]["fields"]] == [("phone", "required")]
    bad_phone = await liu.call(
        "POST", f"/api/v1/cases/{case['id']}/parties", {"role": "applicant", "name": "王五", "phone": "电话"}, expect=422
    )
    assert [(f["field"], f["code"]) for f in bad_phone["error"]["fields"]] == [("phone", "phone")]


async def test_a_case_number_used_twice_is_named_in_the_refusal(world: World) -> None:
    liu = await world.staff("liu")
    await open_case(liu, "（2026）朝调字第7号")
    again = await liu.call(
        "POST",
        "/api/v1/cases",
        {"case_number": "（2026）朝调字第7号", "dispute_type": "wages", "source": "party_application", "summary": "又一件"},
        expect=409,
    )
    assert (again["error"]["reason"], again["error"]["case_number"]) == ("case_number_taken", "（2026）朝调字第7号")


async def test_archiving_names_why_it_refuses_and_the_pages_say_each_reason_in_both_languages(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu, "R-ARCHIVE")
    refused = await liu.call("POST", f"/api/v1/cases/{case['id']}/archive", expect=409)
    assert refused["error"]["reason"] == "archive_not_closed"
    strings = (Path(__file__).parents[2] / "web" / "js" / "errors-i18n.js").read_text(encoding="utf-8")
    for reason in ("case_archived", "archive_not_closed", "confirmation_pending", "document_destroyed"):
        assert strings.count(f"'err.{reason}':") == 2, reason  # zh and en (tests/test_web_strings.py: the same keys)
