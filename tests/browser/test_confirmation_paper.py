"""The application for judicial confirmation co-signed on paper, on the mediator's case page, in Chromium (#25).

The agreement is in effect and the applicant has started the application and signed it with their
key (through the API, as tests/browser/test_confirmation.py sets a case up: this module runs on that
module's server, with its committee, court and accounts). The respondent joined by phone and has no
key: on the case page the mediator finds them among those still to sign, prints the application,
creates a signing key in this browser, is told to choose the photo of the signed page first, uploads
it and confirms it with the key; the application then goes to the court, the respondent's line says
it was signed on paper and who received it, the case page says the case is before the court, and the
printed form and the page are in the case's files.

Run with: python -m pytest tests/browser/test_confirmation_paper.py -q -p no:cacheprovider
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from server.evidence.records import unb64
from tests.browser import test_confirmation as journey
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Server, keep_screenshot
from tests.browser.test_booking_flow import DESKTOP, PageErrors, new_context
from tests.browser.test_confirmation import COURT, Client, bind_device_key, download, log_in_as_mediator, sealed_case
from tests.browser.test_evidence_ui import latest_code
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.browser

# That module's server (on http://localhost, WebAuthn's relying party) and its committee, court and accounts: fixtures here too.
server = journey.server
accounts = journey.accounts


def photo(path: Path) -> Path:
    """The signed page, as a phone's camera saves it."""
    out = io.BytesIO()
    Image.new("RGB", (420, 594), (250, 250, 245)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def applicant_applies(browser: Any, server: Server, link: dict[str, Any]) -> int:
    """The applicant starts the application on their link and signs it with a key bound now (the texted code from the outbox)."""
    party = Client(browser, server).open_link(link["url"])
    key, code_id = bind_device_key(server, party, link["party_id"])
    status = party.get("/party/confirmation")
    court = next(c for c in status["courts"] if c["name"] == COURT)
    started = party.post("/party/confirmation", {"court_id": court["id"], "ground": "org_location"})
    _, code = latest_code(server, link["party_id"], newer_than=code_id)
    prepared = started["sign"]
    signed = party.post(
        f"/party/confirmation/sign/{prepared['challenge']}",
        {"code": code, "signature": key.sign(unb64(prepared["statement"]))["sig"]},
    )
    assert signed["application"]["status"] == "awaiting_cosign"
    party.close()
    return int(signed["seq"])


def test_the_mediator_attests_a_callers_co_signature_on_paper_and_the_application_goes_to_the_court(
    browser: Any, server: Server, accounts: None, artifacts: Path, tmp_path: Path
) -> None:
    case = sealed_case(browser, server, "（2026）京朝调字第737号", ("13800000071", "13800000072"), 11)
    applicant, respondent = case.links["applicant"], case.links["respondent"]
    seq = applicant_applies(browser, server, applicant)

    context = new_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    errors = PageErrors(page)
    log_in_as_mediator(page)
    page.goto(f"/cases/{case.case_id}")
    panel = page.get_by_test_id("confirmation-panel")
    panel.get_by_test_id("conf-awaiting").wait_for()
    box = panel.get_by_test_id("conf-paper")
    box.wait_for()
    # Only the respondent is still to sign; the applicant signed with their key.
    parties = box.get_by_test_id("conf-paper-party")
    assert parties.count() == 1 and parties.first.get_attribute("data-party-id") == respondent["party_id"]
    assert "打印司法确认申请书" in box.get_by_test_id("conf-paper-print").inner_text()

    # The form to print: the applicant's signature said, a line for the respondent's.
    printed = pdf_text(download(page, box.get_by_test_id("conf-paper-print"), tmp_path / "form.pdf"))
    assert f"张三以本人密钥电子签名（证据日志第{seq}条记录）" in printed and "申请人李四（签名或按指印）：" in printed, printed

    # The key the mediator sealed the agreement with is not in this browser: the page says so and makes one here.
    card = parties.first
    attest = card.get_by_test_id("conf-paper-attest")
    box.get_by_text("您登记的签名密钥不在本设备上").wait_for()
    box.get_by_test_id("conf-paper-key-register").click()
    box.get_by_test_id("conf-paper-key-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    assert box.get_by_test_id("conf-paper-key-register").count() == 0  # this browser's key is there and chosen
    assert "本浏览器的设备密钥" in box.locator('[data-testid="conf-paper-key"]:checked').locator("xpath=..").inner_text()

    # Without the photo of the page nothing is confirmed, and the mediator is told what to choose.
    attest.click()
    card.get_by_test_id("conf-paper-message").filter(has_text="请先选择李四签名的申请书签名页的照片或扫描件。").wait_for()
    card.get_by_test_id("conf-paper-scan").set_input_files(str(photo(tmp_path / "respondent-application.jpg")))
    panel.scroll_into_view_if_needed()
    keep_screenshot(panel, artifacts / "confirmation-paper-before.jpg")
    assert_accessible(page, "the confirmation panel's co-signature on paper")
    attest.click()
    dialog = page.locator("dialog")
    assert COURT in dialog.inner_text() and "李四" in dialog.inner_text()
    dialog.get_by_role("button", name="上传并签名确认李四已在申请书上签名").click()
    dialog.wait_for(state="detached")
    page.locator(".toast").filter(has_text="已确认李四在申请书上的纸质签名。").wait_for()

    # The application is with the court: both lines signed, the respondent's on paper and who received it.
    box.wait_for(state="detached")
    panel.get_by_test_id("conf-locked").wait_for()
    line = panel.locator(f'[data-testid="conf-signer"][data-party-id="{respondent["party_id"]}"]')
    assert line.get_attribute("data-signed") == "true"
    assert "纸质签名（调解员收取确认）" in line.inner_text() and "收取人：刘调解员" in line.inner_text()
    assert panel.locator('[data-testid="conf-signer"][data-signed="true"]').count() == 2
    page.get_by_test_id("case-before-court").filter(has_text="本案已提交法院申请司法确认").wait_for()
    keep_screenshot(panel, artifacts / "confirmation-paper-submitted.jpg")

    # The case's files hold the signed page, named for the party, and the application filed for the court.
    page.reload()
    files = page.get_by_test_id("file-link")
    files.filter(has_text=re.compile("^司法确认申请书签名页-李四")).wait_for()
    files.filter(has_text=re.compile("^司法确认申请书-")).first.wait_for()

    # In English too.
    page.get_by_test_id("lang-switch").click()
    line = page.get_by_test_id("confirmation-panel").locator(
        f'[data-testid="conf-signer"][data-party-id="{respondent["party_id"]}"]'
    )
    line.filter(has_text="received by 刘调解员").wait_for()
    errors.check()
    context.close()
