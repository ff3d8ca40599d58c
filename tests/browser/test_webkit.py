"""The party's pages in a second engine: WebKit, the engine of every iPhone browser and of WeChat
on iOS, through Debian's webkit2gtk-driver (WebKitWebDriver) and Selenium.

WebKitGTK's MiniBrowser has no headless mode: the test starts its own Xvfb (Debian's ``xvfb``)
and gives WebKitWebDriver that display. MiniBrowser runs with its mock camera and microphone
(``--enable-mock-capture-devices``; in automation mode the permission is granted), and with
WebRTC asked for (``--enable-webrtc``). Debian's WebKitGTK is built without WebRTC
(``RTCPeerConnection`` is undefined): there the party's device check runs and is followed by
the "this browser cannot do video" help; a build with WebRTC reaches the waiting room instead.
Either way no page of a party stays on 正在加载. Nothing is skipped: without WebKitWebDriver,
MiniBrowser, Xvfb or Selenium the tests fail and say what to install (`bash scripts/test`
installs it all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible_webdriver
from tests.browser.conftest import Booked, MissingBrowser, Server, book_through_api, session_day

pytestmark = pytest.mark.browser

WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
INSTALL = "Run the README's test command, `bash scripts/test`, which installs webkit2gtk-driver and xvfb (Debian) and selenium."
WAIT = 30


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """An X server of our own on a free display (Xvfb picks it and writes its number)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], pass_fds=(write,)
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    if not display:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    return xvfb, f":{display}"


@pytest.fixture(scope="module")
def webkit() -> Iterator[Any]:
    missing = [
        what
        for what, found in (
            ("WebKitWebDriver (Debian's webkit2gtk-driver)", Path(WEBKIT_DRIVER).exists()),
            ("MiniBrowser (Debian's libwebkit2gtk-4.1-0)", Path(MINIBROWSER).exists()),
            ("Xvfb (Debian's xvfb)", shutil.which("Xvfb") is not None),
        )
        if not found
    ]
    if missing:
        yield MissingBrowser(f"WebKit cannot start: {', '.join(missing)} not found. {INSTALL}")
        return
    try:
        from selenium import webdriver
        from selenium.webdriver.webkitgtk.service import Service
    except ImportError:
        yield MissingBrowser(f"Selenium's Python package is missing. {INSTALL}")
        return
    xvfb, display = start_xvfb()
    try:
        options = webdriver.WebKitGTKOptions()
        options.binary_location = MINIBROWSER
        for arg in ("--automation", "--enable-media-stream=true", "--enable-mock-capture-devices=true", "--enable-webrtc=true"):
            options.add_argument(arg)
        service = Service(executable_path=WEBKIT_DRIVER, env={**os.environ, "DISPLAY": display})
        try:
            driver = webdriver.WebKitGTK(options=options, service=service)
        except Exception as exc:  # noqa: BLE001 - any failure to start is reported as the test's failure
            yield MissingBrowser(f"WebKitWebDriver did not start a MiniBrowser session: {exc}")
            return
        try:
            driver.set_script_timeout(WAIT)
            yield driver
        finally:
            driver.quit()
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def book(browser: Any, server: Server, prefix: str, hour: int) -> Booked:
    return book_through_api(browser, server, prefix, hour, day=session_day(later=11))


def wait(driver: Any, condition: str, what: str) -> Any:
    """Waits until the JavaScript expression ``condition`` is truthy; returns its value."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(lambda d: d.execute_script(f"return {condition};"))
    except TimeoutException:
        text = driver.execute_script("return document.getElementById('app') && document.getElementById('app').innerText")
        raise AssertionError(f"WebKit: {what} did not happen within {WAIT} s; the page shows:\n{text}") from None


def app_text(driver: Any) -> str:
    return str(driver.execute_script("return document.getElementById('app').innerText"))


def visible(testid: str) -> str:
    return f"(() => {{ const el = document.querySelector('[data-testid=\"{testid}\"]'); return el && el.getClientRects().length > 0 && el; }})()"


def test_the_party_page_loads_and_the_device_check_runs_in_webkit(webkit: Any, browser: Any, server: Server) -> None:
    booked = book(browser, server, "WK", 9)
    webkit.get(booked.links[0]["url"])
    wait(webkit, visible("join-live"), "the party page with 进入视频调解")
    assert webkit.current_url.endswith("/party")
    # Parts of the page arrive after the main action (the case files say 正在加载 meanwhile): none stays so.
    wait(webkit, "!document.getElementById('app').innerText.includes('正在加载')", "every part of the page loaded")
    text = app_text(webkit)
    assert "进入视频调解" in text, text
    assert webkit.execute_script("return document.getElementById('boot-loading') === null")
    assert_accessible_webdriver(webkit, "the party page in WebKit")

    webkit.execute_script("document.querySelector('[data-testid=\"join-live\"]').click()")
    # The device check runs: WebKit's mock camera and microphone are found and work.
    wait(webkit, 'document.querySelector(\'[data-testid="camera-status"][data-status="ok"]\')', "the camera check")
    wait(webkit, 'document.querySelector(\'[data-testid="mic-status"][data-status="ok"]\')', "the microphone check")
    assert_accessible_webdriver(webkit, "the device check in WebKit")
    webkit.execute_script("document.querySelector('[data-testid=\"device-continue\"]').click()")
    has_webrtc = bool(webkit.execute_script("return typeof RTCPeerConnection === 'function'"))
    if has_webrtc:
        wait(webkit, visible("waiting-room"), "the waiting room")
    else:
        wait(webkit, visible("no-video-help"), "the 'this browser cannot do video' help")
        help_text = app_text(webkit)
        for words in ("这个浏览器无法进行视频调解", "在浏览器中打开", "电话", "This browser cannot do video mediation"):
            assert words in help_text, words
        assert_accessible_webdriver(webkit, "the no-video help in WebKit")
    assert "正在加载" not in app_text(webkit)


def test_no_party_page_stays_on_loading_in_webkit(webkit: Any, browser: Any, server: Server) -> None:
    """The party's other pages: English, a withdrawn link, a cancelled session."""
    booked = book(browser, server, "WL", 11)
    webkit.get(booked.links[1]["url"])
    wait(webkit, visible("countdown"), "the countdown")
    webkit.execute_script("document.querySelector('[data-testid=\"lang-switch\"]').click()")
    wait(webkit, "document.documentElement.lang.startsWith('en')", "the switch to English")
    assert "Join the video session" in app_text(webkit)
    webkit.execute_script("document.querySelector('[data-testid=\"lang-switch\"]').click()")
    wait(webkit, "document.documentElement.lang.startsWith('zh')", "the switch back to Chinese")
    # A link that does not exist: the server's own page, no script needed.
    webkit.get(f"{server.base_url}/j/not-a-real-link")
    assert "链接无效" in webkit.execute_script("return document.body.innerText")
    assert_accessible_webdriver(webkit, "the link-error page in WebKit")
    # The session cancelled: the page says the link no longer opens it.
    cancel = browser.new_context(base_url=server.base_url)
    try:
        login = cancel.request.post("/api/v1/auth/login", data={"username": server.username, "password": server.password})
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        done = cancel.request.post(f"/api/v1/sessions/{booked.session_id}/cancel", data={"reason": "已和解"}, headers=csrf)
        assert done.status == 200, done.text()
    finally:
        cancel.close()
    webkit.get(f"{server.base_url}/party")
    wait(webkit, "document.getElementById('boot-loading') === null && document.querySelector('main')", "the page to draw itself")
    wait(webkit, "!document.getElementById('app').innerText.includes('正在加载')", "every part of the page loaded")
    text = app_text(webkit)
    assert "已取消" in text, text


def test_the_party_reads_the_draft_agreement_and_a_typed_comment_survives_a_language_switch_in_webkit(
    webkit: Any, browser: Any, server: Server
) -> None:
    """The agreement card on a phone-size window: the draft opens, and a comment being typed keeps its
    text and focus while the view redraws in English and back."""
    booked = book(browser, server, "WA", 15)
    staff = browser.new_context(base_url=server.base_url)
    try:
        login = staff.request.post("/api/v1/auth/login", data={"username": server.username, "password": server.password})
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        made = staff.request.post(f"/api/v1/cases/{booked.case_id}/agreement", data={}, headers=csrf)
        assert made.status == 201, made.text()
    finally:
        staff.close()
    size = webkit.get_window_size()
    webkit.set_window_size(390, 844)
    try:
        webkit.get(booked.links[0]["url"])
        wait(webkit, visible("agreement-open"), "the agreement card")
        webkit.execute_script("document.querySelector('[data-testid=\"agreement-open\"]').click()")
        wait(webkit, visible("agr-draft-text"), "the draft")
        typed = "Pay it all at once."
        webkit.find_element("css selector", '[data-testid="agr-comment-text"]').send_keys(typed)
        webkit.execute_script("window.held = document.activeElement")
        held = "document.activeElement === window.held && window.held.isConnected && window.held.value"
        assert webkit.execute_script(f"return {held}") == typed
        assert webkit.execute_script("return window.held.dataset.testid") == "agr-comment-text"
        webkit.execute_script("document.querySelector('[data-testid=\"lang-switch\"]').click()")
        send = "document.querySelector('[data-testid=\"agr-comment-send\"]').textContent"
        wait(webkit, f"{send}.includes('Send to the mediator')", "the view in English")
        assert webkit.execute_script(f"return {held}") == typed
        assert webkit.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), (
            "the view scrolls sideways"
        )
        assert_accessible_webdriver(webkit, "the party's draft agreement in WebKit")
        webkit.execute_script("document.querySelector('[data-testid=\"lang-switch\"]').click()")
        wait(webkit, f"{send}.includes('提交给调解员')", "the view in Chinese")
        assert webkit.execute_script(f"return {held}") == typed
    finally:
        webkit.set_window_size(size["width"], size["height"])
