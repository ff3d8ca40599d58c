"""A case referred to another organisation to lead it, accepted there (issue #21).

The lead's mediator refers the case from its page; the receiving centre's mediator sees it on their
dashboard, accepts it, naming themself to handle it, and finds it among their cases; the referring
mediator still reads the case, and its history says who accepted it, in Chinese and in English.

Run with: python -m pytest tests/browser/test_referrals.py -q
"""

from __future__ import annotations

import os
import re
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
