"""After logging in, the login page goes only to a page of this site (#19, item 2), and says how
long to wait when logins are throttled (#19, item 1).

`/login?next=/%09/evil.example/x` passed a check that the path starts with one "/", and then
the browser, which strips tabs and newlines from a URL (WHATWG URL Standard, "basic URL
parser"), went to //evil.example/x: another host. The page now resolves `next` as the browser
will and follows it only when it stays on this origin.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.browser.conftest import Server
from tests.browser.test_booking_flow import PageErrors, new_context

pytestmark = pytest.mark.browser

#: What a phishing mail could put after /login?next= (before quoting).
ELSEWHERE = ["/\t/evil.example/x", "/\n/evil.example/x", "/\\evil.example/x", "\\\\evil.example/x", "https://evil.example/x",
             "javascript:alert(1)", "/\r\n/evil.example/x", "/.//evil.example/x"]  # fmt: skip


def log_in_through(browser: Any, server: Server, next_value: str) -> tuple[str, list[str]]:
    """Log in on /login?next=…; the URL the browser ends on, and any request that left for evil.example."""
    context = new_context(browser, server)
    left: list[str] = []

    def refuse(route: Any) -> None:
        left.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>evil</p>")

    context.route(re.compile(r"^https?://evil\.example/"), refuse)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(f"/login?next={quote(next_value, safe='')}")
    page.locator("#login-username").fill(server.username)
    page.locator("#login-password").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state()
    url = page.url
    errors.check()
    context.close()
    return url, left


@pytest.mark.parametrize("next_value", ELSEWHERE, ids=lambda v: repr(v)[1:-1][:24])
def test_a_login_link_naming_another_host_ends_on_this_site(browser: Any, server: Server, next_value: str) -> None:
    url, left = log_in_through(browser, server, next_value)
    assert not left, f"the browser went to {left}"
    origin = urlsplit(server.base_url)
    assert (urlsplit(url).scheme, urlsplit(url).netloc) == (origin.scheme, origin.netloc), url
    assert urlsplit(url).path == "/mediator", "an unsafe next is dropped: the mediator's home page"


def test_a_login_link_to_a_page_of_this_site_goes_there(browser: Any, server: Server) -> None:
    url, left = log_in_through(browser, server, "/mediator?week=next#calendar")
    assert not left
    assert url == f"{server.base_url}/mediator?week=next#calendar"


def test_the_login_page_says_how_long_to_wait_when_throttled(browser: Any, server: Server) -> None:
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    # An account of its own (unknown names are counted like real ones), so that no other test waits.
    page.locator("#login-username").fill("throttle-probe")
    message = page.locator("#login-form .form-message")
    for _ in range(5):
        page.locator("#login-password").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        message.filter(has_text="用户名或密码不正确").wait_for()
        page.evaluate("document.querySelector('#login-form .form-message').textContent = ''")
    page.locator("#login-password").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    message.filter(has_text=re.compile(r"登录失败次数过多，请在 ?\d+ ?秒后再试")).wait_for()
    errors.check()
    context.close()
