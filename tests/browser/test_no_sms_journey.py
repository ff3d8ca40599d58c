"""With no SMS provider, the whole journey in Chromium: identity on video, then everything else with no code.

The server runs on its embedded defaults for messages (no SMS gateway, no SMTP): nothing can carry a
code to anyone. This test never reads the database, the outbox or any spool: it sees and does only
what people see and do in the pages (the accounts are made through the administrator's API, as an
administrator would on /admin).

The mediator books on the case page, which says that neither party can receive codes and what to do.
Both parties open their links on phones: their pages say plainly that no text code can be sent and
send them to the video session. On the live page the mediator admits both, checks each one's
identity on video (the ID number on file shown, the mediator's own key created on the page and
signing each check); each party's page then offers to confirm their signing key under that check,
with no code, and they consent to recording. The mediator records a moment, ends the session, and
drafts and finalises the agreement; both parties sign it from their page (no code asked), the
mediator signs and the committee's seal makes it effective. The applicant applies for judicial
confirmation and the respondent co-signs, both with no code; the judge accepts and confirms, and the
ruling PDF is downloaded from a party's page (its bytes are kept for the "docs" checks of the
ruling's text). Screenshots: test-artifacts/no-sms-*.jpg.

Run with: python -m pytest tests/browser/test_no_sms_journey.py -q -p no:cacheprovider
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Server, cli, free_port, server_env, serving, session_day
from tests.browser.test_agreement import confirm, fits, read_to_the_end, shot
from tests.browser.test_booking_flow import DESKTOP, PageErrors, log_in_as, new_context
from tests.browser.test_confirmation import Client, download
from tests.browser.test_recording_ui import enter_waiting_room
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
REGION = "北京市朝阳区"
COMMITTEE = "朝阳区人民调解委员会"
COURT = "朝阳区人民法院"
COURT_CODE = "京0105"  # the court's code in its own case numbers: （2026）京0105民特1号
PASSWORD = "Correct-Horse-9"
MEDIATOR, MEDIATOR_NAME = "liu", "刘调解员"
JUDGE, JUDGE_NAME = "chen", "陈法官"
CASE_NUMBER = "（2026）京朝调字第1818号"
PARTIES = (
    ("applicant", "张三", "13800000181", "110101199003071234"),
    ("respondent", "李四", "13800000182", "110105198512120022"),
)
TERM = "被申请人于2026年12月31日前向申请人支付拖欠工资人民币12000元。"
REASONS = "协议系双方真实意思表示，内容不违反法律、行政法规的强制性规定。"
NO_SMS = "短信验证码暂时无法发送到您的手机：请进入视频调解，调解员会请您出示身份证核验身份"
WITNESSED = "调解员已在视频中核验您的身份，请确认您的签名密钥"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server on http://localhost:<port> with no SMS provider and no SMTP server."""
    data_dir = tmp_path_factory.mktemp("mediate-no-sms")
    cli(
        "user",
        "add",
        "--username",
        "admin",
        "--password",
        PASSWORD,
        "--role",
        "admin",
        "--display-name",
        "管理员",
        data_dir=data_dir,
    )
    port = free_port()
    base_url = f"http://localhost:{port}"
    env = {**server_env(data_dir, base_url), "MEDIATE_MEDIA_LOOPBACK": "1"}
    assert not any(k.startswith(("MEDIATE_SMS", "MEDIATE_SMTP")) for k in env), "this journey has no message channel"
    with serving(data_dir, port, env):
        yield Server(
            base_url=base_url, data_dir=data_dir, organisation_id="", mediator_id="", username=MEDIATOR, password=PASSWORD
        )


@pytest.fixture(scope="module")
def accounts(browser: Any, server: Server) -> None:
    """The committee and the court of the same district, the mediator, the judge (as the admin page would)."""
    admin = Client(browser, server).login("admin")
    committee = admin.post("/organisations", {"name": COMMITTEE, "kind": "committee", "region": REGION})
    court = admin.post("/organisations", {"name": COURT, "kind": "court", "region": REGION, "court_code": COURT_CODE})
    for username, name, role, org in ((MEDIATOR, MEDIATOR_NAME, "mediator", committee), (JUDGE, JUDGE_NAME, "judge", court)):
        admin.post(
            "/users",
            {"username": username, "display_name": name, "password": PASSWORD, "role": role, "organisation_id": org["id"]},
        )
    admin.close()


def party_phone(browser: Any, server: Server, url: str) -> tuple[Any, Any, PageErrors]:
    context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(url)
    page.wait_for_url(re.compile(r"/party(\?|$)"))
    page.get_by_test_id("countdown").wait_for()
    return context, page, errors


def identity_item(mediator: Any, name: str) -> Any:
    return mediator.get_by_test_id("identity-panel").get_by_test_id("identity-item").filter(has_text=name)


def check_on_video(mediator: Any, name: str, id_number: str, artifacts: Path, *, first: bool) -> None:
    """The mediator opens the check, compares the ID number on file, and signs with their own key."""
    item = identity_item(mediator, name)
    item.get_by_test_id("idcheck-open").click()
    form = item.get_by_test_id("idcheck-form")
    form.get_by_test_id("idcheck-id-number").filter(has_text=id_number).wait_for()
    text = form.inner_text()
    assert f"核验身份：{name}" in text and "把身份证正面举到摄像头前" in text and "查看身份证号已记入案件记录" in text, text
    if first:
        # No key of the mediator's own yet: one is made on this page, in the same place.
        form.get_by_test_id("idcheck-key-none").wait_for()
        assert form.get_by_test_id("idcheck-confirm").is_disabled()
        form.get_by_test_id("idcheck-key-register").click()
    form.get_by_test_id("idcheck-key-ready").filter(has_text="设备密钥").wait_for()
    if first:
        shot(mediator, artifacts, "no-sms-mediator-check-form.jpg")
    form.get_by_test_id("idcheck-confirm").click()
    item.get_by_test_id("identity-message").filter(has_text=f"已核验{name}的身份").wait_for(timeout=20_000)
    item.get_by_test_id("identity-checked").filter(has_text="已核验身份（视频中出示身份证）").wait_for()
    item.get_by_test_id("identity-waiting").filter(has_text=f"等待{name}确认签名密钥").wait_for()


def bind_and_consent(page: Any, mediator: Any, name: str) -> None:
    """In the room: the consent card offers the key under the mediator's check; then the consent."""
    card = page.get_by_test_id("consent-card")
    witnessed = card.get_by_test_id("key-witnessed")
    witnessed.wait_for(timeout=20_000)
    assert witnessed.inner_text() == WITNESSED
    assert f"{MEDIATOR_NAME}已核验您的身份" in card.inner_text()
    assert card.get_by_test_id("key-send").count() == 0 and card.get_by_test_id("key-code").count() == 0
    card.get_by_test_id("key-witnessed-confirm").click()
    card.get_by_test_id("consent-text").wait_for(timeout=20_000)
    assert "签名密钥已确认" in card.get_by_test_id("consent-message").inner_text()
    card.get_by_test_id("consent-agree").click()
    card.get_by_test_id("consent-given").filter(has_text="已同意录音录像").wait_for()
    item = identity_item(mediator, name)
    item.locator('[data-testid="identity-key"][data-method="video_witnessed"]').filter(
        has_text="已确认签名密钥（视频核验后）"
    ).wait_for(timeout=20_000)
    assert item.get_by_test_id("identity-waiting").count() == 0


def sign_agreement(page: Any) -> None:
    """From the party's page: open the final agreement, read it to the end, sign (no code is asked)."""
    card = page.get_by_test_id("agreement-card")
    card.get_by_test_id("agreement-open").filter(has_text="阅读并签署调解协议").click(timeout=20_000)
    view = page.get_by_test_id("party-agreement")
    view.get_by_test_id("agr-sign-text").filter(has_text=TERM).wait_for()
    read_to_the_end(page)
    view.get_by_test_id("agr-read-note").filter(has_text="您已读到最后").wait_for()
    view.get_by_test_id("agr-sign").click()
    view.get_by_test_id("agr-signed").filter(has_text="您已签名").wait_for(timeout=20_000)
    assert view.get_by_test_id("agr-sign-code").count() == 0 and view.get_by_test_id("agr-code-sent").count() == 0
    assert "验证码已发送" not in view.inner_text()


def test_with_no_sms_every_step_works_through_the_mediators_check_on_video(
    browser: Any, server: Server, accounts: None, artifacts: Path, tmp_path: Path
) -> None:
    started = time.monotonic()

    # --- the mediator books ----------------------------------------------------------------------------
    m_context = new_context(browser, server, viewport=DESKTOP)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in_as(mediator, MEDIATOR, PASSWORD, r"/mediator$")
    mediator.locator("#nc-case_number").fill(CASE_NUMBER)
    mediator.locator("#nc-dispute_type").select_option("wages")
    mediator.locator("#nc-summary").fill("拖欠三个月工资，双方同意调解。")
    mediator.locator("#nc-amount_in_dispute").fill("12000")
    mediator.get_by_role("button", name="创建案件").click()
    mediator.wait_for_url(re.compile(r"/cases/[^/]+$"))
    case_url = mediator.url
    for role, name, phone, id_number in PARTIES:
        mediator.locator("#ap-role").select_option(role)
        mediator.locator("#ap-name").fill(name)
        mediator.locator("#ap-phone").fill(phone)
        mediator.locator("#ap-id_number").fill(id_number)
        mediator.get_by_role("button", name="添加当事人").click()
        mediator.get_by_test_id("party-list").get_by_text(name, exact=True).wait_for()
    # The case page says who cannot receive codes and what to do.
    for _, name, _, _ in PARTIES:
        item = identity_item(mediator, name)
        item.get_by_test_id("identity-channel").filter(has_text="收不到验证码").wait_for()
        assert "请在视频调解中点“核验身份”" in item.get_by_test_id("identity-todo").inner_text()
        assert item.get_by_test_id("identity-key").inner_text() == "尚未确认签名密钥"
    mediator.locator("#bk-date").fill(session_day(later=9).isoformat())
    mediator.locator("#bk-time").fill("10:00")
    mediator.locator("#bk-duration_minutes").select_option("60")
    mediator.get_by_role("button", name="预约调解").click()
    mediator.get_by_test_id("booked-panel").wait_for()
    links = [link.inner_text().strip() for link in mediator.get_by_test_id("party-link").all()]
    assert len(links) == 2, links
    # The invitations' texts: the case page says nothing here sends them, and why; never "sending" or "sent".
    outbox = mediator.locator("#outbox-body")
    outbox.get_by_test_id("outbox-state").first.wait_for()
    outbox.get_by_text("未开通短信服务").first.wait_for()
    states = {(s.get_attribute("data-status"), s.inner_text()) for s in outbox.get_by_test_id("outbox-state").all()}
    allowed = {("pending", "不会自动发出：请通过电话或微信转告"), ("recorded", "仅记录未发送：请通过电话或微信转告")}
    assert states <= allowed, states
    assert "正在发送" not in outbox.inner_text() and "已发送" not in outbox.inner_text()
    mediator.get_by_test_id("identity-panel").scroll_into_view_if_needed()
    shot(mediator, artifacts, "no-sms-case-page.jpg")

    # --- both parties open their links: no code can reach them, and the page says what to do -------------
    pages = {}
    for (_, name, _, _), url in zip(PARTIES, links, strict=True):
        context, page, errors = party_phone(browser, server, url)
        assert page.get_by_test_id("case-number").inner_text() == CASE_NUMBER
        key_card = page.get_by_test_id("key-card")
        key_card.get_by_test_id("key-no-channel").filter(has_text=NO_SMS).wait_for()
        assert key_card.get_by_test_id("key-send").count() == 0 and "已发送" not in key_card.inner_text()
        pages[name] = (context, page, errors)
    applicant, respondent = pages["张三"][1], pages["李四"][1]
    applicant.get_by_test_id("key-card").scroll_into_view_if_needed()
    shot(applicant, artifacts, "no-sms-applicant-key-card-phone.jpg")
    applicant.get_by_test_id("lang-switch").click()
    applicant.get_by_test_id("key-no-channel").filter(has_text="We cannot send a text code to your phone").wait_for()
    applicant.get_by_test_id("lang-switch").click()
    applicant.get_by_test_id("key-no-channel").filter(has_text=NO_SMS).wait_for()

    # --- on video: the mediator admits both and checks each one's ID card ---------------------------------
    mediator.get_by_test_id("join-live").first.click()
    mediator.wait_for_url(re.compile(r"/live/[^/]+$"))
    mediator.get_by_test_id("live-room").wait_for()
    for page in (applicant, respondent):
        enter_waiting_room(page)
        # In the waiting room too, the consent card says plainly that no code can come.
        page.get_by_test_id("consent-card").get_by_test_id("key-no-channel").filter(has_text=NO_SMS).wait_for()
    waiting = mediator.get_by_test_id("waiting-list")
    for name in ("张三", "李四"):
        person = waiting.locator("li").filter(has_text=name)
        person.get_by_test_id("admit").click()
        person.wait_for(state="detached")
    for page in (applicant, respondent):
        page.get_by_test_id("live-room").wait_for()
    panel = mediator.get_by_test_id("identity-panel")
    for name in ("张三", "李四"):
        item = identity_item(mediator, name)
        item.get_by_test_id("identity-channel").filter(has_text="收不到验证码").wait_for()
        item.get_by_test_id("identity-todo").filter(has_text="请其把身份证举到摄像头前").wait_for()
        item.locator('[data-testid="idcheck-open"]:not([disabled])').wait_for()
    shot(mediator, artifacts, "no-sms-live-before-checks.jpg")

    check_on_video(mediator, "张三", PARTIES[0][3], artifacts, first=True)
    bind_and_consent(applicant, mediator, "张三")
    shot(applicant, artifacts, "no-sms-applicant-consented-phone.jpg")
    check_on_video(mediator, "李四", PARTIES[1][3], artifacts, first=False)
    respondent.get_by_test_id("consent-card").get_by_test_id("key-witnessed").scroll_into_view_if_needed()
    shot(respondent, artifacts, "no-sms-respondent-witnessed-phone.jpg")
    bind_and_consent(respondent, mediator, "李四")
    assert panel.get_by_test_id("identity-todo").count() == 0
    panel.scroll_into_view_if_needed()
    shot(mediator, artifacts, "no-sms-live-checked.jpg")

    # Both consented: the recording starts, then stops; the mediator ends the session.
    recording = mediator.get_by_test_id("recording-panel")
    recording.get_by_test_id("record-start").click()
    recording.get_by_test_id("record-stop").wait_for(timeout=20_000)
    for page in (mediator, applicant, respondent):
        page.get_by_test_id("recording-indicator").filter(has_text="正在录音录像").wait_for()
    recording.get_by_test_id("record-stop").click()
    recording.get_by_test_id("record-start").wait_for(timeout=20_000)
    mediator.get_by_test_id("end-session").click()
    confirm(mediator, "结束调解")
    for page in (applicant, respondent):
        page.get_by_test_id("live-ended").wait_for(timeout=20_000)

    # --- the agreement: drafted and finalised by the mediator, signed by both from their page --------------
    mediator.goto(case_url)
    for name in ("张三", "李四"):
        item = identity_item(mediator, name)
        item.locator('[data-testid="identity-key"][data-method="video_witnessed"]').wait_for()
        item.locator('[data-testid="identity-checked"][data-result="confirmed"]').wait_for()
        assert item.get_by_test_id("identity-todo").count() == 0
    agreement = mediator.get_by_test_id("agreement-panel")
    agreement.get_by_test_id("agr-create").click()
    agreement.get_by_test_id("agr-editor").wait_for()
    mediator.locator("#agr-term-0-text").fill(TERM)
    mediator.locator("#agr-term-0-performance").fill("银行转账")
    mediator.locator("#agr-term-0-due").fill("2026年12月31日前")
    agreement.get_by_test_id("agr-save").click()
    agreement.get_by_test_id("agr-saved").filter(has_text="已保存为第 2 版").wait_for()
    agreement.get_by_test_id("agr-declare").filter(has_text="把第 2 版定稿").click()
    mediator.locator("dialog").filter(has_text="确定把第 2 版定稿吗").wait_for()
    confirm(mediator, "定稿")
    agreement.get_by_test_id("agr-final").filter(has_text="定稿（第 2 版）").wait_for()

    for name, page in (("张三", applicant), ("李四", respondent)):
        page.goto("/party")
        page.get_by_test_id("countdown").wait_for()
        sign_agreement(page)
        mine = (
            page.get_by_test_id("party-agreement")
            .get_by_test_id("agr-signers")
            .locator('[data-signed="true"]')
            .filter(has_text=name)
        )
        # The method is what was done: the device key, and no text code.
        assert "本人设备密钥" in mine.inner_text() and "短信验证码" not in mine.inner_text(), mine.inner_text()
    fits(respondent, PHONE["width"])
    shot(respondent, artifacts, "no-sms-respondent-signed-phone.jpg")

    # The mediator signs with the key made on the live page; the seal makes the agreement effective.
    box = agreement.get_by_test_id("agr-sign-box")
    box.filter(has_text="所有当事人都已签名").wait_for(timeout=20_000)
    assert box.get_by_test_id("agr-key").count() == 1 and box.get_by_test_id("agr-key").is_checked()
    box.get_by_test_id("agr-sign").click()
    confirm(mediator, "签署调解协议")
    seal = agreement.get_by_test_id("agr-seal")
    seal.wait_for(timeout=30_000)
    assert "调解协议已生效（已盖章）" in seal.inner_text()
    signers = agreement.get_by_test_id("agr-signers").inner_text()
    assert "短信验证码" not in signers, signers

    # --- judicial confirmation: the applicant applies, the respondent co-signs, both with no code ---------
    # The parties' pages follow: sealed. Back from the agreement to the page, where the 30 days count.
    for page in (applicant, respondent):
        view = page.get_by_test_id("party-agreement")
        view.get_by_test_id("agr-updated").filter(has_text="调解协议已盖章生效").wait_for(timeout=20_000)
        view.get_by_test_id("agreement-back").click()
    card = applicant.get_by_test_id("confirmation-card")
    card.get_by_test_id("conf-court-option").filter(has_text=COURT).click(timeout=30_000)
    card.get_by_test_id("conf-apply").click()
    card.get_by_test_id("conf-signed").filter(has_text="您已签名").wait_for(timeout=20_000)
    assert card.get_by_test_id("conf-sign-code").count() == 0 and card.get_by_test_id("conf-code-sent").count() == 0
    r_card = respondent.get_by_test_id("confirmation-card")
    r_card.get_by_test_id("conf-ask").filter(has_text=f"张三已向{COURT}申请司法确认").wait_for(timeout=20_000)
    r_card.get_by_test_id("conf-cosign").click()
    r_card.get_by_test_id("conf-status").filter(has_text=f"申请已提交{COURT}").wait_for(timeout=20_000)
    assert r_card.get_by_test_id("conf-sign-code").count() == 0
    signed_lines = r_card.get_by_test_id("conf-signers").inner_text()
    assert signed_lines.count("本人设备密钥") == 2 and "短信验证码" not in signed_lines, signed_lines
    fits(respondent, PHONE["width"])
    r_card.scroll_into_view_if_needed()
    shot(respondent, artifacts, "no-sms-respondent-cosigned-phone.jpg")

    # --- the judge accepts and confirms -----------------------------------------------------------------
    j_context = new_context(browser, server, viewport=DESKTOP)
    judge = j_context.new_page()
    j_errors = PageErrors(judge)
    log_in_as(judge, JUDGE, PASSWORD, r"/court$")
    row = judge.get_by_test_id("court-inbox").get_by_test_id("court-app-row").filter(has_text=CASE_NUMBER)
    row.get_by_test_id("court-app-link").click()
    judge.wait_for_url(re.compile(r"/court/applications/[^/]+$"))
    verification = judge.get_by_test_id("court-verification")
    verification.wait_for()
    assert verification.get_attribute("data-ok") == "true", verification.inner_text()
    judge.get_by_test_id("court-accept").click()
    judge.locator("#court-title").filter(has_text="法院已受理").wait_for()
    form = judge.get_by_test_id("court-decision-form")
    form.get_by_test_id("court-decide-confirmed").check()
    form.get_by_test_id("court-reasons").fill(REASONS)
    form.get_by_test_id("court-key-register").click()
    form.get_by_test_id("court-sign-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    form.get_by_test_id("court-sign").click()
    judge.locator("dialog").filter(has_text="确认调解协议有效？").wait_for()
    confirm(judge, "签署：确认有效")
    judge.get_by_test_id("conf-decision").filter(has_text="法院已确认调解协议有效").wait_for(timeout=30_000)
    shot(judge, artifacts, "no-sms-judge-decided.jpg")

    # --- the parties see it; the ruling is downloaded through a party's page ------------------------------
    for page in (applicant, respondent):
        page.get_by_test_id("confirmation-card").get_by_test_id("conf-decision").filter(
            has_text="法院已确认调解协议有效"
        ).wait_for(timeout=20_000)
    ruling_pdf = download(applicant, card.get_by_test_id("conf-ruling"), tmp_path / "ruling.pdf")
    assert ruling_pdf.startswith(b"%PDF")
    # A court's ruling: the court's own case number (given when it accepted, not the committee's),
    # the applicants, the reasoning (本院经审查认为) before 裁定如下, then the operative part.
    text = pdf_text(ruling_pdf)
    court_number = re.search(rf"（(\d{{4}})）{COURT_CODE}民特(\d+)号", text)
    assert court_number, text[:400]
    assert text.index("民事裁定书") < text.index(court_number.group(0)) < text.index("申请人")
    for _, name, _, id_number in PARTIES:  # the applicants, with their ID numbers for service
        assert name in text and id_number in text, name
    assert text.index("本院经审查认为") < text.index("裁定如下") < text.index("调解协议有效")
    assert JUDGE_NAME.removesuffix("法官") in text.split("裁定如下")[1], "the judge who ruled signs it"
    shot(applicant, artifacts, "no-sms-applicant-confirmed-phone.jpg")

    for errors in (m_errors, j_errors, *(e for _, _, e in pages.values())):
        errors.check()
    for context in (j_context, *(c for c, _, _ in pages.values()), m_context):
        context.close()
    print(f"no-SMS journey took {time.monotonic() - started:.1f} s")
