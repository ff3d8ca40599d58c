"""The mediator's agreement editor keeps what is typed, and the focus, while the panel redraws.

The agreement panel on the case page looks at the agreement every five seconds and redraws when
something changed (a version saved elsewhere, a party's comment), and a change of language redraws
every text. Neither may take focus from the field being typed in (the same element, not a copy
found again afterwards) or undo what was typed and not saved: the caret stays where it was, so the
next keys go on where the last ones stopped, and the signing deadline being chosen stays too.

Run with: python -m pytest tests/browser/test_agreement_updates.py -q
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_confirmation import TERMS
from tests.browser.test_live_session import WAGES

pytestmark = pytest.mark.browser

HELD = "() => document.activeElement === window.held && window.held.isConnected"
TYPED = "被申请人于2026年12月31日前向申请人支付拖欠工资人民币12000元"


def test_typed_text_and_focus_survive_the_agreement_panel_redrawing(browser: Any, server: Server) -> None:
    booked = book_through_api(browser, server, "AU", 10, day=session_day(later=17), dispute=WAGES)
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    panel = page.get_by_test_id("agreement-panel")
    panel.get_by_test_id("agr-create").click()
    panel.get_by_test_id("agr-editor").wait_for()

    # A signing deadline chosen, then a term being typed (not saved), the caret in it.
    panel.locator("#agr-deadline-time").fill("17:30")
    term = panel.locator("#agr-term-0-text")
    term.fill(TYPED)
    page.evaluate("() => { window.held = document.activeElement; }")
    assert page.evaluate("document.activeElement.id") == "agr-term-0-text"

    # Version 2 is saved elsewhere (the mediator's other tab, here through the API with the page's
    # cookies): the next look at the agreement redraws the panel with it, and nothing typed is lost.
    request = context.request
    csrf = request.get("/api/v1/auth/me").json()["csrf_token"]
    saved = request.post(
        f"/api/v1/cases/{booked.case_id}/agreement/versions",
        data={"content": TERMS, "based_on": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.status == 201, saved.text()
    panel.get_by_test_id("agr-versions").locator('[data-number="2"]').wait_for(timeout=20_000)
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert term.input_value() == TYPED
    assert panel.locator("#agr-deadline-time").input_value() == "17:30"
    panel.get_by_test_id("agr-unsaved").filter(has_text="有尚未保存的修改").wait_for()
    page.keyboard.type("整。")
    assert term.input_value() == f"{TYPED}整。", "the caret moved"

    # The language changes (by a click that does not move focus): the panel is in English, the same
    # field has focus and holds what was typed.
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    panel.get_by_test_id("agr-unsaved").filter(has_text="There are unsaved changes").wait_for()
    assert "Mediation agreement" in panel.locator("#agreement-title").inner_text()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert term.input_value() == f"{TYPED}整。"
    assert panel.locator("#agr-deadline-time").input_value() == "17:30"

    errors.check()
    context.close()
