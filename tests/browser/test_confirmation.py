"""Judicial confirmation in Chromium: the parties apply together, the court confirms.

Set up through the API (as tests/api/agreement_helpers.py does): an administrator makes the
committee 朝阳区人民调解委员会 and the court 朝阳区人民法院, both in 北京市朝阳区 (so the court may hear
the case where the mediation organisation is), a mediator and a judge; the mediator opens a case
and books a session. In the journey's case that session is held and recorded first, for real
(aiortc participants, as test_review's make_recording does: the parties bind a device key and
consent, the mediator records). Then the mediator drafts and finalises the agreement; both parties
bind a device key again (the newest one bound is the one they sign with) and sign; the mediator
signs and the agreement is sealed.

In the browser, on a phone (390x844): the applicant sees the 30 days counting down and what
judicial confirmation is, chooses the court and applies; the key the API bound is not in this
browser, so the page's key card binds a device key first (the texted codes read from the outbox)
and the signature goes on with the texted code. The respondent co-signs after binding a passkey
(Chromium's virtual authenticator). The judge logs in, finds the application in the court's inbox
(with its status filter), opens it, reads what the verifier proves in plain words, follows the
link to the session's recording, plays it (everyone who was there from the start advances), comes
back and finds the viewing in the court's access log, assigns it to another judge of the court
and back to themself, accepts it and starts the review, schedules a video hearing (the parties'
pages show when), writes a note for the court only, is stopped when refusing without a statutory
ground, and signs a confirmation with a device key created on the page, behind a dialog that
repeats the decision; the ruling is downloaded. Both parties' pages then say 已确认 and offer the
ruling, the mediator's case page too, and the access log lists the judge's views.

A second case whose agreement took effect 31 days ago: the party is told plainly that it is too
late on the platform (art. 33) and what else can be done (a lawsuit, art. 32); so is the mediator.

WebAuthn needs a host name as relying party id, so this module runs its own server whose public
URL is http://localhost:<port> (its media peer offers 127.0.0.1 too, as the browser tests' server
does, for the recorded session). Screenshots: test-artifacts/confirmation-*.jpg.

Run with: python -m pytest tests/browser/test_confirmation.py -q -p no:cacheprovider
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.evidence.records import DeviceKey, b64, unb64
from tests.browser.conftest import Booked, Server, cli, codes_by_spool, free_port, server_env, serving, session_day
from tests.browser.test_agreement import add_passkey_authenticator, confirm, fits, shot, tall_enough
from tests.browser.test_booking_flow import DESKTOP, PageErrors, new_context, open_party_page
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_review import VIDEOS, make_recording, state_of
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
REGION = "北京市朝阳区"
COMMITTEE = "朝阳区人民调解委员会"
COURT = "朝阳区人民法院"
OTHER_COURT = "海淀区人民法院"
PASSWORD = "Correct-Horse-9"
ADMIN = "admin"
MEDIATOR = "liu"
JUDGE = "chen"
JUDGE_NAME = "陈法官"
OTHER_JUDGE = "王法官"
CASE_NUMBER = "（2026）京朝调字第731号"
REASONS = "协议系双方真实意思表示，内容不违反法律、行政法规的强制性规定。"

TERMS = {
    "facts": "申请人张三在被申请人处工作，被申请人拖欠申请人2026年8月至10月工资共计人民币12000元。",
    "terms": [
        {
            "text": "被申请人于2026年12月31日前向申请人支付拖欠工资人民币12000元。",
            "performance": "银行转账",
            "due": "2026年12月31日前",
        },
        {"text": "申请人放弃其他请求。", "performance": "", "due": ""},
    ],
    "effect": "本协议经双方当事人签名、调解员签名并加盖调解组织印章后生效。",
    "copies": 3,
    "other": "",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server on http://localhost:<port>, with only an administrator made by the CLI."""
    data_dir = tmp_path_factory.mktemp("mediate-confirmation")
    cli(
        "user",
        "add",
        "--username",
        ADMIN,
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
    with serving(
        data_dir,
        port,
        {
            **server_env(data_dir, base_url),
            "MEDIATE_MEDIA_LOOPBACK": "1",
            "MEDIATE_PHONE_NUMBER": "010-8888 6666",
            **codes_by_spool(data_dir),
        },
    ):
        yield Server(
            base_url=base_url, data_dir=data_dir, organisation_id="", mediator_id="", username=MEDIATOR, password=PASSWORD
        )


class Client:
    """One browser context's API requests (its cookies), with the CSRF token."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.context = browser.new_context(base_url=server.base_url)
        self.req = self.context.request
        self.csrf = ""

    def login(self, username: str) -> Client:
        res = self.req.post("/api/v1/auth/login", data={"username": username, "password": PASSWORD})
        assert res.status == 200, res.text()
        self.csrf = res.json()["csrf_token"]
        return self

    def open_link(self, url: str) -> Client:
        res = self.req.get(url)
        assert res.ok, res.text()
        self.csrf = self.get("/auth/me")["csrf_token"]
        return self

    def get(self, path: str) -> Any:
        res = self.req.get(f"/api/v1{path}")
        assert res.ok, f"GET {path}: {res.status} {res.text()}"
        return res.json()

    def post(self, path: str, body: dict[str, Any] | None = None, expect: int = 201) -> Any:
        res = self.req.post(f"/api/v1{path}", data=body or {}, headers={"X-CSRF-Token": self.csrf})
        assert res.status == expect, f"POST {path}: {res.status} {res.text()}"
        return res.json() if res.body() else None

    def close(self) -> None:
        self.context.close()


@dataclass(frozen=True)
class Sealed:
    case_id: str
    case_number: str
    session_id: str
    links: dict[str, dict[str, Any]]
    recording_id: str | None = None


def bind_device_key(server: Server, party: Client, party_id: str) -> tuple[DeviceKey, int]:
    key = DeviceKey.generate({"kind": "party", "id": party_id})
    started = party.post("/party/keys/device", {"spki": b64(key.info.spki)})
    code_id, code = latest_code(server, party_id)
    party.post(
        f"/party/keys/device/{started['challenge']}", {"code": code, "signature": key.sign(unb64(started["statement"]))["sig"]}
    )
    return key, code_id


@pytest.fixture(scope="module")
def accounts(browser: Any, server: Server) -> None:
    """The committee and two courts with their regions, the mediator, two judges of 朝阳区人民法院."""
    admin = Client(browser, server).login(ADMIN)
    committee = admin.post("/organisations", {"name": COMMITTEE, "kind": "committee", "region": REGION})
    court = admin.post("/organisations", {"name": COURT, "kind": "court", "region": REGION, "court_code": "京0105"})
    admin.post("/organisations", {"name": OTHER_COURT, "kind": "court", "region": "北京市海淀区"})
    admin.post(
        "/users",
        {
            "username": MEDIATOR,
            "display_name": "刘调解员",
            "password": PASSWORD,
            "role": "mediator",
            "organisation_id": committee["id"],
        },
    )
    for username, name in ((JUDGE, JUDGE_NAME), ("wang", OTHER_JUDGE)):
        admin.post(
            "/users",
            {"username": username, "display_name": name, "password": PASSWORD, "role": "judge", "organisation_id": court["id"]},
        )
    admin.close()


def signed_and_sealed(
    server: Server, liu: Client, case_id: str, parties: dict[str, tuple[Client, DeviceKey, int]], links: dict[str, Any]
) -> None:
    """Version 2 (final) signed by both parties with their bound keys (the texted code read from the
    spool), then by the mediator with a key made and bound now; waits until the seal makes it effective."""
    base = f"/cases/{case_id}/agreement"
    for role, (client, key, code_id) in parties.items():
        prepared = client.post("/party/agreement/sign", {"version": 2})
        _, code = latest_code(server, links[role]["party_id"], newer_than=code_id)
        client.post(
            f"/party/agreement/sign/{prepared['challenge']}",
            {"code": code, "signature": key.sign(unb64(prepared["statement"]))["sig"]},
        )
        client.close()
    key = DeviceKey.generate({"kind": "staff", "id": MEDIATOR})
    liu.post("/me/keys/device", {"spki": b64(key.info.spki)})
    binding = liu.post(f"/cases/{case_id}/keys/{key.info.id}/bind")
    liu.post(f"/signatures/{binding['challenge']}", {"signature": key.sign(unb64(binding["statement"]))["sig"]})
    prepared = liu.post(f"{base}/sign", {"key_id": key.info.id})
    liu.post(f"/signatures/{prepared['challenge']}", {"signature": key.sign(unb64(prepared["statement"]))["sig"]})
    until = time.monotonic() + 20
    while liu.get(base)["agreement"]["status"] != "effective":
        assert time.monotonic() < until, "the agreement was not sealed"
        time.sleep(0.3)
    liu.close()


def sealed_case(
    browser: Any, server: Server, number: str, phones: tuple[str, str], hour: int, *, recorded: bool = False
) -> Sealed:
    """A case whose agreement is signed by both parties and the mediator, and sealed (as agreement_helpers does).

    ``recorded``: the booked session is held and recorded first (test_review's make_recording), before
    the agreement is drafted.
    """
    liu = Client(browser, server).login(MEDIATOR)
    case = liu.post(
        "/cases",
        {
            "case_number": number,
            "dispute_type": "wages",
            "source": "party_application",
            "summary": "拖欠工资三个月，双方同意调解。",
        },
    )
    case_id = case["id"]
    liu.post(f"/cases/{case_id}/parties", {"role": "applicant", "name": "张三", "phone": phones[0], "residence_region": REGION})
    liu.post(f"/cases/{case_id}/parties", {"role": "respondent", "name": "李四", "phone": phones[1]})
    booked = liu.post(
        f"/cases/{case_id}/sessions",
        {
            "starts_at": f"{session_day(later=6).isoformat()}T{hour:02d}:00:00+08:00",
            "duration_minutes": 60,
            "timezone": "Asia/Shanghai",
        },
    )
    session_id = booked["session"]["id"]
    links = {link["role"]: link for link in booked["links"]}
    recording_id = None
    if recorded:
        # The mediation itself, recorded: the parties bind a key and consent, the respondent let in 2 s late.
        recording_id = make_recording(
            server, Booked(case_id=case_id, case_number=number, session_id=session_id, links=booked["links"])
        )

    # The parties bind a key each (outside the browser, so the browser will need its own later; after a
    # recorded session, a second key each: the newest one bound is the one they sign with).
    parties: dict[str, tuple[Client, DeviceKey, int]] = {}
    for role in ("applicant", "respondent"):
        client = Client(browser, server).open_link(links[role]["url"])
        key, code_id = bind_device_key(server, client, links[role]["party_id"])
        parties[role] = (client, key, code_id)

    base = f"/cases/{case_id}/agreement"
    liu.post(base, {"session_id": session_id})
    liu.post(f"{base}/versions", {"content": TERMS, "based_on": 1})
    deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 86400))
    liu.post(f"{base}/final", {"version": 2, "deadline": deadline}, expect=200)
    signed_and_sealed(server, liu, case_id, parties, links)
    return Sealed(case_id=case_id, case_number=number, session_id=session_id, links=links, recording_id=recording_id)


def judge_logs_in(page: Any) -> None:
    """A judge opens the court's page: the login first, then back to /court."""
    page.goto("/court")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.locator("#login-username").fill(JUDGE)
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/court$"))


def download(page: Any, link: Any, path: Path) -> bytes:
    with page.expect_download() as got:
        link.click()
    got.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF"), data[:20]
    return data


def test_parties_apply_together_and_the_court_confirms(
    browser: Any, server: Server, accounts: None, artifacts: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    case = sealed_case(browser, server, CASE_NUMBER, ("13800000031", "13800000032"), 10, recorded=True)
    applicant_id, respondent_id = case.links["applicant"]["party_id"], case.links["respondent"]["party_id"]

    # --- the applicant, on a phone: the card, the court, and "申请司法确认" ---------------------------
    a_context, applicant, a_errors = open_party_page(browser, server, case.links["applicant"]["url"], viewport=PHONE)
    card = applicant.get_by_test_id("confirmation-card")
    card.wait_for()
    assert card.get_attribute("data-phase") == "apply"
    left = card.get_by_test_id("conf-days-left").inner_text()
    assert re.fullmatch(r"还剩 (29|30) 天", left), left
    assert "截止：" in card.get_by_test_id("conf-deadline").inner_text()
    explained = card.get_by_test_id("conf-explain").inner_text()
    assert (
        "双方当事人共同申请" in explained
        and "过了第 30 天" in explained
        and "《中华人民共和国人民调解法》第三十三条" in explained
    )
    option = card.get_by_test_id("conf-court-option").filter(has_text=COURT)
    assert "调解组织所在地" in option.inner_text(), option.inner_text()
    assert card.get_by_test_id("conf-court-option").filter(has_text=OTHER_COURT).count() == 0
    apply_button = card.get_by_test_id("conf-apply")
    tall_enough(apply_button)
    tall_enough(option)
    fits(applicant, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(applicant, artifacts, "confirmation-applicant-apply-phone.jpg")
    option.click()
    assert option.locator("input").is_checked()
    apply_button.click()
    # The key bound through the API is not in this browser: the key card binds one, then signing goes on.
    card.get_by_test_id("conf-key-first").wait_for()
    texted, _ = latest_code(server, applicant_id)  # (the code texted for the signature prepared with the old key)
    key_card = applicant.get_by_test_id("key-card")
    key_card.get_by_test_id("key-send").click()
    key_card.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, applicant_id, newer_than=texted)
    key_card.get_by_test_id("key-code").fill(bind_code)
    key_card.get_by_test_id("key-confirm").click()
    code_input = card.get_by_test_id("conf-sign-code")
    code_input.wait_for()
    assert re.search(r"正在发送验证码短信到|验证码短信已发出", card.get_by_test_id("conf-code-sent").inner_text())
    _, sign_code = latest_code(server, applicant_id, newer_than=bind_id)
    code_input.fill(sign_code)
    fits(applicant, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(applicant, artifacts, "confirmation-applicant-code-phone.jpg")
    card.get_by_test_id("conf-sign-confirm").click()
    card.get_by_test_id("conf-signed").filter(has_text="您已签名").wait_for()
    assert card.get_attribute("data-phase") == "waiting"
    mine = card.get_by_test_id("conf-signers").locator(f'[data-party-id="{applicant_id}"]')
    assert mine.get_attribute("data-signed") == "true" and "本人设备密钥" in mine.inner_text()
    assert (
        card.get_by_test_id("conf-signers").locator(f'[data-party-id="{respondent_id}"]').get_attribute("data-signed") == "false"
    )
    fits(applicant, PHONE["width"])
    shot(applicant, artifacts, "confirmation-applicant-signed-phone.jpg")

    # --- the respondent, on a phone, co-signs with a passkey ------------------------------------------
    r_context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    respondent = r_context.new_page()
    r_errors = PageErrors(respondent)
    add_passkey_authenticator(respondent)
    respondent.goto(case.links["respondent"]["url"])
    respondent.wait_for_url(re.compile(r"/party(\?|$)"))
    r_card = respondent.get_by_test_id("confirmation-card")
    r_card.get_by_test_id("conf-ask").filter(has_text=f"张三已向{COURT}申请司法确认").wait_for()
    assert r_card.get_attribute("data-phase") == "cosign"
    cosign = r_card.get_by_test_id("conf-cosign")
    assert cosign.inner_text() == "共同申请（联署）"
    tall_enough(cosign)
    fits(respondent, PHONE["width"])
    r_card.scroll_into_view_if_needed()
    shot(respondent, artifacts, "confirmation-respondent-cosign-phone.jpg")
    cosign.click()
    r_card.get_by_test_id("conf-key-first").wait_for()
    texted, _ = latest_code(server, respondent_id)
    r_key = respondent.get_by_test_id("key-card")
    r_key.get_by_test_id("key-passkey").click()
    r_key.get_by_test_id("key-code").wait_for()
    _, r_code = latest_code(server, respondent_id, newer_than=texted)
    r_key.get_by_test_id("key-code").fill(r_code)
    r_key.get_by_test_id("key-confirm").click()
    r_card.get_by_test_id("conf-status").filter(has_text=f"申请已提交{COURT}").wait_for(timeout=20_000)
    r_mine = r_card.get_by_test_id("conf-signers").locator(f'[data-party-id="{respondent_id}"]')
    assert "指纹/面容" in r_mine.inner_text()
    steps = r_card.get_by_test_id("conf-steps")
    assert steps.locator('[data-step="received"]').get_attribute("data-state") == "current"
    assert steps.locator('[data-step="accepted"]').get_attribute("data-state") == "todo"
    fits(respondent, PHONE["width"])
    r_card.scroll_into_view_if_needed()
    shot(respondent, artifacts, "confirmation-respondent-submitted-phone.jpg")
    # The applicant's page follows without a reload.
    card.get_by_test_id("conf-status").filter(has_text=f"申请已提交{COURT}").wait_for(timeout=20_000)

    # --- the judge: the inbox, the application, the verifier's findings --------------------------------
    j_context = new_context(browser, server, viewport=DESKTOP)
    judge = j_context.new_page()
    j_errors = PageErrors(judge)
    judge_logs_in(judge)
    inbox = judge.get_by_test_id("court-inbox")
    row = inbox.get_by_test_id("court-app-row").filter(has_text=case.case_number)
    row.wait_for()
    assert COMMITTEE in row.inner_text() and "张三" in row.inner_text() and "李四" in row.inner_text()
    assert "已提交法院" in row.inner_text() and "未分配" in row.inner_text()
    judge.get_by_label("按状态筛选").select_option("confirmed")
    judge.get_by_text("没有这个状态的申请").wait_for()
    judge.get_by_label("按状态筛选").select_option("received")
    row.wait_for()
    assert judge.url.endswith("?status=received")
    shot(judge, artifacts, "confirmation-judge-inbox.jpg")
    row.get_by_test_id("court-app-link").click()
    judge.wait_for_url(re.compile(r"/court/applications/[^/]+$"))
    judge.locator("#court-title").filter(has_text=case.case_number).wait_for()
    verification = judge.get_by_test_id("court-verification")
    verification.wait_for()
    assert verification.get_attribute("data-ok") == "true"
    assert "核验通过" in verification.inner_text()
    summary = judge.get_by_test_id("court-verify-report").text_content()  # its sections folded, as when all is well
    assert f"验证通过：案件 {case.case_number} 的全部" in summary, summary
    # The summary names the people, never their ids.
    assert "当事人 张三（申请人）" in summary and "工作人员 刘调解员（调解员）" in summary
    assert applicant_id not in summary and respondent_id not in summary and "platform" not in summary
    judge.get_by_test_id("court-agreement-text").filter(has_text="人民币12000元").wait_for()
    judge.get_by_test_id("court-agr-pdf-signed").wait_for()
    applicants = judge.locator("#applicants").get_by_test_id("conf-signer")
    assert applicants.count() == 2 and judge.locator("#applicants").locator('[data-signed="true"]').count() == 2
    materials = judge.get_by_test_id("court-materials")
    assert materials.locator('[data-kind="signed_agreement"]').count() == 1
    judge.get_by_test_id("court-history-open").click()
    judge.get_by_test_id("court-history").filter(has_text="当事人申请司法确认").wait_for()
    # The session was recorded: the page lists it with a link to watch it; the judge follows it.
    recordings = judge.get_by_test_id("court-recordings")
    recordings.wait_for()
    assert judge.locator("#recordings").get_by_text("本案没有录像").count() == 0
    assert recordings.locator("li").count() == 1 and "（1 段录像）" in recordings.inner_text(), recordings.inner_text()
    recordings.get_by_test_id("court-review-link").click()
    judge.wait_for_url(re.compile(rf"/review/{case.session_id}\?application=[0-9a-f-]+$"))
    player = judge.get_by_test_id("review-player")
    player.wait_for()
    assert player.get_attribute("data-recording-id") == case.recording_id
    assert case.case_number in judge.locator("h1").inner_text()
    # The way back is to the application the judge came from; no export button the server would refuse a judge.
    back = judge.get_by_role("link", name="返回司法确认申请")
    assert back.count() == 1 and back.get_attribute("href") == "/court/applications/" + judge.url.split("?application=", 1)[1]
    assert judge.get_by_test_id("review-export").count() == 0
    judge.wait_for_function(f"{VIDEOS}.length === 3 && {VIDEOS}.every(v => v.readyState >= 2)", timeout=20_000)
    watched = judge.get_by_test_id("review").inner_text()
    assert "刘调解员" in watched and "张三" in watched and "李四" in watched, watched
    before = state_of(judge)
    assert {applicant_id, respondent_id} < set(before) and len(before) == 3, before
    # The mediator and the applicant were there from the start; the respondent was let in 2 s later.
    # (Within a second: on a loaded machine a participant's first key frame can take a moment.)
    from_start = {who for who, s in before.items() if s["offset"] < 1.0}
    assert len(from_start) == 2 and applicant_id in from_start, before
    assert 1.5 < before[respondent_id]["offset"] < 4.5, before
    judge.get_by_test_id("review-play").click()
    times = {who: before[who]["time"] for who in from_start}
    judge.wait_for_function(
        f"{VIDEOS}.every(v => !({json.dumps(times)}[v.dataset.participantId] >= 0)"
        f" || (!v.paused && v.currentTime > {json.dumps(times)}[v.dataset.participantId] + 0.8))",
        timeout=20_000,
    )
    playing = state_of(judge)
    for who in from_start:
        assert not playing[who]["paused"] and playing[who]["time"] > before[who]["time"] + 0.8, (before, playing)
    shot(judge, artifacts, "confirmation-judge-review.jpg")
    # Back on the application, the court's access log has the viewing: the review and each participant's video.
    judge.go_back()
    judge.wait_for_url(re.compile(r"/court/applications/[^/]+$"))
    judge.locator("#court-title").filter(has_text=case.case_number).wait_for()
    log_rows = judge.get_by_test_id("court-access-log").get_by_test_id("court-log-row")
    log_rows.filter(has_text="录像回放").filter(has_text=case.session_id).first.wait_for()
    # One row per participant's video, by the recording's id, in words.
    videos_watched = log_rows.filter(has_text=case.recording_id)
    assert videos_watched.count() == 3, [videos_watched.nth(i).inner_text() for i in range(videos_watched.count())]
    assert all(JUDGE_NAME in videos_watched.nth(i).inner_text() for i in range(3))
    assert all("观看录像" in videos_watched.nth(i).inner_text() for i in range(3))
    assert "recording_viewed" not in judge.get_by_test_id("court-access-log").inner_text()

    # … takes it on, accepts it, starts the review, writes a note for the court only.
    assert judge.get_by_test_id("court-judge-name").inner_text() == "未分配"
    judge.get_by_label("改由其他法官承办").select_option(label=OTHER_JUDGE)
    judge.get_by_test_id("court-assign").click()
    judge.get_by_test_id("court-judge-name").filter(has_text=OTHER_JUDGE).wait_for()
    judge.get_by_test_id("court-assign-me").click()
    judge.get_by_test_id("court-judge-name").filter(has_text=JUDGE_NAME).wait_for()
    assert judge.get_by_test_id("court-assign-me").count() == 0
    assert judge.get_by_test_id("court-accept-first").count() == 1  # nothing to decide before accepting
    assert judge.get_by_test_id("court-court-case-number").inner_text() == "受理时编立"
    judge.get_by_test_id("court-accept").click()
    judge.get_by_test_id("court-handle-message").filter(has_text="已受理").wait_for()
    # Accepting gave the court's own case number, from its sequence of the year.
    number = judge.get_by_test_id("court-court-case-number").inner_text()
    assert re.fullmatch(r"（20\d\d）京0105民特1号", number), number
    judge.locator("#court-title").filter(has_text="法院已受理").wait_for()
    judge.get_by_test_id("court-under-review").click()
    judge.locator("#court-title").filter(has_text="审查中").wait_for()
    # The parties' pages follow the court's steps.
    card.get_by_test_id("conf-status").filter(has_text="正在审查").wait_for(timeout=20_000)
    # A video hearing, hosted by the judge: the parties see when it is.
    judge.get_by_test_id("court-hearing-open").click()
    judge.get_by_label("听证日期").fill(session_day(later=7).isoformat())
    judge.get_by_label("开始时间").fill("15:00")
    judge.get_by_test_id("court-hearing-submit").click()
    judge.get_by_test_id("court-hearing-box").filter(has_text="15:00").wait_for()
    judge.locator("#court-title").filter(has_text="已安排听证").wait_for()
    assert judge.get_by_test_id("court-hearing-join").get_attribute("href").startswith("/live/")
    # Told once, as scheduled: each party's PIN to join by phone (#25), to tell a party who calls.
    pins = judge.get_by_test_id("court-hearing-phone")
    assert "拨打 010-8888 6666 电话参加" in pins.inner_text()
    assert [re.sub(r"\d{6}", "######", line) for line in pins.locator("li").all_inner_texts()] == [
        "张三（申请人）：会议密码 ######", "李四（被申请人）：会议密码 ######",
    ], pins.inner_text()  # fmt: skip
    hearing = card.get_by_test_id("conf-hearing")
    hearing.wait_for(timeout=20_000)
    assert "下午3:00" in hearing.inner_text(), hearing.inner_text()
    assert card.get_by_test_id("conf-steps").locator('[data-step="hearing_scheduled"]').get_attribute("data-state") == "current"
    fits(applicant, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(applicant, artifacts, "confirmation-applicant-hearing-phone.jpg")
    notes = judge.get_by_test_id("court-notes-card")
    assert "仅法院可见" in notes.inner_text()
    notes.get_by_test_id("court-note-text").fill("双方在视频中确认系自愿达成协议。")
    notes.get_by_test_id("court-note-save").click()
    notes.get_by_test_id("court-note").filter(has_text="双方在视频中确认系自愿达成协议").wait_for()
    assert JUDGE_NAME in notes.get_by_test_id("court-note").first.inner_text()

    # Refusing needs a statutory ground: the form says so before anything is signed.
    form = judge.get_by_test_id("court-decision-form")
    form.get_by_test_id("court-decide-rejected").check()
    grounds = form.get_by_test_id("court-ground")
    assert grounds.count() >= 5
    form.get_by_test_id("court-reasons").fill(REASONS)
    # The page redraws (a change of language, by a click that does not move focus, and back): the
    # reasons keep what was typed and the same textarea keeps focus (the element itself, not a copy).
    form.get_by_test_id("court-reasons").focus()
    judge.evaluate("() => { window.held = document.activeElement; }")
    for words in ("Sign the ruling", "签署裁定"):
        judge.evaluate("() => document.querySelector('[data-testid=lang-switch]').click()")
        form.get_by_test_id("court-sign").filter(has_text=words).wait_for()
        assert judge.evaluate("() => document.activeElement === window.held && window.held.isConnected")
        assert form.get_by_test_id("court-reasons").input_value() == REASONS
    form.get_by_test_id("court-key-register").click()
    form.get_by_test_id("court-sign-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    assert form.get_by_test_id("court-key").count() == 1 and form.get_by_test_id("court-key").is_checked()
    assert form.get_by_test_id("court-reasons").input_value() == REASONS
    form.get_by_test_id("court-sign").click()
    form.get_by_text("请至少选择一项不予确认的情形").wait_for()
    assert judge.locator("dialog").count() == 0
    assert form.get_by_test_id("court-grounds").get_attribute("aria-invalid") == "true"
    form.get_by_test_id("court-grounds").scroll_into_view_if_needed()
    shot(judge, artifacts, "confirmation-judge-reject-needs-ground.jpg")

    # … and confirms, signing with the key made on this page, behind a dialog that repeats the decision.
    form.get_by_test_id("court-decide-confirmed").check()
    assert form.get_by_test_id("court-reasons").input_value() == REASONS
    form.scroll_into_view_if_needed()
    shot(judge, artifacts, "confirmation-judge-decision.jpg")
    form.get_by_test_id("court-sign").click()
    dialog = judge.locator("dialog")
    dialog.filter(has_text="确认调解协议有效？").wait_for()
    assert case.case_number in dialog.inner_text() and COMMITTEE in dialog.inner_text()
    confirm(judge, "签署：确认有效")
    decided = judge.get_by_test_id("conf-decision")
    decided.filter(has_text="法院已确认调解协议有效").wait_for(timeout=30_000)
    judge.locator("#court-title").filter(has_text="已确认").wait_for()
    ruling = decided.get_by_test_id("conf-ruling")
    ruling.wait_for(timeout=30_000)
    ruling_pdf = download(judge, ruling, tmp_path / "ruling-judge.pdf")
    # The ruling as a reader's copy gives it: the court's number, the reasoning before 裁定如下.
    text = pdf_text(ruling_pdf)
    assert number in text and "民事裁定书" in text and "审判员" + JUDGE_NAME in text, text
    assert text.index("本院经审查认为") < text.index("裁定如下") < text.index("调解协议有效"), text
    judge.reload()
    judge.get_by_test_id("conf-decision").filter(has_text="法院已确认调解协议有效").wait_for()
    log = judge.get_by_test_id("court-access-log")
    log.get_by_test_id("court-log-row").first.wait_for()
    log_text = log.inner_text()
    assert JUDGE_NAME in log_text and "申请及核验结果" in log_text and "案件记录" in log_text and "调解协议" in log_text, log_text
    judge.get_by_test_id("conf-decision").scroll_into_view_if_needed()
    shot(judge, artifacts, "confirmation-judge-decided.jpg")
    judge.get_by_test_id("lang-switch").click()
    judge.get_by_test_id("conf-decision").filter(has_text="The court confirmed the agreement").wait_for()
    assert "Checks passed" in judge.get_by_test_id("court-verification").inner_text()
    assert "Court only" in judge.get_by_test_id("court-notes-card").inner_text()
    shot(judge, artifacts, "confirmation-judge-decided-en.jpg")
    judge.get_by_test_id("lang-switch").click()
    judge.get_by_test_id("conf-decision").filter(has_text="法院已确认调解协议有效").wait_for()
    judge.set_viewport_size(PHONE)
    fits(judge, PHONE["width"])
    tall_enough(judge.get_by_test_id("conf-ruling"))
    shot(judge, artifacts, "confirmation-judge-decided-phone.jpg")
    judge.goto("/court")
    judge.get_by_test_id("court-app-row").filter(has_text="已确认").filter(has_text=JUDGE_NAME).wait_for()
    fits(judge, PHONE["width"])
    shot(judge, artifacts, "confirmation-judge-inbox-phone.jpg")

    # --- both parties see 已确认 and the ruling ---------------------------------------------------------
    for page, name in ((applicant, "applicant"), (respondent, "respondent")):
        party_card = page.get_by_test_id("confirmation-card")
        party_card.get_by_test_id("conf-decision").filter(has_text="法院已确认调解协议有效").wait_for(timeout=20_000)
        assert "已确认" in party_card.locator("h2").inner_text()
        steps = party_card.get_by_test_id("conf-steps")
        assert steps.locator('[data-step="decided"]').get_attribute("data-state") == "confirmed"
        assert steps.locator('[data-step="hearing_scheduled"]').get_attribute("data-state") == "done"
        party_ruling = party_card.get_by_test_id("conf-ruling")
        tall_enough(party_ruling)
        download(page, party_ruling, tmp_path / f"ruling-{name}.pdf")
        fits(page, PHONE["width"])
        party_card.scroll_into_view_if_needed()
        shot(page, artifacts, f"confirmation-{name}-confirmed-phone.jpg")
    applicant.get_by_test_id("lang-switch").click()
    card.get_by_test_id("conf-ruling").filter(has_text="Download the court’s ruling").wait_for()
    assert "Confirmed" in card.locator("h2").inner_text()
    shot(applicant, artifacts, "confirmation-applicant-confirmed-phone-en.jpg")

    # --- the mediator's case page ----------------------------------------------------------------------
    m_context = new_context(browser, server, viewport=DESKTOP)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in_as_mediator(mediator)
    mediator.goto(f"/cases/{case.case_id}")
    panel = mediator.get_by_test_id("confirmation-panel")
    panel.get_by_test_id("conf-decision").filter(has_text="法院已确认调解协议有效").wait_for()
    assert COURT in panel.get_by_test_id("conf-court").inner_text()
    assert panel.locator('[data-testid="conf-signer"][data-signed="true"]').count() == 2
    assert "仅法院可见" not in mediator.content() and "双方在视频中确认" not in mediator.content()
    # Before the court the case cannot be changed (the server answers 409): the page says so and offers no form.
    mediator.get_by_test_id("case-before-court").filter(has_text="本案已提交法院申请司法确认").wait_for()
    mediator.get_by_test_id("file-item").first.wait_for()  # the files are still there to read
    for form in ("#add-party-form", "#book-form", '[data-testid="file-upload"]', "[data-reschedule]"):
        assert mediator.locator(form).count() == 0, form
    download(mediator, panel.get_by_test_id("conf-ruling"), tmp_path / "ruling-mediator.pdf")
    panel.scroll_into_view_if_needed()
    shot(mediator, artifacts, "confirmation-mediator.jpg")

    for errors in (a_errors, r_errors, j_errors, m_errors):
        errors.check()
    for context in (m_context, j_context, r_context, a_context):
        context.close()
    print(f"confirmation journey took {time.monotonic() - started:.1f} s")


def log_in_as_mediator(page: Any) -> None:
    page.goto("/login")
    page.locator("#login-username").fill(MEDIATOR)
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/mediator$"))


def test_after_thirty_days_a_party_is_told_it_is_too_late_and_what_else_to_do(
    browser: Any, server: Server, accounts: None, artifacts: Path
) -> None:
    case = sealed_case(browser, server, "（2026）京朝调字第732号", ("13800000041", "13800000042"), 14)
    # The agreement took effect 31 days ago (the clock cannot be moved for the server, so its record is).
    long_ago = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%d %H:%M:%S.%f")
    con = sqlite3.connect(server.data_dir / "mediate.sqlite3", timeout=10)
    try:
        with con:
            con.execute("UPDATE agreements SET sealed_at = ? WHERE case_id = ?", (long_ago, case.case_id))
    finally:
        con.close()

    context, page, errors = open_party_page(browser, server, case.links["applicant"]["url"], viewport=PHONE)
    card = page.get_by_test_id("confirmation-card")
    card.get_by_test_id("conf-closed").wait_for()
    assert card.get_attribute("data-phase") == "closed"
    text = card.inner_text()
    assert "平台上已不能再申请司法确认" in text and "《人民调解法》第三十三条" in text, text
    assert "调解协议仍然有效" in text and "向人民法院提起诉讼" in text and "第三十二条" in text, text
    assert card.get_by_test_id("conf-apply").count() == 0 and card.get_by_test_id("conf-court-option").count() == 0
    fits(page, PHONE["width"])
    card.scroll_into_view_if_needed()
    shot(page, artifacts, "confirmation-applicant-too-late-phone.jpg")

    m_context = new_context(browser, server, viewport=DESKTOP)
    mediator = m_context.new_page()
    m_errors = PageErrors(mediator)
    log_in_as_mediator(mediator)
    mediator.goto(f"/cases/{case.case_id}")
    panel = mediator.get_by_test_id("confirmation-panel")
    panel.get_by_test_id("conf-none").filter(has_text="当事人没有在期限内申请司法确认").wait_for()
    assert "申请期限已于" in panel.get_by_test_id("conf-deadline").inner_text()
    # Never submitted: the case can still be worked on.
    assert mediator.locator("#add-party-form").count() == 1 and mediator.get_by_test_id("case-before-court").count() == 0
    for e in (errors, m_errors):
        e.check()
    for c in (m_context, context):
        c.close()
