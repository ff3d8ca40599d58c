"""The case page shows the case's clocks: an overdue mediation period is seen, with what to do next.

Run with: python -m pytest tests/browser/test_clocks_ui.py -q
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES

pytestmark = pytest.mark.browser


def test_an_overdue_mediation_period_is_shown_with_its_source_and_the_next_step(browser: Any, server: Server) -> None:
    booked = book_through_api(browser, server, "CK", 9, day=session_day(later=19), dispute=WAGES)
    # Accepted on 1 September 2026 (10:00 in Beijing): 1 October + 30 days falls in the National Day
    # holiday, so the last day is Thursday 8 October, long past.
    with sqlite3.connect(server.data_dir / "mediate.sqlite3") as db:
        db.execute("UPDATE cases SET created_at = '2026-09-01 02:00:00.000000' WHERE id = ?", (booked.case_id,))
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    clock = page.get_by_test_id("clock-mediation")
    clock.wait_for()
    assert clock.get_attribute("data-state") == "overdue"
    text = clock.inner_text()
    assert "调解期限" in text and "已逾期" in text and "2026年10月8日" in text
    assert "《人民法院在线调解规则》第二十四条" in text and "提议延长" in text

    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.get_by_role("heading", name="Deadlines", exact=True).wait_for()
    text = clock.inner_text()
    assert "Mediation period" in text and "Overdue" in text and "8 October 2026" in text
    assert "Online Mediation Rules art. 24" in text and "propose an extension" in text
    errors.check()
    context.close()
