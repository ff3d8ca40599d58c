"""The live room of an archived case (#22): nobody joins its sessions any more, and those still in one
change nothing of it (a chat line, the mediation record, a recording): each is refused ``case_archived``.

Real Socket.IO clients against the real app; the case is closed and archived over HTTP meanwhile.
"""

from __future__ import annotations

import pytest

from server.errors import Conflict
from tests.conftest import World
from tests.signaling.live import Meeting, session_cookie


async def archive(m: Meeting) -> None:
    case_id = (await m.liu.call("GET", f"/api/v1/sessions/{m.session_id}"))["case_id"]
    base = f"/api/v1/cases/{case_id}"
    await m.liu.call("POST", f"{base}/outcome", {"outcome": "failed", "reason": "divergence"})
    await m.liu.call("POST", f"{base}/close", {"reason": "other", "note": "调解不成"}, expect=201)
    await m.liu.call("POST", f"{base}/archive", expect=201)


async def test_nobody_joins_an_archived_cases_session_and_those_in_it_change_nothing(world: World, meeting: Meeting) -> None:
    m = meeting
    host, applicant, _ = await m.everyone_admitted()
    assert (await host.call("chat", {"text": "今天先谈到这里"}))["ok"] is True
    await archive(m)

    said = await host.call("chat", {"text": "归档后还能说话吗"})
    assert said["ok"] is False and said["error"]["reason"] == "case_archived"
    written = await host.call("transcript", {"content": {"statements": "张三：工资欠了三个月。"}})
    assert written["ok"] is False and written["error"]["reason"] == "case_archived"
    # Nobody consents to a recording any more (each consent is a record the case no longer takes); a
    # recording asked for with consents given before is refused when it would start.
    with pytest.raises(Conflict) as refused:
        await world.services.recordings.start(m.session_id, world.ids["liu"])
    assert refused.value.details["reason"] == "case_archived"
    await applicant.barrier()
    assert [line["text"] for line in applicant.of("chat")] == ["今天先谈到这里"], "the refused line reached nobody"

    for name, cookie, auth in (
        ("刘", session_cookie(m.liu.client), {"session_id": m.session_id}),
        ("applicant", session_cookie((await m.browser_for("applicant")).client), None),
    ):
        refusal = await m.refused(name, cookie, auth)
        assert refusal["data"] == {"code": "conflict", "reason": "case_archived"}, name
