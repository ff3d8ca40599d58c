"""The review page keeps a keyboard user's place while it redraws.

A playing recording redraws the page ten times a second (the clock, the seek bar, each tile's
note), and a change of language redraws every text. Neither may take focus away or undo what the
user typed: the event in the list that has focus keeps it (the same element, not a copy found
again afterwards), the language button keeps it across the switch, and a place typed into the seek
bar with Page Up (the range input's own key, which the page leaves alone) stays while the clock
ticks. The recording is made for real, as test_review does.

Run with: python -m pytest tests/browser/test_review_updates.py -q
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES
from tests.browser.test_review import VIDEOS, make_recording

pytestmark = pytest.mark.browser

POSITION = "Number(document.querySelector('[data-testid=review-player]').dataset.position)"
HELD = "() => document.activeElement === window.held && window.held.isConnected"


def hold_focus(page: Any) -> None:
    """Remember the element that has focus now, to ask later whether it still has it."""
    page.evaluate("() => { window.held = document.activeElement; }")


def test_focus_and_a_typed_seek_position_survive_the_review_page_redrawing(browser: Any, server: Server) -> None:
    booked = book_through_api(browser, server, "RU", 10, day=session_day(later=15), dispute=WAGES)
    make_recording(server, booked)

    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/review/{booked.session_id}")
    page.get_by_test_id("review-player").wait_for()
    page.wait_for_function(f"{VIDEOS}.length === 3 && {VIDEOS}.every(v => v.readyState >= 2)", timeout=20_000)

    # Playing, with focus on an event of the list: a second of redraws later, it still has it.
    page.get_by_test_id("review-play").click()
    page.get_by_test_id("review-marker").nth(1).focus()
    hold_focus(page)
    start = page.evaluate(POSITION)
    page.wait_for_function(f"{POSITION} > {start + 1.0}", timeout=20_000)
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")

    # The language changes (by a click that does not move focus): every text is redrawn in English,
    # the same event button keeps focus, and the recording plays on.
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.get_by_test_id("review").filter(has_text="What happened while recording").wait_for()
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    assert "Pause" in page.get_by_test_id("review-play").inner_text()
    # From the keyboard, the language button itself keeps focus across the switch back.
    page.get_by_test_id("lang-switch").focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("review").filter(has_text="录制期间的事件").wait_for()
    assert page.evaluate("document.activeElement.dataset.testid") == "lang-switch"

    # Paused (at once, in case the recording has just played to its end and paused itself), on the
    # seek bar: Home goes to the start, Page Up types a place further on; the place stays in the bar
    # while the paused clock keeps redrawing the page, and the videos go there.
    page.evaluate(
        "() => { const b = document.querySelector('[data-testid=review-play]'); if (b.ariaPressed === 'true') b.click(); }"
    )
    page.wait_for_function(f"{VIDEOS}.every(v => v.paused)")
    seek = page.get_by_test_id("review-seek")
    seek.focus()
    hold_focus(page)
    page.keyboard.press("Home")
    page.wait_for_function(f"{POSITION} === 0")
    page.keyboard.press("PageUp")
    page.wait_for_function(f"{POSITION} > 0")
    typed = float(seek.input_value())
    page.wait_for_function(
        f"""{VIDEOS}.every(v => {{
            const local = {typed} - Number(v.dataset.offset);
            return !v.seeking && (local < 0 ? v.currentTime < 0.3 : Math.abs(v.currentTime - local) < 0.2);
        }})""",
        timeout=10_000,
    )
    assert float(seek.input_value()) == typed
    assert page.evaluate(HELD), page.evaluate("document.activeElement.outerHTML")
    errors.check()
    context.close()
