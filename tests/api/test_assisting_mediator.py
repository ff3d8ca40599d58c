"""A mediator of an assisting organisation co-mediates the case (人民调解法 art. 19; issue #21).

The labour committee (刘, 朝阳区人民调解委员会) leads the wage case; the forestry bureau assists it
(协办) and, accepting, names 孙 to take part in mediating: a co-mediator's ``mediator_assigned``
record. 孙 then sees the case's session and its chat, the parties' identity and signs his own
disclosure, as a co-mediator of the committee would; 林, his colleague not named, and 赵, of an
organisation with no part in the case, are refused as before. What stays the lead's: booking,
moving and cancelling sessions and the parties' links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.domain.principal import SYSTEM
from tests.api.helpers import book, next_weekday_at, open_case
from tests.api.test_assignment import assigned, own_key, sign_disclosure
from tests.api.test_referrals import bundle_types, organisation_with, refer
from tests.conftest import PASSWORD, Actor, World

FORESTRY = "县林业和草原局调解室"


def reason(body: dict[str, Any]) -> str:
    return str(body["error"]["reason"])


async def forestry_assisting(world: World, liu: Actor, case_id: str, *, name: str | None) -> tuple[Actor, Actor]:
    """The forestry bureau (孙 and 林) accepts to assist the case, naming ``name``'s user (or no one)."""
    sun, forestry = await organisation_with(world, FORESTRY, "sun", "孙调解员")
    lin_user = await world.services.accounts.create_user(
        SYSTEM, username="lin", display_name="林调解员", password=PASSWORD, role="mediator", organisation_id=forestry
    )
    world.ids["sun"], world.ids["lin"] = str(sun.user["id"]) if sun.user else "", lin_user.id
    sent = await refer(liu, case_id, forestry, role="assisting", task="核实林区工地工程款拨付情况")
    body = {"mediator_id": world.ids[name]} if name else {}
    accepted = await sun.call("POST", f"/api/v1/referrals/{sent['id']}/accept", body)
    assert accepted["status"] == "accepted"
    return sun, await world.staff("lin")


async def test_the_assisting_organisations_named_mediator_sees_the_session_and_its_chat_and_a_colleague_does_not(
    world: World,
) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    session_id = booked["session"]["id"]
    sun, lin = await forestry_assisting(world, liu, case["id"], name="sun")

    # Naming 孙 on accepting assigned him: the lead's list and the case's log say so.
    assert await assigned(world, case["id"]) == ["liu", "sun"]
    mediators = await liu.call("GET", f"/api/v1/cases/{case['id']}/mediators")
    assert [(m["display_name"], m["role"]) for m in mediators["mediators"]] == [("刘调解员", "lead"), ("孙调解员", "co")]
    history = [e["kind"] for e in (await liu.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"]]
    assert history[-2:] == ["referral_accepted", "mediator_assigned"]

    # A line of the session's chat, kept as the live room keeps it.
    await world.services.chat.keep(
        id="line-1",
        session_id=session_id,
        sender_id=world.ids["liu"],
        sender_name="刘调解员",
        room="main",
        text="孙调解员来自林草局，协助核实工程款。",
        sent_at=datetime.now(UTC),
        recipients=[world.ids["sun"]],
    )
    path = f"/api/v1/sessions/{session_id}"
    seen = await sun.call("GET", path)
    assert (seen["id"], seen["case_id"], seen["mediator"]["display_name"]) == (session_id, case["id"], "刘调解员")
    [line] = (await sun.call("GET", f"{path}/chat"))["items"]
    assert line["text"] == "孙调解员来自林草局，协助核实工程款。"
    # The live page's identity panel: each party's state, and a full ID number to check on video (logged).
    status = await sun.call("GET", f"/api/v1/cases/{case['id']}/identity-status")
    assert [i["name"] for i in status["items"]] == ["张三", "李四"]
    applicant = next(p for p in case["parties"] if p["role"] == "applicant")
    assert (await sun.call("GET", f"/api/v1/parties/{applicant['id']}/identity"))["id_number"] == "110101199003071234"

    # 林, of the same bureau but not named, and 赵, of an organisation with no part in the case: refused as before.
    for outsider in (lin, zhao):
        for url in (path, f"{path}/chat", f"/api/v1/cases/{case['id']}/identity-status"):
            assert reason(await outsider.call("GET", url, expect=403)) == "another_organisation", url
        await outsider.call("GET", f"/api/v1/parties/{applicant['id']}/identity", expect=403)

    # The booking stays the lead organisation's: 孙 neither moves nor cancels it, nor re-issues a link.
    moved = await sun.call(
        "POST", f"{path}/reschedule", {"starts_at": next_weekday_at(14).isoformat(), "duration_minutes": 60}, expect=403
    )
    assert reason(moved) == "another_organisation"
    await sun.call("POST", f"{path}/cancel", {"reason": "改期"}, expect=403)
    await sun.call("POST", f"{path}/links/{applicant['id']}", expect=403)

    # 孙 discloses as every assigned mediator must (在线调解规则 art. 13), with his own key; 林 cannot.
    key = await own_key(sun, case["id"])
    await sign_disclosure(sun, case["id"], key, {"conflict": False})
    refused = await lin.call(
        "POST", f"/api/v1/cases/{case['id']}/disclosures", {"key_id": key.info.id, "conflict": False}, expect=403
    )
    assert reason(refused) == "another_organisation"
    awaiting = (await liu.call("GET", f"/api/v1/cases/{case['id']}/mediators"))["awaiting_disclosure"]
    assert awaiting == [world.ids["liu"]]
    types = await bundle_types(world, liu, case["id"], "assisting-co.zip")
    assert types.count("mediator_assigned") == 1 and "disclosure_signed" in types


async def test_an_assisting_organisation_that_names_no_mediator_only_reads_the_case(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    sun, _ = await forestry_assisting(world, liu, case["id"], name=None)
    assert await assigned(world, case["id"]) == ["liu"]
    # It reads the case and its sessions (the referral shares them), but hosts none of them.
    assert (await sun.call("GET", f"/api/v1/cases/{case['id']}"))["case_number"] == case["case_number"]
    path = f"/api/v1/sessions/{booked['session']['id']}"
    assert reason(await sun.call("GET", path, expect=403)) == "another_organisation"
    await sun.call("GET", f"{path}/chat", expect=403)
