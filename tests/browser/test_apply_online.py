"""A party applies online on a phone, in Chinese (issue #21): the poster's page, the form, the code from
the text message, the status link; the mediator accepts from the dashboard and the status link says so.

Run with: python -m pytest tests/browser/test_apply_online.py -q -p no:cacheprovider
"""

from __future__ import annotations

import base64
import re
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import keep_screenshot, texted_link, unique_case_number
from tests.browser.test_booking_flow import DESKTOP, PHONE, PageErrors, new_context

pytestmark = pytest.mark.browser

APPLICANT_PHONE = "13612340021"
ONE_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def code_texted_to(server: Any, phone: str, timeout_s: float = 10.0) -> str:
    """The newest one-time code texted to `phone`, read from the server's outbox."""
    db = server.data_dir / "mediate.sqlite3"
    deadline = time.monotonic() + timeout_s
    while True:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute(
                "SELECT body FROM outbox WHERE kind = 'otp' AND recipient = ? ORDER BY id DESC LIMIT 1", (phone,)
            ).fetchone()
        finally:
            con.close()
        if row is not None:
            code = str(row[0]).split("验证码是", 1)[1].strip()[:6]
            assert re.fullmatch(r"\d{6}", code), row[0]
            return code
        if time.monotonic() > deadline:
            pytest.fail(f"no code texted to {phone}")
        time.sleep(0.2)


def test_a_party_applies_on_a_phone_and_the_status_link_follows_the_answer(browser: Any, server: Any, artifacts: Path) -> None:
    phone = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors = PageErrors(page)

    # The list of organisations, then the organisation's own form (what the poster's QR code opens).
    page.goto("/apply")
    page.get_by_role("heading", name="在线申请调解").wait_for()
    page.get_by_test_id("apply-orgs").get_by_role("link", name=server.organisation_name).click()
    page.wait_for_url(re.compile(rf"/apply/{server.organisation_id}$"))
    form = page.get_by_test_id("apply-form")
    form.wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == server.organisation_name

    # Sent empty, the form says in Chinese what is missing, under each field.
    page.get_by_test_id("apply-submit").click()
    page.locator("#apply-name-err").wait_for()
    assert "此项必填" in page.locator("#apply-name-err").inner_text()

    page.get_by_label("您的姓名").fill("张大爷")
    # A field's message goes once it is filled; the others' stay until theirs are.
    page.locator("#apply-name-err").wait_for(state="detached")
    assert "此项必填" in page.locator("#apply-phone-err").inner_text()
    page.get_by_label("您的手机号码").fill(APPLICANT_PHONE)
    page.locator("#apply-phone-err").wait_for(state="detached")
    page.get_by_label("性别").select_option("male")
    page.get_by_label("年龄").fill("72")
    page.get_by_label("您的住址").fill("周庄村三组")
    page.get_by_label("对方姓名或单位名称").fill("李四")
    page.get_by_label("发生了什么").fill("邻居李四家的树根拱坏了我家院墙。")
    page.get_by_label("您的请求（请求事项）").fill("请求李四修好院墙。")
    page.get_by_label("希望由哪位调解员调解").select_option(label=server.mediator_name)
    # At phone size nothing runs off the side of the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "the application form")
    keep_screenshot(page, artifacts / "apply-form-phone.jpg")
    page.get_by_test_id("apply-submit").click()

    # Step 2: the page says a code is on its way to the (masked) number, and asks for it.
    sent = page.get_by_test_id("apply-code-sent")
    sent.wait_for()
    assert "136****0021" in sent.inner_text() and "发送验证码短信" in sent.inner_text()
    page.get_by_label("短信验证码").fill("000000" if code_texted_to(server, APPLICANT_PHONE) != "000000" else "111111")
    page.get_by_test_id("apply-confirm").click()
    page.get_by_text("验证码不对，还可以再试 4 次").first.wait_for()
    page.get_by_label("短信验证码").fill(code_texted_to(server, APPLICANT_PHONE))
    page.get_by_test_id("apply-confirm").click()

    # The status: waiting, with the day the organisation must answer by; the link to keep.
    waiting = page.get_by_test_id("apply-waiting")
    waiting.wait_for()
    assert "结束前答复是否受理" in waiting.inner_text()
    status_url = page.get_by_test_id("apply-status-url").inner_text()
    assert re.search(r"/apply/s/[\w-]+$", status_url) and page.url == status_url
    # A photo of the damage, attached by the status link.
    photo = artifacts / "wall.png"
    photo.write_bytes(base64.b64decode(ONE_PIXEL_PNG))
    page.locator("#apply-file").set_input_files(str(photo))
    page.get_by_text("已添加：wall.png").wait_for()
    assert "wall.png" in page.get_by_test_id("apply-files").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "the application's status")
    keep_screenshot(page, artifacts / "apply-status-phone.jpg")
    errors.check()

    # The mediator sees the application on the dashboard and accepts it.
    desk = new_context(browser, server, viewport=DESKTOP)
    staff = desk.new_page()
    staff_errors = PageErrors(staff)
    staff.goto("/login")
    staff.locator("#login-username").fill(server.username)
    staff.locator("#login-password").fill(server.password)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_url(re.compile(r"/mediator$"))
    item = staff.get_by_test_id("incoming-application").filter(has_text="张大爷")
    item.wait_for()
    assert "请求李四修好院墙" in item.inner_text()
    assert item.get_by_test_id("application-files").get_by_role("link", name="wall.png").is_visible()
    number = unique_case_number("AP")
    accept = item.get_by_test_id("accept-application")
    accept.get_by_label("案件编号").fill(number)
    accept.get_by_label("纠纷类型").select_option("neighbours")
    accept.get_by_test_id("accept-application-submit").click()
    staff.get_by_text(f"已受理，案件 {number} 已登记。").first.wait_for()
    item.wait_for(state="detached")
    # The answer stays on the dashboard with what became of the text telling the applicant: queued,
    # then taken by the server's forwarder (the test server spools its texts); never "已发送".
    card = staff.get_by_test_id("answered-application").filter(has_text="张大爷")
    assert number in card.inner_text()
    told = card.get_by_test_id("answered-notice")
    told.get_by_test_id("outbox-state").filter(has_text="已交给短信转发程序").wait_for(timeout=30_000)
    assert APPLICANT_PHONE in told.inner_text() and "已发送" not in told.inner_text()
    assert card.get_by_role("link", name="打开案件").is_visible()
    assert_accessible(staff, "the answered application's card")
    keep_screenshot(staff, artifacts / "apply-answered-card.jpg")
    staff_errors.check()

    # The organisation's poster: its QR code, read as a phone's camera would, opens the form.
    assert staff.get_by_test_id("apply-poster").get_attribute("href") == f"/apply/{server.organisation_id}/poster"
    staff.goto(f"/apply/{server.organisation_id}/poster")
    assert staff.get_by_test_id("poster-org").inner_text() == server.organisation_name
    shot = artifacts / "apply-poster-qr.png"
    staff.get_by_test_id("poster-qr").screenshot(path=str(shot))
    read = subprocess.run(["zbarimg", "-q", "--raw", str(shot)], capture_output=True, text=True, timeout=60, check=False)
    assert read.stdout.strip() == f"{server.base_url}/apply/{server.organisation_id}", read.stderr
    keep_screenshot(staff, artifacts / "apply-poster.jpg")
    staff_errors.check()
    desk.close()

    # The link in the text opens the applicant's status page: accepted, with the case number and the mediator.
    page.goto(texted_link(server, "application_accepted", recipient=APPLICANT_PHONE))
    accepted = page.get_by_test_id("apply-accepted")
    accepted.wait_for()
    assert number in accepted.inner_text() and server.mediator_name in accepted.inner_text()
    errors.check()
    phone.close()


def test_a_declined_application_tells_the_applicant_why_and_the_routes_still_open(
    browser: Any, server: Any, artifacts: Path
) -> None:
    phone_number = "13612340022"
    phone = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors = PageErrors(page)
    page.goto(f"/apply/{server.organisation_id}")
    page.get_by_label("您的姓名").fill("王奶奶")
    page.get_by_label("您的手机号码").fill(phone_number)
    page.get_by_label("对方姓名或单位名称").fill("某物业公司")
    page.get_by_label("发生了什么").fill("物业公司停了我家的水。")
    page.get_by_label("您的请求（请求事项）").fill("请求恢复供水。")
    page.get_by_test_id("apply-submit").click()
    page.get_by_test_id("apply-code-sent").wait_for()
    page.get_by_label("短信验证码").fill(code_texted_to(server, phone_number))
    page.get_by_test_id("apply-confirm").click()
    page.get_by_test_id("apply-waiting").wait_for()

    desk = new_context(browser, server, viewport=DESKTOP)
    staff = desk.new_page()
    staff.goto("/login")
    staff.locator("#login-username").fill(server.username)
    staff.locator("#login-password").fill(server.password)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_url(re.compile(r"/mediator$"))
    item = staff.get_by_test_id("incoming-application").filter(has_text="王奶奶")
    decline = item.get_by_test_id("decline-application")
    decline.get_by_test_id("decline-application-submit").click()
    decline.get_by_text("此项必填").first.wait_for()
    decline.get_by_label("不予受理的理由").fill("供水纠纷已由住建部门立案处理。")
    decline.get_by_label("请求有关行政机关处理").check()
    decline.get_by_label("向人民法院起诉").check()
    decline.get_by_test_id("decline-application-submit").click()
    staff.get_by_text("已决定不予受理").first.wait_for()
    card = staff.get_by_test_id("answered-application").filter(has_text="王奶奶")
    card.get_by_test_id("outbox-state").filter(has_text="已交给短信转发程序").wait_for(timeout=30_000)
    assert phone_number in card.inner_text()
    desk.close()

    # The text's link opens the status page, which says why and where else to go.
    page.goto(texted_link(server, "application_declined", recipient=phone_number))
    declined = page.get_by_test_id("apply-declined")
    declined.wait_for()
    text = declined.inner_text()
    assert "不予受理" in text and "供水纠纷已由住建部门立案处理。" in text
    assert "请求有关行政机关处理" in text and "向人民法院起诉" in text and "申请仲裁" not in text
    keep_screenshot(page, artifacts / "apply-declined-phone.jpg")
    errors.check()
    phone.close()
