"""An administrator issues the 12345 hotline a key from the admin page; the hotline's orders become cases (#21).

The administrator chooses the committee and the clerk who receives orders, issues the key and sees
it once (at phone size, in Chinese). The hotline's system (here: plain HTTP requests with that key,
as the real one sends them) sends an order and then a repeated call: one case, which the clerk finds
in their list with its source and order number. Revoked on the page, the key is refused.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.browser.conftest import Server, cli
from tests.browser.test_booking_flow import PageErrors, log_in, new_context

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "hotline-admin", "Hotline-Admin-9"
PHONE = {"width": 390, "height": 844}


def send(server: Server, key: str, order: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{server.base_url}/api/v1/work-orders", json=order, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_the_administrator_issues_a_hotline_key_and_its_orders_reach_the_clerk(browser: Any, server: Server) -> None:
    cli(
        "user", "add", "--username", ADMIN, "--password", PASSWORD, "--role", "admin", "--display-name", "系统管理员",
        data_dir=server.data_dir,
    )  # fmt: skip
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").fill(ADMIN)
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/admin$"))

    section = page.locator("#hotline")
    section.get_by_role("heading", name="热线工单接口（12345 派单）").wait_for()
    assert section.get_by_test_id("hotline-endpoint").inner_text().endswith("/api/v1/work-orders")
    section.get_by_label("接收工单的组织").select_option(label=server.organisation_name)
    section.get_by_label("热线名称").fill("12345 政务服务便民热线")
    # The clerk who receives the orders: one of the committee's mediators (other tests on this server may add more).
    section.get_by_label("工单受理人").select_option(label=server.mediator_name)
    section.get_by_role("button", name="生成密钥").click()
    issued = section.get_by_test_id("hotline-issued")
    issued.wait_for()
    assert "密钥只显示这一次" in issued.inner_text()
    key = section.get_by_test_id("hotline-key").inner_text().strip()
    assert key.startswith("mdh_")
    row = section.get_by_test_id("hotline-keys").locator("tbody tr")
    row.filter(has_text="尚未使用").wait_for()
    assert key not in row.inner_text()  # the list names the key by its number only
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The hotline sends an order, then the caller's second call about the same dispute.
    order = {
        "order_number": "GD20261205-0901",
        "caller": {"name": "马建军", "phone": "13900000091"},
        "respondent": {"name": "鑫达建筑劳务有限公司", "phone": "010-64000091"},
        "dispute_type": "wages",
        "content": "来电人反映公司拖欠三个月工资，诉求尽快支付。",
    }
    first = send(server, key, order)
    assert first.status_code == 200, first.text
    case_number = first.json()["case_number"]
    repeat = send(server, key, {**order, "order_number": "GD20261207-0033", "content": "来电人再次反映工资仍未支付。"})
    assert repeat.json()["received"] == "joined" and repeat.json()["case_number"] == case_number

    # The clerk finds one case in their list, from the hotline, with the order's number.
    m_context = new_context(browser, server)
    m_page = m_context.new_page()
    m_errors = PageErrors(m_page)
    log_in(m_page, server)
    item = m_page.locator(".case-item").filter(has=m_page.get_by_text(case_number, exact=True))
    item.wait_for()
    item.get_by_role("link").first.click()
    source = m_page.get_by_test_id("case-source")
    source.wait_for()
    assert "12345 派单" in source.inner_text() and "GD20261205-0901" in source.inner_text()
    m_errors.check()
    m_context.close()

    # Revoked on the page: the hotline's next order is refused.
    page.reload()
    section.get_by_label("接收工单的组织").select_option(label=server.organisation_name)
    row.filter(has_text="12345 政务服务便民热线").get_by_role("button", name="停用").click()
    row.get_by_text("已停用").wait_for()
    refused = send(server, key, {**order, "order_number": "GD20261208-0001"})
    assert refused.status_code == 401 and refused.json()["error"]["reason"] == "hotline_key_invalid"
    errors.check()
    context.close()
