"""A mediator who drops for longer than the grace period is still the host when they return (#19, item 11).

Cast as in test_namespace: mediator 刘 hosts; 张三 (applicant) and 李四 (respondent) join from
their links. The grace period is shortened to two seconds so that it can run out within a test.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.settings import Settings
from tests.signaling.live import Meeting, eventually

GRACE = 2.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, reconnect_grace_seconds=GRACE)


async def test_a_mediator_back_after_the_grace_period_is_seated_as_host_and_can_chat_and_start_a_caucus(
    meeting: Meeting,
) -> None:
    host, applicant, respondent = await meeting.everyone_admitted()
    a = meeting.id("applicant")
    await host.sio.disconnect()
    await eventually(lambda: any(p["id"] == meeting.host_id and p["reconnecting"] for p in applicant.view["participants"]))
    # The grace period runs out: the mediator is let go from the joint room, as anyone would be.
    await eventually(lambda: all(p["id"] != meeting.host_id for p in applicant.view["participants"]), within=GRACE + 15)

    back = await meeting.host()
    assert back.view["self"]["state"] == "admitted", back.view["self"]
    assert back.view["host"]["id"] == meeting.host_id
    assert {p["id"] for p in back.view["participants"]} >= {a, meeting.id("respondent")}
    await eventually(lambda: any(p["id"] == meeting.host_id for p in applicant.view["participants"]), within=10)

    said = await back.call("chat", {"text": "我回来了"})
    assert said["ok"] is True, said
    await eventually(lambda: [m["text"] for m in applicant.of("chat")] == ["我回来了"], within=10)
    started = await back.call("caucus_start", {"caucus_id": "c1", "member_ids": [a]})
    assert started == {"ok": True}, started
    await eventually(lambda: respondent.of("caucus_notice")[-1:] == [{"active": True}], within=10)
