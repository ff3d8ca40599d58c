"""The mediator's dashboard keeps a half-typed new case while it redraws.

A change of language redraws every text of the page, and the schedule arriving from the API redraws
it too. Neither may take focus away or undo what the mediator typed: the summary being typed keeps
focus (the same element, not a copy found again afterwards), its caret stays where it was, and the
case number and dispute type stay filled in.

Run with: python -m pytest tests/browser/test_mediator_redraws.py -q
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_review_updates import HELD, hold_focus

pytestmark = pytest.mark.browser

SUMMARY = "#nc-summary"
SETTLED = "document.querySelector('#schedule-body .schedule')?.getAttribute('aria-busy') === 'false'"


def typed(page: Any) -> dict[str, Any]:
    """What the new-case form holds, and where the caret is in the summary."""
    return dict(
        page.evaluate(
            """() => ({
              number: document.querySelector('#nc-case_number').value,
              type: document.querySelector('#nc-dispute_type').value,
              summary: document.querySelector('#nc-summary').value,
              caret: document.querySelector('#nc-summary').selectionStart,
            })"""
        )
    )


def test_a_half_typed_new_case_keeps_its_text_caret_and_focus_across_a_language_switch(
    browser: Any, server: Server, new_case_number: Any
) -> None:
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.wait_for_function(SETTLED)

    # Half a new case: its number and type, and a summary with the caret moved back two characters.
    number = new_case_number("RD")
    page.locator("#nc-case_number").fill(number)
    page.locator("#nc-dispute_type").select_option("wages")
    page.locator(SUMMARY).click()
    page.keyboard.type("拖欠三个月工资")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    hold_focus(page)
    before = {"number": number, "type": "wages", "summary": "拖欠三个月工资", "caret": 5}
    assert typed(page) == before

    # The language changes (by a click that does not move focus): the page is in English, and the
    # summary keeps focus, its text and its caret; typing goes on where it was.
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.locator("#new-case-title").filter(has_text="New case").wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert typed(page) == before
    page.keyboard.type("的")
    before = {**before, "summary": "拖欠三个月的工资", "caret": 6}
    assert typed(page) == before

    # The other view of the schedule is asked for and arrives: the page redraws, the form stays.
    other = "view-day" if page.get_by_test_id("view-week").get_attribute("aria-pressed") == "true" else "view-week"
    page.evaluate(f"() => document.querySelector('[data-testid={other}]').click()")
    page.locator(f"[data-testid={other}][aria-pressed=true]").wait_for()
    page.wait_for_function(SETTLED)
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert typed(page) == before

    # And back to Chinese.
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.locator("#new-case-title").filter(has_text="新建案件").wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert typed(page) == before
    errors.check()
    context.close()


def test_the_weekly_hours_editor_keeps_a_typed_time_across_a_language_switch(browser: Any, server: Server) -> None:
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    # The link to the hours followed from the dashboard itself (only the '#' part changes, the page
    # is not loaded again) opens them.
    page.wait_for_function(SETTLED)
    page.goto("/mediator#availability")
    page.locator("#availability-details[open] #weekly-form").wait_for()

    # A window added on Saturday, its end typed: across the switch it keeps the time and the focus.
    windows = page.locator('#weekly-form .window[data-weekday="5"]')
    count = windows.count()
    page.locator('[data-add-weekday="5"]').click()
    windows.nth(count).wait_for()
    end = windows.nth(count).locator("[data-part=end]")
    end.fill("12:30")
    end.focus()
    hold_focus(page)
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.wait_for_function("document.documentElement.lang.startsWith('en')")
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert end.input_value() == "12:30" and windows.count() == count + 1

    # Removed again (nothing is saved): the focus goes to the day's add button.
    windows.nth(count).locator("button.icon-btn").click()
    page.wait_for_function(f"document.querySelectorAll('#weekly-form .window[data-weekday=\"5\"]').length === {count}")
    assert page.evaluate("document.activeElement.dataset.addWeekday") == "5"
    errors.check()
    context.close()
