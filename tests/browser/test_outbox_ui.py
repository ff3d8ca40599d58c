"""The mediator's view of the outbox says plainly what became of each message (#18).

The shared test server spools text messages (tests/browser/conftest.py) and has no SMTP: the SMS
go to the forwarder's spool, the e-mail to a party who gave an address is only recorded. The case
page must say exactly that, and never "已发送" for a message that only sits in the outbox.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import MEDIATOR_PASSWORD, MEDIATOR_USERNAME, Server, session_day, unique_case_number
from tests.browser.test_booking_flow import PageErrors, log_in, new_context

pytestmark = pytest.mark.browser


def case_with_an_email_party(browser: Any, server: Server) -> str:
    context = browser.new_context(base_url=server.base_url)
    try:
        req = context.request
        res = req.post("/api/v1/auth/login", data={"username": MEDIATOR_USERNAME, "password": MEDIATOR_PASSWORD})
        headers = {"X-CSRF-Token": res.json()["csrf_token"]}

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            r = req.post(f"/api/v1{path}", data=body, headers=headers)
            assert r.status == 201, f"POST {path}: {r.status} {r.text()}"
            return dict(r.json())

        case = post(
            "/cases",
            {
                "case_number": unique_case_number("OB"),
                "dispute_type": "neighbours",
                "source": "party_application",
                "summary": "楼上漏水",
            },
        )
        post(
            f"/cases/{case['id']}/parties",
            {"role": "applicant", "name": "王阿姨", "phone": "13800000021", "email": "wang@example.cn"},
        )
        post(f"/cases/{case['id']}/parties", {"role": "respondent", "name": "赵先生", "phone": "13800000022"})
        post(
            f"/cases/{case['id']}/sessions",
            {
                "starts_at": f"{session_day(later=12).isoformat()}T09:00:00+08:00",  # a weekday no other module books
                "duration_minutes": 60,
                "timezone": "Asia/Shanghai",
            },
        )
        # The server's outbox round hands them on (every 5 s): wait until none is pending.
        deadline = time.monotonic() + 30
        while True:
            items = req.get(f"/api/v1/cases/{case['id']}/outbox").json()["items"]
            if items and all(m["status"] not in ("pending", "sending") for m in items):
                return str(case["id"])
            assert time.monotonic() < deadline, items
            time.sleep(0.3)
    finally:
        context.close()


def test_the_case_page_says_what_became_of_each_message(browser: Any, server: Server) -> None:
    case_id = case_with_an_email_party(browser, server)
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{case_id}")
    states = page.locator("#outbox-body [data-testid='outbox-state']")
    states.first.wait_for()
    texts = {(s.get_attribute("data-status"), s.inner_text()) for s in states.all()}
    assert texts == {("sent", "已交给短信转发程序"), ("recorded", "仅记录未发送：请通过电话或微信转告")}, texts
    assert states.count() == 3, "two invitations by SMS, one by e-mail"
    assert "已发送" not in page.locator("#outbox-body").inner_text()
    errors.check()
    context.close()
