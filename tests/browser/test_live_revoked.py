"""Pages whose credential was withdrawn say so, in Chinese, and what to do next (#19, item 3).

A party waits in the waiting room; the mediator revokes the party's link: the party's page, at
once, says the link was withdrawn and to ask the mediator for a new one. The mediator then logs out
in another tab: the live page says so and offers to log in again.

Run with: python -m pytest tests/browser -k revoked -q
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, session_day
from tests.browser.test_booking_flow import PHONE, PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES, open_device_check

pytestmark = pytest.mark.browser


def test_a_revoked_link_and_a_logout_end_the_live_pages_with_a_reason(browser: Any, server: Server) -> None:
    booked = book_through_api(browser, server, "LR", 11, day=session_day(later=14), dispute=WAGES)
    link = next(link for link in booked.links if link["role"] == "applicant")

    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/live/{booked.session_id}")

    context, party, errors = open_device_check(browser, server, link["url"], PHONE)
    party.get_by_test_id("device-continue").click()
    party.get_by_test_id("waiting-room").wait_for()
    mediator.get_by_test_id("waiting-list").locator(f'[data-participant-id="{link["party_id"]}"]').wait_for()

    csrf = m_context.request.get("/api/v1/auth/me").json()["csrf_token"]
    revoked = m_context.request.delete(
        f"/api/v1/sessions/{booked.session_id}/links/{link['party_id']}", headers={"X-CSRF-Token": csrf}
    )
    assert revoked.status == 204, revoked.text()
    ended = party.get_by_test_id("live-revoked")
    ended.wait_for(timeout=10_000)
    assert "您的链接已被撤销" in ended.inner_text()
    assert "请联系调解员获取新链接" in ended.inner_text()

    # The mediator logs out in another tab of the same browser: this live page ends too.
    other = m_context.new_page()
    other.goto("/mediator")
    out = other.request.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status == 204, out.text()
    page_ended = mediator.get_by_test_id("live-revoked")
    page_ended.wait_for(timeout=10_000)
    assert "已退出登录" in page_ended.inner_text()
    assert "/login?next=" in (page_ended.get_by_role("link", name="重新登录").get_attribute("href") or "")

    m_errors.check()
    errors.check()
    context.close()
    m_context.close()


def test_chat_sent_too_fast_is_refused_on_the_page_with_a_reason_and_the_text_kept(browser: Any, server: Server) -> None:
    """#19, item 7: past the flood limit (a burst of 10, refilled slowly on the test server) the page says so and keeps the line."""
    booked = book_through_api(browser, server, "LF", 14, day=session_day(later=14), dispute=WAGES)
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/live/{booked.session_id}")
    field = page.get_by_test_id("chat-input")
    if not field.is_visible():
        page.get_by_test_id("ctl-chat").click()
    refused = page.locator(".toast").filter(has_text="发送太快，请稍后再试")
    sent = page.get_by_test_id("chat-msg")
    for i in range(40):
        before = sent.count()
        field.fill(f"第{i}条")
        field.press("Enter")
        # Either the line is in the list (accepted) or the page says it was too fast.
        page.wait_for_function(
            "([n, text]) => document.querySelectorAll('[data-testid=chat-msg]').length > n"
            " || [...document.querySelectorAll('.toast')].some((t) => t.textContent.includes(text))",
            arg=[before, "发送太快"],
        )
        if refused.count():
            break
    else:
        raise AssertionError("40 lines sent as fast as the page allows were all accepted")
    assert sent.count() >= 10, "the first ten (the burst) went through"
    assert field.input_value() == f"第{i}条", "the refused line stays in the box, to send again"
    errors.check()
    context.close()
