"""Evidence in a real browser: a party confirms their signing key with a texted code, and the
mediator sees it among the case's evidence, records an identity check and exports a bundle
that verifies offline.

Run with: python -m pytest tests/browser -q -p no:cacheprovider
(needs Debian's chromium at /usr/bin/chromium; the test fails, not skips, without it).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Booked, book_through_api, keep_screenshot, session_day
from tests.browser.test_booking_flow import DESKTOP, PHONE, PageErrors, clear_toasts, log_in, new_context, open_party_page

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def book_evidence_case(browser: Any, server: Any) -> Booked:
    """A two-party case with a session, on the weekday after the one the booking tests use."""
    return book_through_api(browser, server, "EV", 11, day=session_day(later=1))


def latest_code(server: Any, party_id: str, *, newer_than: int = 0, timeout_s: float = 10.0) -> tuple[int, str]:
    """The newest one-time code texted to `party_id`, read from the server's outbox (id, code)."""
    db = server.data_dir / "mediate.sqlite3"
    deadline = time.monotonic() + timeout_s
    while True:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute(
                "SELECT id, body FROM outbox WHERE kind = 'otp' AND party_id = ? AND id > ? ORDER BY id DESC LIMIT 1",
                (party_id, newer_than),
            ).fetchone()
        finally:
            con.close()
        if row is not None:
            body = str(row[1])
            assert "验证码是" in body, body
            code = body.split("验证码是", 1)[1].strip()[:6]
            assert re.fullmatch(r"\d{6}", code), body
            return int(row[0]), code
        if time.monotonic() > deadline:
            pytest.fail(f"no one-time code for party {party_id} in the outbox")
        time.sleep(0.2)


def test_party_binds_key_and_mediator_exports_verified_bundle(browser: Any, server: Any, artifacts: Path, tmp_path: Path) -> None:
    booked = book_evidence_case(browser, server)
    link = booked.links[0]
    party_id = link["party_id"]

    # --- the party, on a small phone ---------------------------------------------------------
    context, party, party_errors = open_party_page(browser, server, link["url"], viewport=PHONE)
    card = party.get_by_test_id("key-card")
    card.wait_for()
    assert "确认本人签名密钥" in card.inner_text()
    send = party.get_by_test_id("key-send")
    box = send.bounding_box()
    assert box and box["height"] >= 44, box
    card.scroll_into_view_if_needed()
    keep_screenshot(party, artifacts / "party-key-card-phone-360-zh.jpg")
    assert_accessible(party, "the party page's key card (360 px)")
    assert party.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    send.click()
    code_input = party.get_by_test_id("key-code")
    code_input.wait_for()
    assert code_input.get_attribute("inputmode") == "numeric"
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    # The line says what is true: sending, then handed on (here to the spool), never "sent" before it left.
    sent = party.get_by_test_id("key-sent")
    assert re.search(r"正在发送验证码短信到 138\*\*\*\*|验证码短信已发出", sent.inner_text()), sent.inner_text()
    party.locator('[data-testid="key-sent"][data-status="sent"]').wait_for()
    assert "验证码短信已发出，发往 138****" in sent.inner_text(), sent.inner_text()
    _, code = latest_code(server, party_id)

    # A wrong code first: the party is told, with the tries left.
    wrong = "000000" if code != "000000" else "111111"
    code_input.fill(wrong)
    party.get_by_test_id("key-confirm").click()
    message = party.get_by_test_id("key-message")
    message.filter(has_text="验证码不对").wait_for()
    assert re.search(r"还可以试 \d+ 次", message.inner_text()), message.inner_text()
    keep_screenshot(party, artifacts / "party-key-wrong-code-phone-360-zh.jpg")

    # Then the right one.
    code_input.fill(code)
    party.get_by_test_id("key-confirm").click()
    done = party.get_by_test_id("key-done")
    done.wait_for()
    assert "已确认" in done.inner_text()
    keep_screenshot(card, artifacts / "party-key-card-confirmed-zh.jpg")
    keep_screenshot(party, artifacts / "party-key-confirmed-phone-360-zh.jpg")
    assert party.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Remembered after a reload, and shown in English too.
    party.reload()
    party.get_by_test_id("key-done").wait_for()
    party.get_by_test_id("lang-switch").click()
    party.wait_for_function("document.documentElement.lang.startsWith('en')")
    assert "Confirmed" in party.get_by_test_id("key-done").inner_text()
    party.get_by_test_id("lang-switch").click()
    party.wait_for_function("document.documentElement.lang === 'zh-CN'")
    party_errors.check()
    context.close()

    # The second party starts on a desktop browser: the card before a code is sent.
    context2, party2, party2_errors = open_party_page(browser, server, booked.links[1]["url"], viewport=DESKTOP)
    card2 = party2.get_by_test_id("key-card")
    card2.wait_for()
    keep_screenshot(card2, artifacts / "party-key-card-desktop-zh.jpg")
    # An expired code (the server's 410, simulated here) asks for a new code, and a new one works.
    party2.route(
        "**/api/v1/party/keys/device/*",
        lambda route: route.fulfill(
            status=410,
            content_type="application/json",
            body='{"error": {"code": "gone", "message": "this code has expired or was used; ask for a new one"}}',
        ),
    )
    party2.get_by_test_id("key-send").click()
    party2.get_by_test_id("key-code").wait_for()
    last_id, code2 = latest_code(server, booked.links[1]["party_id"])
    party2.get_by_test_id("key-code").fill(code2)
    party2.get_by_test_id("key-confirm").click()
    party2.get_by_test_id("key-message").filter(has_text="验证码已过期").wait_for()
    assert party2.get_by_test_id("key-confirm").is_disabled()
    keep_screenshot(card2, artifacts / "party-key-card-expired-zh.jpg")
    party2.unroute("**/api/v1/party/keys/device/*")
    party2.get_by_test_id("key-resend").click()
    party2.get_by_test_id("key-sent").wait_for()
    _, code3 = latest_code(server, booked.links[1]["party_id"], newer_than=last_id)
    party2.get_by_test_id("key-code").fill(code3)
    party2.get_by_test_id("key-confirm").click()
    party2.get_by_test_id("key-done").wait_for()
    party2_errors.check()
    context2.close()

    # --- the mediator -------------------------------------------------------------------------
    mctx = new_context(browser, server, accept_downloads=True)
    page = mctx.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    section = page.locator("#evidence")
    section.get_by_role("heading", name="证据").first.wait_for()
    bound = page.locator('[data-testid="evidence-record"][data-type="key_bound"]')
    bound.first.wait_for()
    assert bound.count() == 2, bound.all_inner_texts()
    for name in ("王阿姨", "赵先生"):
        bound.filter(has_text=name).filter(has_text="已登记到日志 #").wait_for(timeout=20_000)
    assert "法院可离线核验" in section.inner_text()

    # An identity check through the form.
    page.locator("#ic-party_id").select_option(party_id)
    page.locator("#ic-method").select_option("id_card_on_video")
    page.locator("#ic-result").select_option("confirmed")
    page.locator("#ic-note").fill("视频中核对身份证原件")
    page.get_by_test_id("idcheck-submit").click()
    checked = page.locator('[data-testid="evidence-record"][data-type="identity_checked"]')
    checked.first.wait_for()
    assert "刘调解员" in checked.first.inner_text(), checked.first.inner_text()
    checked.first.filter(has_text="已登记到日志 #").wait_for(timeout=20_000)

    # Export: a zip download and its manifest hash on screen.
    with page.expect_download() as info:
        page.get_by_test_id("export-bundle").click()
    download = info.value
    name = download.suggested_filename
    assert name.endswith(".zip"), name
    saved = tmp_path / name
    download.save_as(str(saved))
    assert zipfile.is_zipfile(saved)
    shown_hash = page.get_by_test_id("manifest-hash").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", shown_hash), shown_hash
    page.locator('[data-testid="evidence-record"][data-type="export"]').first.wait_for()
    page.locator('[data-testid="evidence-record"]').first.filter(has_text="已登记到日志 #").wait_for(timeout=20_000)
    clear_toasts(page)
    keep_screenshot(section, artifacts / "case-evidence-section-zh.jpg")
    keep_screenshot(page, artifacts / "case-evidence-page-desktop-zh.jpg")
    assert_accessible(page, "the case page's evidence section")

    # English, and a phone-sized case page that still fits.
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang.startsWith('en')")
    section.get_by_text("Party confirmed a signing key").first.wait_for()
    keep_screenshot(section, artifacts / "case-evidence-section-en.jpg")
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    keep_screenshot(section, artifacts / "case-evidence-section-phone-360-zh.jpg")
    errors.check()
    mctx.close()

    # The bundle verifies offline, as a court would check it.
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "verify", str(saved)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, f"mediate verify failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
