"""The mediator's case page keeps what is typed, and the focus, when it redraws.

Every section of the case page is drawn again when something arrives or changes, and a change of
language redraws every text. What the mediator typed and has not sent (a new party, a party's
particulars, an identity check's note, who may see the next file) stays, and so does the focus:
the same element, not a copy found again afterwards, so the next keys go on where the last ones
stopped.

Run with: python -m pytest tests/browser/test_case_updates.py -q
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES

pytestmark = pytest.mark.browser

HELD = "() => document.activeElement === window.held && window.held.isConnected"


def test_typed_input_and_focus_survive_the_case_page_redrawing(browser: Any, server: Server) -> None:
    booked = book_through_api(browser, server, "CP", 11, day=session_day(later=18), dispute=WAGES)
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    page.get_by_test_id("session-card").first.wait_for()
    page.get_by_test_id("file-visible").first.wait_for()

    # Half a party's particulars, an identity check's note, a file kept from one party, and a new
    # party being typed, the caret in the name.
    li = page.get_by_test_id("party-list").locator("li").first
    li.get_by_test_id("party-particulars").locator("summary").click()
    editor = li.get_by_test_id("party-particulars-form")
    editor.get_by_label("民族").fill("汉族")
    page.locator("#ic-note").fill("视频中核对")
    page.get_by_test_id("file-visible").first.uncheck()
    page.locator("#ap-role").select_option("agent")
    page.locator("#ap-phone").fill("13800000000")
    page.locator("#ap-name").fill("王五")
    page.evaluate("() => { window.held = document.activeElement; }")
    assert page.evaluate("document.activeElement.id") == "ap-name"

    # A wrong booking redraws the sessions with their errors (not moving focus: submitted by script).
    page.locator("#bk-date").fill("")
    page.evaluate("() => document.querySelector('#book-form').requestSubmit()")
    page.locator("#book-form .form-message").filter(has_text="请检查").wait_for()
    page.locator("#bk-date-err").wait_for()
    page.locator("#ap-name").focus()
    page.evaluate("() => { window.held = document.activeElement; }")

    # The language changes (by a click that does not move focus): the page is in English, the same
    # field has focus and everything typed is still there.
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.get_by_role("heading", name="Parties", exact=True).wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    page.keyboard.type("六")
    assert page.locator("#ap-name").input_value() == "王五六", "the caret moved"
    assert page.locator("#ap-phone").input_value() == "13800000000"
    assert page.locator("#ap-role").input_value() == "agent"
    assert page.locator("#ic-note").input_value() == "视频中核对"
    assert editor.locator('input[name="ethnicity"]').input_value() == "汉族"
    assert editor.is_visible(), "the particulars folded"
    assert not page.get_by_test_id("file-visible").first.is_checked()
    assert page.get_by_test_id("file-visible").nth(1).is_checked()
    # The booking's errors are said again in English.
    assert "请" not in page.locator("#bk-date-err").inner_text()

    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.get_by_role("heading", name="当事人", exact=True).wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert page.locator("#ap-name").input_value() == "王五六"
    errors.check()
    context.close()
