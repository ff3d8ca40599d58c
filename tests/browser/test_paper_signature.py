"""Signatures on paper on the mediator's agreement panel, in Chromium (#25).

The agreement is final (made so through the API). Neither party can sign on a device: the respondent
joined by phone, the applicant has no smartphone. On the case page the mediator records that they
read the final text to the respondent over the telephone, creates a signing key in this browser,
uploads a photo of each party's signed page and confirms it with that key; each party is then shown
as signed on paper, and the mediator signs last and the agreement is sealed.

Run with: python -m pytest tests/browser/test_paper_signature.py -q -p no:cacheprovider
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.api.agreement_helpers import TERMS
from tests.browser.axe import assert_accessible
from tests.browser.conftest import MEDIATOR_PASSWORD, MEDIATOR_USERNAME, Server, book_through_api, keep_screenshot, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context

pytestmark = pytest.mark.browser


def final_agreement(browser: Any, server: Server, case_id: str, session_id: str) -> None:
    """Draft version 2 from the terms and declare it final, as the mediator, through the JSON API."""
    context = browser.new_context(base_url=server.base_url)
    try:
        req = context.request
        res = req.post("/api/v1/auth/login", data={"username": MEDIATOR_USERNAME, "password": MEDIATOR_PASSWORD})
        assert res.status == 200, res.text()
        headers = {"X-CSRF-Token": res.json()["csrf_token"]}
        base = f"/api/v1/cases/{case_id}/agreement"
        deadline = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        for path, body in (
            (base, {"session_id": session_id}),
            (f"{base}/versions", {"content": TERMS, "based_on": 1}),
            (f"{base}/final", {"version": 2, "deadline": deadline}),
        ):
            r = req.post(path, data=body, headers=headers)
            assert r.status in (200, 201), f"POST {path}: {r.status} {r.text()}"
    finally:
        context.close()


def photo(path: Path) -> Path:
    """A signed page, as a phone's camera saves it."""
    out = io.BytesIO()
    Image.new("RGB", (420, 594), (250, 250, 245)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def confirm(page: Any, label: str) -> None:
    page.locator("dialog").get_by_role("button", name=label).click()
    page.locator("dialog").wait_for(state="detached")


def test_the_mediator_records_a_reading_and_attests_signatures_on_paper(
    browser: Any, server: Server, tmp_path: Path, artifacts: Path
) -> None:
    booked = book_through_api(browser, server, "PS", 9, day=session_day(later=36))
    final_agreement(browser, server, booked.case_id, booked.session_id)
    parties = {link["role"]: link for link in booked.links}

    context = new_context(browser, server)
    mediator = context.new_page()
    errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{booked.case_id}")
    panel = mediator.get_by_test_id("agreement-panel")
    box = panel.get_by_test_id("paper-signatures")
    box.wait_for()
    assert box.get_by_test_id("paper-print").get_attribute("href")

    # The respondent joined by phone: the mediator read them the final text over the telephone.
    respondent = parties["respondent"]
    card = box.locator(f'[data-testid="paper-party"][data-party-id="{respondent["party_id"]}"]')
    card.get_by_test_id("paper-read-how").select_option("read_by_phone")
    card.get_by_test_id("paper-read").click()
    card.get_by_test_id("paper-message").filter(has_text=f"已记录：您已向{respondent['party_name']}宣读第 2 版协议。").wait_for()

    # Confirming needs a key held in this browser: the mediator creates one, and it is the one chosen
    # (the shared server's account may hold keys other tests made in other browsers).
    attest = card.get_by_test_id("paper-attest")
    sign_box = panel.get_by_test_id("agr-sign-box")
    sign_box.get_by_test_id("agr-key-register").click()
    sign_box.get_by_test_id("agr-sign-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    assert sign_box.locator('[data-testid="agr-key"]:checked').count() == 1
    assert attest.is_enabled()

    # Without a photo of the page, nothing is confirmed and the mediator is told what to choose.
    attest.click()
    card.get_by_test_id("paper-message").filter(has_text=f"请先选择{respondent['party_name']}签名页的照片或扫描件。").wait_for()
    card.get_by_test_id("paper-scan").set_input_files(str(photo(tmp_path / "respondent-page.jpg")))
    keep_screenshot(mediator, artifacts / "agreement-paper-before.jpg")
    assert_accessible(mediator, "the agreement panel's signatures on paper")
    attest.click()
    confirm(mediator, f"上传并签名确认{respondent['party_name']}已在纸上签名")
    toast = mediator.locator(".toast").filter(has_text=f"已确认{respondent['party_name']}的纸质签名。")
    toast.wait_for()

    # The applicant's page too; then both are signed on paper and only the mediator is left.
    applicant = parties["applicant"]
    card = box.locator(f'[data-testid="paper-party"][data-party-id="{applicant["party_id"]}"]')
    card.get_by_test_id("paper-scan").set_input_files(str(photo(tmp_path / "applicant-page.jpg")))
    card.get_by_test_id("paper-attest").click()
    confirm(mediator, f"上传并签名确认{applicant['party_name']}已在纸上签名")
    box.wait_for(state="detached")  # every party has signed
    signers = panel.get_by_test_id("agr-signers")
    for link in (applicant, respondent):
        line = signers.locator(f'[data-signer-id="{link["party_id"]}"]')
        assert line.get_attribute("data-signed") == "true"
        assert "纸质签名（调解员收取确认）" in line.inner_text()

    # The mediator signs last with the same key, and the agreement is sealed.
    sign_box.get_by_test_id("agr-sign").click()
    confirm(mediator, "签署调解协议")
    panel.get_by_test_id("agr-seal").wait_for()
    keep_screenshot(mediator, artifacts / "agreement-paper-sealed.jpg")

    # The case's files hold both pages, named for the parties.
    mediator.reload()
    pages = mediator.get_by_test_id("file-link").filter(has_text=re.compile("^协议签名页-"))
    pages.first.wait_for()
    assert sorted(pages.all_inner_texts()) == sorted(f"协议签名页-{p['party_name']}.jpg" for p in (applicant, respondent))
    errors.check()
    context.close()
