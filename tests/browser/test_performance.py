"""Performing the sealed agreement in Chromium, on phones (#22).

Set up through the API as test_confirmation's cases are: the agreement says that 李四 (respondent)
pays 张三 (applicant) 5000 yuan within 30 days; both parties and the mediator sign, it is sealed. On
a phone (390x844), in Chinese: 李四 opens his page, finds 履行情况 with what he owes, reports it paid
with a transfer screenshot; 张三 opens hers, sees it reported with the screenshot, confirms receipt
with her own key (the key the API bound is not in this browser, so the key card binds one first,
the texted codes read from the outbox), and both pages, and the mediator's case page, say it was
performed, confirmed with her own key.

Run with: python -m pytest tests/browser/test_performance.py -q -p no:cacheprovider
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.evidence.records import DeviceKey, b64, unb64
from tests.browser import test_confirmation as confirmation
from tests.browser.conftest import Server, session_day
from tests.browser.test_agreement import fits, shot, tall_enough
from tests.browser.test_booking_flow import new_context, open_party_page
from tests.browser.test_confirmation import MEDIATOR, TERMS, Client, bind_device_key
from tests.browser.test_evidence_ui import latest_code

pytestmark = pytest.mark.browser

# The judicial confirmation module's server (its own, on http://localhost) and its accounts.
server = confirmation.server
accounts = confirmation.accounts

PHONE = {"width": 390, "height": 844}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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
    for role, (client, key, code_id) in parties.items():
        prepared = client.post("/party/agreement/sign", {"version": 2})
        _, code = latest_code(server, links[role]["party_id"], newer_than=code_id)
        client.post(
            f"/party/agreement/sign/{prepared['challenge']}",
            {"code": code, "signature": key.sign(unb64(prepared["statement"]))["sig"]},
        )
        client.close()
    key = DeviceKey.generate({"kind": "staff", "id": MEDIATOR})
    liu.post("/me/keys/device", {"spki": b64(key.info.spki)})
    binding = liu.post(f"/cases/{case_id}/keys/{key.info.id}/bind")
    liu.post(f"/signatures/{binding['challenge']}", {"signature": key.sign(unb64(binding["statement"]))["sig"]})
    prepared = liu.post(f"{base}/sign", {"key_id": key.info.id})
    liu.post(f"/signatures/{prepared['challenge']}", {"signature": key.sign(unb64(prepared["statement"]))["sig"]})
    until = time.monotonic() + 20
    while liu.get(base)["agreement"]["status"] != "effective":
        assert time.monotonic() < until, "the agreement was not sealed"
        time.sleep(0.3)
    liu.close()
    return {"case_id": case_id, "links": links}


def test_the_payer_reports_with_a_screenshot_and_the_payee_confirms_with_her_key_on_phones(
    browser: Any, server: Server, accounts: None, artifacts: Path
) -> None:
    sealed = sealed_with_obligation(browser, server, "（2026）京朝调字第822号", 9)
    links = sealed["links"]

    # 李四, who owes, reports it paid with a screenshot of the transfer.
    context, page, errors = open_party_page(browser, server, links["respondent"]["url"], viewport=PHONE)
    card = page.get_by_test_id("performance-card")
    owe = card.get_by_test_id("perf-owe")
    item = owe.get_by_test_id("perf-item").first
    item.wait_for()
    assert "我要履行的" in card.inner_text() and "张三" in item.inner_text()
    assert "5,000.00" in item.get_by_test_id("perf-thing").inner_text() and "待履行" in item.inner_text()
    report = item.get_by_test_id("perf-report")
    tall_enough(report)
    report.click()
    item.get_by_test_id("perf-proof").set_input_files(files=[{"name": "转账截图.png", "mimeType": "image/png", "buffer": PNG}])
    item.get_by_test_id("perf-note").fill("已通过银行转账")
    item.get_by_test_id("perf-report-send").click()
    notice = item.get_by_test_id("perf-notice")
    notice.filter(has_text="已报告").wait_for()
    assert "张三" in notice.inner_text()
    assert item.get_attribute("data-status") == "reported" and "已报告，待对方确认" in item.inner_text()
    fits(page, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(page, artifacts, "performance-reported-phone.png")
    errors.check()
    payer = (context, page)

    # 张三, who is owed, sees the report and the screenshot, and confirms with her own key.
    context, page, errors = open_party_page(browser, server, links["applicant"]["url"], viewport=PHONE)
    card = page.get_by_test_id("performance-card")
    item = card.get_by_test_id("perf-owed").get_by_test_id("perf-item").first
    item.get_by_test_id("perf-reported").wait_for()
    assert "李四" in item.get_by_test_id("perf-reported").inner_text()
    assert "转账截图.png" in item.get_by_test_id("perf-proof-link").inner_text()
    confirm = item.get_by_test_id("perf-confirm")
    tall_enough(confirm)
    confirm.click()
    # No key of this case is in this browser: the key card binds one, then signing goes on by itself.
    item.get_by_test_id("perf-key-first").wait_for()
    party_id = links["applicant"]["party_id"]
    key_card = page.get_by_test_id("key-card")
    key_card.get_by_test_id("key-send").click()
    key_card.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, party_id)
    key_card.get_by_test_id("key-code").fill(bind_code)
    key_card.get_by_test_id("key-confirm").click()
    code = item.get_by_test_id("perf-sign-code")
    code.wait_for()
    _, sign_code = latest_code(server, party_id, newer_than=bind_id)
    code.fill(sign_code)
    fits(page, PHONE["width"])
    item.get_by_test_id("perf-sign-confirm").click()
    item.get_by_test_id("perf-notice").filter(has_text="已签名确认收到").wait_for()
    assert item.get_attribute("data-status") == "performed"
    assert "您已用本人签名密钥确认收到" in item.get_by_test_id("perf-performed").inner_text()
    card.scroll_into_view_if_needed()
    shot(page, artifacts, "performance-confirmed-phone.png")
    errors.check()
    context.close()

    # 李四's page says so at its next look; the mediator's case page lists it as performed.
    context, page = payer
    page.reload()
    done = page.get_by_test_id("perf-owe").get_by_test_id("perf-performed").first
    done.wait_for()
    assert "张三 已用本人签名密钥确认收到" in done.inner_text()
    context.close()
    staff = new_context(browser, server)
    page = staff.new_page()
    page.goto("/login")
    page.locator("#login-username").fill(MEDIATOR)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/mediator")
    page.goto(f"/cases/{sealed['case_id']}")
    rows = page.get_by_test_id("case-obligations").get_by_test_id("case-obligation")
    paid, apology = rows.nth(0), rows.nth(1)
    paid.get_by_test_id("case-obligation-performed").wait_for()
    assert paid.get_attribute("data-status") == "performed" and "李四 → 张三" in paid.inner_text()
    # 张三 said on video that she received the written apology: the mediator records it, signed with a key of
    # their own made in this browser; the record says it was on video, recorded by the mediator.
    assert apology.get_attribute("data-status") == "pending"
    apology.get_by_test_id("case-obligation-video").click()
    apology.get_by_test_id("case-obligation-make-key").click()
    apology.get_by_test_id("case-obligation-video-note").fill("张三在视频中确认已收到书面道歉信")
    send = apology.get_by_test_id("case-obligation-video-send")
    page.wait_for_function("el => !el.disabled", arg=send.element_handle())
    send.click()
    performed = apology.get_by_test_id("case-obligation-performed")
    performed.wait_for()
    assert "张三 在视频调解中向调解员确认收到，由调解员记录" in performed.inner_text()
    staff.close()


def test_the_mediator_states_an_obligation_in_instalments_and_checks_it_before_making_the_version_final(
    browser: Any, server: Server, accounts: None, artifacts: Path
) -> None:
    liu = Client(browser, server).login(MEDIATOR)
    case = liu.post(
        "/cases",
        {
            "case_number": "（2026）京朝调字第823号",
            "dispute_type": "wages",
            "source": "party_application",
            "summary": "拖欠工资。",
        },
    )
    liu.post(f"/cases/{case['id']}/parties", {"role": "applicant", "name": "张三", "phone": "13800000041"})
    liu.post(f"/cases/{case['id']}/parties", {"role": "respondent", "name": "李四", "phone": "13800000042"})
    liu.close()
    context = new_context(browser, server)
    page = context.new_page()
    page.goto("/login")
    page.locator("#login-username").fill(MEDIATOR)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/mediator")
    page.goto(f"/cases/{case['id']}")
    panel = page.get_by_test_id("agreement-panel")
    panel.get_by_test_id("agr-create").click()
    editor = panel.get_by_test_id("agr-editor")
    editor.locator("#agr-term-0-text").fill("被申请人分两期向申请人支付拖欠工资人民币3000元。")
    editor.get_by_test_id("agr-obligation-add").click()
    obligation = editor.get_by_test_id("agr-obligation")
    # Who owes and who is owed start as the respondent and the applicant; a payment by default.
    assert "李四" in obligation.locator("#agr-term-0-ob-debtor option:checked").inner_text()
    assert "张三" in obligation.locator("#agr-term-0-ob-creditor option:checked").inner_text()
    obligation.locator("#agr-term-0-ob-what").fill("拖欠工资")
    obligation.locator("#agr-term-0-ob-amount").fill("3000")
    obligation.get_by_test_id("agr-instalment-add").click()
    first, second = (date.today() + timedelta(days=30)), (date.today() + timedelta(days=60))
    obligation.locator("#agr-term-0-ob-0-due").fill(first.isoformat())
    obligation.locator("#agr-term-0-ob-0-amount").fill("1000")
    obligation.locator("#agr-term-0-ob-1-due").fill(second.isoformat())
    obligation.locator("#agr-term-0-ob-1-amount").fill("1500")
    editor.get_by_test_id("agr-save").click()
    # The instalments do not add up to the amount: the server says so, in Chinese, and nothing is saved.
    panel.get_by_text("各期金额相加须等于总金额").first.wait_for()
    obligation.locator("#agr-term-0-ob-1-amount").fill("2000")
    editor.get_by_test_id("agr-save").click()
    panel.get_by_test_id("agr-saved").filter(has_text="已保存为第 2 版").wait_for()
    words = f"履行义务：被申请人李四向申请人张三支付人民币3000.00元（拖欠工资），分2期履行：第1期于{first.year}年{first.month}月{first.day}日前支付人民币1000.00元"
    panel.get_by_test_id("agr-preview-text").filter(has_text=words).wait_for(state="attached")
    # Before making the version final, the mediator checks what will be listed once it is in force.
    listed = panel.get_by_test_id("agr-obligations")
    listed.wait_for()
    text = listed.inner_text()
    assert "被申请人 李四 → 申请人 张三" in text and "支付：拖欠工资" in text, text
    assert "¥3,000.00" in text and "¥1,000.00" in text and "¥2,000.00" in text, text
    panel.get_by_test_id("agr-declare-form").scroll_into_view_if_needed()
    shot(page, artifacts, "performance-obligation-before-final.png")
    context.close()
