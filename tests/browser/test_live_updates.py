"""The mediator's live page keeps a person's place while it redraws (#20).

The live room redraws on every event of the session (each participants view, a quality report
every few seconds) and on a change of language. None of these may take focus away, undo what was
typed in the chat, or recreate a <video> (a video playing a live stream would start again): the
element that has focus keeps it (the same element, not a copy found again afterwards), the chat
keeps its draft, and the mediator's own preview is the same element throughout. The room is
locked and unlocked by clicks that do not move focus, each answered by a new view from the server.

Run with: python -m pytest tests/browser/test_live_updates.py -q
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import Server, book_through_api, session_day
from tests.browser.test_booking_flow import DESKTOP, PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES, open_device_check

pytestmark = pytest.mark.browser

HELD = "() => document.activeElement === window.held && window.held.isConnected"
PREVIEW = "document.querySelector('[data-testid=self-video]')"
DRAFT = "先不要发送这一句"
CHECK_PREVIEW = "document.querySelector('[data-testid=check-preview]')"
WAIT_PREVIEW = "document.querySelector('[data-testid=wait-preview]')"


def hold_focus(page: Any) -> None:
    """Remember the element that has focus now, to ask later whether it still has it."""
    page.evaluate("() => { window.held = document.activeElement; }")


def click_without_focus(page: Any, testid: str) -> None:
    """Click a button the way a redraw-causing event would come: focus stays where it is."""
    page.evaluate("(id) => document.querySelector(`[data-testid=${id}]`).click()", testid)


def switch_lock(page: Any, locked: bool, label: str) -> None:
    """Lock or unlock the room (focus staying where it is) until the room's view says so.

    A click the server never got, because the page's connection was being made again (a loaded
    two-core machine drops one now and then: the page says 正在重新连接 and the click is answered with
    an error notice), is clicked again once the page is connected, as the mediator would. Only a
    refusal the page showed, or a click that got neither an answer nor a notice in 20 s (seen once on a
    fresh-clone run: the click or its answer lost), is tried again, and only while the page still shows
    the room in its old state, so a click that worked is never undone by a second one (the event says
    which state it wants, ``{"on": true}``, so a repeat changes nothing)."""
    done = page.locator(f'[data-testid="lock"][aria-pressed="{str(locked).lower()}"]').filter(has_text=label)
    refused = page.locator(".toast.error")
    said: list[str] = []
    for _ in range(3):
        if done.is_visible():  # an answer that came after its notice of no answer
            return
        page.get_by_test_id("self-reconnecting").wait_for(state="hidden")
        page.locator(f'[data-testid="lock"][aria-pressed="{str(not locked).lower()}"]:enabled').wait_for()
        click_without_focus(page, "lock")
        try:
            done.or_(refused).first.wait_for(timeout=20_000)
        except PlaywrightTimeout:  # neither: the click or its answer was lost; the lock says {"on": …}, so again is safe
            said.append("(no answer and no notice in 20 s)")
            continue
        if done.is_visible():
            return
        said.append(refused.first.inner_text())
        refused.first.wait_for(state="detached")
    pytest.fail(f"the room was not {'locked' if locked else 'unlocked'}; the page said: {said}")


def test_focus_a_chat_draft_and_the_preview_survive_the_live_page_redrawing(browser: Any, server: Server) -> None:
    booked = book_through_api(browser, server, "LU", 10, day=session_day(later=16), dispute=WAGES)
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/live/{booked.session_id}")
    lock = page.get_by_test_id("lock")
    page.locator('[data-testid="lock"][aria-pressed="false"]:enabled').wait_for()
    page.wait_for_function(f"{PREVIEW}?.srcObject && {PREVIEW}.getVideoPlaybackQuality().totalVideoFrames > 0", timeout=30_000)
    page.evaluate(f"() => {{ window.preview = {PREVIEW}; }}")

    # A draft in the chat, with focus there: the room is locked (the server sends a new view, the
    # whole room and its panels redraw); the draft, the focus and the preview stay.
    field = page.get_by_test_id("chat-input")
    if not field.is_visible():
        page.get_by_test_id("ctl-chat").click()
    field.fill(DRAFT)
    hold_focus(page)
    switch_lock(page, True, "解除锁定")
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert field.input_value() == DRAFT

    # In English: every text of the room and its panels is redrawn, the draft and the focus stay.
    click_without_focus(page, "lang-switch")
    lock.filter(has_text="Unlock room").wait_for()
    assert field.get_attribute("placeholder") == "Type a message…"
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert field.input_value() == DRAFT

    # Focus on a button of a side panel: unlocking redraws that panel and the language switches
    # back; the same button keeps focus through both.
    page.get_by_test_id("end-session").focus()
    hold_focus(page)
    switch_lock(page, False, "Lock room")
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    click_without_focus(page, "lang-switch")
    lock.filter(has_text="锁定房间").wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert field.input_value() == DRAFT

    # The preview was never recreated and still plays.
    assert page.evaluate(f"() => {PREVIEW} === window.preview"), "the preview <video> was recreated"
    frames = page.evaluate(f"{PREVIEW}.getVideoPlaybackQuality().totalVideoFrames")
    page.wait_for_function(f"{PREVIEW}.getVideoPlaybackQuality().totalVideoFrames > {frames}", timeout=10_000)
    errors.check()
    context.close()


def test_the_partys_device_check_and_waiting_room_keep_focus_and_their_preview_across_a_language_switch(
    browser: Any, server: Server
) -> None:
    """The party's way in redraws too: the device check (each device's status, the microphone's
    meter) and the waiting room; a change of language keeps the control that has focus and the
    preview <video> that plays."""
    booked = book_through_api(browser, server, "LW", 14, day=session_day(later=16), dispute=WAGES)
    link = next(link for link in booked.links if link["role"] == "applicant")
    context, page, errors = open_device_check(browser, server, link["url"], DESKTOP)
    page.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    page.wait_for_function(f"{CHECK_PREVIEW}?.srcObject && {CHECK_PREVIEW}.getVideoPlaybackQuality().totalVideoFrames > 0")
    page.evaluate(f"() => {{ window.preview = {CHECK_PREVIEW}; }}")

    page.get_by_test_id("audio-only-choice").focus()
    hold_focus(page)
    click_without_focus(page, "lang-switch")
    page.get_by_test_id("device-check").get_by_role("heading", name="Device check").wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert page.evaluate(f"() => {CHECK_PREVIEW} === window.preview"), "the device check's preview was recreated"
    frames = page.evaluate(f"{CHECK_PREVIEW}.getVideoPlaybackQuality().totalVideoFrames")
    page.wait_for_function(f"{CHECK_PREVIEW}.getVideoPlaybackQuality().totalVideoFrames > {frames}", timeout=10_000)

    page.get_by_test_id("device-continue").click()
    page.get_by_test_id("waiting-room").wait_for()
    page.wait_for_function(
        f"{WAIT_PREVIEW}?.srcObject && {WAIT_PREVIEW}.getVideoPlaybackQuality().totalVideoFrames > 0", timeout=30_000
    )
    page.evaluate(f"() => {{ window.preview = {WAIT_PREVIEW}; }}")
    page.get_by_test_id("wait-leave").focus()
    hold_focus(page)
    click_without_focus(page, "lang-switch")
    page.get_by_test_id("wait-leave").filter(has_text="离开").wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert page.evaluate(f"() => {WAIT_PREVIEW} === window.preview"), "the waiting room's preview was recreated"
    frames = page.evaluate(f"{WAIT_PREVIEW}.getVideoPlaybackQuality().totalVideoFrames")
    page.wait_for_function(f"{WAIT_PREVIEW}.getVideoPlaybackQuality().totalVideoFrames > {frames}", timeout=10_000)
    errors.check()
    context.close()
