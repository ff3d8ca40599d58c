"""A party by phone on the mediator's live page, in Chromium (#25): the caller (Debian's baresip)
types their PIN, the mediator sees them waiting as "被申请人 · 电话接入" and admits them, has the recording
notice played to them, sees that they pressed 1, and witnesses it with a signing key made in this
browser: the caller is then shown as consented. Then the mediator calls the other party on the number
on file, who answers and is in the room at once.

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
    own_server,
    session_day,
)
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
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
        mediator.screenshot(path=str(artifacts / "live-phone-consent-pressed.png"), full_page=True)
        assert_accessible(mediator, "a caller's keypress consent, waiting for the mediator's witness")

        # Witnessed with a key this browser makes, registers and binds to the case: now consent.
        witness.click()
        mediator.get_by_test_id("phone-consent-message").filter(has_text=f"已签名见证：{name} 同意录音录像。").wait_for(
            timeout=WITHIN * 1000
        )
        item.get_by_text("已见证").wait_for()
        mediator.screenshot(path=str(artifacts / "live-phone-consent-witnessed.png"), full_page=True)
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
            mediator.screenshot(path=str(artifacts / "live-phone-called.png"), full_page=True)
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
