"""Invited persons (People's Mediation Law art. 20): a people's deputy, a lawyer, an expert… whom the
mediator invites; they take part from a link like a party's, but are not parties."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import Actor, World

DEPUTY = {"role": "invited", "invited_as": "deputy", "name": "王代表", "phone": "13700000003", "occupation": "县人大代表"}


async def invite(liu: Actor, case_id: str, body: dict[str, Any], expect: int = 201) -> Any:
    return await liu.call("POST", f"/api/v1/cases/{case_id}/parties", body, expect=expect)


def field_codes(refusal: dict[str, Any]) -> dict[str, str]:
    return {f["field"].split(".")[-1]: f["code"] for f in refusal["error"]["fields"]}


async def test_a_mediator_invites_a_peoples_deputy_who_is_shown_in_that_capacity(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    deputy = await invite(liu, case["id"], DEPUTY)
    assert (deputy["role"], deputy["invited_as"], deputy["name"]) == ("invited", "deputy", "王代表")
    parties = (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["parties"]
    assert [(p["name"], p["role"], p["invited_as"]) for p in parties] == [
        ("张三", "applicant", None),
        ("李四", "respondent", None),
        ("王代表", "invited", "deputy"),
    ]
    history = await liu.call("GET", f"/api/v1/cases/{case['id']}/history")
    invited = [e["data"] for e in history["items"] if e["kind"] == "person_invited"]
    assert invited == [{"party_id": deputy["id"], "role": "invited", "name": "王代表", "invited_as": "deputy"}]
    assert "王代表" not in [e["data"].get("name") for e in history["items"] if e["kind"] == "party_added"]
    meta = await liu.call("GET", "/api/v1/meta")
    assert "invited" in meta["party_roles"] and "deputy" in meta["invited_as"] and "guiding_judge" in meta["invited_as"]


async def test_an_invitation_without_a_capacity_or_acting_for_a_party_is_refused_with_the_field_named(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    applicant = next(p for p in case["parties"] if p["role"] == "applicant")
    base = {"role": "invited", "name": "赵律师", "phone": "13700000004"}
    assert field_codes(await invite(liu, case["id"], base, expect=422)) == {"invited_as": "invited_as_required"}
    wrong = await invite(liu, case["id"], {**base, "invited_as": "astrologer"}, expect=422)
    assert field_codes(wrong) == {"invited_as": "choice"}
    acting = {**base, "invited_as": "lawyer", "represents_party_id": applicant["id"]}
    assert field_codes(await invite(liu, case["id"], acting, expect=422)) == {"represents_party_id": "invited_represents"}
    party = {"role": "applicant", "name": "钱五", "phone": "13700000005", "invited_as": "lawyer"}
    assert field_codes(await invite(liu, case["id"], party, expect=422)) == {"invited_as": "invited_as_only"}
    names = [p["name"] for p in (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["parties"]]
    assert names == ["张三", "李四"], "nothing refused was added"


async def test_an_invited_person_gets_a_link_but_is_not_in_the_agreement(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    await invite(liu, case["id"], DEPUTY)
    booked = await book(liu, case["id"], next_weekday_at(10))
    assert sorted(link["role"] for link in booked["links"]) == ["applicant", "invited", "respondent"]
    created = await liu.call("POST", f"/api/v1/cases/{case['id']}/agreement", {"session_id": booked["session"]["id"]}, expect=201)
    text = created["agreement"]["text"]
    assert "申请人：张三" in text and "被申请人：李四" in text
    assert "王代表" not in text, "an invited person is not a party to the agreement"
    signers = [s["name"] for s in created["agreement"]["signers"]]
    assert "王代表" not in signers and "张三" in signers
