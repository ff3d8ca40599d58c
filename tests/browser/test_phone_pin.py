"""Joining by phone (#25) on the case page, in Chromium: with a number to dial configured, the mediator
sees each party's PIN when a link is issued (booked or re-issued), told once and said to change with
the link, and the same PIN is in the text the party is sent.

Run with: python -m pytest tests/browser/test_phone_pin.py -q -p no:cacheprovider
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    Server,
    book_through_api,
    keep_screenshot,
    own_server,
    session_day,
)
from tests.browser.test_booking_flow import PageErrors, log_in, new_context

pytestmark = pytest.mark.browser

NUMBER = "010-8888 6666"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose telephone gateway answers NUMBER; texts go to a spool."""
    with own_server(tmp_path_factory.mktemp("mediate-phone"), {"MEDIATE_PHONE_NUMBER": NUMBER}) as server:
        yield server


def texted_pin(data_dir: Path, kind: str, phone: str, nth: int = 1, timeout_s: float = 30.0) -> str:
    """The PIN in the ``nth`` text of ``kind`` to ``phone``, as the spool hands it to its forwarder."""
    deadline = time.monotonic() + timeout_s
    while True:
        spool = data_dir / "sms.jsonl"
        lines = spool.read_text(encoding="utf-8").splitlines() if spool.exists() else []
        sent = [json.loads(line) for line in lines]
        found = [m for m in sent if m["kind"] == kind and m["phone"] == phone]
        if len(found) >= nth:
            params = found[nth - 1]["params"]
            assert params["phone"] == NUMBER, params
            assert f"可拨打 {NUMBER} 并输入会议密码 {params['pin']} 以电话参加。" in found[nth - 1]["text"]
            return str(params["pin"])
        if time.monotonic() > deadline:
            pytest.fail(f"no {kind} text to {phone} in the spool")
        time.sleep(0.2)


def shown_pin(box: Any) -> str:
    text = box.get_by_test_id("phone-pin").inner_text()
    found = re.search(rf"可拨打 {re.escape(NUMBER)} 并输入会议密码 (\d{{6}}) 以电话参加", text)
    assert found, text
    return found.group(1)


def test_the_mediator_sees_each_partys_pin_when_a_link_is_issued_and_it_is_the_texted_one(
    browser: Any, server: Server, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "PIN", 10, day=session_day(3))
    assert all(link["phone"]["number"] == NUMBER for link in booked.links)
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    card = page.get_by_test_id("session-card").first
    card.wait_for()
    # Only a keyed hash is stored: the page cannot show a PIN again until a link is issued.
    assert card.get_by_test_id("phone-pin").count() == 0

    card.get_by_role("button", name="重新发放链接").first.click()
    box = card.locator(".link-box")
    box.get_by_test_id("phone-pin").wait_for()
    pin = shown_pin(box)
    assert pin != booked.links[0]["phone"]["pin"]
    assert "会议密码只在此时显示。重新发放链接会生成新的会议密码，原密码随之失效。" in box.inner_text()
    assert "已发送" not in box.inner_text(), "the page never says a PIN went out"
    # The new link's text carries the same PIN.
    assert texted_pin(server.data_dir, "link_reissued", "13800000011") == pin
    assert_accessible(page, "the case page showing a re-issued link with its PIN")

    # Booking another session shows both parties' PINs in the booked panel, each as texted.
    page.locator("#bk-date").fill(session_day(3).isoformat())
    page.locator("#bk-time").fill("14:00")
    page.locator("#bk-duration_minutes").select_option("60")
    page.locator("#bk-timezone").select_option("Asia/Shanghai")
    page.get_by_role("button", name="预约调解").click()
    panel = page.get_by_test_id("booked-panel")
    panel.wait_for()
    boxes = panel.locator(".link-box")
    assert boxes.count() == 2
    shown = [shown_pin(boxes.nth(i)) for i in range(2)]
    assert len(set(shown)) == 2
    assert sorted(shown) == sorted(
        texted_pin(server.data_dir, "invitation", phone, nth=2) for phone in ("13800000011", "13800000012")
    )
    keep_screenshot(panel, artifacts / "phone-pin-booked.jpg")

    # In English, the same in English.
    page.evaluate("localStorage.setItem('lang', 'en')")
    page.reload()
    card = page.get_by_test_id("session-card").first
    card.wait_for()
    card.get_by_role("button", name="Re-issue link").first.click()
    box = card.locator(".link-box")
    box.get_by_test_id("phone-pin").wait_for()
    assert re.search(rf"No smartphone\? Call {re.escape(NUMBER)} and enter PIN \d{{6}} to join by phone\.", box.inner_text())
    assert "Re-issuing the link gives a new PIN" in box.inner_text()
    errors.check()
    context.close()
