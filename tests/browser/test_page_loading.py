"""How the pages load (issue #18, "a weak rural network"), in Chromium, and axe-core on each.

- The party's main action is the one prominent thing above the fold of a 390×844 phone.
- The live room's code is not fetched until the party presses 进入视频调解.
- A browser without WebRTC gets the "this browser cannot do video" help after its device check;
  one that cannot run the page's modules gets the help (or "reload") instead of 正在加载.
- Login, admin, mediator, case and link-error pages pass axe-core's WCAG 2.1 A/AA rules; on the admin
  page, half-typed forms keep their text and focus while the page redraws (data arriving, a language switch).

How fast it loads is a benchmark, not a test: `mediate bench party-page`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Booked, Server, book_through_api, cli, session_day
from tests.browser.test_booking_flow import PageErrors, new_context

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ADMIN_PASSWORD = "Axe-Admin-Pass-9"
SLOTS = {"LD": (9, 9), "LW": (9, 11), "LX": (9, 13), "LY": (9, 15), "LA": (10, 9)}


def book(browser: Any, server: Server, prefix: str) -> Booked:
    """A two-party case of this module's own, on a day and hour no other test books."""
    later, hour = SLOTS[prefix]
    return book_through_api(browser, server, prefix, hour, day=session_day(later=later))


LIVE_ROOM_MODULES = re.compile(r"/static/js/(partylive|room|rtc|signaling|devicecheck)\.js")


def test_the_main_action_is_the_one_prominent_thing_above_the_fold_and_the_live_room_loads_when_pressed(
    browser: Any, server: Server
) -> None:
    booked = book(browser, server, "LD")
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(booked.links[0]["url"])
    page.wait_for_url(re.compile(r"/party$"))
    join = page.get_by_test_id("join-live")
    join.wait_for()
    # Wholly inside the 390x844 screen (retried: the page redraws as its parts arrive).
    expect(join).to_be_in_viewport(ratio=1.0)
    # The one prominent thing: no other primary button on the first screen; the calendar is a link.
    primaries = page.evaluate(
        """() => [...document.querySelectorAll('.primary, .button.primary')]
             .filter(el => { const r = el.getBoundingClientRect(); return r.height > 0 && r.top < innerHeight; })
             .map(el => el.dataset.testid || el.textContent)"""
    )
    assert primaries == ["join-live"], primaries
    calendar = page.get_by_test_id("add-to-calendar")
    assert "primary" not in (calendar.get_attribute("class") or "")
    # The page drew from the data it carries: /party/me was not asked for.
    assert not [url for url in fetched if url.endswith("/api/v1/party/me")]
    page.get_by_test_id("key-card").wait_for()
    assert not [url for url in fetched if LIVE_ROOM_MODULES.search(url)], "the live room is loaded before it is needed"
    assert_accessible(page, "the party page before the session (390x844)")
    join.click()
    page.get_by_test_id("party-live").wait_for()
    assert [url for url in fetched if "/static/js/partylive.js?v=" in url], "pressing 进入视频调解 loads the live room"
    assert [url for url in fetched if "/static/css/live.css?v=" in url], "with its stylesheet"
    errors.check()
    context.close()


def test_a_browser_without_webrtc_is_told_what_to_do_instead_of_a_broken_device_check(browser: Any, server: Server) -> None:
    booked = book(browser, server, "LW")
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script("delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;")
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(booked.links[0]["url"])
    page.get_by_test_id("join-live").click()
    # The camera and microphone are checked (they work), then the help instead of a waiting room.
    page.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    page.get_by_test_id("device-continue").click()
    help_card = page.get_by_test_id("no-video-help")
    help_card.wait_for()
    text = help_card.inner_text()
    for words in ("这个浏览器无法进行视频调解", "在浏览器中打开", "更新", "电话", "This browser cannot do video mediation"):
        assert words in text, words
    assert page.get_by_test_id("party-live").count() == 0
    assert_accessible(page, "the no-video help")
    errors.check()
    context.close()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        # An engine older than the page's code (no modules: iOS Safari before 11, old in-app browsers).
        ("delete HTMLScriptElement.prototype.noModule;", "no-video-help"),
        # The modules did not arrive (a dropped connection at the edge of coverage).
        ("", "load-failed-help"),
    ],
    ids=["engine-too-old", "modules-lost"],
)
def test_a_party_page_that_cannot_run_never_stays_on_loading(browser: Any, server: Server, setup: str, expected: str) -> None:
    booked = book(browser, server, "LX" if expected == "no-video-help" else "LY")
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    if setup:
        context.add_init_script(setup)
    # Neither browser runs the page's modules: the first never would, the second never gets them.
    context.route(re.compile(r"/static/js/pages/party\.js"), lambda route: route.abort())
    page = context.new_page()
    page.goto(booked.links[0]["url"])
    page.get_by_test_id(expected).wait_for()
    assert "正在加载" not in page.locator("#app").inner_text()
    assert_accessible(page, f"the party page's {expected}")
    context.close()


def test_staff_pages_and_link_errors_pass_axe(browser: Any, server: Server) -> None:
    booked = book(browser, server, "LA")
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").wait_for()
    assert_accessible(page, "/login")
    page.locator("#login-username").fill(server.username)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/mediator$"))
    page.get_by_test_id("week-view").wait_for()
    assert_accessible(page, "/mediator")
    page.goto(f"/cases/{booked.case_id}")
    page.get_by_test_id("session-card").first.wait_for()
    assert_accessible(page, "/cases/<id>")
    errors.check()
    context.close()

    cli("user", "add", "--username", "axe-admin", "--password", ADMIN_PASSWORD, "--role", "admin", data_dir=server.data_dir)
    admin = new_context(browser, server)
    # The public address is answered late, while the administrator is typing.
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    admin.route(re.compile(r"/api/v1/server/address$"), hold)
    page = admin.new_page()
    a_errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").fill("axe-admin")
    page.locator("#login-password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/admin$"))
    half_typed_admin_forms_survive_the_address_and_a_language_switch(page, held)
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "/admin")
    a_errors.check()
    admin.close()

    anonymous = new_context(browser, server)
    page = anonymous.new_page()
    page.goto("/j/not-a-real-link")
    assert page.locator("h1").inner_text() == "链接无效"
    assert_accessible(page, "the link-error page")
    anonymous.close()


#: What the administrator has half typed into the two forms (the password field's value included).
TYPED = {"#org-name": "朝阳区人民调", "#usr-display_name": "赵六", "#usr-password": "Half-Typed-Pass-7", "#usr-username": "zhao"}


def half_typed_admin_forms_survive_the_address_and_a_language_switch(page: Any, held: list[Any]) -> None:
    """The admin page redraws when the public address arrives and when the language changes: what was
    typed stays in both forms (the password too: it is never copied, its field is kept), and the field
    being typed in keeps focus (the same element, not a copy found again)."""
    for selector, text in TYPED.items():
        page.locator(selector).fill(text)  # the last one, the username, keeps focus
    page.evaluate("() => { window.held = document.activeElement; }")
    kept = "() => document.activeElement === window.held && window.held.isConnected"
    focused = "document.activeElement.id || document.activeElement.tagName"
    assert page.evaluate("document.activeElement.id") == "usr-username"
    while not held:
        page.wait_for_timeout(50)  # until the page has asked (the route above holds the answer)
    held[0].continue_()
    page.get_by_test_id("server-address").wait_for()
    assert page.evaluate(kept), page.evaluate(focused)
    assert {s: page.locator(s).input_value() for s in TYPED} == TYPED
    # The language changes by a click that does not move focus: every label is English, the typing stays.
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    page.locator("#user-create-title").filter(has_text="New staff account").wait_for()
    assert page.locator("label[for=usr-username]").inner_text() == "Username"
    assert page.evaluate(kept), page.evaluate(focused)
    assert {s: page.locator(s).input_value() for s in TYPED} == TYPED
    # From the keyboard, the language button keeps focus across the switch back, and the text stays.
    page.get_by_test_id("lang-switch").focus()
    page.keyboard.press("Enter")
    page.locator("#user-create-title").filter(has_text="新建工作人员账号").wait_for()
    assert page.evaluate("document.activeElement.dataset.testid") == "lang-switch"
    assert {s: page.locator(s).input_value() for s in TYPED} == TYPED
