"""An overdue instalment on the supervisor's board, and archiving the closed case, in Chromium on a phone (#22).

The agreement (李四 pays 张三 5000 yuan and apologises in writing within 30 days) is signed and sealed
through the API by ``sealed_with_obligation``, which tests/browser/test_enforcement.py uses too. The
payment's last day is then moved two days into the past (the server's database, as a clock would).
A supervisor of a bureau above the committee, on a phone in Chinese, finds on their board who owes
whom what, since when, and that an instalment is overdue. On the statistics page the bureau's month
counts the case as mediated successfully (100 %) with its performance overdue, so not resolved, and
the overdue figure opens the ledger on it (#23: a sealed case seen through the pages).

Once the case is closed (through the API), its mediator archives it from the case page (归档, 30 years
under the committee's rule): the page says so and until when the file is kept, and offers no change.

The rest of the case's life after the agreement (the instalments reported and confirmed on phones,
the overdue instalment on the mediator's case list and case page, a follow-up visit, closing the
case and its report) is tests/browser/test_after_agreement_journey.py.

Run with: python -m pytest tests/browser/test_closing.py -q -p no:cacheprovider
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser import test_confirmation as confirmation
from tests.browser.conftest import Server, cli, keep_screenshot, session_day
from tests.browser.test_agreement import confirm, fits, shot
from tests.browser.test_booking_flow import PageErrors, new_context
from tests.browser.test_confirmation import MEDIATOR, TERMS, Client, bind_device_key
from tests.browser.test_statistics_pages import shown_totals

pytestmark = pytest.mark.browser

# The judicial confirmation module's server (its own, on http://localhost) and its accounts.
server = confirmation.server
accounts = confirmation.accounts

PHONE = {"width": 390, "height": 844}


def sealed_with_obligation(browser: Any, server: Server, number: str, hour: int) -> dict[str, Any]:
    """A case whose agreement (李四 pays 张三 5000 yuan in 30 days) is signed by everyone and sealed."""
    liu = Client(browser, server).login(MEDIATOR)
    case = liu.post(
        "/cases", {"case_number": number, "dispute_type": "wages", "source": "party_application", "summary": "拖欠工资。"}
    )
    case_id = case["id"]
    liu.post(f"/cases/{case_id}/parties", {"role": "applicant", "name": "张三", "phone": "13800000031"})
    liu.post(f"/cases/{case_id}/parties", {"role": "respondent", "name": "李四", "phone": "13800000032"})
    booked = liu.post(
        f"/cases/{case_id}/sessions",
        {
            "starts_at": f"{session_day(later=24).isoformat()}T{hour:02d}:00:00+08:00",
            "duration_minutes": 60,
            "timezone": "Asia/Shanghai",
        },
    )
    links = {link["role"]: link for link in booked["links"]}
    parties = {}
    for role in ("applicant", "respondent"):
        client = Client(browser, server).open_link(links[role]["url"])
        key, code_id = bind_device_key(server, client, links[role]["party_id"])
        parties[role] = (client, key, code_id)
    due = (date.today() + timedelta(days=30)).isoformat()
    terms: list[dict[str, Any]] = TERMS["terms"]  # type: ignore[assignment]
    first = {
        **terms[0],
        "obligation": {
            "debtor": links["respondent"]["party_id"], "creditor": links["applicant"]["party_id"], "kind": "pay",
            "what": "拖欠工资", "amount_fen": 500_000, "instalments": [{"due": due}],
        },
    }  # fmt: skip
    apology = {
        "text": "被申请人向申请人书面赔礼道歉。", "performance": "", "due": "",
        "obligation": {
            "debtor": links["respondent"]["party_id"], "creditor": links["applicant"]["party_id"], "kind": "apologise",
            "what": "书面", "instalments": [{"due": due}],
        },
    }  # fmt: skip
    base = f"/cases/{case_id}/agreement"
    liu.post(base, {"session_id": booked["session"]["id"]})
    liu.post(f"{base}/versions", {"content": {**TERMS, "terms": [first, apology]}, "based_on": 1})
    deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 86400))
    liu.post(f"{base}/final", {"version": 2, "deadline": deadline}, expect=200)
    confirmation.signed_and_sealed(server, liu, case_id, parties, links)
    return {"case_id": case_id, "links": links}


def test_an_overdue_instalment_shows_on_the_supervisors_board(
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
    keep_screenshot(card, artifacts / "closing-board-overdue-phone.jpg")

    # The bureau's statistics of this month count the sealed case as mediated successfully (100 %), its
    # performance as overdue and so not resolved, and the overdue figure opens the ledger on that case.
    board.goto("/statistics?subtree=true")
    board.locator('[data-testid="st-total"][data-figure="successful"] [data-testid="st-total-value"]').filter(
        has_text="1"
    ).wait_for()
    shown = shown_totals(board)
    assert [shown[k] for k in ("mediated", "successful", "success_rate", "with_obligations", "overdue_performance")] == [
        "1", "1", "100.0%", "1", "1",
    ], shown  # fmt: skip
    assert (shown["performed"], shown["resolved"], shown["amount_fen"]) == ("0", "0", "¥5,000.00"), shown
    board.locator('[data-testid="st-chart-places"][data-state="ready"] canvas').wait_for()
    assert board.get_by_test_id("st-table-places").locator("tbody td:nth-child(2)").all_inner_texts() == ["100.0%"]
    board.locator('[data-testid="st-total"][data-figure="overdue_performance"] [data-testid="st-figure-link"]').click()
    board.wait_for_url(re.compile(r"/ledger\?.*figure=overdue_performance"))
    board.get_by_test_id("ledger-count").filter(has_text="共 1 件案件").wait_for()
    assert board.get_by_test_id("ledger-row").get_attribute("data-case-id") == sealed["case_id"]
    errors.check()
    context.close()


def test_the_mediator_archives_the_closed_case_and_the_page_then_reads_only(
    browser: Any, server: Server, accounts: None, artifacts: Path
) -> None:
    sealed = sealed_with_obligation(browser, server, "（2026）京朝调字第826号", 10)
    liu = Client(browser, server).login(MEDIATOR)
    liu.post(f"/cases/{sealed['case_id']}/close", {"reason": "waived", "note": "申请人书面表示放弃剩余请求"})
    liu.close()
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").fill(MEDIATOR)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/mediator")
    page.goto(f"/cases/{sealed['case_id']}")

    # Offered once closed, under the organisation's rule; until then the page still offers its changes.
    offered = page.locator("#archive")
    offered.wait_for()
    assert "（30年）" in offered.inner_text()
    assert page.locator("#sessions form").count() == 1 and page.get_by_test_id("file-upload").count() == 1
    offered.get_by_test_id("archive-case").click()
    page.locator("dialog").filter(has_text="归档后，本案的当事人").wait_for()
    confirm(page, "归档")
    notice = page.get_by_test_id("case-archived")
    notice.wait_for()
    text = notice.inner_text()
    assert re.search(r"此案件已于\d{4}年\d{1,2}月\d{1,2}日归档，只能查阅，不能再更改。卷宗保管期限：30年，至\d{4}年", text), text
    # Archived: nothing is offered that would change it (the server would refuse it: case_archived).
    page.get_by_test_id("file-upload").wait_for(state="detached")
    assert page.locator("#sessions form").count() == 0 and offered.count() == 0
    assert page.get_by_test_id("idcheck-submit").count() == 0 and page.get_by_test_id("join-live").count() == 0
    page.locator("#history-body").filter(has_text="案件归档").wait_for()
    fits(page, PHONE["width"])
    notice.scroll_into_view_if_needed()
    shot(page, artifacts, "closing-archived-phone.jpg")
    errors.check()
    context.close()
