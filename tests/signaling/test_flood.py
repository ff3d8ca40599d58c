"""Chat and event floods are cut off per participant (#19, item 7).

Cast as in test_namespace: mediator 刘 hosts; 张三 (applicant) and 李四 (respondent) join from
their links. Before the fix, 1,000 chat messages sent in 4.7 s were all stored and delivered.
The limits are set low here (a burst of 5, then 2 a second) so that the arithmetic is plain.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest

from server.settings import Settings
from tests.signaling.live import Meeting, Peer, eventually

BURST, PER_SECOND = 5, 2.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, chat_burst=BURST, chat_per_second=PER_SECOND, event_burst=BURST, event_per_second=PER_SECOND)


async def flood(peer: Peer, event: str, payloads: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], float]:
    """Send every payload at once (as a script in a browser console would); the acks and how long it took."""
    began = time.monotonic()
    acks = await asyncio.gather(*(peer.call(event, p) for p in payloads))
    return list(acks), time.monotonic() - began


def refused_for_speed(ack: dict[str, Any]) -> bool:
    error = ack.get("error", {})
    return ack["ok"] is False and error.get("code") == "too_many_attempts" and error.get("reason") == "rate_limited"


async def accepted_again(peer: Peer, event: str, payload: dict[str, Any]) -> None:
    """Wait until the bucket has refilled enough for one more (a condition, not a fixed sleep)."""
    for _ in range(200):
        ack = await peer.call(event, payload)
        if ack["ok"]:
            return
        assert refused_for_speed(ack), ack
        await asyncio.sleep(0.1)
    raise AssertionError(f"{event} never accepted again")


async def test_a_chat_flood_is_cut_off_with_a_clear_error_and_nothing_beyond_the_limit_is_stored(meeting: Meeting) -> None:
    host, applicant, respondent = await meeting.everyone_admitted()
    acks, took = await flood(applicant, "chat", [{"text": f"刷屏 {i}"} for i in range(200)])
    sent = [a for a in acks if a["ok"]]
    refused = [a for a in acks if not a["ok"]]
    # A burst, plus what refilled while the flood lasted (and one for rounding).
    assert BURST <= len(sent) <= BURST + PER_SECOND * took + 1, (len(sent), took)
    assert len(sent) + len(refused) == 200
    assert all(refused_for_speed(a) for a in refused), refused[:3]
    assert refused[0]["error"]["retry_after"] >= 1
    assert refused[0]["error"]["message"]
    # Only what was accepted was stored, and delivered.
    stored = await meeting.liu.call("GET", f"/api/v1/sessions/{meeting.session_id}/chat")
    assert len(stored["items"]) == len(sent)
    await eventually(lambda: len(host.of("chat")) == len(sent), within=10)
    # One participant's flood is theirs alone: the other side still talks.
    assert (await respondent.call("chat", {"text": "我这边没问题"}))["ok"] is True
    await eventually(lambda: any(m["text"] == "我这边没问题" for m in host.of("chat")), within=10)


async def test_chat_at_a_normal_pace_is_never_refused(meeting: Meeting) -> None:
    _host, applicant, _respondent = await meeting.everyone_admitted()
    # Someone typing fast: a few quick lines, then one a second for a while, all accepted.
    for i in range(BURST):
        assert (await applicant.call("chat", {"text": f"快速 {i}"}))["ok"] is True
    await accepted_again(applicant, "chat", {"text": "等一下"})
    for i in range(6):
        await asyncio.sleep(1 / PER_SECOND + 0.05)  # the pace under test, not a wait for the server
        ack = await applicant.call("chat", {"text": f"正常 {i}"})
        assert ack["ok"] is True, ack


async def test_a_hand_raising_flood_is_cut_off_and_the_room_hears_of_it_only_within_the_limit(meeting: Meeting) -> None:
    host, applicant, _respondent = await meeting.everyone_admitted()
    # Garbage is refused for its shape and not counted: a malformed flood leaves the whole burst.
    for _ in range(50):
        assert (await applicant.call("hand", {"up": "yes"}))["error"]["code"] == "invalid_input"
    for i in range(BURST):
        assert (await applicant.call("hand", {"up": i % 2 == 0}))["ok"] is True
    await host.barrier()
    views_before = len(host.of("participants"))
    acks, took = await flood(applicant, "hand", [{"up": i % 2 == 0} for i in range(200)])
    accepted = [a for a in acks if a["ok"]]
    assert len(accepted) <= BURST + PER_SECOND * took + 1, (len(accepted), took)
    assert all(refused_for_speed(a) for a in acks if not a["ok"])
    await host.barrier()
    assert len(host.of("participants")) - views_before <= len(accepted)
    await accepted_again(applicant, "hand", {"up": False})
