"""An invited person (People's Mediation Law art. 20) in the live room: shown to everyone in their
capacity, and kept by the caucus rules like anyone else: the host decides who is in a private talk."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World
from tests.signaling.live import Meeting, eventually


async def meeting_with_deputy(world: World) -> Meeting:
    liu = await world.staff("liu")
    case = await open_case(liu)
    body = {"role": "invited", "invited_as": "deputy", "name": "王代表", "phone": "13700000003"}
    await liu.call("POST", f"/api/v1/cases/{case['id']}/parties", body, expect=201)
    booked = await book(liu, case["id"], next_weekday_at(10))
    links = {link["role"]: link for link in booked["links"]}
    return Meeting(world, str(world.server.make_url("")), booked["session"]["id"], liu, links)


def entry(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in view["participants"] if p["name"] == name)


async def test_everyone_sees_the_deputy_as_invited_and_a_caucus_keeps_them_in_or_out_as_the_host_decides(
    world: World,
) -> None:
    m = await meeting_with_deputy(world)
    try:
        host, applicant, respondent = await m.everyone_admitted()
        deputy = await m.party("invited")
        assert (await host.call("admit", {"participant_id": m.id("invited")})) == {"ok": True}
        await deputy.wait("admitted")
        await eventually(lambda: len(respondent.view["participants"]) == 4)
        for viewer in (host, applicant, respondent):
            shown = entry(viewer.view, "王代表")
            assert (shown["role"], shown["invited_as"]) == ("invited", "deputy")
        assert entry(deputy.view, "张三")["role"] == "applicant"

        # The host takes the applicant and the deputy aside: the respondent hears neither.
        members = [m.id("applicant"), m.id("invited")]
        assert (await host.call("caucus_start", {"caucus_id": "c1", "member_ids": members})) == {"ok": True}
        assert await respondent.wait("caucus_notice") == {"active": True}
        said = await deputy.call("chat", {"text": "我建议分两期支付"})
        assert said["scope"] == "caucus"
        assert (await applicant.wait("chat"))["text"] == "我建议分两期支付"
        assert (await host.wait("chat"))["sender_name"] == "王代表"
        await respondent.barrier()
        assert respondent.of("chat") == []
        assert [p["name"] for p in respondent.view["participants"]] == ["李四"]

        # A deputy is no host: they cannot take anyone aside.
        refused = await deputy.call("caucus_start", {"caucus_id": "c2", "member_ids": [m.id("respondent")]})
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    finally:
        for peer in m.peers:
            if peer.sio.connected:
                await peer.sio.disconnect()
