"""Watching a recording in Chromium: every participant side by side, in sync on one timeline.

The recording is made for real, in the browser tests' server (the ``server`` fixture's
subprocess), by aiortc participants as in tests/recording: the mediator's login and the two
parties' links give the Socket.IO connections their cookies; the parties bind a device key with
the texted code (read from the outbox, as test_evidence_ui does) and consent; the clock camera
paints the time. The respondent is let in two seconds after the recording started, so their
video sits later on the timeline than the others'. Then the mediator opens the case page, follows
the link to the recording, plays it, jumps to a marker, pauses with the space bar and seeks with
the arrow keys. Screenshot: test-artifacts/review.jpg.

Run with: python -m pytest tests/browser/test_review.py -q
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.evidence.records import DeviceKey, b64, unb64
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Booked, Server, book_through_api, keep_screenshot, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_live_session import WAGES
from tests.recording.session import ClockCamera
from tests.signaling.live import NS, PATIENCE, Peer
from tests.signaling.media_client import MediaClient

pytestmark = pytest.mark.browser

COOKIE = "mediate_session"
VIDEOS = "[...document.querySelectorAll('[data-testid=review-video]')]"


def book_review_case(browser: Any, server: Server) -> Booked:
    """A session on a weekday no other browser test books."""
    return book_through_api(browser, server, "RV", 10, day=session_day(later=4), dispute=WAGES)


def cookie_of(http: aiohttp.ClientSession) -> str:
    return next(c.value for c in http.cookie_jar if c.key == COOKIE)


async def join(server: Server, http: aiohttp.ClientSession, name: str, auth: dict[str, Any] | None = None) -> Peer:
    peer = Peer(name)
    await peer.sio.connect(
        server.base_url,
        headers={"Cookie": f"{COOKIE}={cookie_of(http)}"},
        auth=auth,
        namespaces=[NS],
        transports=["websocket"],
        wait_timeout=PATIENCE,
    )
    await peer.wait("participants")
    return peer


async def party_with_key(server: Server, link: dict[str, Any]) -> tuple[aiohttp.ClientSession, DeviceKey]:
    """A party's browser: opens the link, proves the phone with the texted code and binds a key."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.get(link["url"], allow_redirects=False) as opened:
        assert opened.status == 303, await opened.text()
    async with http.get(f"{server.base_url}/api/v1/auth/me") as me:
        csrf = {"X-CSRF-Token": (await me.json())["csrf_token"]}
    key = DeviceKey.generate({"kind": "party", "id": link["party_id"]})
    async with http.post(f"{server.base_url}/api/v1/party/keys/device", json={"spki": b64(key.info.spki)}, headers=csrf) as r:
        assert r.status == 201, await r.text()
        started = await r.json()
    _, code = await asyncio.to_thread(latest_code, server, link["party_id"])
    body = {"code": code, "signature": key.sign(unb64(started["statement"]))["sig"]}
    async with http.post(f"{server.base_url}/api/v1/party/keys/device/{started['challenge']}", json=body, headers=csrf) as r:
        assert r.status == 201, await r.text()
    return http, key


async def consent(peer: Peer, key: DeviceKey) -> None:
    request = await peer.call("consent_prepare", {})
    assert request["ok"], request
    given = await peer.call(
        "consent_give", {"challenge": request["challenge"], "signature": key.sign(unb64(request["statement"]))["sig"]}
    )
    assert given["ok"], given


async def record(server: Server, booked: Booked) -> str:
    """Mediator and applicant from the start; the respondent let in and consenting 2 s later. Returns the recording id."""
    links = {link["role"]: link for link in booked.links}
    mediator = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    sessions = [mediator]
    media: list[MediaClient] = []
    peers: list[Peer] = []
    try:
        login = {"username": server.username, "password": server.password}
        async with mediator.post(f"{server.base_url}/api/v1/auth/login", json=login) as r:
            assert r.status == 200, await r.text()
        applicant_http, applicant_key = await party_with_key(server, links["applicant"])
        respondent_http, respondent_key = await party_with_key(server, links["respondent"])
        sessions += [applicant_http, respondent_http]
        host = await join(server, mediator, "host", {"session_id": booked.session_id})
        applicant = await join(server, applicant_http, "applicant")
        respondent = await join(server, respondent_http, "respondent")
        peers += [host, applicant, respondent]
        assert (await host.call("admit", {"participant_id": links["applicant"]["party_id"]}))["ok"]
        await applicant.wait("admitted")
        for peer in (host, applicant):
            media.append(MediaClient(peer, camera=ClockCamera))
            assert (await media[-1].start()) == {"ok": True}
        await consent(applicant, applicant_key)
        await asyncio.sleep(1.0)
        started = await host.call("record_start", {})
        assert started["ok"], started
        await asyncio.sleep(2.0)
        assert (await host.call("admit", {"participant_id": links["respondent"]["party_id"]}))["ok"]
        await respondent.wait("admitted")
        media.append(MediaClient(respondent, camera=ClockCamera))
        assert (await media[-1].start()) == {"ok": True}
        await consent(respondent, respondent_key)
        await asyncio.sleep(7.0)  # long enough that the page's checks end before the recording does
        assert (await host.call("record_stop", {}))["ok"]
        return str(started["recording"])
    finally:
        for client in media:
            await client.close()
        for peer in peers:
            if peer.sio.connected:
                await peer.sio.disconnect()
        for http in sessions:
            await http.close()


def make_recording(server: Server, booked: Booked) -> str:
    """Run the aiortc session in a thread of its own (Playwright's sync API holds this one)."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["id"] = asyncio.run(record(server, booked))
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            out["error"] = exc

    thread = threading.Thread(target=run, name="recorded-session")
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the recorded session did not finish"
    if "error" in out:
        raise out["error"]
    return str(out["id"])


def state_of(page: Any) -> dict[str, Any]:
    """Each video's time, offset on the timeline, paused state and rate, by participant."""
    result: dict[str, Any] = page.evaluate(
        f"""() => Object.fromEntries({VIDEOS}.map(v => [v.dataset.participantId, {{
            time: v.currentTime, offset: Number(v.dataset.offset), paused: v.paused, rate: v.playbackRate,
            duration: v.duration, ready: v.readyState }}]))"""
    )
    return result


def test_the_review_page_plays_every_participant_in_sync(browser: Any, server: Server, artifacts: Path) -> None:
    booked = book_review_case(browser, server)
    links = {link["role"]: link for link in booked.links}
    host_id, applicant_id, respondent_id = server.mediator_id, links["applicant"]["party_id"], links["respondent"]["party_id"]
    recording_id = make_recording(server, booked)

    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    # From the case page: the recorded session has a link to its recording.
    page.goto(f"/cases/{booked.case_id}")
    page.get_by_test_id("review-link").click()
    page.wait_for_url(re.compile(rf"/review/{booked.session_id}$"))
    player = page.get_by_test_id("review-player")
    player.wait_for()
    assert player.get_attribute("data-recording-id") == recording_id
    page.wait_for_function(f"{VIDEOS}.length === 3 && {VIDEOS}.every(v => v.readyState >= 2)", timeout=20_000)
    before = state_of(page)
    assert set(before) == {host_id, applicant_id, respondent_id}
    # From the start means within a second (on a loaded machine a first key frame can take a moment).
    assert before[host_id]["offset"] < 1.0 and before[applicant_id]["offset"] < 1.0
    assert 1.5 < before[respondent_id]["offset"] < 4.5, before  # let in two seconds later
    assert "张三" in page.get_by_test_id("review").inner_text() and "李四" in page.get_by_test_id("review").inner_text()
    # Before their start, the respondent's tile says so.
    respondent_tile = page.locator(f'[data-testid="review-tile"][data-participant-id="{respondent_id}"]')
    assert respondent_tile.get_by_test_id("review-note").inner_text() == "尚未进入录制"

    # Play: both who were there from the start advance, together.
    page.get_by_test_id("review-play").click()
    # Playing for a while (as long as a loaded machine takes), not a fixed pause.
    page.wait_for_function(
        f"{VIDEOS}.filter(v => [{host_id!r}, {applicant_id!r}].includes(v.dataset.participantId))"
        ".every(v => !v.paused && v.currentTime > 0.8)",
        timeout=20_000,
    )
    playing = state_of(page)
    for who in (host_id, applicant_id):
        assert not playing[who]["paused"] and playing[who]["time"] > 0.8, playing
    assert abs(playing[host_id]["time"] - playing[applicant_id]["time"]) < 0.2, playing

    # Jump to the respondent's consent (given while recording): everyone goes there, in sync.
    markers = page.get_by_test_id("review-marker")
    ats = [float(markers.nth(i).get_attribute("data-at") or 0) for i in range(markers.count())]
    kinds = [markers.nth(i).get_attribute("data-kind") for i in range(markers.count())]
    assert kinds.count("consent") == 3 and "recording_started" in kinds and "recording_stopped" in kinds, kinds
    target = max(i for i, k in enumerate(kinds) if k == "consent")
    assert ats[target] > before[respondent_id]["offset"] - 0.5, (ats, before)
    markers.nth(target).click()
    page.wait_for_function(
        f"{VIDEOS}.every(v => !v.paused) && {VIDEOS}.some(v => v.dataset.participantId === {host_id!r}"
        f" && v.currentTime + Number(v.dataset.offset) > {ats[target] + 0.5})",
        timeout=20_000,
    )
    after = state_of(page)
    positions = {who: s["time"] + s["offset"] for who, s in after.items()}
    assert all(not s["paused"] for s in after.values()), after
    assert max(positions.values()) - min(positions.values()) < 0.2, positions
    assert abs(after[host_id]["time"] - after[applicant_id]["time"]) < 0.2, after
    assert ats[target] + 0.5 < positions[host_id] < ats[target] + 3.0, (ats[target], positions)
    times = {who: s["time"] for who, s in after.items()}
    page.wait_for_function(
        f"{VIDEOS}.every(v => v.currentTime > {json.dumps(times)}[v.dataset.participantId] + 0.3)", timeout=20_000
    )
    later = state_of(page)
    assert all(later[who]["time"] > after[who]["time"] + 0.3 for who in later), (after, later)  # all advancing

    # The keyboard: space pauses (at once, while the recording still has seconds to run: had it reached
    # its end, space would play it again from the start); 2× while paused; ← goes back 5 s; space plays.
    page.get_by_test_id("review-seek").focus()
    page.keyboard.press("Space")
    page.wait_for_function(
        f"document.querySelector('[data-testid=review-player]').dataset.playing === 'false' && {VIDEOS}.every(v => v.paused)"
    )
    paused_at = float(player.get_attribute("data-position") or 0)
    assert ats[target] < paused_at < float(player.get_by_test_id("review-seek").get_attribute("max") or 0) - 0.5, paused_at
    page.locator('[data-testid="review-speed"][data-rate="2"]').click()
    assert all(s["rate"] == 2 for s in state_of(page).values())
    keep_screenshot(page, artifacts / "review.jpg")
    assert_accessible(page, "/review/<session>")
    assert float(player.get_attribute("data-position") or 0) == paused_at  # still where it was paused
    page.get_by_test_id("review-seek").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        f"Math.abs(Number(document.querySelector('[data-testid=review-player]').dataset.position) - {max(0.0, paused_at - 5)}) <= 0.15",
        timeout=10_000,
    )
    back = float(player.get_attribute("data-position") or 0)
    assert back == pytest.approx(max(0.0, paused_at - 5), abs=0.15), (paused_at, back)
    page.keyboard.press("Space")
    page.wait_for_function(
        "document.querySelector('[data-testid=review-player]').dataset.playing === 'true' && "
        f"{VIDEOS}.filter(v => [{host_id!r}, {applicant_id!r}].includes(v.dataset.participantId)).every(v => !v.paused)",
        timeout=10_000,
    )
    resumed = state_of(page)
    assert all(s["rate"] == 2 for s in resumed.values()), resumed
    assert not resumed[host_id]["paused"] and abs(resumed[host_id]["time"] - resumed[applicant_id]["time"]) < 0.2, resumed

    # In English, the page keeps playing (the videos are not rebuilt).
    page.get_by_test_id("lang-switch").click()
    page.get_by_test_id("review-play").filter(has_text="Pause").wait_for()
    assert "What happened while recording" in page.get_by_test_id("review").inner_text()
    page.wait_for_function(f"{VIDEOS}.filter(v => v.dataset.participantId !== '{respondent_id}').every(v => !v.paused)")

    # Each participant's viewing is in the case history.
    history = context.request.get(f"/api/v1/cases/{booked.case_id}/history").json()["items"]
    viewed = {e["data"]["participant_id"] for e in history if e["kind"] == "recording_viewed"}
    assert viewed == {host_id, applicant_id, respondent_id}
    errors.check()
    context.close()
