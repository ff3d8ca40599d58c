"""A party rates the mediation and complains on a phone; the supervisor reads both on the board (#22).

After the session has ended the applicant, on a phone and in Chinese, chooses "满意" among five big
buttons, writes a comment, binds a key and signs the rating with a texted code; then complains
about the mediator, signing again. The page says the complaint was received by the organisation
above the committee (named), nothing more. The bureau's supervisor finds the complaint and the
mediator's rating (count, average, the comment) on the board and answers; the party reads the
answer on their page.

Run with: python -m pytest tests/browser/test_satisfaction.py -q
"""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from server.models import utcnow
from tests.browser.conftest import Server, book_through_api, cli, session_day
from tests.browser.test_agreement import fits, shot, tall_enough
from tests.browser.test_booking_flow import PageErrors, new_context, open_party_page
from tests.browser.test_evidence_ui import latest_code

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
BUREAU = "达拉市司法局"
SUPERVISOR, PASSWORD = "sup-han", "Supervise-Pass-7"
COMMENT = "调解员很耐心，把赔偿的算法讲清楚了。"
COMPLAINT = "调解员在视频里多次打断我，不让我把话说完。"


def sign_with_code(card: Any, server: Server, party_id: str, newer_than: int) -> int:
    code = card.get_by_test_id("sat-sign-code")
    code.wait_for()
    code_id, value = latest_code(server, party_id, newer_than=newer_than)
    code.fill(value)
    card.get_by_test_id("sat-sign-confirm").click()
    return code_id


def test_a_party_rates_and_complains_on_a_phone_and_the_supervisor_reads_both(
    browser: Any, server: Server, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "SAT", 11, day=session_day(later=32))
    applicant = next(link for link in booked.links if link["role"] == "applicant")
    # The session was held and has ended.
    with sqlite3.connect(server.data_dir / "mediate.sqlite3") as db:
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        db.execute(
            "UPDATE mediation_sessions SET starts_at = ?, ends_at = ? WHERE id = ?",
            ((utcnow() - timedelta(hours=2)).strftime(fmt), (utcnow() - timedelta(hours=1)).strftime(fmt), booked.session_id),
        )
    cli("org", "add", "--name", BUREAU, "--kind", "bureau", data_dir=server.data_dir)
    cli("org", "set", "--org", server.organisation_id, "--parent", BUREAU, data_dir=server.data_dir)
    cli(
        "user", "add", "--username", SUPERVISOR, "--password", PASSWORD, "--role", "supervisor", "--org", BUREAU,
        "--display-name", "韩督导员", data_dir=server.data_dir,
    )  # fmt: skip

    # --- the applicant rates on a phone --------------------------------------------------------------
    context, page, errors = open_party_page(browser, server, applicant["url"], viewport=PHONE)
    card = page.get_by_test_id("satisfaction-card")
    card.get_by_test_id("sat-star-5").wait_for()
    labels = [card.get_by_test_id(f"sat-star-{n}").inner_text() for n in (5, 4, 3, 2, 1)]
    assert [re.sub(r"[★☆\s]", "", label) for label in labels] == ["非常满意", "满意", "一般", "不满意", "非常不满意"]
    for n in (5, 1):
        tall_enough(card.get_by_test_id(f"sat-star-{n}"))
    card.get_by_test_id("sat-star-4").click()
    assert card.get_by_test_id("sat-star-4").get_attribute("aria-checked") == "true"
    card.get_by_test_id("sat-comment").fill(COMMENT)
    fits(page, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(page, artifacts, "satisfaction-rate-phone.jpg")
    card.get_by_test_id("sat-submit").click()
    # No key of this case is in this browser yet: the key card binds one, then signing goes on by itself.
    card.get_by_test_id("sat-key-first").wait_for()
    key_card = page.get_by_test_id("key-card")
    key_card.get_by_test_id("key-send").click()
    key_card.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, applicant["party_id"])
    key_card.get_by_test_id("key-code").fill(bind_code)
    key_card.get_by_test_id("key-confirm").click()
    rated_id = sign_with_code(card, server, applicant["party_id"], bind_id)
    rated = card.get_by_test_id("sat-rated")
    rated.wait_for()
    assert "您已评价：满意" in rated.inner_text()
    assert COMMENT in card.inner_text()
    assert card.get_by_test_id("sat-submit").count() == 0  # once only

    # --- and complains about the mediator ------------------------------------------------------------
    card.get_by_test_id("cmp-open").click()
    assert BUREAU in card.inner_text()  # who will receive it, before sending
    card.get_by_test_id("cmp-about-mediator").check()
    card.get_by_test_id("cmp-text").fill(COMPLAINT)
    fits(page, PHONE["width"])
    card.get_by_test_id("cmp-submit").click()
    sign_with_code(card, server, applicant["party_id"], rated_id)
    received = card.get_by_test_id("cmp-received")
    received.wait_for()
    assert received.inner_text().startswith(f"{BUREAU}已于") and "收到您的投诉" in received.inner_text()
    assert card.get_by_test_id("cmp-unanswered").inner_text() == f"{BUREAU}尚未答复。答复后会显示在这里。"
    fits(page, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(page, artifacts, "satisfaction-complained-phone.jpg")
    errors.check()

    # --- the bureau's supervisor reads the rating and the complaint, and answers ------------------------
    s_context = new_context(browser, server)
    board = s_context.new_page()
    s_errors = PageErrors(board)
    board.goto("/login")
    board.locator("#login-username").fill(SUPERVISOR)
    board.locator("#login-password").fill(PASSWORD)
    board.get_by_role("button", name="登录").click()
    board.wait_for_url(re.compile(r"/supervision$"))
    complaint = board.get_by_test_id("sup-complaint").filter(has_text=booked.case_number)
    complaint.wait_for()
    assert complaint.get_by_test_id("sup-complaint-text").inner_text() == COMPLAINT
    assert server.mediator_name in complaint.inner_text() and "王阿姨投诉调解员" in complaint.inner_text()
    record = board.locator(f'[data-testid="sup-rating"][data-mediator="{server.mediator_name}"]')
    assert record.get_by_test_id("sup-rating-summary").inner_text() == "1 条评价 · 平均 4 星"
    assert record.get_by_test_id("sup-rating-comment").inner_text() == COMMENT
    assert "王阿姨" not in record.inner_text()
    complaint.get_by_test_id("cmp-answer-text").fill("已约谈调解员，下次调解由两名调解员共同主持。")
    complaint.get_by_test_id("cmp-answer-submit").click()
    complaint.get_by_test_id("sup-complaint-answered").wait_for()
    assert "韩督导员" in complaint.get_by_test_id("sup-complaint-answered").inner_text()
    shot(board, artifacts, "satisfaction-supervision-board.jpg")
    s_errors.check()
    s_context.close()

    # --- the organisation's administrator reads the same record on their page ----------------------------
    cli("user", "add", "--username", "sat-admin", "--password", PASSWORD, "--role", "admin", data_dir=server.data_dir)
    a_context = new_context(browser, server)
    admin = a_context.new_page()
    a_errors = PageErrors(admin)
    admin.goto("/login")
    admin.locator("#login-username").fill("sat-admin")
    admin.locator("#login-password").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    admin.wait_for_url(re.compile(r"/admin$"))
    record = admin.locator(f'[data-testid="sup-rating"][data-mediator="{server.mediator_name}"]')
    assert record.get_by_test_id("sup-rating-summary").inner_text() == "1 条评价 · 平均 4 星"
    assert record.get_by_test_id("sup-rating-comment").inner_text() == COMMENT
    a_errors.check()
    a_context.close()

    # --- the party reads the answer -----------------------------------------------------------------------
    page.reload()
    answer = page.get_by_test_id("cmp-answer")
    answer.wait_for()
    assert answer.inner_text().startswith(f"{BUREAU}于") and "已约谈调解员" in answer.inner_text()
    errors.check()
    context.close()
