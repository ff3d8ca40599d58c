"""The mediator invites a people's deputy from the case page (People's Mediation Law art. 20).

Run with: python -m pytest tests/browser/test_invited.py -q
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, keep_screenshot, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context

pytestmark = pytest.mark.browser


def test_the_mediator_invites_a_deputy_who_is_listed_in_that_capacity(browser: Any, server: Server, artifacts: Any) -> None:
    booked = book_through_api(browser, server, "YQ", 14, day=session_day(later=23))
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    page.get_by_test_id("party-list").wait_for()

    # The capacity is asked only of an invited person, with what the law asks first.
    assert page.locator("#ap-invited_as").count() == 0
    page.locator("#ap-role").select_option("invited")
    capacity = page.locator("#ap-invited_as")
    capacity.wait_for()
    assert "征得当事人同意" in page.locator("#ap-invited_as-hint").inner_text()
    page.locator("#ap-name").fill("王代表")
    page.locator("#ap-phone").fill("13700000003")
    page.locator("#add-party-form button[type=submit]").click()
    page.locator("#ap-invited_as-err").filter(has_text="以什么身份").wait_for()

    capacity.select_option("deputy")
    page.locator("#add-party-form button[type=submit]").click()
    listed = page.get_by_test_id("party-list").locator("li").filter(has_text="王代表")
    listed.locator(".badge").filter(has_text="受邀参与 · 人大代表").wait_for()
    assert page.locator("#ap-invited_as").count() == 0, "the form starts again, without the capacity"
    page.locator("#history-body").filter(has_text="邀请参与调解").wait_for()
    keep_screenshot(page, artifacts / "case-invited-deputy.jpg")

    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    listed.locator(".badge").filter(has_text="Invited · People's deputy").wait_for()
    errors.check()
