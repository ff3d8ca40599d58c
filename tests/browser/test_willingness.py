"""The other side is asked whether they agree to mediation, in Chromium, on a phone, in Chinese.

A case is registered at the window (through the API). The mediator, on the case page, presses
询问对方是否同意调解: the section says 等待答复，截止 X月X日 and the outbox holds the respondent's
text with their link. The respondent opens it on a phone: who applied, what about, and two large
choices. They refuse, giving a reason; the page says what they chose and what happens next. The
applicant's text leads to their page, which names the routes still open (向人民法院提起诉讼…). The
mediator's page shows the refusal, its reason and the end of mediation.

In a second case a session is booked before the answer (booking is allowed): the applicant's page
and the mediator's case page say the other side has not agreed yet; the respondent agrees, and the
mediator's open page shows 同意调解 without a reload.

Screenshots: test-artifacts/willingness-*.jpg.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Server, keep_screenshot, session_day, unique_case_number
from tests.browser.test_booking_flow import PHONE, PageErrors, log_in, new_context
from tests.browser.test_party_path import Api

pytestmark = pytest.mark.browser

SUMMARY = "拖欠三个月工资共计一万二千元"
LINK = re.compile(r"https?://\S+?/j/[A-Za-z0-9_-]+")


def register(api: Api, prefix: str) -> str:
    """A case registered at the window: 张三 applies, 李四 is the other side."""
    case = api.post(
        "/cases",
        {"case_number": unique_case_number(prefix), "dispute_type": "wages", "source": "party_application", "summary": SUMMARY},
    )
    api.post(f"/cases/{case['id']}/parties", {"role": "applicant", "name": "张三", "phone": "13800000021"})
    api.post(f"/cases/{case['id']}/parties", {"role": "respondent", "name": "李四", "phone": "13900000022"})
    return str(case["id"])


def link_in_outbox(api: Api, case_id: str, kind: str, recipient: str) -> str:
    res = api.context.request.get(f"/api/v1/cases/{case_id}/outbox")
    assert res.status == 200, res.text()
    [message] = [m for m in res.json()["items"] if m["kind"] == kind and m["channel"] == "sms" and m["recipient"] == recipient]
    found = LINK.search(message["body"])
    assert found, message["body"]
    return found.group(0)


def phone_page(browser: Any, server: Server, url: str) -> tuple[Any, Any, PageErrors]:
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(url)
    return context, page, errors


def shot(page: Any, artifacts: Path, name: str) -> None:
    keep_screenshot(page, artifacts / f"willingness-{name}.jpg")


def test_the_respondent_refuses_on_a_phone_and_the_applicant_is_shown_the_routes_still_open(
    browser: Any, server: Server, artifacts: Path
) -> None:
    api = Api(browser, server)
    case_id = register(api, "WL")

    # The mediator asks from the case page.
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{case_id}")
    section = mediator.locator("#willingness")
    expect(section).to_contain_text("还没有询问对方是否同意调解")
    section.get_by_role("button", name="询问对方是否同意调解").click()
    answer = section.get_by_test_id("wil-answer")
    expect(answer).to_contain_text("李四")
    expect(answer).to_contain_text(re.compile(r"等待答复，截止 \d+月\d+日"))
    expect(section.get_by_test_id("wil-ask")).to_have_count(0)  # asked once
    # The respondent's text, with their link, is listed for the mediator to pass on.
    expect(mediator.locator("#outbox-body")).to_contain_text("请在")
    respondent_url = link_in_outbox(api, case_id, "willingness_asked", "13900000022")

    # The respondent, on a phone: who applied, what about, two large choices.
    context, page, errors = phone_page(browser, server, respondent_url)
    card = page.get_by_test_id("wil-card")
    expect(card).to_contain_text("是否同意调解")
    expect(card.get_by_test_id("wil-applicants")).to_have_text("张三 申请调解")
    expect(card.get_by_test_id("wil-summary")).to_have_text(SUMMARY)
    expect(card).to_contain_text(re.compile(r"请在 \d+月\d+日 .+ 前答复"))
    accept, refuse = card.get_by_test_id("wil-accept"), card.get_by_test_id("wil-refuse")
    expect(accept).to_have_text("同意调解")
    expect(refuse).to_have_text("不同意调解")
    box = accept.bounding_box()
    # Across the card (the screen less its margins) and tall enough for a thumb.
    assert box is not None and box["width"] >= 0.75 * PHONE["width"] and box["height"] >= 44, box
    assert_accessible(page, "the respondent's question on a phone")
    shot(page, artifacts, "question")
    # English second: the same question, a tap away, and back.
    page.get_by_test_id("lang-switch").click()
    expect(card).to_contain_text("Do you agree to mediation?")
    expect(card.get_by_test_id("wil-applicants")).to_have_text("张三 applied for mediation")
    expect(accept).to_have_text("I agree to mediation")
    page.get_by_test_id("lang-switch").click()
    expect(accept).to_have_text("同意调解")

    refuse.click()
    card.get_by_label("不同意的理由（可以不填）").fill("工资已经当面结清")
    card.get_by_test_id("wil-refuse-confirm").click()
    result = card.get_by_test_id("wil-result")
    expect(result).to_contain_text("您已选择不同意调解")
    expect(result).to_contain_text("本次调解已终止")
    expect(card.get_by_test_id("wil-accept")).to_have_count(0)
    # Reloaded, the page still says what they chose.
    page.reload()
    expect(page.get_by_test_id("wil-result")).to_have_attribute("data-answer", "refused")
    shot(page, artifacts, "refused")
    errors.check()
    context.close()

    # The applicant's text leads to their page, which names the routes still open.
    applicant_url = link_in_outbox(api, case_id, "willingness_ended", "13800000021")
    a_context, applicant, a_errors = phone_page(browser, server, applicant_url)
    a_card = applicant.get_by_test_id("wil-card")
    expect(a_card.get_by_test_id("wil-ended")).to_contain_text("对方当事人不同意调解")
    routes = a_card.get_by_test_id("wil-routes")
    expect(routes).to_contain_text("向人民法院提起诉讼")
    expect(routes).to_contain_text("申请仲裁")
    assert_accessible(applicant, "the applicant's page after a refusal")
    shot(applicant, artifacts, "applicant-routes")
    a_errors.check()
    a_context.close()

    # The mediator sees the refusal, its reason and the end.
    mediator.reload()
    section = mediator.locator("#willingness")
    expect(section.get_by_test_id("wil-answer")).to_contain_text("不同意调解")
    expect(section.get_by_test_id("wil-answer")).to_contain_text("工资已经当面结清")
    expect(section.get_by_test_id("wil-ended")).to_contain_text("调解已终止")
    m_errors.check()
    m_context.close()
    api.close()


def test_a_session_booked_before_the_answer_and_the_respondent_agrees(browser: Any, server: Server, artifacts: Path) -> None:
    api = Api(browser, server)
    case_id = register(api, "WA")
    api.post(f"/cases/{case_id}/willingness", {})
    booked = api.post(
        f"/cases/{case_id}/sessions",
        {"starts_at": f"{session_day(later=25).isoformat()}T10:00:00+08:00", "duration_minutes": 60, "timezone": "Asia/Shanghai"},
    )
    [applicant_link] = [x for x in booked["links"] if x["role"] == "applicant"]

    # The applicant's session page says the other side has not agreed yet.
    a_context, applicant, a_errors = phone_page(browser, server, applicant_link["url"])
    expect(applicant.get_by_test_id("wil-status")).to_contain_text("对方尚未同意调解")
    expect(applicant.get_by_test_id("countdown")).to_be_visible()

    # The mediator's case page, open meanwhile: the other side has not agreed yet.
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{case_id}")
    expect(mediator.locator("#willingness").get_by_test_id("wil-not-yet")).to_contain_text("对方尚未同意调解")

    # The respondent agrees, from their question's link.
    context, page, errors = phone_page(browser, server, link_in_outbox(api, case_id, "willingness_asked", "13900000022"))
    page.get_by_test_id("wil-accept").click()
    expect(page.get_by_test_id("wil-result")).to_contain_text("您已同意调解")
    expect(page.get_by_test_id("wil-result")).to_contain_text("调解员会与您联系")
    shot(page, artifacts, "accepted")
    errors.check()
    context.close()

    applicant.reload()
    expect(applicant.get_by_test_id("wil-status")).to_contain_text("李四已同意调解")
    a_errors.check()
    a_context.close()

    # The mediator's page learns it by itself (it asks again while an answer is awaited), with no reload.
    expect(mediator.locator("#willingness").get_by_test_id("wil-answer")).to_have_attribute("data-answer", "accepted")
    expect(mediator.locator("#willingness")).to_contain_text("每位被申请人都已同意调解")
    expect(mediator.locator("#willingness").get_by_test_id("wil-not-yet")).to_have_count(0)
    m_errors.check()
    m_context.close()
    api.close()
