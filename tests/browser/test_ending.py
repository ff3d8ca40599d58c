"""The mediator ends a case on a ground of 在线调解规则 art. 25 and makes the package for a court's online
filing (art. 21), in Chinese (issue #21).

The ending form offers exactly the article's grounds, says what each needs (the party it concerns, an
account of what happened) and refuses to go on without it; once ended, the page says the ground and its
source, and the package is made and downloaded, the page saying it must be uploaded to the court's
platform (never that it was sent).

Run with: python -m pytest tests/browser/test_ending.py -q
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, cli, last_line, session_day
from tests.browser.test_agreement import confirm, shot
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES
from tests.browser.test_referrals import api_as
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.browser

GROUNDS = [
    "（二）当事人自行和解，撤回调解申请",
    "（三）在调解期限内无法联系到当事人",
    "（四）当事人一方明确表示不愿意继续调解",
    "（五）当事人分歧较大且难以达成调解协议",
    "（六）调解期限届满，未达成调解协议，且各方当事人未达成延长调解期限的合意",
    "（七）当事人一方拒绝在调解协议上签章",
    "（八）其他导致调解无法进行的情形",
]


def test_the_mediator_ends_a_case_on_a_statutory_ground_and_downloads_the_filing_package(
    browser: Any, server: Server, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "EN", 10, day=session_day(later=29), dispute=WAGES)
    respondent = WAGES[2][1][0]
    applicant = WAGES[2][0][0]
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")

    outcome = page.get_by_test_id("agr-outcome")
    outcome.locator("summary").click()
    ground = outcome.get_by_label("终结情形")
    assert ground.locator("option").all_inner_texts()[1:] == GROUNDS
    # A ground that concerns a party asks which one, and says what it rests on.
    ground.select_option("unwilling")
    outcome.get_by_text("《人民法院在线调解规则》第二十五条第（四）项").wait_for()
    outcome.get_by_test_id("agr-fail").click()
    party = outcome.get_by_label("涉及的当事人")
    party.and_(page.locator("[aria-invalid=true]")).wait_for()
    assert party.evaluate("el => el === document.activeElement")
    # A ground that needs an account says so and refuses an empty one.
    ground.select_option("unreachable")
    outcome.get_by_text("此情形需要写明经过").wait_for()
    ground.select_option("unwilling")
    party.select_option(label=respondent)
    outcome.get_by_label("说明").fill("被申请人电话中明确表示不再调解。")
    shot(page, artifacts, "ending-form.jpg")
    outcome.get_by_test_id("agr-fail").click()
    page.locator("dialog").filter(has_text="当事人一方明确表示不愿意继续调解").wait_for()
    confirm(page, "确定，调解不成")
    failed = page.get_by_test_id("agr-failed")
    failed.filter(
        has_text="终结情形：当事人一方明确表示不愿意继续调解（《人民法院在线调解规则》第二十五条第（四）项）"
    ).wait_for()

    # The package for online filing: the applicant's choice first.
    filing = page.get_by_test_id("agr-filing")
    filing.locator("summary").click()
    filing.get_by_test_id("agr-filing-make").click()
    filing.get_by_label("选择在线立案的申请人").and_(page.locator("[aria-invalid=true]")).wait_for()
    filing.get_by_label("选择在线立案的申请人").select_option(label=applicant)
    filing.get_by_label("申请人如何表示选择在线立案").fill("申请人于视频调解中口头表示选择在线立案")
    filing.get_by_test_id("agr-filing-make").click()
    made = filing.get_by_test_id("agr-filing-made")
    made.filter(has_text="已生成移送材料，请上传至法院在线立案平台").wait_for()
    assert "已发送" not in page.inner_text("body")
    with page.expect_download() as download:
        filing.get_by_test_id("agr-filing-download").click()
    data = Path(download.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["case_number"] == booked.case_number and manifest["applicant_consent"]["applicant"] == applicant
    assert download.value.suggested_filename == f"立案移送材料-{booked.case_number}.zip"
    shot(page, artifacts, "ending-filing-package.jpg")
    errors.check()


def test_the_mediator_makes_the_result_report_and_the_referring_court_downloads_it(browser: Any, server: Server) -> None:
    """特邀调解规定 art. 26 ¶2: the court that referred the case gets the result in writing."""
    suffix = f"{os.getpid() % 10000}"
    court = f"东城区人民法院{suffix}"
    court_id = last_line(cli("org", "add", "--name", court, "--kind", "court", data_dir=server.data_dir))
    for username, role, name in ((f"eclerk{suffix}", "mediator", "诉调对接中心调解员"), (f"ejudge{suffix}", "judge", "周法官")):
        cli(
            "user", "add", "--username", username, "--password", server.password, "--role", role,
            "--display-name", name, "--org", court_id, data_dir=server.data_dir,
        )  # fmt: skip
    clerk, as_clerk = api_as(browser, server, f"eclerk{suffix}")
    judge_api, as_judge = api_as(browser, server, f"ejudge{suffix}")
    mediator_api, as_mediator = api_as(browser, server, server.username)
    number = f"（2026）京0101民诉前调{suffix}号"
    case = as_clerk(
        "/cases", {"case_number": number, "dispute_type": "wages", "source": "court_referral", "summary": "拖欠工资"}, 201
    )
    reason = {
        "to_organisation_id": server.organisation_id,
        "role": "lead",
        "reason": "诉前委派人民调解",
        "court_stage": "before_filing",
    }
    sent = as_judge(f"/cases/{case['id']}/referrals", reason, 201)
    as_mediator(f"/referrals/{sent['id']}/accept", {"mediator_id": server.mediator_id}, 200)
    as_mediator(f"/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "divergence", "note": "分歧较大"}, 200)
    for context in (clerk, judge_api, mediator_api):
        context.close()

    # The mediator makes the report from the case page.
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{case['id']}")
    form = page.get_by_test_id("court-report-form")
    assert court in form.inner_text()
    form.get_by_test_id("court-report-make").click()
    made = page.get_by_test_id("court-report").filter(has_text=f"向{court}的调解结果报告")
    made.get_by_test_id("court-report-pdf").wait_for()
    assert page.get_by_test_id("court-report-form").count() == 0
    errors.check()
    context.close()

    # The court's judge downloads it from the referrals they sent.
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").fill(f"ejudge{suffix}")
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/court$"))
    mine = page.get_by_test_id("sent-referrals").locator("li.referral-case").filter(has_text=number)
    with page.expect_download() as download:
        mine.get_by_test_id("court-report-pdf").click()
    pdf = Path(download.value.path()).read_bytes()
    text = pdf_text(pdf)
    assert "委派调解结果报告" in text and f"{court}：" in text and "调解结果：未达成调解协议" in text
    errors.check()
    context.close()
