"""Recording with everyone's consent, in three real browsers (signaling/PROTOCOL.md, "Recording").

The respondent binds their signing key on their party page (SMS code) and consents in the
waiting room; the applicant has no key yet, so the consent card walks them through binding one
in the room before showing the notice. The mediator's first start is refused and names who has
not consented; once both have, the recording starts and every page shows the red indicator
(also a party sent back to the waiting room; a party in a private talk is told it is not
recorded). The respondent withdraws: the mediator is told and the indicator goes everywhere.
Screenshots go to test-artifacts/recording-*.jpg.

Run with: python -m pytest tests/browser/test_recording_ui.py -q
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Booked, Server, book_through_api, session_day
from tests.browser.test_booking_flow import DESKTOP, PHONE, PageErrors, log_in, new_context, open_party_page
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_live_session import WAGES, shot

pytestmark = pytest.mark.browser


def book_recording_case(browser: Any, server: Server) -> Booked:
    """A session on a weekday no other browser test books (their sessions never clash with it)."""
    return book_through_api(browser, server, "RC", 10, day=session_day(later=2), dispute=WAGES)


def bind_key(page: Any, server: Server, party_id: str) -> None:
    """Press "send code", type the texted code and confirm (the key card's own test ids)."""
    page.get_by_test_id("key-send").click()
    page.get_by_test_id("key-code").wait_for()
    _, code = latest_code(server, party_id)
    page.get_by_test_id("key-code").fill(code)
    page.get_by_test_id("key-confirm").click()


def enter_waiting_room(page: Any) -> None:
    """From the party page: join, pass the device check (fake camera and microphone), wait."""
    page.get_by_test_id("join-live").click()
    page.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    page.get_by_test_id("device-continue").click()
    page.get_by_test_id("waiting-room").wait_for()


def consent_state(mediator: Any, party_id: str) -> Any:
    return mediator.get_by_test_id("consent-list").locator(f'[data-participant-id="{party_id}"] [data-testid="consent-state"]')


def test_recording_needs_everyones_consent_and_stops_when_one_withdraws(browser: Any, server: Server, artifacts: Path) -> None:
    booked = book_recording_case(browser, server)
    links = {link["role"]: link for link in booked.links}
    applicant_id, respondent_id = links["applicant"]["party_id"], links["respondent"]["party_id"]

    # The mediator opens the live room.
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/live/{booked.session_id}")
    mediator.get_by_test_id("live-room").wait_for()
    panel = mediator.get_by_test_id("recording-panel")
    panel.get_by_test_id("record-start").filter(has_text="开始录制").wait_for()
    assert "没有在录音录像" in panel.inner_text()

    # The respondent, on a phone, binds their key on their party page, then joins.
    r_context, respondent, r_errors = open_party_page(browser, server, links["respondent"]["url"], viewport=PHONE)
    bind_key(respondent, server, respondent_id)
    respondent.get_by_test_id("key-done").wait_for()
    enter_waiting_room(respondent)

    # In the waiting room: the notice as the server gives it, Chinese first, and the big button.
    card = respondent.get_by_test_id("consent-card")
    text = card.get_by_test_id("consent-text")
    text.wait_for()
    notice = text.inner_text()
    assert notice.index("录音录像告知与调解规则") < notice.index("Recording notice and session rules"), notice
    assert "您可以随时撤回同意" in notice
    agree = card.get_by_test_id("consent-agree")
    assert agree.inner_text() == "同意录音录像"
    box = agree.bounding_box()
    assert box and box["height"] >= 56, box
    shot(respondent, artifacts, "recording-respondent-waiting-consent.jpg")
    agree.click()
    card.get_by_test_id("consent-given").filter(has_text="已同意录音录像").wait_for()
    card.get_by_test_id("consent-withdraw").filter(has_text="撤回同意").wait_for()
    assert respondent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The applicant, on a computer, has no key yet: the consent card starts with binding one.
    a_context, applicant, a_errors = open_party_page(browser, server, links["applicant"]["url"], viewport=DESKTOP)
    enter_waiting_room(applicant)
    a_card = applicant.get_by_test_id("consent-card")
    a_card.get_by_text("同意要用您本人的签名密钥签署").wait_for()
    a_card.get_by_test_id("key-send").wait_for()
    assert a_card.get_by_test_id("consent-agree").count() == 0

    # The mediator sees who has consented, and lets both in.
    consent_state(mediator, respondent_id).filter(has_text="✓ 已同意录音录像").wait_for()
    consent_state(mediator, applicant_id).filter(has_text="未同意录音录像").wait_for()
    waiting = mediator.get_by_test_id("waiting-list")
    for pid in (applicant_id, respondent_id):
        waiting.locator(f'[data-participant-id="{pid}"]').get_by_test_id("admit").click()
        waiting.locator(f'[data-participant-id="{pid}"]').wait_for(state="detached")
    applicant.get_by_test_id("live-room").wait_for()
    respondent.get_by_test_id("live-room").wait_for()

    # Starting is refused, naming the applicant (and only them).
    panel.get_by_test_id("record-start").click()
    refused = panel.get_by_test_id("record-refused")
    refused.wait_for()
    said = refused.inner_text()
    assert "还不能开始录制" in said and "张三" in said and "李四" not in said, said
    shot(mediator, artifacts, "recording-mediator-refused.jpg")
    assert mediator.get_by_test_id("recording-indicator").count() == 0

    # The applicant is asked at the top of the room, binds a key in the consent card, reads, agrees.
    applicant.get_by_test_id("consent-prompt").wait_for()
    applicant.get_by_test_id("consent-open").click()
    bind_key(applicant, server, applicant_id)
    a_card.get_by_test_id("consent-text").wait_for()
    assert "签名密钥已确认" in a_card.get_by_test_id("consent-message").inner_text()
    shot(applicant, artifacts, "recording-applicant-room-consent.jpg")
    a_card.get_by_test_id("consent-agree").click()
    a_card.get_by_test_id("consent-given").wait_for()
    applicant.get_by_test_id("consent-prompt").wait_for(state="detached")
    consent_state(mediator, applicant_id).filter(has_text="✓ 已同意录音录像").wait_for()
    refused.wait_for(state="detached")

    # Now the mediator starts: the indicator shows on every page.
    panel.get_by_test_id("record-start").click()
    panel.get_by_test_id("record-stop").filter(has_text="停止录制").wait_for()
    for page in (mediator, applicant, respondent):
        page.get_by_test_id("recording-indicator").filter(has_text="正在录音录像").wait_for()
    shot(mediator, artifacts, "recording-mediator-recording.jpg")
    shot(applicant, artifacts, "recording-applicant-recording.jpg")
    shot(respondent, artifacts, "recording-respondent-recording.jpg")

    # A private talk with the applicant: they are told it is not recorded; the respondent still sees the indicator.
    mediator.locator(f'[data-testid="caucus-pick"][data-participant-id="{applicant_id}"]').check()
    mediator.get_by_test_id("caucus-start").click()
    applicant.get_by_test_id("caucus-not-recorded").filter(has_text="单独谈话不录音录像").wait_for()
    assert applicant.get_by_test_id("recording-indicator").count() == 0
    respondent.get_by_test_id("private-talk").wait_for()
    respondent.get_by_test_id("recording-indicator").wait_for()
    shot(applicant, artifacts, "recording-applicant-caucus.jpg")
    mediator.get_by_test_id("caucus-end").click()
    applicant.get_by_test_id("caucus-not-recorded").wait_for(state="detached")
    applicant.get_by_test_id("recording-indicator").wait_for()

    # Sent back to the waiting room, the respondent still sees that the room is being recorded.
    mediator.locator(f'.people [data-participant-id="{respondent_id}"]').get_by_test_id("hold").click()
    respondent.get_by_test_id("held-room").wait_for()
    respondent.get_by_test_id("recording-indicator").filter(has_text="正在录音录像").wait_for()
    shot(respondent, artifacts, "recording-respondent-held.jpg")
    mediator.get_by_test_id("waiting-list").locator(f'[data-participant-id="{respondent_id}"]').get_by_test_id("admit").click()
    respondent.get_by_test_id("live-room").wait_for()

    # The respondent withdraws: recording stops, the mediator is told, the indicator goes everywhere.
    respondent.get_by_test_id("consent-withdraw").click()
    respondent.locator("dialog").get_by_role("button", name="撤回同意").click()
    stopped = mediator.get_by_test_id("recording-stopped")
    stopped.wait_for()
    said = stopped.inner_text()
    assert "录制已停止" in said and "李四" in said and "撤回" in said, said
    for page in (mediator, applicant, respondent):
        page.get_by_test_id("recording-indicator").wait_for(state="detached")
    panel.get_by_test_id("record-start").wait_for()
    consent_state(mediator, respondent_id).filter(has_text="未同意录音录像").wait_for()
    respondent.get_by_test_id("consent-card").get_by_test_id("consent-agree").wait_for()
    shot(mediator, artifacts, "recording-mediator-withdrawn.jpg")
    shot(respondent, artifacts, "recording-respondent-withdrawn.jpg")
    stopped.get_by_test_id("recording-stopped-ok").click()
    stopped.wait_for(state="detached")

    # In English, the mediator's panel and the party's card speak English.
    respondent.get_by_test_id("lang-switch").click()
    respondent.get_by_test_id("consent-agree").filter(has_text="I agree to be recorded").wait_for()
    mediator.get_by_test_id("lang-switch").click()
    panel.get_by_test_id("record-start").filter(has_text=re.compile("Start recording")).wait_for()
    shot(respondent, artifacts, "recording-respondent-room-en.jpg")
    shot(mediator, artifacts, "recording-mediator-en.jpg")

    for errors in (m_errors, a_errors, r_errors):
        errors.check()
    for context in (a_context, r_context, m_context):
        context.close()
