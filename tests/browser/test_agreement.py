"""The mediation agreement in Chromium, from the first draft to the verification page.

A mediator drafts the agreement on the case page (from the template, edits a term, saves
version 2) and compares versions 1 and 2. The applicant, on a phone (390x844), watches the draft
update live and proposes wording on a term; the mediator copies the proposal into the editor,
saves it and declares the agreement final. The applicant reads to the end, draws a handwritten
signature and signs with a device key (bound first on the page, the texted codes read from the
outbox); the respondent, on a computer, binds a passkey and signs with it through Chromium's
virtual WebAuthn authenticator (user verification). The mediator creates a device key on the
case page and signs; the agreement is sealed with a verification code. The applicant downloads
the signed PDF, and the verification page for the code lists the signers and says that the
downloaded copy matches (and that an altered copy does not).

WebAuthn needs a host name as relying party id, so this module runs its own server whose public
URL is http://localhost:<port> (the shared `server` fixture's is 127.0.0.1).
Screenshots: test-artifacts/agreement-*.jpg.

Run with: python -m pytest tests/browser/test_agreement.py -q -p no:cacheprovider
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    MEDIATOR_NAME,
    MEDIATOR_PASSWORD,
    MEDIATOR_USERNAME,
    ORG_NAME,
    Server,
    book_through_api,
    cli,
    codes_by_spool,
    free_port,
    keep_screenshot,
    last_line,
    server_env,
    serving,
)
from tests.browser.test_booking_flow import DESKTOP, PageErrors, clear_toasts, log_in, new_context, open_party_page
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_live_session import WAGES
from tests.browser.test_review_updates import HELD, hold_focus

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

NEW_TERM = "被申请人于2026年12月31日前向申请人支付拖欠工资人民币12000元。"
PROPOSAL = "被申请人于2026年11月30日前一次性向申请人支付拖欠工资人民币12000元。"
COMMENT = "希望提前到11月底前一次付清。"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server on http://localhost:<port> (a host name WebAuthn accepts as relying party id)."""
    data_dir = tmp_path_factory.mktemp("mediate-agreement")
    org_id = last_line(cli("org", "add", "--name", ORG_NAME, "--kind", "committee", data_dir=data_dir))
    mediator_id = last_line(
        cli(
            "user",
            "add",
            "--username",
            MEDIATOR_USERNAME,
            "--password",
            MEDIATOR_PASSWORD,
            "--role",
            "mediator",
            "--display-name",
            MEDIATOR_NAME,
            "--org",
            org_id,
            data_dir=data_dir,
        )
    )
    port = free_port()
    base_url = f"http://localhost:{port}"
    with serving(data_dir, port, {**server_env(data_dir, base_url), **codes_by_spool(data_dir)}):
        yield Server(base_url=base_url, data_dir=data_dir, organisation_id=org_id, mediator_id=mediator_id)


def shot(page: Any, artifacts: Path, name: str) -> None:
    """A screenshot of a state a person sees, which must also pass axe-core (WCAG 2.1 A/AA)."""
    clear_toasts(page)
    keep_screenshot(page, artifacts / name)
    assert_accessible(page, name.removesuffix(".jpg"))


def confirm(page: Any, label: str) -> None:
    page.locator("dialog").get_by_role("button", name=label).click()
    page.locator("dialog").wait_for(state="detached")


def fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


def switch_language(page: Any, redrawn: Any, text: str) -> None:
    """Press the language button by a click that does not move focus; wait until `redrawn` says `text`."""
    page.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
    redrawn.filter(has_text=re.compile(f"^\\s*{re.escape(text)}\\s*$")).wait_for()


def tall_enough(locator: Any) -> None:
    box = locator.bounding_box()
    assert box and box["height"] >= 44, box


def read_to_the_end(page: Any) -> None:
    page.get_by_test_id("agr-sign-text").evaluate(
        "el => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event('scroll')); }"
    )


def draw_signature(page: Any) -> None:
    pad = page.get_by_test_id("sig-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + w * (0.1 + 0.065 * i), y + h * (0.6 - 0.25 * ((i % 4) / 3)), steps=2)
    page.mouse.up()


def add_passkey_authenticator(page: Any) -> Any:
    """Chromium's virtual platform authenticator with user verification (as tests/browser/test_keys.py)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_agreement_drafted_signed_sealed_and_verified(browser: Any, server: Server, artifacts: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    booked = book_through_api(browser, server, "AG", 10, dispute=WAGES)
    links = {link["role"]: link for link in booked.links}
    applicant_id, respondent_id = links["applicant"]["party_id"], links["respondent"]["party_id"]

    # --- the mediator drafts ------------------------------------------------------------------------
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{booked.case_id}")
    panel = mediator.get_by_test_id("agreement-panel")
    panel.get_by_text("本案还没有调解协议").wait_for()
    panel.get_by_test_id("agr-create").click()
    editor = panel.get_by_test_id("agr-editor")
    editor.wait_for()
    assert "编辑协议内容（基于第 1 版）" in editor.inner_text()
    term = editor.locator("#agr-term-0-text")
    assert term.input_value() == "（请填写双方达成的协议内容）"
    term.fill(NEW_TERM)
    editor.locator("#agr-term-0-performance").fill("银行转账")
    editor.locator("#agr-term-0-due").fill("2026年12月31日前")
    editor.get_by_test_id("agr-unsaved").filter(has_text="有尚未保存的修改").wait_for()
    # A second term, moved up and removed again: the controls work and stay labelled.
    editor.get_by_test_id("agr-term-add").click()
    mediator.locator("#agr-term-1-text").fill("申请人放弃其他请求。")
    assert mediator.get_by_role("button", name="把第 2 条上移").is_enabled()
    mediator.get_by_role("button", name="删除第 2 条").click()
    assert editor.get_by_test_id("agr-term").count() == 1
    editor.get_by_test_id("agr-save").click()
    panel.get_by_test_id("agr-saved").filter(has_text="已保存为第 2 版").wait_for()
    assert "编辑协议内容（基于第 2 版）" in panel.get_by_test_id("agr-editor").inner_text()
    versions = panel.get_by_test_id("agr-versions")
    versions.locator('[data-number="2"]').wait_for()

    # On a phone the editor stacks: no sideways scrolling, every control at least 44 px tall.
    mediator.set_viewport_size(PHONE)
    fits(mediator, PHONE["width"])
    for testid in ("agr-save", "agr-term-add"):
        tall_enough(panel.get_by_test_id(testid))
    tall_enough(mediator.locator("#agr-term-0-up"))
    due, performance = (
        mediator.locator("#agr-term-0-due").bounding_box(),
        mediator.locator("#agr-term-0-performance").bounding_box(),
    )
    assert due and performance and due["y"] > performance["y"], "the term's fields should stack on a phone"
    panel.get_by_test_id("agr-editor").scroll_into_view_if_needed()
    shot(mediator, artifacts, "agreement-mediator-editor-phone.jpg")
    mediator.set_viewport_size(DESKTOP)

    # … compares versions 1 and 2 and sees the change, with signs as well as colours.
    panel.locator("#agr-cmp-from").select_option("1")
    panel.locator("#agr-cmp-to").select_option("2")
    panel.get_by_test_id("agr-compare").click()
    diff = panel.get_by_test_id("agr-diff")
    diff.wait_for()
    assert "第 1 版 → 第 2 版" in diff.inner_text()
    added = diff.locator('[data-op="add"]').filter(has_text=NEW_TERM)
    removed = diff.locator('[data-op="del"]').filter(has_text="（请填写双方达成的协议内容）")
    assert added.count() >= 1 and removed.count() >= 1
    assert added.first.locator(".agr-diff-sign").inner_text() == "+"
    assert removed.first.locator(".agr-diff-sign").inner_text() == "−"
    assert removed.first.locator("del").evaluate("el => getComputedStyle(el).textDecorationLine") == "line-through"
    panel.scroll_into_view_if_needed()
    shot(mediator, artifacts, "agreement-mediator-draft-diff.jpg")

    # --- the applicant, on a phone, watches the draft ----------------------------------------------
    a_context, applicant, a_errors = open_party_page(browser, server, links["applicant"]["url"], viewport=PHONE)
    card = applicant.get_by_test_id("agreement-card")
    card.wait_for()
    assert "调解员正在起草协议（第 2 版）" in card.inner_text()
    tall_enough(card.get_by_test_id("agreement-open"))
    card.get_by_test_id("agreement-open").click()
    view = applicant.get_by_test_id("party-agreement")
    view.get_by_test_id("agr-draft-text").filter(has_text=NEW_TERM).wait_for()
    fits(applicant, PHONE["width"])
    shot(applicant, artifacts, "agreement-applicant-draft-phone.jpg")

    # The party starts a comment. The mediator saves version 3: the party's page follows without a
    # reload, and what the party typed and their focus stay through that redraw and a change of
    # language (by a click that does not move focus) and back.
    comment_text = view.get_by_test_id("agr-comment-text")
    comment_text.fill(COMMENT)
    hold_focus(applicant)
    mediator.locator("#agr-term-0-due").fill("2026年12月20日前")
    panel.get_by_test_id("agr-save").click()
    panel.get_by_test_id("agr-saved").filter(has_text="已保存为第 3 版").wait_for()
    view.get_by_test_id("agr-updated").filter(has_text="已更新到第 3 版").wait_for()
    view.get_by_test_id("agr-draft-text").filter(has_text="2026年12月20日前").wait_for()
    assert comment_text.input_value() == COMMENT
    assert applicant.evaluate(HELD), applicant.evaluate("document.activeElement.outerHTML")
    switch_language(applicant, view.get_by_test_id("agr-comment-send"), "Send to the mediator")
    assert comment_text.input_value() == COMMENT
    assert applicant.evaluate(HELD), applicant.evaluate("document.activeElement.outerHTML")
    switch_language(applicant, view.get_by_test_id("agr-comment-send"), "提交给调解员")

    # The party compares the two latest versions, then proposes wording on term 1.
    view.get_by_test_id("agr-compare").click()
    view.get_by_test_id("agr-diff").locator('[data-op="add"]').filter(has_text="2026年12月20日前").first.wait_for()
    view.get_by_test_id("agr-clause").select_option("term-1")
    view.get_by_test_id("agr-comment-text").fill(COMMENT)
    view.get_by_test_id("agr-proposal-text").fill(PROPOSAL)
    tall_enough(view.get_by_test_id("agr-comment-send"))
    view.get_by_test_id("agr-comment-send").click()
    view.get_by_test_id("agr-comment-message").filter(has_text="您对“第一条”的意见已提交给调解员").wait_for()
    view.get_by_test_id("agr-my-comments").filter(has_text=PROPOSAL).wait_for()
    fits(applicant, PHONE["width"])
    shot(applicant, artifacts, "agreement-applicant-comment-phone.jpg")

    # --- the mediator adopts the proposal and declares the agreement final ---------------------------
    comment = panel.get_by_test_id("agr-comment").filter(has_text=PROPOSAL)
    comment.wait_for()
    assert "张三" in comment.inner_text() and "第一条" in comment.inner_text()
    comment.get_by_test_id("agr-adopt").click()
    assert mediator.locator("#agr-term-0-text").input_value() == PROPOSAL
    assert mediator.evaluate("document.activeElement.id") == "agr-term-0-text"
    panel.get_by_test_id("agr-save").click()
    panel.get_by_test_id("agr-saved").filter(has_text="已保存为第 4 版").wait_for()
    view.get_by_test_id("agr-updated").filter(has_text="已更新到第 4 版").wait_for()

    declare = panel.get_by_test_id("agr-declare-form")
    assert declare.locator("#agr-deadline-time").input_value() == "18:00"
    panel.get_by_test_id("agr-declare").filter(has_text="把第 4 版定稿").click()
    mediator.locator("dialog").filter(has_text="确定把第 4 版定稿吗").wait_for()
    confirm(mediator, "定稿")
    final = panel.get_by_test_id("agr-final")
    final.filter(has_text="定稿（第 4 版）").wait_for()
    panel.get_by_test_id("agr-deadline").filter(has_text="18:00").wait_for()
    signers = panel.get_by_test_id("agr-signers")
    assert signers.get_by_test_id("agr-signer").count() == 3
    assert "未签名" in signers.inner_text()
    assert panel.get_by_test_id("agr-sign").is_disabled()
    assert "所有当事人签名后，您才能签名" in panel.get_by_test_id("agr-sign-box").inner_text()

    # --- the applicant reads to the end, draws, binds a device key and signs with the texted code ---
    view.get_by_test_id("agr-updated").filter(has_text="调解员已把第 4 版定稿").wait_for()
    text_box = view.get_by_test_id("agr-sign-text")
    text_box.filter(has_text=PROPOSAL).wait_for()
    sign = view.get_by_test_id("agr-sign")
    assert sign.is_disabled()
    assert "请先把协议读到最后" in view.get_by_test_id("agr-read-note").inner_text()
    shot(applicant, artifacts, "agreement-applicant-final-phone.jpg")
    read_to_the_end(applicant)
    view.get_by_test_id("agr-read-note").filter(has_text="您已读到最后").wait_for()
    assert sign.is_enabled()
    tall_enough(sign)
    draw_signature(applicant)
    view.get_by_test_id("sig-state").filter(has_text="已写好").wait_for()
    assert view.get_by_test_id("sig-clear").is_enabled()
    sign.click()
    # No key bound yet: the key binding comes first, then signing goes on by itself.
    view.get_by_test_id("agr-key-first").wait_for()
    view.get_by_test_id("key-send").click()
    view.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, applicant_id)
    view.get_by_test_id("key-code").fill(bind_code)
    view.get_by_test_id("key-confirm").click()
    code_input = view.get_by_test_id("agr-sign-code")
    code_input.wait_for()
    assert re.search(r"正在发送验证码短信到|验证码短信已发出", view.get_by_test_id("agr-code-sent").inner_text())
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    _, sign_code = latest_code(server, applicant_id, newer_than=bind_id)
    code_input.fill(sign_code)
    # The typed code and its focus survive a change of language and back.
    hold_focus(applicant)
    switch_language(applicant, view.get_by_test_id("agr-sign-confirm"), "Sign")
    assert code_input.input_value() == sign_code
    assert applicant.evaluate(HELD), applicant.evaluate("document.activeElement.outerHTML")
    switch_language(applicant, view.get_by_test_id("agr-sign-confirm"), "签名")
    assert code_input.input_value() == sign_code
    assert applicant.evaluate(HELD), applicant.evaluate("document.activeElement.outerHTML")
    fits(applicant, PHONE["width"])
    shot(applicant, artifacts, "agreement-applicant-code-phone.jpg")
    view.get_by_test_id("agr-sign-confirm").click()
    view.get_by_test_id("agr-signed").filter(has_text="您已签名").wait_for()
    mine = view.get_by_test_id("agr-signers").locator(f'[data-signer-id="{applicant_id}"]')
    assert mine.get_attribute("data-signed") == "true"
    assert "附手写签名" in mine.inner_text() and "本人设备密钥" in mine.inner_text()
    shot(applicant, artifacts, "agreement-applicant-signed-phone.jpg")

    # --- the respondent, on a computer, binds a passkey and signs with it ---------------------------
    r_context = new_context(browser, server, viewport=DESKTOP)
    respondent = r_context.new_page()
    r_errors = PageErrors(respondent)
    add_passkey_authenticator(respondent)
    respondent.goto(links["respondent"]["url"])
    respondent.wait_for_url(re.compile(r"/party(\?|$)"))
    r_card = respondent.get_by_test_id("agreement-card")
    r_card.filter(has_text="协议已定稿，请在").wait_for()
    r_card.get_by_test_id("agreement-open").filter(has_text="阅读并签署调解协议").click()
    r_view = respondent.get_by_test_id("party-agreement")
    r_view.get_by_test_id("agr-sign-text").wait_for()
    read_to_the_end(respondent)
    r_view.get_by_test_id("agr-sign").click()
    r_view.get_by_test_id("agr-key-first").wait_for()
    r_view.get_by_test_id("key-passkey").click()
    r_view.get_by_test_id("key-code").wait_for()
    _, r_code = latest_code(server, respondent_id)
    r_view.get_by_test_id("key-code").fill(r_code)
    r_view.get_by_test_id("key-confirm").click()
    r_view.get_by_test_id("agr-signed").filter(has_text="您已签名").wait_for()
    r_mine = r_view.get_by_test_id("agr-signers").locator(f'[data-signer-id="{respondent_id}"]')
    assert "指纹/面容" in r_mine.inner_text()
    assert "附手写签名" not in r_mine.inner_text()
    shot(respondent, artifacts, "agreement-respondent-signed.jpg")

    # --- the mediator creates a device key on the page and signs: sealed ----------------------------
    box = panel.get_by_test_id("agr-sign-box")
    box.filter(has_text="所有当事人都已签名").wait_for(timeout=20_000)
    assert panel.get_by_test_id("agr-signers").locator('[data-signed="true"]').count() == 2
    box.get_by_test_id("agr-no-key").wait_for()
    box.get_by_test_id("agr-key-register").click()
    box.get_by_test_id("agr-sign-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    assert box.get_by_test_id("agr-key").count() == 1 and box.get_by_test_id("agr-key").is_checked()
    box.get_by_test_id("agr-sign").click()
    confirm(mediator, "签署调解协议")
    seal = panel.get_by_test_id("agr-seal")
    seal.wait_for(timeout=20_000)
    assert "调解协议已生效（已盖章）" in seal.inner_text()
    code = seal.get_by_test_id("agr-verify-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code), code
    assert seal.get_by_test_id("agr-verify-url").get_attribute("href").endswith(f"/v/{code}")
    seal.get_by_test_id("agr-pdf-signed").wait_for()
    assert "已生效" in panel.locator("#agreement-title").inner_text()
    assert panel.get_by_test_id("agr-signers").locator('[data-signed="true"]').count() == 3
    seal.scroll_into_view_if_needed()
    shot(mediator, artifacts, "agreement-mediator-sealed.jpg")

    # The mediator's page on a phone: no sideways scrolling, the sealed panel stacks.
    mediator.set_viewport_size(PHONE)
    fits(mediator, PHONE["width"])
    shot(mediator, artifacts, "agreement-mediator-sealed-phone.jpg")
    mediator.set_viewport_size(DESKTOP)

    # --- the applicant downloads the signed agreement ---------------------------------------------
    view.get_by_test_id("agr-updated").filter(has_text="调解协议已盖章生效").wait_for()
    download_link = view.get_by_test_id("agr-download-signed")
    tall_enough(download_link)
    assert view.get_by_test_id("agr-verify-code").inner_text().strip() == code
    with applicant.expect_download() as got:
        download_link.click()
    signed_pdf = tmp_path / "signed.pdf"
    got.value.save_as(signed_pdf)
    data = signed_pdf.read_bytes()
    assert data.startswith(b"%PDF")
    fits(applicant, PHONE["width"])
    shot(applicant, artifacts, "agreement-applicant-sealed-phone.jpg")
    applicant.get_by_test_id("lang-switch").click()
    view.get_by_test_id("agr-download-signed").filter(has_text="Download the signed agreement").wait_for()
    assert "Signed" in view.get_by_test_id("agr-signers").inner_text()
    shot(applicant, artifacts, "agreement-applicant-sealed-phone-en.jpg")

    # --- anyone verifies the code and the downloaded copy -----------------------------------------
    v_context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    verify = v_context.new_page()
    v_errors = PageErrors(verify)
    verify.goto(f"/v/{code}")
    verify.get_by_test_id("verify-status").filter(has_text="这份调解协议已签名盖章").wait_for()
    assert booked.case_number in verify.get_by_test_id("verify-case-number").inner_text()
    assert ORG_NAME in verify.get_by_test_id("verify-organisation").inner_text()
    people = verify.get_by_test_id("verify-signers").inner_text()
    assert verify.get_by_test_id("verify-signer").count() == 3
    assert "张*" in people and "李*" in people and "调解员" in people, people
    assert "张三" not in people
    verify.get_by_test_id("verify-file").set_input_files(str(signed_pdf))
    result = verify.get_by_test_id("verify-result")
    result.filter(has_text="一致：这份文件与已盖章的调解协议完全相同").wait_for()
    assert result.get_attribute("data-match") == "signed"
    assert hashlib.sha256(data).hexdigest() in result.inner_text()
    fits(verify, PHONE["width"])
    shot(verify, artifacts, "agreement-verify-match-phone.jpg")
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(data + b"\n% changed\n")
    verify.get_by_test_id("verify-file").set_input_files(str(altered))
    result.filter(has_text="不一致").wait_for()
    assert result.get_attribute("data-match") == "none"
    shot(verify, artifacts, "agreement-verify-mismatch-phone.jpg")
    verify.get_by_test_id("lang-switch").click()
    verify.get_by_test_id("verify-status").filter(has_text="This mediation agreement is signed and sealed").wait_for()
    result.filter(has_text="Does not match").wait_for()
    verify.goto("/v/ZZZZ-ZZZZ")
    verify.get_by_test_id("verify-not-found").wait_for()
    assert_accessible(verify, "/v/<unknown code>")

    for errors in (m_errors, a_errors, r_errors, v_errors):
        errors.check()
    for context in (v_context, r_context, a_context, m_context):
        context.close()
    print(f"agreement journey took {time.monotonic() - started:.1f} s")


def test_case_files_shared_as_chosen_and_mediation_that_did_not_succeed(
    browser: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    booked = book_through_api(browser, server, "CF", 14, dispute=WAGES)
    links = {link["role"]: link for link in booked.links}
    pdf = tmp_path / "工资条.pdf"
    pdf.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    fake = tmp_path / "not-a-pdf.pdf"
    fake.write_bytes(b"this is plain text, not a PDF")
    png = tmp_path / "receipt.png"
    png.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
            "0000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
        )
    )

    # The mediator uploads a PDF for the applicant only; a file that is not what it claims is refused.
    m_context = new_context(browser, server)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in(mediator, server)
    mediator.goto(f"/cases/{booked.case_id}")
    files = mediator.get_by_test_id("case-files")
    files.get_by_text("还没有材料").wait_for()
    assert "可以上传 PDF、PNG 或 JPEG 文件，每个不超过 10 MB" in files.inner_text()
    files.get_by_test_id("file-input").set_input_files(str(fake))
    files.get_by_test_id("file-upload").click()
    files.get_by_test_id("file-message").filter(has_text="只能上传 PDF、PNG 或 JPEG 文件").wait_for()
    files.get_by_test_id("file-input").set_input_files(str(pdf))
    files.get_by_label("李四（被申请人）").uncheck()
    files.get_by_test_id("file-upload").click()
    files.get_by_test_id("file-message").filter(has_text="已上传 工资条.pdf").wait_for()
    item = files.get_by_test_id("file-item").filter(has_text="工资条.pdf")
    item.filter(has_text="可见：张三").wait_for()

    # The applicant sees it and adds a receipt that the other party may not see.
    a_context, applicant, a_errors = open_party_page(browser, server, links["applicant"]["url"], viewport=PHONE)
    a_files = applicant.get_by_test_id("case-files")
    a_files.get_by_test_id("file-item").filter(has_text="工资条.pdf").wait_for()
    a_files.get_by_test_id("file-input").set_input_files(str(png))
    a_files.get_by_test_id("file-share").uncheck()
    tall_enough(a_files.get_by_test_id("file-upload"))
    a_files.get_by_test_id("file-upload").click()
    a_files.get_by_test_id("file-item").filter(has_text="receipt.png").filter(has_text="仅您和调解员可见").wait_for()
    fits(applicant, PHONE["width"])
    a_files.scroll_into_view_if_needed()
    shot(applicant, artifacts, "agreement-applicant-files-phone.jpg")

    # The respondent sees neither.
    r_context, respondent, r_errors = open_party_page(browser, server, links["respondent"]["url"], viewport=DESKTOP)
    respondent.get_by_test_id("case-files").get_by_text("还没有材料").wait_for()

    # The mediator sees both.
    mediator.reload()
    files = mediator.get_by_test_id("case-files")
    files.get_by_test_id("file-item").filter(has_text="receipt.png").wait_for()
    assert files.get_by_test_id("file-item").count() == 2
    files.scroll_into_view_if_needed()
    shot(mediator, artifacts, "agreement-mediator-files.jpg")

    # No agreement reached: the mediator records that mediation did not succeed, with a reason.
    outcome = mediator.get_by_test_id("agr-outcome")
    outcome.locator("summary").click()
    outcome.get_by_label("终结情形").select_option("divergence")
    outcome.get_by_label("说明").fill("双方对金额分歧较大。")
    outcome.get_by_test_id("agr-fail").click()
    mediator.locator("dialog").filter(has_text="当事人分歧较大且难以达成调解协议").wait_for()
    confirm(mediator, "确定，调解不成")
    mediator.get_by_test_id("agr-failed").filter(has_text="本案已记录为调解不成").wait_for()
    mediator.locator("#case-title").filter(has_text="调解不成").wait_for()
    assert mediator.get_by_test_id("agr-outcome").count() == 0
    assert mediator.get_by_test_id("agr-create").count() == 0
    shot(mediator, artifacts, "agreement-mediator-failed.jpg")

    for errors in (m_errors, a_errors, r_errors):
        errors.check()
    for context in (r_context, a_context, m_context):
        context.close()
