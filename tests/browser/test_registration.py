"""A collective wage case registered at the window in a real browser (受理登记, #21).

The clerk chooses the source (a 12345 work order, with its number), ticks "collective dispute",
pastes 72 workers' "name, phone" lines and the employer as respondent. A line that cannot be read
is named by its number under the list, in Chinese; once it is corrected the case is registered in
one go, and the case page and the case list show its source and its 72 applicants. Nothing is
booked, so no session day is taken.

Run with: python -m pytest tests/browser/test_registration.py -q
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Server, keep_screenshot
from tests.browser.test_booking_flow import PageErrors, log_in, new_context

pytestmark = pytest.mark.browser


def workers(count: int) -> list[str]:
    return [f"务工人员{n:02d}, 1370000{n:04d}" for n in range(1, count + 1)]


def test_a_collective_wage_case_of_72_workers_is_registered_at_the_window(
    browser: Any, server: Server, new_case_number: Any, artifacts: Path
) -> None:
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)

    number = new_case_number("JT")
    page.locator("#nc-case_number").fill(number)
    page.locator("#nc-dispute_type").select_option("wages")
    assert page.locator("#nc-source").input_value() == "party_application", "a party's application is preselected"
    page.locator("#nc-source").select_option("hotline_order")
    page.locator("#nc-source_reference").fill("12345-20261205-0173")
    page.locator("#nc-summary").fill("72名务工人员在被申请人的工地务工，被拖欠工资共计216万元。")
    page.locator("#nc-amount_in_dispute").fill("2160000")
    page.locator("#nc-collective").check()
    lines = workers(72)
    lines[36] = "务工人员37, 137-abc-0037"
    page.locator("#nc-applicant_lines").fill("\n".join(lines))
    page.get_by_test_id("lines-count").filter(has_text="已填写 72 行").wait_for()
    page.locator("#nc-respondents-0-name").fill("某建筑劳务有限公司")
    page.locator("#nc-respondents-0-phone").fill("0471-6900000")
    page.locator("#nc-respondents-0-address").fill("内蒙古自治区呼和浩特市新城区")
    page.get_by_role("button", name="登记并创建案件").click()

    # The bad line is named under the list, in Chinese, and the list is marked and focused.
    said = page.get_by_test_id("lines-errors")
    said.filter(has_text="第 37 行").wait_for()
    assert "不是电话号码" in said.inner_text()
    assert "申请人名单中有 1 行需要改正" in page.locator("#new-case-form .form-message").inner_text()
    assert page.locator("#nc-applicant_lines").get_attribute("aria-invalid") == "true"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'nc-applicant_lines'")
    assert_accessible(page, "registration form with a bad line")
    keep_screenshot(page.locator("#new-case"), artifacts / "registration-bad-line.jpg")

    lines[36] = "务工人员37, 13700000037"
    page.locator("#nc-applicant_lines").fill("\n".join(lines))
    page.get_by_role("button", name="登记并创建案件").click()
    page.wait_for_url(re.compile(r"/cases/[^/]+$"))
    page.get_by_test_id("case-number").filter(has_text=number).wait_for()
    assert page.get_by_test_id("case-collective").inner_text() == "72 名申请人"
    page.get_by_test_id("case-source").filter(has_text="12345 派单").wait_for()  # in words once /meta has come
    assert page.get_by_test_id("case-source").inner_text() == "12345 派单 · 来源编号 12345-20261205-0173"
    page.get_by_test_id("evidence-record").first.wait_for()
    assert page.locator('[data-testid="evidence-record"][data-seq="1"]').get_attribute("data-type") == "case_registered"
    assert "务工人员72" in page.get_by_test_id("party-list").inner_text()
    keep_screenshot(page.locator("#details"), artifacts / "registration-case-details.jpg")

    page.goto("/mediator")
    item = page.locator(".case-item").filter(has_text=number)
    assert item.get_by_test_id("case-collective").inner_text() == "群体性纠纷 · 72 名申请人"
    assert "12345 派单" in item.inner_text()
    errors.check()
    context.close()
