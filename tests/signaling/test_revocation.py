"""Withdrawing a credential ends its live connections at once (#19, item 3).

Cast as in test_namespace: mediator 刘 hosts; 张三 (applicant) and 李四 (respondent) join from
their links. Before the fix, a party whose link the mediator revoked could go on chatting in the
open socket, and a logged-out mediator could go on locking the room.

"At once" is a second (the issue's promise); the waits below allow more, for a loaded machine,
and the measured time is checked against the promise separately with the same margin.
"""

from __future__ import annotations

import time
from typing import Any

from tests.signaling.live import Meeting, Peer, eventually, session_cookie

#: Generous for two loaded cores; the disconnect itself takes milliseconds.
WITHIN = 10.0


async def ended(peer: Peer, reason: str) -> dict[str, Any]:
    """``peer`` is told why, then disconnected; returns what it was told."""
    await eventually(lambda: bool(peer.of("revoked")) and not peer.sio.connected, within=WITHIN)
    told: dict[str, Any] = peer.of("revoked")[-1]
    assert told["reason"] == reason, told
    assert told["message"], told
    return told


async def test_revoking_a_link_ends_the_partys_open_connection_and_they_cannot_chat_or_come_back(meeting: Meeting) -> None:
    host, applicant, respondent = await meeting.everyone_admitted()
    a = meeting.id("applicant")
    zhang = await meeting.browser_for("applicant")
    cookie = session_cookie(zhang.client)
    began = time.monotonic()
    await meeting.liu.call("DELETE", f"/api/v1/sessions/{meeting.session_id}/links/{a}", expect=204)
    await ended(applicant, "link_revoked")
    assert time.monotonic() - began < WITHIN
    # Nobody else was disconnected; the host sees the applicant gone from the line.
    assert host.sio.connected and respondent.sio.connected
    await eventually(lambda: any(p["id"] == a and not p["online"] for p in host.view["participants"]), within=WITHIN)
    # The same link's other browser (another tab or device) cannot get back in either.
    refusal = await meeting.refused("张三 again", cookie)
    assert refusal["data"]["code"] == "not_authenticated"
    assert (await respondent.call("chat", {"text": "他还在吗"}))["ok"] is True
    await eventually(lambda: [m["text"] for m in host.of("chat")] == ["他还在吗"], within=WITHIN)
    assert not applicant.of("chat")


async def test_reissuing_a_link_ends_the_connection_opened_with_the_old_one(meeting: Meeting) -> None:
    _host, applicant, respondent = await meeting.everyone_admitted()
    await meeting.liu.call("POST", f"/api/v1/sessions/{meeting.session_id}/links/{meeting.id('applicant')}", expect=201)
    told = await ended(applicant, "link_reissued")
    assert "new" in told["message"]
    assert respondent.sio.connected


async def test_logging_out_ends_that_logins_live_connection_only(meeting: Meeting) -> None:
    host, applicant, _respondent = await meeting.everyone_admitted()
    elsewhere = await meeting.world.staff("liu")  # the same mediator, logged in on another computer
    await meeting.liu.call("POST", "/api/v1/auth/logout", expect=204)
    await ended(host, "logged_out")
    # The room is not lockable from the logged-out page any more, and the party stays.
    assert applicant.sio.connected
    await eventually(lambda: any(p["id"] == meeting.host_id and p["reconnecting"] for p in applicant.view["participants"]))
    # The other login still works: the mediator carries on from there.
    back = await meeting.join("刘 elsewhere", elsewhere, {"session_id": meeting.session_id})
    assert back.view["self"]["state"] == "admitted"
    assert (await back.call("lock", {"on": True}))["ok"] is True
    assert not back.of("revoked")


async def test_cancelling_a_session_ends_everyones_connection(meeting: Meeting) -> None:
    host = await meeting.host()
    applicant = await meeting.party("applicant")
    respondent = await meeting.party("respondent")
    await meeting.liu.call("POST", f"/api/v1/sessions/{meeting.session_id}/cancel", {"reason": "当事人已和解"})
    for peer in (host, applicant, respondent):
        await ended(peer, "session_cancelled")


async def test_disabling_an_account_ends_its_live_connections_and_its_logins(meeting: Meeting) -> None:
    host, applicant, _respondent = await meeting.everyone_admitted()
    admin = await meeting.world.staff("admin1")
    user = await admin.call("PATCH", f"/api/v1/users/{meeting.host_id}", {"active": False})
    assert user["active"] is False
    await ended(host, "account_disabled")
    assert applicant.sio.connected
    refusal = await meeting.refused("刘 again", session_cookie(meeting.liu.client), {"session_id": meeting.session_id})
    assert refusal["data"]["code"] == "not_authenticated"
    # Enabled again, the account needs a new login: the old ones stay ended.
    assert (await admin.call("PATCH", f"/api/v1/users/{meeting.host_id}", {"active": True}))["active"] is True
    await meeting.liu.call("GET", "/api/v1/auth/me", expect=401)
    # An administrator cannot lock themself out.
    own = await admin.call("PATCH", f"/api/v1/users/{meeting.world.ids['admin1']}", {"active": False}, expect=409)
    assert own["error"]["reason"] == "own_account"
