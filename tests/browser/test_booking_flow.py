"""The booking journey in a real browser: a mediator books, a party opens their link.

Run with: python -m pytest tests/browser -q -p no:cacheprovider
(needs Debian's chromium at /usr/bin/chromium; the test fails, not skips, without it).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import keep_screenshot

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


class PageErrors:
    """Uncaught JavaScript errors of a page; a test fails if any happen."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def check(self) -> None:
        assert not self.errors, f"JavaScript errors: {self.errors}"


def new_context(browser: Any, server: Any, *, viewport: dict[str, int] = DESKTOP, **kwargs: Any) -> Any:
    context = browser.new_context(
        base_url=server.base_url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **kwargs
    )
    # Every wait of a page (a locator, a click, a navigation) may take this long: generous, because CI runs
    # the browser beside the server on two loaded cores. A wait returns once it is met, so only a failure pays.
    context.set_default_timeout(60_000)
    return context


def open_party_page(browser: Any, server: Any, url: str, *, viewport: dict[str, int]) -> tuple[Any, Any, PageErrors]:
    """Open a party link in a fresh context (no cookies) and wait for the countdown."""
    context = new_context(
        browser, server, viewport=viewport, is_mobile=viewport["width"] < 500, has_touch=viewport["width"] < 500
    )
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(url)
    page.wait_for_url(re.compile(r"/party(\?|$)"))
    page.get_by_test_id("countdown").wait_for()
    return context, page, errors


def clear_toasts(page: Any) -> None:
    """Toasts are fixed over the content and go by themselves after 4 to 7 s: take them away before a
    screenshot rather than wait them out (166 screenshots, a few seconds each)."""
    page.evaluate("document.querySelectorAll('.toast').forEach((t) => t.remove())")


def wait_for_change(page: Any, locator: Any, before: str, timeout_ms: int = 15_000) -> str:
    page.wait_for_function(
        "([el, before]) => el.textContent !== before",
        arg=[locator.element_handle(), before],
        timeout=timeout_ms,
    )
    return str(locator.text_content())


def test_mediator_books_and_party_sees_countdown(
    browser: Any, server: Any, artifacts: Path, booking_day: date, new_case_number: Any
) -> None:
    context = new_context(browser, server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    page = context.new_page()
    errors = PageErrors(page)

    # The mediator logs in.
    page.goto("/login")
    page.locator("#login-username").fill(server.username)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/mediator$"))
    page.get_by_test_id("user-name").filter(has_text=server.mediator_name).wait_for()

    # … creates a case …
    case_number = new_case_number("UI")
    page.locator("#nc-case_number").fill(case_number)
    page.locator("#nc-dispute_type").select_option("wages")
    page.locator("#nc-summary").fill("拖欠三个月工资，双方同意调解。")
    page.locator("#nc-amount_in_dispute").fill("12000")
    page.get_by_role("button", name="创建案件").click()
    page.wait_for_url(re.compile(r"/cases/[^/]+$"))
    page.get_by_test_id("case-number").filter(has_text=case_number).wait_for()

    # … with an applicant and a respondent …
    for role, name, phone, id_number in [
        ("applicant", "张三", "13800000001", ""),
        ("respondent", "李四", "13800000002", "110101199003071234"),
    ]:
        page.locator("#ap-role").select_option(role)
        page.locator("#ap-name").fill(name)
        page.locator("#ap-phone").fill(phone)
        if id_number:
            page.locator("#ap-id_number").fill(id_number)
        page.get_by_role("button", name="添加当事人").click()
        page.get_by_test_id("party-list").get_by_text(name, exact=True).wait_for()
    party_list = page.get_by_test_id("party-list").inner_text()
    assert "110101199003071234" not in party_list, "ID numbers must be shown masked"

    # … completes 李四's particulars (what the agreement and a court's ruling name), is told in Chinese
    # when the sex contradicts the ID number, and sees what is still missing.
    li = page.get_by_test_id("party-list").locator("li").filter(has_text="李四")
    assert "还缺：性别、出生日期、民族、住址" in li.get_by_test_id("party-particulars-missing").inner_text()
    li.get_by_test_id("party-particulars").locator("summary").click()
    editor = li.get_by_test_id("party-particulars-form")
    editor.get_by_label("性别").select_option("female")
    editor.get_by_label("出生日期").fill("1990-03-07")
    editor.get_by_label("民族").fill("汉族")
    editor.get_by_role("button", name="保存基本情况").click()
    editor.get_by_text("与身份证号不符：身份证号第17位是单数的为男，双数的为女。").wait_for()
    editor.get_by_label("性别").select_option("male")
    editor.get_by_role("button", name="保存基本情况").click()
    li = page.get_by_test_id("party-list").locator("li").filter(has_text="李四")
    li.get_by_test_id("party-particulars-line").filter(has_text="男 · 1990-03-07 · 汉族").wait_for()
    assert "还缺：住址" in li.get_by_test_id("party-particulars-missing").inner_text()

    # … books a session two days ahead at 10:00 Shanghai time …
    day = booking_day
    page.locator("#bk-date").fill(day.isoformat())
    page.locator("#bk-time").fill("10:00")
    page.locator("#bk-duration_minutes").select_option("60")
    page.locator("#bk-timezone").select_option("Asia/Shanghai")
    page.get_by_role("button", name="预约调解").click()
    page.get_by_test_id("booked-panel").wait_for()

    # … and copies the first party's link.
    links = page.get_by_test_id("party-link")
    assert links.count() == 2
    link = links.first.inner_text().strip()
    assert re.match(r"^https?://[^ ]+/j/[^ ]+$", link), link
    page.get_by_test_id("copy-link").first.click()
    page.get_by_test_id("copy-link").first.filter(has_text="已复制").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == link

    session_card = page.get_by_test_id("session-card").first
    assert "10:00" in session_card.inner_text()
    clear_toasts(page)
    keep_screenshot(page, artifacts / "case-page-desktop-zh.jpg")
    page.set_viewport_size(PHONE)
    keep_screenshot(page, artifacts / "case-page-phone-zh.jpg")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    # The staff pages switch to English too, keeping what is on screen.
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang.startsWith('en')")
    page.get_by_role("heading", name="Parties").wait_for()
    assert page.get_by_test_id("party-link").first.inner_text().strip() == link
    keep_screenshot(page, artifacts / "case-page-desktop-en.jpg")
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")

    # The dashboard lists the case and, in day view on the session day, the session.
    page.goto("/mediator")
    page.get_by_test_id("case-link").filter(has_text=case_number).wait_for()
    page.get_by_test_id("view-week").click()
    keep_screenshot(page, artifacts / "mediator-dashboard-desktop-zh.jpg")
    errors.check()

    # The party opens the link in a browser with no cookies.
    party_context, party, party_errors = open_party_page(browser, server, link, viewport={"width": 390, "height": 844})
    countdown = party.get_by_test_id("countdown")
    first = str(countdown.text_content())
    assert "距离调解开始还有" in first, first
    party.wait_for_timeout(1500)
    second = str(countdown.text_content())
    if second == first:
        second = wait_for_change(party, countdown, first)
    assert second != first and "距离调解开始还有" in second
    assert party.get_by_test_id("case-number").inner_text() == case_number
    assert party.get_by_test_id("mediator-name").inner_text() == server.mediator_name
    assert party.get_by_test_id("organisation").inner_text() == server.organisation_name
    when = party.get_by_test_id("session-time").inner_text()
    assert f"{day.year}年{day.month}月{day.day}日" in when and "上午10:00" in when and "北京时间" in when, when
    assert party.evaluate("document.documentElement.lang") == "zh-CN"
    href = party.get_by_test_id("add-to-calendar").get_attribute("href")
    assert href and href.endswith(".ics")
    keep_screenshot(party, artifacts / "party-page-phone-zh.jpg")
    party.set_viewport_size(DESKTOP)
    keep_screenshot(party, artifacts / "party-page-desktop-zh.jpg")
    party_errors.check()
    party_context.close()

    # Back on the case page, the history lists what happened.
    page.go_back()
    page.wait_for_url(re.compile(r"/cases/[^/]+$"))
    page.locator("#history-body li").first.wait_for()
    assert page.locator("#history-body li").count() >= 3
    errors.check()
    context.close()


def test_party_page_switches_to_english(browser: Any, server: Any, artifacts: Path, book_via_api: Any) -> None:
    booked = book_via_api("EN", 14)
    context, page, errors = open_party_page(browser, server, booked.links[0]["url"], viewport=DESKTOP)
    countdown = page.get_by_test_id("countdown")
    assert "距离调解开始还有" in str(countdown.text_content())

    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang.startsWith('en')")
    text = str(countdown.text_content())
    assert re.search(r"starts in .*\d+\s(second|seconds)$", text), text
    assert not re.search(r"[\u4e00-\u9fff]", text), text
    assert page.get_by_role("heading", name="What to prepare").is_visible()
    assert "Beijing time" in page.get_by_test_id("session-time").inner_text()
    assert wait_for_change(page, countdown, text) != text
    keep_screenshot(page, artifacts / "party-page-desktop-en.jpg")

    # The choice is remembered on the next visit, and the switch goes back to Chinese.
    page.reload()
    page.get_by_test_id("countdown").wait_for()
    assert "starts in" in str(page.get_by_test_id("countdown").text_content())
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert "距离调解开始还有" in str(page.get_by_test_id("countdown").text_content())
    errors.check()
    context.close()


def test_party_page_fits_a_small_phone(browser: Any, server: Any, artifacts: Path, book_via_api: Any) -> None:
    booked = book_via_api("PH", 16)
    context, page, errors = open_party_page(browser, server, booked.links[1]["url"], viewport=PHONE)
    for lang, shot in (("zh", "party-page-phone-360-zh.jpg"), ("en", "party-page-phone-360-en.jpg")):
        if lang == "en":
            page.get_by_test_id("lang-switch").click()
            page.wait_for_function("document.documentElement.lang.startsWith('en')")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{lang}: page is {width}px wide on a 360px screen"
        # Touch targets are at least 44px high.
        for testid in ("lang-switch", "add-to-calendar"):
            box = page.get_by_test_id(testid).bounding_box()
            assert box and box["height"] >= 44, (testid, box)
        base_font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert base_font >= 18
        keep_screenshot(page, artifacts / shot)
        assert_accessible(page, f"the party page ({lang}, 360 px)")
    errors.check()
    context.close()


def log_in_as(page: Any, username: str, password: str, lands: str) -> None:
    """Log in on the login page and wait for the page the role lands on (``lands``, a pattern)."""
    page.goto("/login")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(lands))


def log_in(page: Any, server: Any) -> None:
    """The test server's mediator logs in."""
    log_in_as(page, server.username, server.password, r"/mediator$")


def test_mediator_manages_links_and_cancels(browser: Any, server: Any, book_via_api: Any, booking_day: date) -> None:
    booked = book_via_api("MG", 12)
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    card = page.get_by_test_id("session-card").first
    card.wait_for()

    # Booking over the same hour is refused with the clashing case and time.
    page.locator("#bk-date").fill(booking_day.isoformat())
    page.locator("#bk-time").fill("12:30")
    page.get_by_role("button", name="预约调解").click()
    conflict = page.get_by_test_id("booking-conflict")
    conflict.wait_for()
    assert booked.case_number in conflict.inner_text() and "12:00" in conflict.inner_text()

    # Re-issuing a link shows the new one; the old one stops working, the new one works.
    card.get_by_role("button", name="重新发放链接").first.click()
    new_link = card.get_by_test_id("party-link")
    new_link.wait_for()
    new_url = new_link.inner_text().strip()
    assert new_url != booked.links[0]["url"]
    old_context = new_context(browser, server)
    old_page = old_context.new_page()
    old_page.goto(booked.links[0]["url"])
    assert old_page.get_by_test_id("countdown").count() == 0
    assert_accessible(old_page, "the page of a link that was re-issued")
    old_context.close()
    party_context, party, party_errors = open_party_page(browser, server, new_url, viewport=PHONE)
    assert "距离调解开始还有" in str(party.get_by_test_id("countdown").text_content())

    # Cancelling asks for confirmation; afterwards the party's page no longer shows the session.
    card.get_by_role("button", name="取消调解").click()
    page.locator("dialog input").fill("双方已自行和解")
    page.locator("dialog").get_by_role("button", name="确认取消").click()
    card.get_by_text("已取消", exact=True).first.wait_for()
    assert "双方已自行和解" in card.inner_text()
    assert card.get_by_test_id("party-link").count() == 0
    party.reload()
    party.get_by_role("heading", name="无法打开调解信息").wait_for()
    assert_accessible(party, "the party page of a cancelled session")
    party_errors.check()
    party_context.close()
    errors.check()
    context.close()
