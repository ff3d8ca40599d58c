"""The payee's application for enforcement in Chromium, on a phone (#22).

Set up through the API: the agreement (李四 pays 张三 5000 yuan) is sealed, both parties apply
for judicial confirmation and 朝阳区人民法院 confirms it; the instalment's last day is then moved into
the past (the server's database, as a clock would). 张三 opens her page: the 履行情况 card offers
the application for enforcement, says she signs it by hand and the platform files nothing with the
court, and the PDF downloads with the court, the ruling and 李四 as the respondent in it. 李四's
card offers nothing.

Run with: python -m pytest tests/browser/test_enforcement.py -q -p no:cacheprovider
"""

from __future__ import annotations

import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.evidence.records import DeviceKey, b64, unb64
from tests.browser import test_confirmation as confirmation
from tests.browser.conftest import Server
from tests.browser.test_agreement import fits, shot
from tests.browser.test_booking_flow import open_party_page
from tests.browser.test_closing import PHONE, sealed_with_obligation
from tests.browser.test_confirmation import COURT, JUDGE, Client, bind_device_key
from tests.browser.test_evidence_ui import latest_code
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.browser

server = confirmation.server
accounts = confirmation.accounts


def confirmed(browser: Any, server: Server, case_id: str, links: dict[str, Any]) -> str:
    """Both parties apply with a key each; the judge accepts and confirms; returns the ruling's number."""
    signers = {}
    for role in ("applicant", "respondent"):
        client = Client(browser, server).open_link(links[role]["url"])
        signers[role] = (client, *bind_device_key(server, client, links[role]["party_id"]))

    def sign(role: str, prepared: dict[str, Any]) -> Any:
        client, key, code_id = signers[role]
        _, code = latest_code(server, links[role]["party_id"], newer_than=code_id)
        body = {"code": code, "signature": key.sign(unb64(prepared["statement"]))["sig"]}
        return client.post(f"/party/confirmation/sign/{prepared['challenge']}", body)

    applicant = signers["applicant"][0]
    court = next(c for c in applicant.get("/party/confirmation")["courts"] if c["name"] == COURT)
    sign("applicant", applicant.post("/party/confirmation", {"court_id": court["id"], "ground": "org_location"})["sign"])
    application = sign("respondent", signers["respondent"][0].post("/party/confirmation/sign", {}))["application"]
    for client, _, _ in signers.values():
        client.close()
    judge = Client(browser, server).login(JUDGE)
    path = f"/court/applications/{application['id']}"
    number = str(judge.post(f"{path}/status", {"status": "accepted"}, expect=200)["court_case_number"])
    key = DeviceKey.generate({"kind": "staff", "id": JUDGE})
    judge.post("/me/keys/device", {"spki": b64(key.info.spki)})
    binding = judge.post(f"/cases/{case_id}/keys/{key.info.id}/bind")
    judge.post(f"/signatures/{binding['challenge']}", {"signature": key.sign(unb64(binding["statement"]))["sig"]})
    prepared = judge.post(f"{path}/decision", {"decision": "confirmed", "reasons": confirmation.REASONS, "key_id": key.info.id})
    judge.post(f"/signatures/{prepared['challenge']}", {"signature": key.sign(unb64(prepared["statement"]))["sig"]})
    until = time.monotonic() + 20
    while judge.get(path)["status"] != "confirmed":
        assert time.monotonic() < until, "the court did not confirm"
        time.sleep(0.3)
    judge.close()
    return number


def overdue(server: Server, case_id: str) -> None:
    """The money instalment's last day passed three days ago (the apology's stays ahead)."""
    con = sqlite3.connect(server.data_dir / "mediate.sqlite3", timeout=10)
    try:
        past = (date.today() - timedelta(days=3)).isoformat()
        con.execute("UPDATE obligations SET due_date = ? WHERE case_id = ? AND kind = 'pay'", (past, case_id))
        con.commit()
    finally:
        con.close()


def test_the_payee_downloads_a_prefilled_application_for_an_overdue_instalment_after_confirmation(
    browser: Any, server: Server, accounts: None, artifacts: Path, tmp_path: Path
) -> None:
    sealed = sealed_with_obligation(browser, server, "（2026）京朝调字第901号", 11)
    case_id, links = sealed["case_id"], sealed["links"]
    number = confirmed(browser, server, case_id, links)
    overdue(server, case_id)

    context, page, errors = open_party_page(browser, server, links["applicant"]["url"], viewport=PHONE)
    box = page.get_by_test_id("performance-card").get_by_test_id("perf-enforce")
    box.wait_for()
    said = box.inner_text()
    assert "申请强制执行" in said and COURT in said and number in said and "亲笔签名" in said and "平台不会替您向法院提交" in said
    fits(page, PHONE["width"])
    box.scroll_into_view_if_needed()
    shot(page, artifacts, "enforcement-offer-phone.jpg")
    with page.expect_download() as got:
        box.get_by_test_id("perf-enforce-make").click()
    path = tmp_path / "enforcement.pdf"
    got.value.save_as(path)
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for part in (
        "强制执行申请书",
        "申请执行人：张三",
        "被执行人：李四",
        f"{COURT}{number}民事裁定书",
        "人民币5000.00元",
        f"此致{COURT}",
    ):
        assert part in text, part
    assert "已生成" in box.get_by_test_id("perf-enforce-link").inner_text()
    errors.check()
    context.close()

    # 李四, who owes, is offered nothing of the kind.
    context, page, errors = open_party_page(browser, server, links["respondent"]["url"], viewport=PHONE)
    page.get_by_test_id("performance-card").get_by_test_id("perf-owe").wait_for()
    assert page.get_by_test_id("perf-enforce").count() == 0
    errors.check()
    context.close()
