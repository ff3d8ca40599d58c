"""The live video session in three real browsers: a mediator and two parties, media through the server.

The mediator opens the live room from the case page; each party opens their link, passes the
device check (Chromium's fake camera and microphone) and waits; the mediator lets both in and
every page plays the other two videos. A private talk (caucus) with the applicant leaves the
respondent with a notice and no picture or sound of the other two, until the joint session
resumes. Screenshots of each role's screen go to test-artifacts/live-*.jpg.

Run with: python -m pytest tests/browser -k live -q
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Booked, Server, book_through_api, keep_screenshot, session_day
from tests.browser.test_booking_flow import DESKTOP, PHONE, PageErrors, clear_toasts, log_in, new_context

pytestmark = pytest.mark.browser

MEDIA_TIMEOUT_MS = 30_000
#: The connection quality the mediator sees beside a waiting party once their media flows.
QUALITY = re.compile(r"网络：(好|一般|差)")
#: How long a playing video may stall before the test calls it stopped.
STALL_MS = 10_000


#: A wage dispute between 张三 and 李四 (the names the assertions look for).
WAGES = ("wages", "拖欠两个月工资，双方同意视频调解。", (("张三", "13800000021"), ("李四", "13800000022")))


def book_live_case(browser: Any, server: Server, hour: int) -> Booked:
    """A session three weekdays after the booking tests' day, so that no other test's session clashes."""
    return book_through_api(browser, server, "LV", hour, day=session_day(later=3), dispute=WAGES)


FRAMES = """(pid) => {
  const v = document.querySelector(`[data-testid="tile"][data-kind="video"][data-participant-id="${pid}"] video`);
  return v && v.srcObject ? v.getVideoPlaybackQuality().totalVideoFrames : -1;
}"""


def assert_playing(page: Any, participant_id: str, who: str) -> None:
    """The tile of `participant_id` shows video whose frames keep coming.

    "Keep coming" allows for a stall of a few seconds: while three Chromiums start their
    software encoders and decoders, this 2-core machine starves them all for up to ~4 s
    (measured: no packet and no decoded frame for that long, then a burst).
    """
    page.wait_for_function(f"({FRAMES})({participant_id!r}) > 0", timeout=MEDIA_TIMEOUT_MS)
    before = page.evaluate(FRAMES, participant_id)
    try:
        page.wait_for_function(f"({FRAMES})({participant_id!r}) >= {before + 5}", timeout=STALL_MS)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: report it as the assertion it is
        after = page.evaluate(FRAMES, participant_id)
        raise AssertionError(f"{who}: video of {participant_id} is not advancing ({before} → {after} in {STALL_MS} ms)") from None


def assert_not_shown(page: Any, participant_id: str, who: str) -> None:
    """No tile and no sound of `participant_id` (waits for the tile to go)."""
    tile = page.locator(f'[data-testid="tile"][data-participant-id="{participant_id}"]')
    tile.first.wait_for(state="detached", timeout=10_000)
    assert tile.count() == 0, f"{who} still shows a tile of {participant_id}"
    assert page.locator(f'.sound audio[data-participant-id="{participant_id}"]').count() == 0, (
        f"{who} still plays sound of {participant_id}"
    )


def open_device_check(
    browser: Any, server: Server, url: str, viewport: dict[str, int], init_script: str | None = None
) -> tuple[Any, Any, PageErrors]:
    """Open the link in a fresh browser and press Join: the device check opens."""
    phone = viewport["width"] < 500
    context = new_context(browser, server, viewport=viewport, is_mobile=phone, has_touch=phone)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(url)
    page.wait_for_url(re.compile(r"/party(\?|$)"))
    page.get_by_test_id("join-live").click()
    page.get_by_test_id("device-check").wait_for()
    return context, page, errors


# Keeps the page's WebSockets within reach, so that a test can cut the signalling connection.
TRACK_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
})();
"""


def join_as_party(
    browser: Any, server: Server, url: str, viewport: dict[str, int], screenshot: Path | None = None
) -> tuple[Any, Any, PageErrors]:
    """Open the link, press Join, pass the device check and land in the waiting room."""
    context, page, errors = open_device_check(browser, server, url, viewport, init_script=TRACK_SOCKETS)
    page.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    page.locator('[data-testid="mic-status"][data-status="ok"]').wait_for()
    # The camera preview plays and the microphone meter is there.
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=check-preview]'); return v && v.getVideoPlaybackQuality().totalVideoFrames > 0; }"
    )
    # The microphone meter moves with the fake microphone's beeps.
    page.wait_for_function("Number(document.querySelector('[data-testid=mic-meter]').dataset.level) > 20", timeout=10_000)
    if screenshot is not None:
        keep_screenshot(page, screenshot)
    assert_accessible(page, "the party's device check")
    page.get_by_test_id("device-continue").click()
    page.get_by_test_id("waiting-room").wait_for()
    return context, page, errors


def shot(page: Any, artifacts: Path, name: str) -> None:
    """A screenshot of a state a person sees, which must also pass axe-core (WCAG 2.1 A/AA)."""
    clear_toasts(page)
    keep_screenshot(page, artifacts / name)
    assert_accessible(page, name.removesuffix(".jpg"))


def test_mediator_admits_parties_and_talks_privately_with_one(browser: Any, server: Server, artifacts: Path) -> None:
    booked = book_live_case(browser, server, 10)
    links = {link["role"]: link for link in booked.links}
    applicant_id, respondent_id, mediator_id = links["applicant"]["party_id"], links["respondent"]["party_id"], server.mediator_id

    # The mediator opens the live room from the case page.
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{booked.case_id}")
    card = mediator.locator(f'[data-testid="session-card"][data-session-id="{booked.session_id}"]')
    card.get_by_test_id("join-live").click()
    mediator.wait_for_url(re.compile(rf"/live/{booked.session_id}$"))
    mediator.get_by_test_id("live-room").wait_for()
    mediator.get_by_test_id("waiting-panel").get_by_text("没有人在等候").wait_for()

    # The parties pass the device check and wait; the respondent is on a small phone.
    a_context, applicant, a_errors = join_as_party(
        browser, server, links["applicant"]["url"], DESKTOP, screenshot=artifacts / "live-applicant-device-check.jpg"
    )
    r_context, respondent, r_errors = join_as_party(browser, server, links["respondent"]["url"], PHONE)
    shot(respondent, artifacts, "live-respondent-waiting.jpg")
    assert "请稍候，调解员将请您进入" in respondent.get_by_test_id("waiting-room").inner_text()

    # The mediator sees both waiting, with what their device check found, and lets them in.
    waiting = mediator.get_by_test_id("waiting-list")
    for pid in (applicant_id, respondent_id):
        person = waiting.locator(f'[data-participant-id="{pid}"]')
        person.get_by_test_id("device-line").filter(has_text="摄像头：正常 · 麦克风：正常").wait_for()
        person.get_by_test_id("quality-line").filter(has_text=QUALITY).wait_for()
    shot(mediator, artifacts, "live-mediator-waiting.jpg")
    for pid in (applicant_id, respondent_id):
        waiting.locator(f'[data-participant-id="{pid}"]').get_by_test_id("admit").click()
        waiting.locator(f'[data-participant-id="{pid}"]').wait_for(state="detached")

    # Joint session: every page plays the other two.
    applicant.get_by_test_id("live-room").wait_for()
    respondent.get_by_test_id("live-room").wait_for()
    for page, who, seen in (
        (mediator, "mediator", (applicant_id, respondent_id)),
        (applicant, "applicant", (mediator_id, respondent_id)),
        (respondent, "respondent", (mediator_id, applicant_id)),
    ):
        for pid in seen:
            assert_playing(page, pid, who)
    caption = respondent.locator(f'[data-testid="tile"][data-participant-id="{mediator_id}"] figcaption').inner_text()
    assert caption == f"{server.mediator_name} · 调解员", caption
    caption = mediator.locator(f'[data-testid="tile"][data-participant-id="{respondent_id}"] figcaption').inner_text()
    assert caption == "李四 · 被申请人", caption
    assert respondent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(mediator, artifacts, "live-mediator-joint.jpg")
    shot(applicant, artifacts, "live-applicant-joint.jpg")
    shot(respondent, artifacts, "live-respondent-joint.jpg")

    # Chat reaches everyone in the joint session.
    applicant.get_by_test_id("chat-input").fill("我这边准备好了。")
    applicant.get_by_test_id("chat-send").click()
    for page in (mediator, respondent):
        page.get_by_test_id("chat-list").get_by_text("我这边准备好了。").wait_for()

    # A private talk with the applicant: the respondent is told, and sees and hears neither of them.
    mediator.locator(f'[data-testid="caucus-pick"][data-participant-id="{applicant_id}"]').check()
    mediator.get_by_test_id("caucus-start").click()
    mediator.get_by_test_id("caucus-active").wait_for()
    respondent.get_by_test_id("private-talk").filter(has_text="调解员正在与另一方单独谈话，请稍候").wait_for()
    for pid in (mediator_id, applicant_id):
        assert_not_shown(respondent, pid, "respondent")
    assert respondent.locator('[data-testid="tile"]').count() == 0
    applicant.get_by_test_id("in-caucus").wait_for()
    assert_playing(applicant, mediator_id, "applicant in caucus")
    assert_not_shown(applicant, respondent_id, "applicant in caucus")
    assert_playing(mediator, applicant_id, "mediator in caucus")
    assert_not_shown(mediator, respondent_id, "mediator in caucus")
    # Chat in the private talk is labelled as private for those in it; the respondent, left outside,
    # is told their message goes to the mediator, and it reaches the mediator only.
    mediator.get_by_test_id("chat-input").fill("这里只有我们两个人。")
    mediator.get_by_test_id("chat-send").click()
    said = applicant.locator('[data-testid="chat-msg"][data-scope="caucus"]').filter(has_text="这里只有我们两个人。")
    said.get_by_test_id("chat-scope").filter(has_text="单独谈话 · 仅调解员和您可见").wait_for()
    assert respondent.get_by_test_id("chat-input").get_attribute("placeholder") == "调解员正在单独谈话，消息会送给调解员…"
    respondent.get_by_test_id("chat-input").fill("我这边网络不太好。")
    respondent.get_by_test_id("chat-send").click()
    note = mediator.locator('[data-testid="chat-msg"][data-scope="to_host"]').filter(has_text="我这边网络不太好。")
    note.get_by_test_id("chat-scope").filter(has_text="来自主会场").wait_for()
    respondent.locator('[data-testid="chat-msg"][data-scope="to_host"]').filter(has_text="已送达调解员").wait_for()
    shot(mediator, artifacts, "live-mediator-caucus.jpg")
    shot(applicant, artifacts, "live-applicant-caucus.jpg")
    shot(respondent, artifacts, "live-respondent-caucus.jpg")
    assert "这里只有我们两个人。" not in respondent.get_by_test_id("chat-list").inner_text()
    assert "我这边网络不太好。" not in applicant.get_by_test_id("chat-list").inner_text()

    # Back to the joint session: the respondent sees both again.
    mediator.get_by_test_id("caucus-end").click()
    respondent.get_by_test_id("private-talk").wait_for(state="detached")
    for pid in (mediator_id, applicant_id):
        assert_playing(respondent, pid, "respondent after the caucus")
    assert_playing(applicant, respondent_id, "applicant after the caucus")
    assert_playing(mediator, respondent_id, "mediator after the caucus")
    shot(respondent, artifacts, "live-respondent-rejoined.jpg")

    # The respondent's network drops: the mediator sees them reconnecting; once they are back,
    # their page starts media again and the pictures flow both ways.
    r_context.set_offline(True)
    respondent.evaluate("window.__sockets.forEach((s) => s.close())")
    respondent.get_by_test_id("self-reconnecting").wait_for()
    mediator.locator(f'[data-testid="tile"][data-participant-id="{respondent_id}"] [data-testid="tile-reconnecting"]').wait_for()
    shot(mediator, artifacts, "live-mediator-reconnecting.jpg")
    r_context.set_offline(False)
    respondent.get_by_test_id("self-reconnecting").wait_for(state="detached", timeout=MEDIA_TIMEOUT_MS)
    assert_playing(respondent, mediator_id, "respondent after reconnecting")
    assert_playing(mediator, respondent_id, "mediator after the respondent reconnected")

    # The English switch keeps the room (videos do not restart).
    applicant.get_by_test_id("lang-switch").click()
    applicant.get_by_role("button", name="Mute").wait_for()
    assert_playing(applicant, mediator_id, "applicant in English")
    shot(applicant, artifacts, "live-applicant-joint-en.jpg")

    # The respondent raises a hand; the mediator sees it and mutes the respondent's microphone.
    respondent.get_by_test_id("ctl-hand").click()
    mediator.locator(f'[data-testid="tile"][data-participant-id="{respondent_id}"] [data-testid="hand-mark"]').wait_for()
    mediator.locator(f'.people [data-participant-id="{respondent_id}"]').get_by_test_id("mute-audio").click()
    respondent.get_by_text("调解员已将您静音").wait_for()
    respondent.get_by_test_id("ctl-mic").filter(has_text="取消静音").wait_for()
    mediator.locator(f'[data-testid="tile"][data-participant-id="{respondent_id}"] .mark-muted').wait_for()
    shot(mediator, artifacts, "live-mediator-hand-muted.jpg")

    # The mediator ends the session, after confirming; everyone is told.
    mediator.get_by_test_id("end-session").click()
    mediator.locator("dialog").get_by_role("button", name="结束调解").click()
    for page in (mediator, applicant, respondent):
        page.get_by_test_id("live-ended").wait_for()
    shot(respondent, artifacts, "live-respondent-ended.jpg")

    for errors in (m_errors, a_errors, r_errors):
        errors.check()
    for context in (a_context, r_context, m_context):
        context.close()


# Chromium's fake devices always say yes: refuse the camera the way a person would.
REFUSE_CAMERA = """
(() => {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints) =>
    constraints && constraints.video
      ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
      : original(constraints);
})();
"""


def test_refused_camera_is_explained_and_reported_to_the_mediator(browser: Any, server: Server, artifacts: Path) -> None:
    booked = book_live_case(browser, server, 14)
    link = next(link for link in booked.links if link["role"] == "respondent")

    context, party, errors = open_device_check(browser, server, link["url"], PHONE, init_script=REFUSE_CAMERA)
    party.locator('[data-testid="camera-status"][data-status="denied"]').wait_for()
    party.locator('[data-testid="mic-status"][data-status="ok"]').wait_for()
    help_text = party.get_by_test_id("device-help").inner_text()
    assert "您没有允许使用摄像头" in help_text, help_text
    party.get_by_test_id("device-retry").wait_for()
    assert party.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    keep_screenshot(party, artifacts / "live-device-check-camera-refused.jpg")
    party.get_by_test_id("device-continue").click()
    party.get_by_test_id("waiting-room").wait_for()

    # The mediator sees what the check found before letting the party in …
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/live/{booked.session_id}")
    person = mediator.get_by_test_id("waiting-list").locator(f'[data-participant-id="{link["party_id"]}"]')
    person.get_by_test_id("device-line").filter(has_text="摄像头：未允许 · 麦克风：正常").wait_for()
    person.get_by_test_id("quality-line").filter(has_text=QUALITY).wait_for()
    person.get_by_test_id("admit").click()

    # … and then a tile without picture; the party has a camera button to try again.
    tile = mediator.locator(f'[data-testid="tile"][data-participant-id="{link["party_id"]}"]')
    tile.get_by_text("摄像头已关闭").wait_for()
    party.get_by_test_id("live-room").wait_for()
    party.get_by_test_id("ctl-camera").filter(has_text="开摄像头").wait_for()
    assert_playing(party, server.mediator_id, "party without a camera")
    clear_toasts(party)
    keep_screenshot(party, artifacts / "live-party-room-phone-360.jpg")
    assert party.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # With "let parties straight in" ticked, the applicant arrives in the room without waiting.
    # The box shows the room's state: it is ticked when the server has switched it on, so click and wait for that.
    mediator.get_by_test_id("admit-automatically").click()
    mediator.locator('[data-testid="admit-automatically"][data-on="true"]').wait_for()
    a_link = next(link for link in booked.links if link["role"] == "applicant")
    a_context, applicant, a_errors = open_device_check(browser, server, a_link["url"], PHONE)
    applicant.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    applicant.get_by_test_id("device-continue").click()
    applicant.get_by_test_id("live-room").wait_for()
    assert_playing(applicant, server.mediator_id, "applicant let straight in")

    m_errors.check()
    errors.check()
    a_errors.check()
    a_context.close()
    m_context.close()
    context.close()
