"""A party by phone on the mediator's live page, in Chromium (#25): the caller (Debian's baresip)
types their PIN, the mediator sees them waiting as "被申请人 · 电话接入" and admits them, has the recording
notice played to them, sees that they pressed 1, and witnesses it with a signing key made in this
browser: the caller is then shown as consented. Then the mediator calls the other party on the number
on file, who answers and is in the room at once.

A caller's tile, on the mediator's page and a party's: a telephone with their name and "电话接入", not a
camera that is off, and "正在说话" while their sound is heard (on, off when they fall silent, on again,
never blinking between); while a caller is on the line, the mediator is told what their PIN proves.

Run with: python -m pytest tests/browser/test_phone_consent.py -q -p no:cacheprovider
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    Server,
    book_through_api,
    keep_screenshot,
    own_server,
    session_day,
)
from tests.browser.test_booking_flow import PHONE, PageErrors, clear_toasts, log_in, new_context
from tests.browser.test_live_session import join_as_party
from tests.telephony.baresip import Baresip
from tests.telephony.baresip import free_port as free_udp_port

pytestmark = pytest.mark.browser

T = TypeVar("T")
WITHIN = 60.0


@pytest.fixture(scope="module")
def sip_port() -> int:
    return free_udp_port()


@pytest.fixture(scope="module")
def trunk_port() -> int:
    """Where calls out go: a baresip the test starts there answers as the applicant's phone."""
    return free_udp_port(tcp_also=1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sip_port: int, trunk_port: int) -> Iterator[Server]:
    """A server that answers phone calls on loopback and tells each party's PIN with their link."""
    env = {
        "MEDIATE_PHONE_NUMBER": "010-8888 6666",
        "MEDIATE_SIP_LISTEN": f"127.0.0.1:{sip_port}",
        "MEDIATE_SIP_TRUNK": f"127.0.0.1:{trunk_port}",
    }
    with own_server(tmp_path_factory.mktemp("mediate-phone-consent"), env) as server:
        yield server


class PhoneThread:
    """baresip's harness is asyncio; the page is driven synchronously: the phone gets a loop of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(WITHIN + 10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_the_mediator_admits_a_caller_and_witnesses_their_keypress_consent_with_a_browser_key(
    browser: Any, server: Server, sip_port: int, trunk_port: int, tmp_path: Path, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "PH", 10, day=session_day(later=34))
    respondent = next(link for link in booked.links if link["role"] == "respondent")
    pin, respondent_id, name = respondent["phone"]["pin"], respondent["party_id"], respondent["party_name"]

    context = new_context(browser, server)
    mediator = context.new_page()
    errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{booked.case_id}")
    mediator.locator(f'[data-testid="session-card"][data-session-id="{booked.session_id}"]').get_by_test_id("join-live").click()
    mediator.wait_for_url(re.compile(rf"/live/{booked.session_id}$"))
    mediator.get_by_test_id("live-room").wait_for()

    phone = PhoneThread()
    caller = phone.run(Baresip.start(tmp_path / "phone", tone_hz=440, record_to=None))
    try:
        phone.run(caller.dial(f"sip:mediation@127.0.0.1:{sip_port}"))
        phone.run(caller.wait_established(WITHIN))
        phone.run(caller.send_dtmf(pin))

        # Waiting, by name, marked as joining by phone; let in like anyone.
        waiting = mediator.get_by_test_id("waiting-list").locator(f'[data-participant-id="{respondent_id}"]')
        waiting.get_by_text("被申请人 · 电话接入").wait_for(timeout=WITHIN * 1000)
        waiting.get_by_test_id("admit").click()
        waiting.wait_for(state="detached")

        # Recording wanted: the notice is played to the caller, who presses 1.
        item = mediator.get_by_test_id("phone-consent-panel").locator(f'[data-participant-id="{respondent_id}"]')
        item.get_by_test_id("phone-consent-ask").click()
        item.get_by_text(f"正在向{name}播放告知").wait_for()
        witness = item.get_by_test_id("phone-consent-witness")
        for _ in range(10):
            phone.run(caller.send_dtmf("1"))
            try:
                witness.wait_for(timeout=3000)
                break
            except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the key had not reached the notice yet
                continue
        item.get_by_text(f"{name}（来电号码 phone）按了1：同意录音录像。").wait_for()
        keep_screenshot(mediator, artifacts / "live-phone-consent-pressed.jpg")
        assert_accessible(mediator, "a caller's keypress consent, waiting for the mediator's witness")

        # Witnessed with a key this browser makes, registers and binds to the case: now consent.
        witness.click()
        mediator.get_by_test_id("phone-consent-message").filter(has_text=f"已签名见证：{name} 同意录音录像。").wait_for(
            timeout=WITHIN * 1000
        )
        item.get_by_text("已见证").wait_for()
        keep_screenshot(mediator, artifacts / "live-phone-consent-witnessed.jpg")
        phone.run(caller.hangup())
        phone.run(caller.wait_closed(WITHIN))

        # The applicant cannot join online: the mediator calls the number on file, and once they answer
        # they are in the room, shown as by phone.
        applicant = next(link for link in booked.links if link["role"] == "applicant")
        answering = phone.run(
            Baresip.start(
                tmp_path / "applicant", tone_hz=660, record_to=None, sip_port=trunk_port, answer=True, user="13800000011"
            )
        )
        try:
            dial = mediator.locator(f'[data-testid="phone-dial-item"][data-participant-id="{applicant["party_id"]}"]')
            dial.get_by_test_id("phone-dial").filter(has_text=f"拨打{applicant['party_name']}的电话").click()
            phone.run(answering.wait_established(WITHIN))
            tile = mediator.locator(f'[data-testid="tile"][data-participant-id="{applicant["party_id"]}"] figcaption')
            tile.filter(has_text=f"{applicant['party_name']} · 申请人 · 电话接入").wait_for(timeout=WITHIN * 1000)
            dial.wait_for(state="detached")  # in the room: not offered to be called again
            keep_screenshot(mediator, artifacts / "live-phone-called.jpg")
            assert_accessible(mediator, "a party called by the mediator, in the room")
            phone.run(answering.hangup())
            phone.run(answering.wait_closed(WITHIN))
        finally:
            phone.run(answering.stop())
    finally:
        phone.run(caller.stop())
        phone.close()
    errors.check()
    context.close()


#: Each change of a tile's speaking indicator, in order, from when it is installed (the stage is kept across redraws).
WATCH_SPEAKING = """(pid) => {
  window.speakingChanges = [];
  new MutationObserver((records) => {
    for (const r of records) {
      const tile = r.target;
      if (tile.dataset.participantId === pid && tile.dataset.kind === 'video') window.speakingChanges.push(tile.dataset.speaking);
    }
  }).observe(document.querySelector('[data-testid="stage"]'), { subtree: true, attributes: true, attributeFilter: ['data-speaking'] });
}"""


def test_a_caller_has_a_phone_tile_that_shows_when_they_speak_and_the_mediator_is_told_what_a_pin_proves(
    browser: Any, server: Server, sip_port: int, tmp_path: Path, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "PT", 14, day=session_day(later=34))
    respondent = next(link for link in booked.links if link["role"] == "respondent")
    pin, respondent_id, name = respondent["phone"]["pin"], respondent["party_id"], respondent["party_name"]

    context = new_context(browser, server)
    mediator = context.new_page()
    errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/live/{booked.session_id}")
    mediator.get_by_test_id("live-room").wait_for()
    trust = mediator.get_by_test_id("phone-trust")
    assert trust.count() == 0, "the notice on callers is shown only while one is on the line"
    mediator.evaluate(WATCH_SPEAKING, respondent_id)

    # The applicant joins from their phone's browser and is let in.
    applicant_link = next(link for link in booked.links if link["role"] == "applicant")
    a_context, applicant, a_errors = join_as_party(browser, server, applicant_link["url"], PHONE)
    admit = mediator.get_by_test_id("waiting-list").locator(f'[data-participant-id="{applicant_link["party_id"]}"]')
    admit.get_by_test_id("admit").click()
    admit.wait_for(state="detached")
    applicant.get_by_test_id("live-room").wait_for()

    phone = PhoneThread()
    caller = phone.run(Baresip.start(tmp_path / "phone", tone_hz=440, record_to=None))
    try:
        phone.run(caller.dial(f"sip:mediation@127.0.0.1:{sip_port}"))
        phone.run(caller.wait_established(WITHIN))
        phone.run(caller.send_dtmf(pin))

        # Waiting: before letting them in, the mediator reads what a PIN proves and what to do.
        waiting = mediator.get_by_test_id("waiting-list").locator(f'[data-participant-id="{respondent_id}"]')
        waiting.get_by_text("被申请人 · 电话接入").wait_for(timeout=WITHIN * 1000)
        trust.filter(has_text="电话参加人的身份只凭会议密码和您的判断").wait_for()
        assert "确认是当事人本人后，再请其进入或继续调解" in trust.inner_text()
        waiting.get_by_test_id("admit").click()
        waiting.wait_for(state="detached")

        # In the room: a phone tile, with their name and how they take part, not a camera that is off.
        tile = mediator.locator(f'[data-testid="tile"][data-participant-id="{respondent_id}"][data-kind="video"]')
        tile.wait_for()
        assert tile.get_attribute("data-phone") == "true"
        face = tile.get_by_test_id("phone-face")
        assert face.locator(".phone-name").inner_text() == name
        assert face.locator(".phone-how").inner_text() == "电话接入"
        assert face.is_visible()
        assert "摄像头已关闭" not in tile.inner_text()
        assert tile.get_attribute("aria-label") == f"{name} · 被申请人 · 电话接入"

        # The caller's tone is heard: the tile says they are speaking, in words as well as with its ring.
        mediator.locator(f'[data-participant-id="{respondent_id}"][data-speaking="true"]').wait_for(timeout=WITHIN * 1000)
        tile.get_by_test_id("speaking-mark").filter(has_text="正在说话").wait_for()
        trust.wait_for()  # still said while the caller is in the room
        keep_screenshot(tile, artifacts / "live-phone-tile-speaking.jpg")
        keep_screenshot(mediator, artifacts / "live-phone-tile-room.jpg")
        assert_accessible(mediator, "a caller's phone tile, speaking, and the notice on what a PIN proves")
        # Anyone heard has the indicator: the applicant's browser (its fake microphone beeps).
        mediator.locator(f'[data-participant-id="{applicant_link["party_id"]}"][data-speaking="true"]').wait_for(
            timeout=WITHIN * 1000
        )

        # The applicant's page shows the caller the same way, on a small screen.
        seen = applicant.locator(f'[data-testid="tile"][data-participant-id="{respondent_id}"][data-kind="video"]')
        seen.get_by_test_id("phone-face").filter(has_text=name).filter(has_text="电话接入").wait_for()
        assert "摄像头已关闭" not in seen.inner_text()
        applicant.locator(f'[data-participant-id="{respondent_id}"][data-speaking="true"]').wait_for(timeout=WITHIN * 1000)
        seen.get_by_test_id("speaking-mark").filter(has_text="正在说话").wait_for()
        clear_toasts(applicant)
        keep_screenshot(applicant, artifacts / "live-phone-tile-party.jpg")
        assert_accessible(applicant, "a party's page with a caller's phone tile, speaking")

        # Silent (their microphone muted at their end): the indicator goes out; speaking again, it comes back.
        phone.run(caller.mute(True))
        mediator.locator(f'[data-participant-id="{respondent_id}"][data-speaking="false"]').wait_for(timeout=WITHIN * 1000)
        assert tile.get_by_test_id("speaking-mark").count() == 0
        assert face.is_visible()
        keep_screenshot(tile, artifacts / "live-phone-tile-quiet.jpg")
        phone.run(caller.mute(False))
        mediator.locator(f'[data-participant-id="{respondent_id}"][data-speaking="true"]').wait_for(timeout=WITHIN * 1000)
        # On, off, on: it never blinked while the tone played without a break.
        assert mediator.evaluate("window.speakingChanges") == ["true", "false", "true"]

        phone.run(caller.hangup())
        phone.run(caller.wait_closed(WITHIN))
        trust.wait_for(state="detached", timeout=WITHIN * 1000)
    finally:
        phone.run(caller.stop())
        phone.close()
    errors.check()
    a_errors.check()
    a_context.close()
    context.close()
