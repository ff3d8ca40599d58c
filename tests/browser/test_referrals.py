"""A case referred to another organisation to lead it, accepted there (issue #21).

The lead's mediator refers the case from its page; the receiving centre's mediator sees it on their
dashboard, accepts it, naming themself to handle it, and finds it among their cases; the referring
mediator still reads the case, and its history says who accepted it, in Chinese and in English.

Run with: python -m pytest tests/browser/test_referrals.py -q
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, cli, last_line, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES

pytestmark = pytest.mark.browser


def test_a_case_referred_from_its_page_is_accepted_on_the_other_centres_dashboard(browser: Any, server: Server) -> None:
    suffix = f"{os.getpid() % 10000}"
    centre = f"海淀区矛盾纠纷多元化解中心{suffix}"
    centre_id = last_line(cli("org", "add", "--name", centre, "--kind", "centre", data_dir=server.data_dir))
    username = f"zhao{suffix}"
    cli(
        "user", "add", "--username", username, "--password", server.password, "--role", "mediator",
        "--display-name", "赵调解员", "--org", centre_id, data_dir=server.data_dir,
    )  # fmt: skip
    booked = book_through_api(browser, server, "RF", 9, day=session_day(later=22), dispute=WAGES)

    # The lead's mediator refers the case from its page.
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    form = page.locator("#refer-form")
    form.get_by_label("移送给").select_option(label=centre)
    form.get_by_label("方式").select_option("lead")
    form.get_by_label("移送理由").fill("属劳动争议，由劳动人事争议调解委员会主办")
    form.get_by_test_id("refer-submit").click()
    referral = page.get_by_test_id("referral").first
    referral.filter(has_text="等待对方决定").wait_for()
    assert centre in referral.inner_text() and server.mediator_name in referral.inner_text()

    # The centre's mediator accepts it on their dashboard, naming themself.
    other = new_context(browser, server)
    theirs = other.new_page()
    their_errors = PageErrors(theirs)
    theirs.goto("/login")
    theirs.locator("#login-username").fill(username)
    theirs.locator("#login-password").fill(server.password)
    theirs.get_by_role("button", name="登录").click()
    theirs.wait_for_url(re.compile(r"/mediator$"))
    incoming = theirs.get_by_test_id("incoming-referral").filter(has_text=booked.case_number)
    assert "属劳动争议" in incoming.inner_text()
    assert incoming.get_by_label("承办调解员").input_value() != ""
    incoming.get_by_test_id("accept-referral").click()
    incoming.wait_for(state="detached")
    theirs.get_by_test_id("case-link").filter(has_text=booked.case_number).wait_for()

    # The referring mediator reads the case, now the centre's, and sees the referral accepted.
    page.reload()
    page.get_by_test_id("referral-shared").wait_for()
    page.get_by_test_id("referral").filter(has_text="已接受").wait_for()
    assert "赵调解员" in page.get_by_test_id("referral").first.inner_text()
    assert page.locator("#refer-form").count() == 0
    # The same history in English, naming the organisations and people.
    page.get_by_test_id("lang-switch").click()
    page.get_by_role("heading", name="Referral", exact=True).wait_for()
    said = page.get_by_test_id("referral").first.inner_text()
    assert "Accepted by 赵调解员" in said and f"Referred by {server.mediator_name}" in said and centre in said
    errors.check()
    their_errors.check()
    context.close()
    other.close()


def api_as(browser: Any, server: Server, username: str) -> tuple[Any, Callable[[str, dict[str, Any], int], dict[str, Any]]]:
    """A logged-in API client (a context of its own) and its POST."""
    context = browser.new_context(base_url=server.base_url)
    res = context.request.post("/api/v1/auth/login", data={"username": username, "password": server.password})
    assert res.status == 200, res.text()
    headers = {"X-CSRF-Token": res.json()["csrf_token"]}

    def post(path: str, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        r = context.request.post(f"/api/v1{path}", data=body, headers=headers)
        assert r.status == expect, f"POST {path}: {r.status} {r.text()}"
        return dict(r.json())

    return context, post


def test_the_court_that_referred_a_case_sees_its_result_in_its_inbox(browser: Any, server: Server) -> None:
    """特邀调解规定 art. 26: the court is owed the result of the mediation it referred (委派)."""
    suffix = f"{os.getpid() % 10000}"
    court = f"朝阳区人民法院{suffix}"
    court_id = last_line(cli("org", "add", "--name", court, "--kind", "court", data_dir=server.data_dir))
    for username, role, name in ((f"clerk{suffix}", "mediator", "诉调对接中心调解员"), (f"judge{suffix}", "judge", "陈法官")):
        cli(
            "user", "add", "--username", username, "--password", server.password, "--role", role,
            "--display-name", name, "--org", court_id, data_dir=server.data_dir,
        )  # fmt: skip
    clerk, as_clerk = api_as(browser, server, f"clerk{suffix}")
    judge_api, as_judge = api_as(browser, server, f"judge{suffix}")
    mediator, as_mediator = api_as(browser, server, server.username)
    number = f"（2026）京0105民诉前调{suffix}号"
    case = as_clerk(
        "/cases", {"case_number": number, "dispute_type": "wages", "source": "court_referral", "summary": "拖欠工资三个月"}, 201
    )
    sent = as_judge(
        f"/cases/{case['id']}/referrals",
        {
            "to_organisation_id": server.organisation_id,
            "role": "lead",
            "reason": "诉前委派人民调解",
            "court_stage": "before_filing",
        },
        201,
    )
    as_mediator(f"/referrals/{sent['id']}/accept", {"mediator_id": server.mediator_id}, 200)
    as_mediator(f"/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "divergence", "note": "分歧较大"}, 200)
    for context in (clerk, judge_api, mediator):
        context.close()

    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").fill(f"judge{suffix}")
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/court$"))
    mine = page.get_by_test_id("sent-referrals").locator("li.referral-case").filter(has_text=number)
    report = mine.get_by_test_id("court-report")
    report.filter(has_text="调解已结束（调解不成）").wait_for()
    assert court in report.inner_text() and "第二十六条" in report.inner_text()
    assert "法院立案前委派调解" in mine.inner_text() and server.mediator_name in mine.inner_text()
    errors.check()
    context.close()
