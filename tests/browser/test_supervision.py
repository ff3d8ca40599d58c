"""A justice bureau's supervisor instructs on a case from their board, and its mediator answers (#21).

The browser server's committee is placed under a city justice bureau (the command line, as an
operator would); the bureau's supervisor logs in, lands on the supervision board, finds the case
with its committee, mediator and stage, and issues an instruction with a due date. The mediator
opens the case, reads the instruction and replies; the board then shows the reply, and the case
page shows the supervisor no control that changes the case.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, cli, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context

pytestmark = pytest.mark.browser

SUPERVISOR, PASSWORD = "sup-meng", "Supervise-Pass-9"
BUREAU = "乌兰市司法局"


def test_a_supervisor_instructs_from_the_board_and_the_mediator_answers(browser: Any, server: Server) -> None:
    day = session_day(later=20)
    booked = book_through_api(browser, server, "SV", 10, day=day)
    cli("org", "add", "--name", BUREAU, "--kind", "bureau", data_dir=server.data_dir)
    cli("org", "set", "--org", server.organisation_id, "--parent", BUREAU, data_dir=server.data_dir)
    cli(
        "user", "add", "--username", SUPERVISOR, "--password", PASSWORD, "--role", "supervisor", "--org", BUREAU,
        "--display-name", "孟督导员", data_dir=server.data_dir,
    )  # fmt: skip

    s_context = new_context(browser, server)
    board = s_context.new_page()
    s_errors = PageErrors(board)
    board.goto("/login")
    board.locator("#login-username").fill(SUPERVISOR)
    board.locator("#login-password").fill(PASSWORD)
    board.get_by_role("button", name="登录").click()
    board.wait_for_url(re.compile(r"/supervision$"))
    card = board.locator(f'[data-testid="sup-case"][data-case-id="{booked.case_id}"]')
    card.wait_for()
    assert card.get_by_test_id("sup-org").inner_text() == server.organisation_name
    assert card.get_by_test_id("sup-mediator").inner_text() == server.mediator_name
    assert "进行中" in card.get_by_test_id("sup-stage").inner_text()
    assert card.get_by_test_id("sup-age").inner_text() == "0 天"
    assert card.get_by_test_id("sup-state").inner_text() == "未督办"
    # The instruction, with the day a reply is due.
    card.get_by_test_id("sup-unfold").click()
    card.get_by_test_id("sup-issue-text").fill("请于本周内组织第二次调解，并报告结果。")
    card.get_by_test_id("sup-issue-due").fill((day + timedelta(days=3)).isoformat())
    card.get_by_test_id("sup-issue-submit").click()
    card.get_by_test_id("sup-state").filter(has_text="1 条待回复").wait_for()
    assert card.get_by_test_id("sup-text").inner_text() == "请于本周内组织第二次调解，并报告结果。"

    # The supervisor reads the case and is offered nothing that changes it.
    board.goto(f"/cases/{booked.case_id}")
    board.get_by_test_id("case-supervisor").wait_for()
    board.get_by_test_id("party-list").wait_for()
    board.get_by_test_id("sup-agreement").get_by_text("本案还没有调解协议").wait_for()
    for control in ("join-live", "export-bundle"):
        assert board.get_by_test_id(control).filter(visible=True).count() == 0, control
    assert board.locator("#book-form, #add-party-form, #idcheck-form").count() == 0

    # The mediator sees it on the case and answers.
    m_context = new_context(browser, server)
    page = m_context.new_page()
    m_errors = PageErrors(page)
    log_in(page, server)
    # The mediator's list of cases says an instruction awaits them.
    mine = page.locator(".case-item").filter(has=page.get_by_text(booked.case_number, exact=True))
    assert mine.get_by_test_id("case-supervision").inner_text() == "1 条督办意见待回复"
    page.goto(f"/cases/{booked.case_id}")
    item = page.locator('#supervision [data-testid="sup-item"][data-awaiting="true"]')
    item.wait_for()
    assert "孟督导员" in item.inner_text() and BUREAU in item.inner_text()
    item.get_by_test_id("sup-reply-text").fill("已于周三组织第二次调解，双方同意分两期支付。")
    item.get_by_test_id("sup-reply-submit").click()
    page.locator('#supervision [data-testid="sup-reply"]').filter(has_text="分两期支付").wait_for()
    page.locator("#history-body").get_by_text("调解员回复督办意见").wait_for()

    # Back on the board: answered.
    board.goto("/supervision")
    card.get_by_test_id("sup-state").filter(has_text="均已回复").wait_for()
    card.get_by_test_id("sup-unfold").click()
    assert "分两期支付" in card.get_by_test_id("sup-reply").inner_text()
    s_errors.check()
    m_errors.check()
    s_context.close()
    m_context.close()

    # The administrator's page shows the tree and refuses to make it a loop, naming the organisation.
    cli("user", "add", "--username", "sup-admin", "--password", PASSWORD, "--role", "admin", data_dir=server.data_dir)
    a_context = new_context(browser, server)
    admin = a_context.new_page()
    a_errors = PageErrors(admin)
    admin.goto("/login")
    admin.locator("#login-username").fill("sup-admin")
    admin.locator("#login-password").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    admin.wait_for_url(re.compile(r"/admin$"))
    rows = admin.get_by_test_id("org-table").locator("tbody tr")
    committee = rows.filter(has=admin.locator("td:first-child", has_text=re.compile(f"^{re.escape(server.organisation_name)}$")))
    bureau = rows.filter(has=admin.locator("td:first-child", has_text=re.compile(f"^{BUREAU}$")))
    committee.get_by_test_id("org-parent").wait_for()
    assert committee.get_by_test_id("org-parent").input_value() != ""  # below the bureau
    bureau.get_by_test_id("org-parent").select_option(label=server.organisation_name)
    bureau.get_by_test_id("org-parent-save").click()
    refusal = bureau.locator(".field-error")
    refusal.wait_for()
    assert f"{server.organisation_name}是本组织自身或它的下级" in refusal.inner_text()
    a_errors.check()
    a_context.close()
