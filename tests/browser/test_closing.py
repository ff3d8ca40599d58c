"""Follow-up visits and closing the case in Chromium, on a phone (#22).

The agreement (李四 pays 张三 5000 yuan and apologises in writing within 30 days) is signed and sealed
through the API, as tests/browser/test_performance.py does. On a phone (390x844), in Chinese, the
mediator opens the case page: 回访与结案 lists the visits due by rule (7 and 30 days after sealing, and
after the last day), none due yet; the mediator records a visit made by phone (the performance found,
基本满意, the risk and what was done), sees it listed, then closes the case: the page says two
obligations are outstanding, so 协议已履行完毕 cannot be chosen; they close it as 当事人放弃 with an
explanation, confirm, and the page says who closed it, why, and links the case-closing report (PDF).
Then an instalment past its last day: the mediator's case list marks the case, and a supervisor of a
bureau above the committee finds on their board who owes whom what, since when, and the visit due.

Run with: python -m pytest tests/browser/test_closing.py -q -p no:cacheprovider
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser import test_confirmation as confirmation
from tests.browser.conftest import Server, cli
from tests.browser.test_agreement import confirm, fits, shot
from tests.browser.test_booking_flow import PageErrors, new_context
from tests.browser.test_confirmation import MEDIATOR
from tests.browser.test_performance import PHONE, sealed_with_obligation

pytestmark = pytest.mark.browser

server = confirmation.server
accounts = confirmation.accounts


def test_the_mediator_records_a_visit_and_closes_the_case_on_a_phone(
    browser: Any, server: Server, accounts: None, artifacts: Path
) -> None:
    sealed = sealed_with_obligation(browser, server, "（2026）京朝调字第824号", 11)
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").fill(MEDIATOR)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/mediator")
    page.goto(f"/cases/{sealed['case_id']}")
    section = page.get_by_test_id("case-closing")
    visits = section.get_by_test_id("follow-up")
    visits.first.wait_for()
    # By rule: 7 and 30 days after sealing, and the day after each of the two last days; none due today.
    assert visits.count() == 4
    assert "协议生效后第7日回访" in section.inner_text() and "未到期" in visits.first.inner_text()
    assert "第1条履行期限届满后回访" in section.inner_text() and "第2条履行期限届满后回访" in section.inner_text()

    # A visit made by phone, unplanned.
    section.get_by_test_id("visit-open").click()
    form = section.get_by_test_id("visit-form")
    form.get_by_test_id("visit-method-phone").check()
    form.get_by_test_id("visit-performance").fill("被申请人表示工资将于月底前支付，道歉信已写好")
    form.get_by_test_id("visit-satisfaction-partly").check()
    form.get_by_test_id("visit-risk").fill("被申请人资金紧张")
    form.get_by_test_id("visit-actions").fill("已提醒按期履行")
    fits(page, PHONE["width"])
    form.screenshot(path=str(artifacts / "closing-visit-form-phone.png"))
    form.get_by_test_id("visit-send").click()
    section.get_by_test_id("closing-message").filter(has_text="回访记录已保存").wait_for()
    recorded = section.locator("[data-testid=follow-up][data-recorded=true]")
    recorded.wait_for()
    text = recorded.inner_text()
    assert "电话" in text and "基本满意" in text and "被申请人资金紧张" in text and "已提醒按期履行" in text, text

    # Closing: two obligations are outstanding, so "performed in full" cannot be chosen; a reason is given.
    close = section.get_by_test_id("close-form")
    assert "还有 2 项义务未履行完毕" in close.get_by_test_id("closing-outstanding").inner_text()
    assert close.locator("option[value=performed]").is_disabled()
    close.get_by_test_id("close-reason").select_option("waived")
    close.get_by_test_id("close-note").fill("申请人书面表示放弃剩余请求")
    close.screenshot(path=str(artifacts / "closing-form-phone.png"))
    close.get_by_test_id("close-send").click()
    page.locator("dialog").filter(has_text="结案后，本案不能再报告或确认履行").wait_for()
    confirm(page, "结案")
    closed = section.get_by_test_id("closing-closed")
    closed.wait_for()
    assert "结案原因：当事人放弃：申请人书面表示放弃剩余请求" in closed.inner_text()
    report = section.get_by_test_id("closing-report")
    assert "人民调解结案报告表" in report.inner_text()
    href = report.get_attribute("href") or ""
    response = page.request.get(href)
    assert response.status == 200 and response.body().startswith(b"%PDF")
    # The case file (卷宗) made at closing: a link to download it, beside the report.
    case_file = section.get_by_test_id("case-file-link")
    assert "下载卷宗 PDF" in case_file.inner_text()
    downloaded = page.request.get(case_file.get_attribute("href") or "")
    assert downloaded.status == 200 and downloaded.body().startswith(b"%PDF")
    # Closed: no visit can be recorded from the page any more, and only the visit made is listed.
    assert section.get_by_test_id("visit-form").count() == 0 and visits.count() == 1
    assert "已结案" in section.locator("h2").inner_text()
    fits(page, PHONE["width"])
    section.scroll_into_view_if_needed()
    shot(page, artifacts, "closing-closed-phone.png")
    section.screenshot(path=str(artifacts / "closing-section-phone.png"))
    errors.check()
    context.close()


def test_an_overdue_instalment_shows_on_the_mediators_list_and_the_supervisors_board(
    browser: Any, server: Server, accounts: None, artifacts: Path
) -> None:
    sealed = sealed_with_obligation(browser, server, "（2026）京朝调字第825号", 15)
    # The payment's last day was two days ago (a Beijing day; the server reads the same database).
    last_day = date.today() - timedelta(days=2)
    con = sqlite3.connect(server.data_dir / "mediate.sqlite3", timeout=10)
    try:
        with con:
            con.execute(
                "UPDATE obligations SET due_date = ? WHERE case_id = ? AND kind = 'pay'",
                (last_day.isoformat(), sealed["case_id"]),
            )
    finally:
        con.close()
    cli("org", "add", "--name", "乌兰市司法局", "--kind", "bureau", data_dir=server.data_dir)
    cli("org", "set", "--org", confirmation.COMMITTEE, "--parent", "乌兰市司法局", data_dir=server.data_dir)
    cli(
        "user", "add", "--username", "sup-closing", "--password", "Supervise-Pass-9", "--role", "supervisor",
        "--org", "乌兰市司法局", "--display-name", "孟督导员", data_dir=server.data_dir,
    )  # fmt: skip

    # The mediator's case list marks the case.
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").fill(MEDIATOR)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/mediator")
    item = page.locator(".case-item").filter(has_text="（2026）京朝调字第825号")
    item.get_by_test_id("case-overdue-obligations").filter(has_text="1 期履行已逾期").wait_for()
    errors.check()
    context.close()

    # The supervisor's board names who owes whom what, and since when.
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    board = context.new_page()
    errors = PageErrors(board)
    board.goto("/login")
    board.locator("#login-username").fill("sup-closing")
    board.locator("#login-password").fill("Supervise-Pass-9")
    board.get_by_role("button", name="登录").click()
    board.wait_for_url(re.compile(r"/supervision$"))
    card = board.locator(f'[data-testid="sup-case"][data-case-id="{sealed["case_id"]}"]')
    overdue = card.get_by_test_id("sup-overdue-obligation")
    overdue.wait_for()
    text = overdue.inner_text()
    since = last_day + timedelta(days=1)
    assert "被申请人李四应向申请人张三履行第一条：人民币5000.00元" in text, text
    assert f"自{since.year}年{since.month}月{since.day}日" in text and "起逾期" in text, text
    assert "1 期履行已逾期" in card.get_by_test_id("sup-after").inner_text()
    fits(board, PHONE["width"])
    card.screenshot(path=str(artifacts / "closing-board-overdue-phone.png"))
    errors.check()
    context.close()
