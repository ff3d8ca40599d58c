"""Several mediators host one live session (人民调解法 art. 19; issue #21): every mediator assigned to
the case is a host, the one the session was booked for leads it (主持调解员).

Cast: 刘 leads (the session was booked for him); 王, of the same committee, is assigned to the case
too; 张三 (applicant), 李四 (respondent) and 王代表, a people's deputy invited to the session (art. 20),
join from their links. 孙, of the forestry bureau that assists the case (协办), is named by it and hosts
as 王 does; 林, his colleague not named, does not come in. Real Socket.IO clients against the real app.
"""

from __future__ import annotations

from typing import Any

from tests.api.test_assisting_mediator import forestry_assisting
from tests.conftest import World
from tests.signaling.live import Meeting, Peer, eventually, session_cookie
from tests.signaling.test_invited import entry, meeting_with_deputy


async def seated(world: World) -> tuple[Meeting, Peer, Peer]:
    """The deputy's meeting, with 刘 and 王 both in the room."""
    m = await meeting_with_deputy(world)
    wang = await m.assign("wang")
    return m, await m.host(), await m.cohost("王", wang)


async def close(m: Meeting) -> None:
    for peer in m.peers:
        if peer.sio.connected:
            await peer.sio.disconnect()


def host_marks(view: dict[str, Any], name: str) -> tuple[str, bool, bool]:
    shown = entry(view, name)
    return shown["role"], shown["host"], shown["lead"]


async def test_an_assigned_mediator_joins_as_a_second_host_and_everyone_sees_who_leads(world: World) -> None:
    m, liu, wang = await seated(world)
    try:
        # 王 is seated at once, as the lead is: nobody admits a host.
        assert wang.view["self"]["state"] == "admitted"
        await eventually(lambda: len(liu.view["participants"]) == 2)
        assert host_marks(liu.view, "王调解员") == ("mediator", True, False)
        assert host_marks(wang.view, "刘调解员") == ("mediator", True, True)
        assert [(h["name"], h["lead"]) for h in wang.view["hosts"]] == [("刘调解员", True), ("王调解员", False)]

        # A party waiting is named both hosts; once in, sees each with their role.
        applicant = await m.party("applicant")
        assert [h["name"] for h in applicant.view["hosts"]] == ["刘调解员", "王调解员"]
        # Either host admits: the co-mediator here. Both see the waiting party, with their device and state.
        assert any(p["id"] == m.id("applicant") and p["state"] == "waiting" for p in wang.view["participants"])
        assert (await wang.call("admit", {"participant_id": m.id("applicant")})) == {"ok": True}
        await applicant.wait("admitted")
        await eventually(lambda: len(applicant.view["participants"]) == 3)
        assert host_marks(applicant.view, "刘调解员") == ("mediator", True, True)
        assert host_marks(applicant.view, "王调解员") == ("mediator", True, False)
        await eventually(lambda: entry(liu.view, "张三")["state"] == "admitted")
    finally:
        await close(m)


async def test_hosts_do_not_admit_hold_mute_or_remove_one_another(world: World) -> None:
    m, liu, wang = await seated(world)
    try:
        for event, extra in (("hold", {}), ("remove", {}), ("mute", {"kind": "audio"})):
            refused = await wang.call(event, {"participant_id": m.host_id, **extra})
            assert refused["ok"] is False and refused["error"]["code"] == "forbidden", event
            assert refused["error"]["reason"] == "host_target"
        refused = await liu.call("remove", {"participant_id": m.world.ids["wang"]})
        assert refused["error"]["reason"] == "host_target"
        await liu.barrier()
        assert entry(liu.view, "王调解员")["state"] == "admitted" and liu.of("removed") == []
    finally:
        await close(m)


async def test_one_private_talk_at_a_time_either_host_may_be_in_it_and_either_may_end_it(world: World) -> None:
    m, liu, wang = await seated(world)
    try:
        applicant, respondent, deputy = await m.party("applicant"), await m.party("respondent"), await m.party("invited")
        for who in ("applicant", "respondent", "invited"):
            assert (await liu.call("admit", {"participant_id": m.id(who)})) == {"ok": True}
        await deputy.wait("admitted")
        await eventually(lambda: len(respondent.view["participants"]) == 5)

        # 刘 takes the applicant aside with his co-mediator; the deputy stays in the joint room with the respondent.
        wang_id = m.world.ids["wang"]
        ack = await liu.call("caucus_start", {"caucus_id": "c1", "member_ids": [m.id("applicant"), wang_id]})
        assert ack == {"ok": True}
        assert await deputy.wait("caucus_notice") == {"active": True}
        assert await respondent.wait("caucus_notice") == {"active": True}
        await eventually(lambda: wang.view["self"]["in_caucus"] is True)
        said = await wang.call("chat", {"text": "我们先谈谈分期的方案"})
        assert said["scope"] == "caucus"
        assert (await applicant.wait("chat"))["sender_name"] == "王调解员"
        assert (await liu.wait("chat"))["text"] == "我们先谈谈分期的方案"
        # The deputy and the respondent hear nothing of it and see nobody who is in it.
        for outside in (deputy, respondent):
            await outside.barrier()
            assert outside.of("chat") == []
            assert sorted(p["name"] for p in outside.view["participants"]) == ["李四", "王代表"]
            assert outside.view["private_talk"] is True

        # A second private talk is refused while this one lasts, whoever of the hosts asks.
        refused = await wang.call("caucus_start", {"caucus_id": "c2", "member_ids": [m.id("respondent")]})
        assert refused["ok"] is False and refused["error"]["reason"] == "caucus_active"
        # Both hosts are told which talk is under way (a reloaded page of either can end it).
        caucus = {"id": "c1", "host_id": m.host_id, "member_ids": sorted([m.id("applicant"), wang_id])}
        await eventually(lambda: liu.view["caucus"] == caucus and wang.view["caucus"] == caucus)

        # The co-mediator ends the lead's talk: everyone is back in the joint room.
        assert (await wang.call("caucus_end", {"caucus_id": "c1"})) == {"ok": True}
        assert await respondent.wait("caucus_notice", 2) == {"active": False}
        await eventually(lambda: len(respondent.view["participants"]) == 5 and respondent.view["private_talk"] is False)

        # Now the co-mediator takes the deputy aside (the host decides who is in it, an invited person too), alone.
        ack = await wang.call("caucus_start", {"caucus_id": "c3", "member_ids": [m.id("invited")]})
        assert ack == {"ok": True}
        await eventually(lambda: deputy.view["self"]["in_caucus"] is True)
        await deputy.call("chat", {"text": "我了解这家企业的情况"})
        assert (await wang.wait("chat"))["sender_name"] == "王代表"
        for outside in (liu, applicant, respondent):
            await outside.barrier()
            assert all(c["text"] != "我了解这家企业的情况" for c in outside.of("chat"))
        # The lead, left in the joint room, is a host all the same: he ends it.
        assert (await liu.call("caucus_end", {"caucus_id": "c3"})) == {"ok": True}
        await eventually(lambda: deputy.view["self"]["in_caucus"] is False)
    finally:
        await close(m)


async def test_the_co_mediator_ends_the_session_for_everyone_the_lead_included(world: World) -> None:
    m, liu, wang = await seated(world)
    try:
        applicant = await m.party("applicant")
        assert (await wang.call("end", {})) == {"ok": True}
        await liu.wait("ended")
        await applicant.wait("ended")
        await eventually(lambda: liu.disconnected and applicant.disconnected)
        refusal = await m.refused("刘", session_cookie(m.liu.client), {"session_id": m.session_id})
        assert refusal["data"]["code"] == "gone"
    finally:
        await close(m)


async def test_a_colleague_is_let_in_as_a_host_only_once_assigned_to_the_case(world: World) -> None:
    m = await meeting_with_deputy(world)
    try:
        colleague = await world.staff("wang")
        refusal = await m.refused("王", session_cookie(colleague.client), {"session_id": m.session_id})
        assert refusal["data"] == {"code": "forbidden", "reason": "not_assigned"}
        # A locked room keeps parties out, never a host.
        liu = await m.host()
        assert (await liu.call("lock", {"on": True}))["locked"] is True
        wang = await m.assign("wang")
        peer = await m.cohost("王", wang)
        assert peer.view["self"]["state"] == "admitted" and peer.view["locked"] is True
    finally:
        await close(m)


async def test_the_assisting_organisations_mediator_hosts_admits_takes_aside_chats_and_ends_like_a_colleague(
    world: World,
) -> None:
    m = await meeting_with_deputy(world)
    try:
        case_id = (await m.liu.call("GET", f"/api/v1/sessions/{m.session_id}"))["case_id"]
        sun, lin = await forestry_assisting(world, m.liu, case_id, name="sun")
        # 林, of the bureau but not named: refused, as a mediator of another organisation always was.
        refusal = await m.refused("林", session_cookie(lin.client), {"session_id": m.session_id})
        assert refusal["data"] == {"code": "forbidden", "reason": "another_organisation"}

        liu = await m.host()
        co = await m.cohost("孙", sun)
        assert co.view["self"]["state"] == "admitted"
        await eventually(lambda: len(liu.view["participants"]) == 2)
        assert host_marks(liu.view, "孙调解员") == ("mediator", True, False)
        applicant = await m.party("applicant")
        assert [h["name"] for h in applicant.view["hosts"]] == ["刘调解员", "孙调解员"]
        assert (await co.call("admit", {"participant_id": m.id("applicant")})) == {"ok": True}
        await applicant.wait("admitted")

        # 孙 takes the applicant aside, and back; then speaks to the room, and the lead reads it.
        ack = await co.call("caucus_start", {"caucus_id": "f1", "member_ids": [m.id("applicant")]})
        assert ack == {"ok": True}
        await eventually(lambda: applicant.view["self"]["in_caucus"] is True)
        assert (await co.call("caucus_end", {"caucus_id": "f1"})) == {"ok": True}
        await eventually(lambda: applicant.view["self"]["in_caucus"] is False)
        assert (await co.call("chat", {"text": "林区工程款已于上月拨付"}))["scope"] == "room"
        assert (await liu.wait("chat"))["sender_name"] == "孙调解员"

        # What he did is in the case's history under his name, and he ends the session for everyone.
        assert (await co.call("end", {})) == {"ok": True}
        await liu.wait("ended")
        await applicant.wait("ended")
        history = (await m.liu.call("GET", f"/api/v1/cases/{case_id}/history"))["items"]
        by_sun = [e["kind"] for e in history if e["actor_name"] == "孙调解员"]
        assert by_sun == [
            "referral_accepted",
            "mediator_assigned",
            "participant_admitted",
            "caucus_started",
            "caucus_ended",
            "session_ended",
        ]
    finally:
        await close(m)
