"""Extending the mediation period (issue #21): the mediator proposes a later last day on the case page;
each party agrees on their own page, on a phone, in Chinese, signing with their key and a texted code;
once both have, the case page and the mediator's case list say "已延长至 X月X日（双方同意）".

Run with: python -m pytest tests/browser/test_extensions.py -q
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, session_day, texted_link
from tests.browser.test_agreement import fits, shot, tall_enough
from tests.browser.test_booking_flow import PageErrors, log_in, new_context, open_party_page
from tests.browser.test_evidence_ui import latest_code

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
REASON = "双方同意等待劳动监察部门的工资核算结果后继续调解"


def agree_on_phone(browser: Any, server: Server, url: str, party_id: str, others: str, artifacts: Path, name: str) -> Any:
    """The party opens their link on a phone, reads the proposal and agrees: key first, then the code."""
    context, page, errors = open_party_page(browser, server, url, viewport=PHONE)
    card = page.get_by_test_id("extension-card")
    card.get_by_test_id("ext-ask").wait_for()
    ask = card.get_by_test_id("ext-ask").inner_text()
    assert "刘调解员提议把本案的调解期限" in ask and "需要您本人同意" in ask, ask
    assert REASON in card.inner_text() and "第二十四条" in card.inner_text()
    agree = card.get_by_test_id("ext-agree")
    assert agree.inner_text() == "同意延长" and card.get_by_test_id("ext-decline").inner_text() == "不同意"
    tall_enough(agree)
    fits(page, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(page, artifacts, f"extension-{name}-ask-phone.jpg")
    agree.click()
    # No key of this case is in this browser yet: the key card binds one, then signing goes on by itself.
    card.get_by_test_id("ext-key-first").wait_for()
    key_card = page.get_by_test_id("key-card")
    key_card.get_by_test_id("key-send").click()
    key_card.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, party_id)
    key_card.get_by_test_id("key-code").fill(bind_code)
    key_card.get_by_test_id("key-confirm").click()
    code = card.get_by_test_id("ext-sign-code")
    code.wait_for()
    _, sign_code = latest_code(server, party_id, newer_than=bind_id)
    code.fill(sign_code)
    assert "即表示您本人同意延长调解期限" in card.inner_text()
    fits(page, PHONE["width"])
    card.get_by_test_id("ext-sign-confirm").click()
    if others:
        card.get_by_test_id("ext-signed").filter(has_text="您已签名同意延长").wait_for()
        assert others in card.get_by_test_id("ext-waiting").inner_text()
    else:
        card.get_by_test_id("ext-extended").wait_for()
    fits(page, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(page, artifacts, f"extension-{name}-signed-phone.jpg")
    errors.check()
    return context, page


def test_both_parties_agree_on_their_phones_and_the_case_shows_the_extended_day(
    browser: Any, server: Server, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "EXT", 10, day=session_day(later=28))
    links = {link["role"]: link for link in booked.links}

    # --- the mediator proposes on the case page ------------------------------------------------------
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    section = page.locator("#extension")
    form = section.get_by_test_id("ext-propose-form")
    form.wait_for()
    last_day = date.fromisoformat(str(form.get_by_test_id("ext-to-date").get_attribute("min")))
    # A day not after the current last day is refused, saying which day it must follow.
    form.get_by_test_id("ext-to-date").fill(last_day.isoformat())
    form.get_by_test_id("ext-reason").fill(REASON)
    form.get_by_test_id("ext-propose").click()
    refused = form.locator(".field-error")
    refused.wait_for()
    assert "要晚于目前的最后一天" in refused.inner_text(), refused.inner_text()
    new_day = last_day + timedelta(days=21)
    form.get_by_test_id("ext-to-date").fill(new_day.isoformat())
    form.get_by_test_id("ext-propose").click()
    proposal = section.get_by_test_id("ext-proposal")
    proposal.wait_for()
    assert proposal.get_attribute("data-status") == "proposed"
    assert [s.get_attribute("data-signed") for s in proposal.get_by_test_id("ext-signer").all()] == ["no", "no"]
    assert "王阿姨、赵先生" in proposal.get_by_test_id("ext-waiting").inner_text()
    # Each party is texted the proposal with a link to their own page; the mediator sees each text
    # taken by the server's forwarder (the test server spools its texts), never "已发送".
    for signer in proposal.get_by_test_id("ext-signer").all():
        signer.get_by_test_id("outbox-state").filter(has_text="已交给短信转发程序").wait_for(timeout=30_000)
        assert "已发送" not in signer.inner_text()
    shot(page, artifacts, "extension-proposed-texts.jpg")

    # --- each party agrees on a phone: the applicant from the link in the text ---------------------------
    texted = texted_link(server, "extension_proposed", party_id=links["applicant"]["party_id"])
    a_context, _ = agree_on_phone(browser, server, texted, links["applicant"]["party_id"], "赵先生", artifacts, "applicant")
    # The mediator's page follows: one has agreed, the other not yet; the clock has not moved.
    proposal.locator('[data-signed="yes"]').filter(has_text="王阿姨").wait_for(timeout=20_000)
    assert "赵先生" in proposal.get_by_test_id("ext-waiting").inner_text()
    assert page.get_by_test_id("clock-extended").count() == 0
    r_context, _ = agree_on_phone(
        browser, server, links["respondent"]["url"], links["respondent"]["party_id"], "", artifacts, "respondent"
    )

    # --- the case page and the list say the new day ------------------------------------------------------
    month_day = f"{new_day.month}月{new_day.day}日"
    page.get_by_test_id("clock-extended").filter(has_text=f"已延长至 {month_day}（双方同意）").wait_for(timeout=20_000)
    assert proposal.get_attribute("data-status") == "extended"
    assert re.search(r"证据记录第 \d+ 条", section.get_by_test_id("ext-extended").inner_text())
    shot(page, artifacts, "extension-case-page.jpg")
    page.goto("/mediator")
    item = page.locator(".case-item").filter(has_text=booked.case_number)
    assert item.get_by_test_id("case-extended").inner_text() == f"已延长至 {month_day}（双方同意）"
    errors.check()
    for c in (context, a_context, r_context):
        c.close()
