"""After the agreement, in Chromium: two instalments paid, one late, a visit, the case closed (#22).

Set up through the API, as the other browser tests are: a wage case, 张三 (applicant) and 李四
(respondent), a session booked. From the agreement on, everything is done as people do it.

The mediator, at a desk, drafts the agreement on the case page: 李四 pays 张三 6000 yuan of unpaid
wages in two instalments of 3000, in 30 and in 60 days. Typed first as 3000 and 2000, the
instalments do not add up: the server says so in Chinese and nothing is saved. Once they do, the
mediator checks what will be listed once the agreement is in force and makes version 2 final. On
their phones (390x844, in Chinese) 张三 and 李四 each read it to the end and sign with a device key
bound on the spot (the texted codes are read from the outbox); the mediator makes a key on the
page and signs, and the agreement is sealed. The case page lists the two instalments and the
follow-up visits due by rule (7 and 30 days after sealing, the day after each last day), none due.

李四, on the same phone, reports the first instalment paid with a screenshot of the transfer. 张三
opens the texted link from another app on her phone, whose browser does not hold the key she
signed with: she sees the report and the screenshot, confirms receipt, binds a key on the spot
and signs with the texted code; 李四's page then says she confirmed it with her own key.

Two months pass (the instalments' last days are moved back in the server's database, as a clock
would): the second is two days late. The mediator, now on a phone, finds the case marked on the
case list (an instalment overdue, visits to make); on the case page, the first instalment
confirmed with 张三's key, the second overdue, the visit after its last day due, and "performed in
full" not yet a reason to close. They call 张三 by video: she received the rest in cash. They
record the visit (by video, satisfied, the risk left and what was done), record her confirmation
given on video with a key made on this phone, and close the case as performed in full. The page
says who closed it and why and links the case-closing report (人民调解结案报告表), whose text
(poppler's pdftotext) has both instalments, how each was confirmed, the visit and the reason.
张三's page says the case is closed. Last, the mediator downloads the case file (卷宗) made at
closing; poppler reads it: every page numbered, the cover, the contents listing every part of the
Ministry's list in its order with each piece's SHA-256 (the parts this case lacks marked absent),
and in it the screenshot, the visit and the closing report.

Screenshots: test-artifacts/journey-*.jpg.

Run with: python -m pytest tests/browser/test_after_agreement_journey.py -q -p no:cacheprovider -n 0
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.domain.case_file.parts import PARTS
from tests.browser.conftest import SHANGHAI, Server, book_through_api, keep_screenshot, session_day
from tests.browser.test_agreement import confirm, fits, read_to_the_end, shot, tall_enough
from tests.browser.test_booking_flow import DESKTOP, PageErrors, log_in, new_context, open_party_page
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_live_session import WAGES
from tests.pdf_text import pdf_pages, pdf_text

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TERM = "被申请人分两期向申请人支付拖欠工资人民币6000元。"


def sign_the_agreement(browser: Any, server: Server, link: dict[str, Any]) -> tuple[Any, Any, PageErrors]:
    """The party opens their link on a phone, reads the final agreement to the end and signs it: key first, then the code."""
    party_id = link["party_id"]
    context, page, errors = open_party_page(browser, server, link["url"], viewport=PHONE)
    page.get_by_test_id("agreement-card").get_by_test_id("agreement-open").filter(has_text="阅读并签署调解协议").click()
    view = page.get_by_test_id("party-agreement")
    view.get_by_test_id("agr-sign-text").filter(has_text="分2期履行").wait_for()
    read_to_the_end(page)
    view.get_by_test_id("agr-read-note").filter(has_text="您已读到最后").wait_for()
    tall_enough(view.get_by_test_id("agr-sign"))
    view.get_by_test_id("agr-sign").click()
    # No key of this case is in this phone yet: the key is bound first, then signing goes on by itself.
    view.get_by_test_id("agr-key-first").wait_for()
    view.get_by_test_id("key-send").click()
    view.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, party_id)
    view.get_by_test_id("key-code").fill(bind_code)
    view.get_by_test_id("key-confirm").click()
    view.get_by_test_id("agr-sign-code").wait_for()
    _, sign_code = latest_code(server, party_id, newer_than=bind_id)
    view.get_by_test_id("agr-sign-code").fill(sign_code)
    fits(page, PHONE["width"])
    view.get_by_test_id("agr-sign-confirm").click()
    view.get_by_test_id("agr-signed").filter(has_text="您已签名").wait_for()
    return context, page, errors


def test_two_instalments_reported_confirmed_one_late_a_visit_and_the_case_closed(
    browser: Any, server: Server, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "AJ", 10, day=session_day(later=33), dispute=WAGES)
    links = {link["role"]: link for link in booked.links}
    zhang_id = links["applicant"]["party_id"]
    today = datetime.now(SHANGHAI).date()
    first, second = today + timedelta(days=30), today + timedelta(days=60)

    # --- the mediator drafts the agreement: one payment in two instalments --------------------------
    m_context = new_context(browser, server, viewport=DESKTOP)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{booked.case_id}")
    panel = mediator.get_by_test_id("agreement-panel")
    panel.get_by_test_id("agr-create").click()
    editor = panel.get_by_test_id("agr-editor")
    editor.locator("#agr-term-0-text").fill(TERM)
    editor.get_by_test_id("agr-obligation-add").click()
    obligation = editor.get_by_test_id("agr-obligation")
    # Who owes and who is owed start as the respondent and the applicant; a payment by default.
    assert "李四" in obligation.locator("#agr-term-0-ob-debtor option:checked").inner_text()
    assert "张三" in obligation.locator("#agr-term-0-ob-creditor option:checked").inner_text()
    obligation.locator("#agr-term-0-ob-what").fill("拖欠工资")
    obligation.locator("#agr-term-0-ob-amount").fill("6000")
    obligation.get_by_test_id("agr-instalment-add").click()
    obligation.locator("#agr-term-0-ob-0-due").fill(first.isoformat())
    obligation.locator("#agr-term-0-ob-0-amount").fill("3000")
    obligation.locator("#agr-term-0-ob-1-due").fill(second.isoformat())
    obligation.locator("#agr-term-0-ob-1-amount").fill("2000")
    editor.get_by_test_id("agr-save").click()
    # The instalments do not add up to the amount: the server says so, in Chinese, and nothing is saved.
    panel.get_by_text("各期金额相加须等于总金额").first.wait_for()
    obligation.locator("#agr-term-0-ob-1-amount").fill("3000")
    editor.get_by_test_id("agr-save").click()
    panel.get_by_test_id("agr-saved").filter(has_text="已保存为第 2 版").wait_for()
    words = (
        "履行义务：被申请人李四向申请人张三支付人民币6000.00元（拖欠工资），分2期履行："
        f"第1期于{first.year}年{first.month}月{first.day}日前支付人民币3000.00元"
    )
    panel.get_by_test_id("agr-preview-text").filter(has_text=words).wait_for(state="attached")
    # Before making the version final, the mediator checks what will be listed once it is in force.
    listed = panel.get_by_test_id("agr-obligations")
    listed.wait_for()
    text = listed.inner_text()
    assert "被申请人 李四 → 申请人 张三" in text and "支付：拖欠工资" in text, text
    assert "¥6,000.00" in text and text.count("¥3,000.00") == 2, text
    panel.get_by_test_id("agr-declare-form").scroll_into_view_if_needed()
    shot(mediator, artifacts, "journey-instalments-before-final.jpg")
    panel.get_by_test_id("agr-declare").filter(has_text="把第 2 版定稿").click()
    mediator.locator("dialog").filter(has_text="确定把第 2 版定稿吗").wait_for()
    confirm(mediator, "定稿")
    panel.get_by_test_id("agr-final").filter(has_text="定稿（第 2 版）").wait_for()

    # --- both parties sign on their phones; the mediator signs with a key made on the page: sealed ------
    z_context, zhang, z_errors = sign_the_agreement(browser, server, links["applicant"])
    z_errors.check()
    z_context.close()
    l_context, li, l_errors = sign_the_agreement(browser, server, links["respondent"])
    box = panel.get_by_test_id("agr-sign-box")
    box.filter(has_text="所有当事人都已签名").wait_for()
    box.get_by_test_id("agr-key-register").click()
    box.get_by_test_id("agr-sign-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    box.get_by_test_id("agr-sign").click()
    confirm(mediator, "签署调解协议")
    seal = panel.get_by_test_id("agr-seal")
    seal.wait_for()
    assert "调解协议已生效（已盖章）" in seal.inner_text()
    # The case page lists the instalments to perform and the visits due by rule: 7 and 30 days after
    # sealing, and the day after each instalment's last day; none due today.
    rows = mediator.get_by_test_id("case-obligations").get_by_test_id("case-obligation")
    rows.nth(1).wait_for()
    assert [rows.nth(n).get_attribute("data-status") for n in (0, 1)] == ["pending", "pending"]
    section = mediator.get_by_test_id("case-closing")
    visits = section.get_by_test_id("follow-up")
    visits.nth(3).wait_for()
    said = section.inner_text()
    assert visits.count() == 4 and section.locator("[data-due=true]").count() == 0, said
    for rule in ("协议生效后第7日回访", "协议生效后第30日回访", "第1条第1期履行期限届满后回访", "第1条第2期履行期限届满后回访"):
        assert rule in said, (rule, said)
    m_errors.check()
    m_context.close()

    # --- 李四 reports the first instalment paid, with a screenshot of the transfer --------------------
    li.reload()
    card = li.get_by_test_id("performance-card")
    owe = card.get_by_test_id("perf-owe").get_by_test_id("perf-item")
    owe.nth(1).wait_for()
    assert "我要履行的" in card.inner_text() and owe.count() == 2
    item = owe.first
    assert "第一条第1期" in item.inner_text() and "向 张三 履行" in item.inner_text() and "待履行" in item.inner_text()
    assert "3,000.00" in item.get_by_test_id("perf-thing").inner_text()
    report = item.get_by_test_id("perf-report")
    tall_enough(report)
    report.click()
    item.get_by_test_id("perf-proof").set_input_files(files=[{"name": "转账截图.png", "mimeType": "image/png", "buffer": PNG}])
    item.get_by_test_id("perf-note").fill("第一期已通过银行转账支付")
    item.get_by_test_id("perf-report-send").click()
    item.get_by_test_id("perf-notice").filter(has_text="已报告。请等待 张三 确认收到").wait_for()
    assert item.get_attribute("data-status") == "reported" and "已报告，待对方确认" in item.inner_text()
    assert owe.nth(1).get_attribute("data-status") == "pending"
    fits(li, PHONE["width"])
    li_card = card

    # --- 张三 sees the report and the screenshot, and confirms receipt with a key of her own -------------
    # She opens the texted link from another app on her phone (WeChat's browser, say), whose storage
    # does not hold the key she signed the agreement with: the key card binds one here first.
    z_context, zhang, z_errors = open_party_page(browser, server, links["applicant"]["url"], viewport=PHONE)
    card = zhang.get_by_test_id("performance-card")
    item = card.get_by_test_id("perf-owed").get_by_test_id("perf-item").first
    item.get_by_test_id("perf-reported").wait_for()
    assert "李四" in item.get_by_test_id("perf-reported").inner_text()
    assert "第一期已通过银行转账支付" in item.inner_text()
    assert "转账截图.png" in item.get_by_test_id("perf-proof-link").inner_text()
    # (李四's page, as he left it: reported, waiting for her.)
    li_card.scroll_into_view_if_needed()
    shot(li, artifacts, "journey-first-reported-phone.jpg")
    confirm_button = item.get_by_test_id("perf-confirm")
    tall_enough(confirm_button)
    confirm_button.click()
    item.get_by_test_id("perf-key-first").wait_for()
    key_card = zhang.get_by_test_id("key-card")
    key_card.get_by_test_id("key-send").click()
    key_card.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, zhang_id)
    key_card.get_by_test_id("key-code").fill(bind_code)
    key_card.get_by_test_id("key-confirm").click()
    # … and signing goes on by itself: the texted code.
    code = item.get_by_test_id("perf-sign-code")
    code.wait_for()
    _, sign_code = latest_code(server, zhang_id, newer_than=bind_id)
    code.fill(sign_code)
    fits(zhang, PHONE["width"])
    item.get_by_test_id("perf-sign-confirm").click()
    item.get_by_test_id("perf-notice").filter(has_text="已签名确认收到").wait_for()
    assert item.get_attribute("data-status") == "performed"
    assert "您已用本人签名密钥确认收到" in item.get_by_test_id("perf-performed").inner_text()

    # 李四's page says so at its next look.
    li.reload()
    done = li.get_by_test_id("perf-owe").get_by_test_id("perf-performed").first
    done.wait_for()
    assert "张三 已用本人签名密钥确认收到" in done.inner_text()
    card.scroll_into_view_if_needed()
    shot(zhang, artifacts, "journey-first-confirmed-phone.jpg")

    # --- two months pass: the second instalment's last day was two days ago ------------------------
    back = (second - today).days + 2
    con = sqlite3.connect(server.data_dir / "mediate.sqlite3", timeout=10)
    try:
        with con:
            con.execute(
                "UPDATE obligations SET due_date = date(due_date, ?) WHERE case_id = ?", (f"-{back} days", booked.case_id)
            )
    finally:
        con.close()

    # --- the mediator, on a phone, sees it on their case list and on the case page ------------------
    p_context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = p_context.new_page()
    p_errors = PageErrors(page)
    log_in(page, server)
    listed_case = page.locator(".case-item").filter(has_text=booked.case_number)
    listed_case.get_by_test_id("case-overdue-obligations").filter(has_text="1 期履行已逾期").wait_for()
    # Due now: the visits after each instalment's last day (the first one's was a month ago).
    assert "2 次回访待做" in listed_case.get_by_test_id("case-follow-ups-due").inner_text()
    fits(page, PHONE["width"])
    keep_screenshot(listed_case, artifacts / "journey-mediator-list-overdue-phone.jpg")
    listed_case.get_by_test_id("case-link").click()
    obligations = page.get_by_test_id("case-obligations")
    paid, late = obligations.get_by_test_id("case-obligation").nth(0), obligations.get_by_test_id("case-obligation").nth(1)
    late.wait_for()
    assert paid.get_attribute("data-status") == "performed" and "李四 → 张三" in paid.inner_text()
    assert "张三 已用本人签名密钥确认收到" in paid.get_by_test_id("case-obligation-performed").inner_text()
    assert late.get_attribute("data-status") == "overdue" and "1 项已逾期" in obligations.locator("h2").inner_text()
    section = page.get_by_test_id("case-closing")
    visit_due = section.locator("[data-testid=follow-up][data-due=true]").filter(has_text="第1条第2期履行期限届满后回访")
    visit_due.wait_for()
    close = section.get_by_test_id("close-form")
    assert "还有 1 项义务未履行完毕" in close.get_by_test_id("closing-outstanding").inner_text()
    assert close.locator("option[value=performed]").is_disabled()
    keep_screenshot(obligations, artifacts / "journey-overdue-case-phone.jpg")

    # --- the follow-up visit, by video: 张三 received the rest in cash --------------------------------
    section.get_by_test_id("visit-open").click()
    form = section.get_by_test_id("visit-form")
    plan = form.locator("#visit-plan option").filter(has_text="第1条第2期履行期限届满后回访").get_attribute("value")
    form.get_by_test_id("visit-plan").select_option(plan)
    form.get_by_test_id("visit-method-video").check()
    form.get_by_test_id("visit-performance").fill("张三确认已收到李四以现金支付的第二期工资3000元")
    form.get_by_test_id("visit-satisfaction-satisfied").check()
    form.get_by_test_id("visit-risk").fill("李四另欠其他工人工资，可能引发新的纠纷")
    form.get_by_test_id("visit-actions").fill("提醒双方保留收款凭证")
    fits(page, PHONE["width"])
    keep_screenshot(form, artifacts / "journey-visit-form-phone.jpg")
    form.get_by_test_id("visit-send").click()
    section.get_by_test_id("closing-message").filter(has_text="回访记录已保存").wait_for()
    recorded = section.locator("[data-testid=follow-up][data-recorded=true]")
    recorded.wait_for()
    text = recorded.inner_text()
    assert "第1条第2期履行期限届满后回访" in text and "视频" in text and "满意" in text, text
    assert "李四另欠其他工人工资" in text and "提醒双方保留收款凭证" in text, text

    # … and her confirmation given on video, signed with a key the mediator makes on this phone.
    late.get_by_test_id("case-obligation-video").click()
    late.get_by_test_id("case-obligation-make-key").click()
    late.get_by_test_id("case-obligation-video-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    late.get_by_test_id("case-obligation-video-note").fill("回访视频中张三确认已收到第二期现金")
    send = late.get_by_test_id("case-obligation-video-send")
    page.wait_for_function("el => !el.disabled", arg=send.element_handle())
    send.click()
    late.get_by_test_id("case-obligation-performed").filter(has_text="张三 在视频调解中向调解员确认收到，由调解员记录").wait_for()

    # --- every instalment performed: the case closes as performed in full ---------------------------
    close.get_by_test_id("closing-outstanding").filter(has_text="全部义务已履行完毕，可以结案").wait_for()
    close.get_by_test_id("close-reason").select_option("performed")
    close.get_by_test_id("close-note").fill("两期工资均已付清，双方满意")
    close.get_by_test_id("close-send").click()
    page.locator("dialog").filter(has_text="结案后，本案不能再报告或确认履行").wait_for()
    confirm(page, "结案")
    closed = section.get_by_test_id("closing-closed")
    closed.wait_for()
    assert "刘调解员" in closed.inner_text() and "结案原因：协议已履行完毕：两期工资均已付清，双方满意" in closed.inner_text()
    assert "已结案" in section.locator("h2").inner_text()
    # Closed: no visit can be recorded from the page any more, and only the visit made is listed.
    assert section.get_by_test_id("visit-form").count() == 0 and section.get_by_test_id("follow-up").count() == 1
    report = section.get_by_test_id("closing-report")
    assert "人民调解结案报告表" in report.inner_text()
    response = page.request.get(report.get_attribute("href") or "")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    said = pdf_text(response.body())
    for part in (
        "人民调解结案报告表",
        booked.case_number,
        "第一条第1期：被申请人李四向申请人张三履行",
        "第一条第2期：被申请人李四向申请人张三履行",
        "权利人本人签名确认",
        "权利人在视频中确认，调解员记录",
        "视频回访",
        "遗留隐患：李四另欠其他工人工资，可能引发新的纠纷",
        "协议已履行完毕：两期工资均已付清，双方满意",
    ):
        assert part in said, (part, said)

    # 张三's page says the case is closed.
    zhang.reload()
    zhang.get_by_test_id("performance-card").get_by_test_id("perf-case-closed").wait_for()
    fits(page, PHONE["width"])
    section.scroll_into_view_if_needed()
    shot(page, artifacts, "journey-closed-phone.jpg")
    keep_screenshot(section, artifacts / "journey-closed-section-phone.jpg")

    # --- the case file (卷宗), made at closing: downloaded from the closed case and read with poppler ----
    link = section.get_by_test_id("case-file-link")
    assert "下载卷宗 PDF" in link.inner_text()
    case_file = page.request.get(link.get_attribute("href") or "")
    assert case_file.status == 200 and case_file.body().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", "-"], input=case_file.body(), capture_output=True, check=True).stdout.decode()
    total = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    pages = pdf_pages(case_file.body())
    assert len(pages) == total
    assert all(f"第{n}页/共{total}页" in page_text for n, page_text in enumerate(pages, start=1)), "every page numbered"
    assert "调解卷宗" in pages[0] and booked.case_number in pages[0] and "申请人张三" in pages[0]
    contents = "".join(p for p in pages[1:4] if "卷内目录" in p or "SHA-256" in p)
    # Every part of the Ministry's list, in its order; those this case lacks say so.
    titles = [part.title for part in PARTS]
    at = [contents.find(title) for title in titles]
    assert -1 not in at and at == sorted(at), list(zip(titles, at, strict=True))
    assert "本案无此项" in contents and contents.count("SHA-256：") >= 6
    # What this journey put in it: the agreement, both reports and confirmations with the screenshot, the visit, the report.
    whole = "".join(pages)
    for piece in ("转账截图", "人民调解回访记录", "遗留隐患：李四另欠其他工人工资", "人民调解结案报告表", "卷内备考表"):
        assert piece in whole, piece

    for errors in (m_errors, z_errors, l_errors, p_errors):
        errors.check()
    for context in (p_context, l_context, z_context):
        context.close()
