"""The party is never stranded, in Chromium: one step at the top of their page, the agreement read and
signed from the video screen while the session goes on, a reload mid-session straight back into the
room, and after the end, the way on.

The applicant, on a phone, opens their link: the top says when the session starts and offers to join.
They pass the device check and are let in (the mediator lets parties straight in). The mediator sees
the size of the picture they send. The mediator declares the agreement final (through the API):
within seconds the party's room offers it; the party reads it over the video, which keeps playing,
binds a key and signs with the texted code. The party reloads the page: no device check, straight
back into the room. The mediator ends the session: the party's "调解已结束" leads back to their page,
whose top now says they signed and whom the agreement waits for, and which no longer offers to join.

The page is drawn with Preact (issue #20): a code half typed on the key card keeps its digits and the
focus when the party switches the language, and again when they switch back.

Screenshots: test-artifacts/party-path-*.jpg.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.agreement_helpers import TERMS
from tests.browser.conftest import MEDIATOR_PASSWORD, MEDIATOR_USERNAME, Server, book_through_api, keep_screenshot, session_day
from tests.browser.test_booking_flow import PHONE, PageErrors, log_in, new_context
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_live_session import TRACK_SOCKETS, WAGES, assert_playing

pytestmark = pytest.mark.browser


class Api:
    """The mediator's JSON API calls, from a browser context of their own."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.context = browser.new_context(base_url=server.base_url)
        res = self.context.request.post("/api/v1/auth/login", data={"username": MEDIATOR_USERNAME, "password": MEDIATOR_PASSWORD})
        assert res.status == 200, res.text()
        self.csrf = res.json()["csrf_token"]

    def post(self, path: str, body: dict[str, Any], expect: int = 201) -> Any:
        res = self.context.request.post(f"/api/v1{path}", data=body, headers={"X-CSRF-Token": self.csrf})
        assert res.status == expect, f"POST {path}: {res.status} {res.text()}"
        return res.json()

    def close(self) -> None:
        self.context.close()


def shot(page: Any, artifacts: Path, name: str) -> None:
    keep_screenshot(page, artifacts / f"party-path-{name}.jpg")


def test_the_party_signs_in_the_room_comes_back_after_a_reload_and_is_led_on_after_the_end(
    browser: Any, server: Server, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "PP", 9, day=session_day(later=5), dispute=WAGES)
    link = next(x for x in booked.links if x["role"] == "applicant")
    applicant_id = link["party_id"]

    # The mediator opens the live room and lets parties straight in.
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/live/{booked.session_id}")
    mediator.get_by_test_id("live-room").wait_for()
    # The box shows the room's state: it is ticked when the server has switched it on, so click and wait for that.
    mediator.get_by_test_id("admit-automatically").click()
    mediator.locator('[data-testid="admit-automatically"][data-on="true"]').wait_for()

    # The party's page: one step at the top, with the way in.
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script(TRACK_SOCKETS)
    party = context.new_page()
    errors = PageErrors(party)
    party.goto(link["url"])
    party.wait_for_url(re.compile(r"/party(\?|$)"))
    now = party.get_by_test_id("now-card")
    now.wait_for()
    assert now.get_attribute("data-step") == "join_before"
    assert "视频调解将于" in now.get_by_test_id("now-text").inner_text()
    assert party.get_by_test_id("join-live").count() == 1, "one way in, at the top"
    shot(party, artifacts, "before-phone")
    now.get_by_test_id("join-live").click()
    party.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    party.get_by_test_id("device-continue").click()
    party.get_by_test_id("live-room").wait_for()
    assert_playing(party, server.mediator_id, "party")
    assert_playing(mediator, applicant_id, "mediator")

    # The mediator sees the size of the picture the party sends: at least 640x480.
    size = mediator.locator(f'[data-testid="tile"][data-participant-id="{applicant_id}"] [data-testid="tile-resolution"]')
    size.wait_for(timeout=20_000)
    width, height = int(size.get_attribute("data-width") or 0), int(size.get_attribute("data-height") or 0)
    assert width >= 640 and height >= 480, (width, height)
    assert size.inner_text() == f"{width}×{height}"

    # The mediator declares the agreement final while everyone is connected.
    api = Api(browser, server)
    base = f"/cases/{booked.case_id}/agreement"
    api.post(base, {"session_id": booked.session_id})
    api.post(f"{base}/versions", {"content": TERMS, "based_on": 1})
    deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 86400))
    api.post(f"{base}/final", {"version": 2, "deadline": deadline}, expect=200)

    # The room offers it; it opens over the video, which keeps playing.
    prompt = party.get_by_test_id("live-agreement-prompt")
    prompt.filter(has_text="调解协议已定稿").wait_for()
    assert prompt.get_attribute("data-phase") == "sign"
    prompt.get_by_test_id("live-agreement-open").click()
    dialog = party.get_by_test_id("live-agreement")
    dialog.get_by_test_id("agr-sign-text").wait_for()
    assert party.get_by_test_id("live-room").count() == 1, "the room stays on the page"
    assert_playing(party, server.mediator_id, "party reading the agreement")
    shot(party, artifacts, "agreement-over-video-phone")
    dialog.get_by_test_id("agr-sign-text").evaluate(
        "el => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event('scroll')); }"
    )
    dialog.get_by_test_id("agr-read-note").filter(has_text="您已读到最后").wait_for()
    dialog.get_by_test_id("agr-sign").click()
    dialog.get_by_test_id("agr-key-first").wait_for()  # the answer to "sign" redraws the key card first
    dialog.get_by_test_id("key-send").click()
    dialog.get_by_test_id("key-code").wait_for()
    bind_id, code = latest_code(server, applicant_id)
    dialog.get_by_test_id("key-code").fill(code)
    dialog.get_by_test_id("key-confirm").click()
    dialog.get_by_test_id("agr-sign-code").wait_for()
    _, code = latest_code(server, applicant_id, newer_than=bind_id)
    dialog.get_by_test_id("agr-sign-code").fill(code)
    dialog.get_by_test_id("agr-sign-confirm").click()
    dialog.get_by_test_id("agr-signed").filter(has_text="您已签名").wait_for()
    assert_playing(party, server.mediator_id, "party after signing")
    dialog.get_by_test_id("agreement-back").click()
    dialog.wait_for(state="hidden")
    party.locator('[data-testid="live-agreement-prompt"][data-phase="signed"]').wait_for()

    # A reload mid-session: straight back into the room, no device check.
    party.reload()
    party.get_by_test_id("live-room").wait_for(timeout=30_000)
    assert party.get_by_test_id("device-check").count() == 0
    assert_playing(party, server.mediator_id, "party after the reload")
    assert_playing(mediator, applicant_id, "mediator after the party's reload")

    # The mediator ends the session: the party's end leads back to a page that says what is next.
    mediator.get_by_test_id("end-session").click()
    mediator.locator("dialog").get_by_role("button", name="结束调解").click()
    ended = party.get_by_test_id("live-ended")
    ended.wait_for()
    shot(party, artifacts, "ended-phone")
    ended.get_by_test_id("live-next").click()
    now = party.get_by_test_id("now-card")
    now.wait_for()
    assert now.get_attribute("data-step") == "sign_wait"
    text = now.get_by_test_id("now-text").inner_text()
    assert "您已签名" in text and "李四" in text and server.mediator_name in text, text
    assert party.get_by_test_id("join-live").count() == 0, "an ended session is not offered to join"
    assert "调解已结束" in party.get_by_test_id("countdown").inner_text()
    shot(party, artifacts, "after-phone")
    # Reloading now stays on the page: the session is over.
    party.reload()
    party.get_by_test_id("now-card").wait_for()
    assert party.get_by_test_id("device-check").count() == 0 and party.get_by_test_id("live-room").count() == 0

    api.close()
    errors.check()
    m_errors.check()
    context.close()
    m_context.close()


def test_a_code_typed_on_the_key_card_keeps_its_digits_and_focus_across_a_language_switch(browser: Any, server: Server) -> None:
    """The page is drawn again in the other language (issue #20): what the party typed and where they were stay."""
    booked = book_through_api(browser, server, "PK", 15, day=session_day(later=5))
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    party = context.new_page()
    errors = PageErrors(party)
    party.goto(booked.links[0]["url"])
    card = party.get_by_test_id("key-card")
    card.get_by_test_id("key-send").click()
    code = card.get_by_test_id("key-code")
    expect(code).to_be_enabled()
    code.fill("123")
    code.focus()
    for title, step in (("Confirm your signing key", "What to do now"), ("确认本人签名密钥", "现在要做的事")):
        # A click that does not move the focus (a person's tap would; a screen reader's shortcut need not).
        party.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
        card.locator("#key-title").filter(has_text=title).wait_for()
        expect(party.locator("#now-title")).to_contain_text(step)
        assert code.input_value() == "123"
        assert party.evaluate("() => document.activeElement && document.activeElement.dataset.testid") == "key-code"
    errors.check()
    context.close()
