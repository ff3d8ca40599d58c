"""Chinese mode is Chinese: every page of every role, swept in Chromium, and the strings behind them.

The sweep opens each page a person can reach, in the state they meet it (a browser whose language
is Chinese): the login page; the administrator's page; the mediator's dashboard with the
availability open, a case page (before the court, and with a booking refused as outside the hours,
which must say so in Chinese, name the mediator and link to where the hours are changed), the live
room with a party waiting, the review of a recorded session; the court's inbox and an application
(received, with a hearing, decided); the party's page in each phase (before the session, the device
check, the waiting room, an agreement to sign and its reading view, one to apply for, a
co-signature asked, waiting for the other, with the court, a hearing, the ruling, a failed
mediation); a supervisor's statistics and a figure's ledger; the verification page; the pages of a dead link (unknown, cancelled). On each it reads
what a person sees or hears (text, placeholders, titles, labels; not what is marked lang="en", such
as the English half of a link's error page and the language switch) and lists every English word
that is not data (names, numbers, codes, addresses) or an allowed term (PDF, ID, SMS, …). Any
such word fails the test, with the page it was on.

Apart from the browser: every key of the Chinese dictionaries exists in the English ones and back,
across all web/js/*i18n*.js, with the same {placeholders}; and every key the pages ask for by name
exists in both.

Shares test_confirmation.py's server (http://localhost:<port>, an administrator, the committee and
the court with their regions, the mediator and two judges) and its recorded, sealed case.
Screenshots: test-artifacts/zh-sweep-*.jpg.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.evidence.records import DeviceKey, b64, unb64
from tests.browser import test_confirmation as confirmation
from tests.browser.conftest import REPO, Server, book_through_api, cli, keep_screenshot, session_day
from tests.browser.test_booking_flow import PageErrors, log_in_as, new_context
from tests.browser.test_confirmation import (
    ADMIN,
    COMMITTEE,
    COURT,
    JUDGE,
    MEDIATOR,
    PASSWORD,
    PHONE,
    TERMS,
    Client,
    bind_device_key,
    sealed_case,
)
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_live_session import WAGES

pytestmark = pytest.mark.browser

WEB = REPO / "web" / "js"

# test_confirmation's server (localhost, an administrator) and its organisations and staff serve here too.
server = confirmation.server
accounts = confirmation.accounts

#: Words a Chinese page may use as they are: names of formats, devices and standards people know.
ALLOWED = {
    "pdf", "id", "sms", "png", "jpeg", "jpg", "mb", "kb", "gb", "wi-fi", "wifi", "qr", "url", "ios", "android",
    "wechat", "chrome", "safari", "webm", "mp4", "ca", "https", "ctrl", "shift", "ok", "ics", "excel", "csv", "xlsx",
}  # fmt: skip

#: Text that is data, not the page's words: a notification as it was sent (bilingual by design, in the
#: outbox), and what a page sets in <code> for someone to type or compare (an address, a setting's name).
QUOTED = ".msg-body, code"

#: What the pages collect, read as a person would: visible text, and what labels and hints say.
READ = (
    """() => {
  const QUOTED = '"""
    + QUOTED
    + """';
  const skip = (el) => el.closest(`[lang^="en"], script, style, noscript, template, ${QUOTED}`);
  const seen = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip(el) || !n.textContent.trim()) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    seen.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
    if (skip(el)) continue;
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) if (el.getAttribute(a)) seen.push(el.getAttribute(a));
  }
  seen.push(document.title);
  return seen.join('\\n');
}"""
)

DATA_PATTERNS = [
    re.compile(r"https?://\S+"),
    re.compile(r"\S+@\S+\.\S+"),
    re.compile(r"/v/\S+"),
    re.compile(r"\b[A-Z][A-Za-z]+(?:/[A-Za-z0-9_+-]+)+"),  # an IANA time zone's name: a standard identifier
]
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.'’-]*")


def english_words(text: str, data: set[str]) -> list[str]:
    """The English words of ``text`` that are neither data nor allowed terms."""
    for pattern in DATA_PATTERNS:
        text = pattern.sub(" ", text)
    for item in sorted(data, key=len, reverse=True):
        text = text.replace(item, " ")
    found = []
    for raw in WORD.findall(text):
        token = raw.strip(".'’-_")
        if not token or any(c.isdigit() for c in token) or not re.search(r"[A-Za-z]", token):
            continue  # numbers, case numbers, codes, hashes and key ids are data
        if token.lower() in ALLOWED or all(part.lower() in ALLOWED for part in re.split(r"[.\-]", token) if part):
            continue
        found.append(token)
    return found


class Sweep:
    """Collects, page by page, the English words a Chinese reader would meet."""

    def __init__(self, artifacts: Path, data: set[str]) -> None:
        self.artifacts = artifacts
        self.data = data
        self.found: dict[str, list[str]] = {}
        self.pages: list[str] = []

    def __call__(self, page: Any, name: str) -> None:
        settle(page)
        assert page.evaluate("document.documentElement.lang") == "zh-CN", name
        text = page.evaluate(READ)
        (self.artifacts / f"zh-sweep-{name}.txt").write_text(text)
        words = english_words(text, self.data)
        self.pages.append(name)
        if words:
            self.found[name] = sorted(set(words))
        keep_screenshot(page, self.artifacts / f"zh-sweep-{name}.jpg")

    def check(self) -> None:
        report = "\n".join(f"  {page}: {', '.join(words)}" for page, words in self.found.items())
        assert not self.found, f"English words on Chinese pages (of {len(self.pages)} swept):\n{report}"


def settle(page: Any) -> None:
    """Nothing loading any more: no spinner line, no busy form, no toast in front."""
    page.wait_for_function(
        "() => !document.querySelector('.loading, [aria-busy=\"true\"]') && document.querySelector('main, .link-error')"
        " && !document.querySelector('.toast')",
        timeout=20_000,
    )


def sign_application(server: Server, party: Client, key: DeviceKey, party_id: str, prepared: dict[str, Any], since: int) -> None:
    _, code = latest_code(server, party_id, newer_than=since)
    party.post(
        f"/party/confirmation/sign/{prepared['challenge']}",
        {"code": code, "signature": key.sign(unb64(prepared["statement"]))["sig"]},
    )


def staff_key(staff: Client, case_id: str, who: str) -> DeviceKey:
    """A staff member's device key, registered and bound to the case (as the pages make one)."""
    key = DeviceKey.generate({"kind": "staff", "id": who})
    staff.post("/me/keys/device", {"spki": b64(key.info.spki)})
    binding = staff.post(f"/cases/{case_id}/keys/{key.info.id}/bind")
    staff.post(f"/signatures/{binding['challenge']}", {"signature": key.sign(unb64(binding["statement"]))["sig"]})
    return key


def test_every_page_of_every_role_is_chinese_in_chinese_mode(
    browser: Any, server: Server, accounts: None, artifacts: Path
) -> None:
    sealed = sealed_case(browser, server, "（2026）京朝调字第818号", ("13800000081", "13800000082"), 9, recorded=True)
    a_link, b_link = sealed.links["applicant"], sealed.links["respondent"]
    # Data the sweep meets: usernames, a command's name, a verification code typed into the address.
    sweep = Sweep(artifacts, {ADMIN, MEDIATOR, JUDGE, "wang", "mediate verify", "ZZZZ-ZZZZ"})

    def party_page(url: str, name: str, step: str, viewport: dict[str, int] = PHONE) -> Any:
        context = new_context(browser, server, viewport=viewport)
        page = context.new_page()
        page.goto(url)
        page.wait_for_url(re.compile(r"/party(\?|$)"))
        page.locator(f'[data-testid="now-card"][data-step="{step}"]').wait_for()
        sweep(page, name)
        return context, page

    # --- anonymous and administrator -------------------------------------------------------------
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto("/login")
    page.locator("#login-username").wait_for()
    sweep(page, "login")
    page.get_by_role("button", name="登录").click()  # empty: the page's own messages
    sweep(page, "login-empty")
    page.locator("#login-username").fill(ADMIN)
    page.locator("#login-password").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    page.locator(".form-message").filter(has_text="用户名或密码").wait_for()
    sweep(page, "login-wrong")
    log_in_as(page, ADMIN, PASSWORD, r"/admin$")
    page.get_by_text(COURT).first.wait_for()
    # This server's links are built from a loopback address: the administrator is told, and how to fix it.
    warning = page.get_by_test_id("server-address").get_by_test_id("address-warning")
    warning.wait_for()
    assert "当事人在自己的手机上打不开" in warning.inner_text() and "MEDIATE_PUBLIC_URL=" in warning.inner_text()
    assert page.get_by_test_id("public-url").inner_text().startswith("http://localhost:")
    sweep(page, "admin")
    context.close()

    # --- the mediator ------------------------------------------------------------------------------
    context = new_context(browser, server)
    page = context.new_page()
    log_in_as(page, MEDIATOR, PASSWORD, r"/mediator$")
    page.goto("/mediator#availability")
    page.locator("#availability-details[open]").wait_for()
    sweep(page, "mediator")
    page.goto(f"/cases/{sealed.case_id}")
    page.get_by_test_id("party-list").wait_for()
    sweep(page, "case-sealed")

    fresh = book_through_api(browser, server, "ZS", 9, day=session_day(later=8), dispute=WAGES)
    page.goto(f"/cases/{fresh.case_id}")
    page.get_by_test_id("session-card").first.wait_for()
    sweep(page, "case")
    # A booking outside the hours: said in Chinese, naming the mediator, with the way to change them.
    page.locator("#bk-date").fill(session_day(later=8).isoformat())
    page.locator("#bk-time").fill("20:00")
    page.get_by_role("button", name="预约调解").click()
    refusal = page.locator("#book-form .form-message")
    refusal.filter(has_text="刘调解员").wait_for()
    assert "不在刘调解员的可预约时间内（北京时间）" in refusal.inner_text() and "调解员页面修改可预约时间" in refusal.inner_text()
    link = page.locator("#book-form").get_by_test_id("availability-link")
    assert link.inner_text() == "修改可预约时间" and link.get_attribute("href") == "/mediator#availability"
    sweep(page, "case-outside-hours")

    # The party waits; the mediator's live room shows them.
    p_context = new_context(browser, server, viewport=PHONE)
    party = p_context.new_page()
    p_errors = PageErrors(party)
    party.goto(next(x["url"] for x in fresh.links if x["role"] == "applicant"))
    party.locator('[data-testid="now-card"][data-step="join_before"]').wait_for()
    sweep(party, "party-before")
    party.get_by_test_id("join-live").click()
    party.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    sweep(party, "party-device-check")
    party.get_by_test_id("device-continue").click()
    party.get_by_test_id("waiting-room").wait_for()
    sweep(party, "party-waiting-room")
    page.goto(f"/live/{fresh.session_id}")
    page.get_by_test_id("waiting-list").get_by_text("张三").wait_for()
    sweep(page, "live-mediator")
    page.get_by_test_id("end-session").click()
    page.locator("dialog").get_by_role("button", name="结束调解").click()
    party.get_by_test_id("live-ended").wait_for()
    sweep(party, "party-live-ended")
    party.get_by_test_id("live-next").click()
    party.locator('[data-testid="now-card"][data-step="session_over"]').wait_for()
    sweep(party, "party-session-over")
    p_errors.check()
    p_context.close()

    # The mediator finalises the agreement of that case: the party is asked to sign, and reads it.
    liu = Client(browser, server).login(MEDIATOR)
    base = f"/cases/{fresh.case_id}/agreement"
    liu.post(base, {"session_id": fresh.session_id})
    liu.post(f"{base}/versions", {"content": TERMS, "based_on": 1})
    deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3 * 86400))
    liu.post(f"{base}/final", {"version": 2, "deadline": deadline}, expect=200)
    s_context, signer = party_page(next(x["url"] for x in fresh.links if x["role"] == "respondent"), "party-sign", "sign")
    signer.get_by_test_id("now-open-agreement").click()
    signer.get_by_test_id("agr-sign-text").wait_for()
    sweep(signer, "party-agreement-reading")
    s_context.close()
    page.goto(f"/cases/{fresh.case_id}")
    page.get_by_test_id("party-list").wait_for()
    sweep(page, "case-agreement-final")

    # A justice bureau's supervisor: the board, an instruction issued there, and the case as they read it.
    cli("org", "add", "--name", "朝阳区司法局", "--kind", "bureau", data_dir=server.data_dir)
    cli("org", "set", "--org", COMMITTEE, "--parent", "朝阳区司法局", data_dir=server.data_dir)
    cli("user", "add", "--username", "zh-supervisor", "--password", PASSWORD, "--role", "supervisor", "--org", "朝阳区司法局",
        "--display-name", "孟督导员", data_dir=server.data_dir)  # fmt: skip
    v_context = new_context(browser, server)
    supervisor = v_context.new_page()
    log_in_as(supervisor, "zh-supervisor", PASSWORD, r"/supervision$")
    card = supervisor.locator(f'[data-testid="sup-case"][data-case-id="{fresh.case_id}"]')
    card.get_by_test_id("sup-unfold").click()
    card.get_by_test_id("sup-issue-submit").click()  # empty: the form's own message
    card.locator(".field-error").first.wait_for()
    sweep(supervisor, "supervision-empty-instruction")
    card.get_by_test_id("sup-issue-text").fill("请报告进展")
    card.get_by_test_id("sup-issue-submit").click()
    card.get_by_test_id("sup-state").filter(has_text="待回复").wait_for()
    sweep(supervisor, "supervision")
    supervisor.goto(f"/cases/{fresh.case_id}")
    supervisor.get_by_test_id("case-supervisor").wait_for()
    supervisor.get_by_test_id("sup-item").first.wait_for()
    supervisor.get_by_test_id("agr-signer").first.wait_for()  # the final agreement, as a supervisor reads it
    sweep(supervisor, "case-supervisor")
    # The ledger and the statistics of the subtree (#23), a figure's ledger among them.
    supervisor.goto("/statistics?subtree=true")
    supervisor.locator('[data-testid="st-chart-trend"][data-state="ready"]').wait_for()
    sweep(supervisor, "statistics")
    supervisor.locator('[data-testid="st-total"][data-figure="mediated"] [data-testid="st-figure-link"]').click()
    supervisor.get_by_test_id("ledger-figure").wait_for()
    supervisor.get_by_test_id("ledger-table").wait_for()
    sweep(supervisor, "ledger-figure")
    v_context.close()
    page.goto(f"/cases/{fresh.case_id}")
    page.get_by_test_id("sup-reply-form").wait_for()
    sweep(page, "case-supervision-reply")

    # A mediation that failed: the party is told the other routes.
    failed = book_through_api(browser, server, "ZF", 11, day=session_day(later=8), dispute=WAGES)
    liu.post(f"/cases/{failed.case_id}/outcome", {"outcome": "failed", "reason": "divergence"}, expect=200)
    f_context, _ = party_page(failed.links[0]["url"], "party-mediation-failed", "mediation_failed")
    f_context.close()

    # A recorded session's review.
    page.goto(f"/review/{sealed.session_id}")
    page.get_by_test_id("review-player").wait_for()
    sweep(page, "review")

    # --- the sealed case on the party's side, step by step to the ruling --------------------------------
    a_context, applicant = party_page(a_link["url"], "party-apply", "apply")
    applicant.get_by_test_id("confirmation-card").wait_for()
    a = Client(browser, server).open_link(a_link["url"])
    a_key, a_code = bind_device_key(server, a, a_link["party_id"])
    courts = a.get("/party/confirmation")["courts"]
    court_id = next(c["id"] for c in courts if c["name"] == COURT)
    started = a.post("/party/confirmation", {"court_id": court_id, "ground": "org_location"})
    sign_application(server, a, a_key, a_link["party_id"], started["sign"], a_code)
    b_context, _ = party_page(b_link["url"], "party-cosign", "cosign")
    applicant.reload()
    applicant.locator('[data-testid="now-card"][data-step="cosign_wait"]').wait_for()
    sweep(applicant, "party-cosign-wait")
    b = Client(browser, server).open_link(b_link["url"])
    b_key, b_code = bind_device_key(server, b, b_link["party_id"])
    prepared = b.post("/party/confirmation/sign", {})
    application = b.get("/party/confirmation")["application"]
    sign_application(server, b, b_key, b_link["party_id"], prepared, b_code)
    applicant.reload()
    applicant.locator('[data-testid="now-card"][data-step="with_court"]').wait_for()
    sweep(applicant, "party-with-court")

    # --- the court -------------------------------------------------------------------------------------
    judge = Client(browser, server).login(JUDGE)
    app_path = f"/court/applications/{application['id']}"
    j_context = new_context(browser, server)
    court = j_context.new_page()
    log_in_as(court, JUDGE, PASSWORD, r"/court$")
    court.get_by_test_id("court-app-row").first.wait_for()
    sweep(court, "court-inbox")
    court.goto(app_path)
    court.get_by_test_id("court-agreement-text").wait_for()
    sweep(court, "court-application-received")
    judge.post(f"{app_path}/status", {"status": "accepted"}, expect=200)
    hearing = (datetime_in(days=2)).isoformat()
    judge.post(f"{app_path}/hearing", {"starts_at": hearing, "duration_minutes": 30, "timezone": "Asia/Shanghai"})
    applicant.reload()
    applicant.locator('[data-testid="now-card"][data-step="hearing"]').wait_for()
    sweep(applicant, "party-hearing")
    court.reload()
    court.get_by_test_id("court-hearing-box").wait_for()
    sweep(court, "court-application-hearing")
    key = staff_key(judge, sealed.case_id, JUDGE)
    decided = judge.post(
        f"{app_path}/decision",
        {"decision": "confirmed", "reasons": "协议系双方真实意思表示，内容不违反法律规定。", "key_id": key.info.id},
    )
    judge.post(f"/signatures/{decided['challenge']}", {"signature": key.sign(unb64(decided["statement"]))["sig"]})
    applicant.reload()
    applicant.locator('[data-testid="now-card"][data-step="ruling"]').wait_for(timeout=30_000)
    sweep(applicant, "party-ruling")
    court.reload()
    court.get_by_test_id("court-agreement-text").wait_for()
    sweep(court, "court-application-decided")
    page.goto(f"/cases/{sealed.case_id}")
    page.get_by_test_id("party-list").wait_for()
    sweep(page, "case-confirmed")

    # --- the verification page and dead links ----------------------------------------------------------
    code = liu.get(f"/cases/{sealed.case_id}/agreement")["agreement"]["verify_code"]
    sweep.data.add(code)  # the code itself is data (letters only, at random, in about one case in ten)
    page.goto(f"/v/{code}")
    page.get_by_test_id("verify-status").filter(has_text="这份调解协议已签名盖章").wait_for()
    sweep(page, "verify")
    page.goto("/v/ZZZZ-ZZZZ")
    page.get_by_test_id("verify-not-found").wait_for()
    sweep(page, "verify-not-found")
    page.goto("/j/" + "x" * 43)
    page.locator(".link-error").wait_for()
    sweep(page, "link-unknown")
    cancelled = book_through_api(browser, server, "ZC", 13, day=session_day(later=8), dispute=WAGES)
    liu.post(f"/sessions/{cancelled.session_id}/cancel", {"reason": "当事人另有安排"}, expect=200)
    page.goto(cancelled.links[0]["url"])
    page.locator(".link-error").filter(has_text="调解已取消").wait_for()
    assert "您的调解员：刘调解员" in page.locator(".link-error").inner_text()
    sweep(page, "link-cancelled")

    for client in (liu, a, b, judge):
        client.close()
    for ctx in (a_context, b_context, j_context, context):
        ctx.close()
    errors.check()
    sweep.check()


def datetime_in(days: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


# -- the dictionaries -------------------------------------------------------------------------------

ENTRY = re.compile(r"'((?:[^'\\]|\\.)+)'\s*:\s*'((?:[^'\\]|\\.)*)'\s*[,}\n]")
KEY = re.compile(r"'((?:[^'\\]|\\.)+)'\s*:")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def blocks(source: str, lang: str) -> list[str]:
    """The bodies of ``const <lang> = {…};`` (the *i18n*.js files) and ``Object.assign(dictionaries.<lang>, {…});``
    (strings a page keeps with itself)."""
    out = []
    for start in re.finditer(rf"^const {lang} = {{\n", source, re.M):
        out.append(source[start.end() : source.index("\n};", start.end())])
    for start in re.finditer(rf"Object\.assign\(dictionaries\.{lang}, {{", source):
        out.append(source[start.end() : source.index("});", start.end())])
    return out


def dictionaries() -> dict[str, dict[str, dict[str, str | None]]]:
    """Per file, the zh and en strings it defines: key → text (None where the text is not one plain string)."""
    out: dict[str, dict[str, dict[str, str | None]]] = {}
    for path in sorted(WEB.rglob("*.js")):
        source = path.read_text()
        found = {lang: blocks(source, lang) for lang in ("zh", "en")}
        if not found["zh"] and not found["en"]:
            assert "i18n" not in path.name, f"{path.name} defines no strings"
            continue
        out[path.relative_to(WEB).as_posix()] = {}
        for lang, bodies in found.items():
            keys: dict[str, str | None] = {}
            for body in bodies:
                keys.update(dict.fromkeys(KEY.findall(body)))
                keys.update(dict(ENTRY.findall(body)))
            out[path.relative_to(WEB).as_posix()][lang] = keys
    assert {"i18n.js", "live-i18n.js", "errors-i18n.js"} <= set(out), sorted(out)
    return out


def test_every_string_exists_in_chinese_and_english_with_the_same_placeholders() -> None:
    problems = []
    union: dict[str, set[str]] = {"zh": set(), "en": set()}
    for name, langs in dictionaries().items():
        zh, en = langs["zh"], langs["en"]
        union["zh"] |= set(zh)
        union["en"] |= set(en)
        problems += [f"{name}: {k} has no English" for k in sorted(set(zh) - set(en))]
        problems += [f"{name}: {k} has no Chinese" for k in sorted(set(en) - set(zh))]
        for key in sorted(set(zh) & set(en)):
            z, e = zh[key], en[key]
            if z is not None and e is not None and set(PLACEHOLDER.findall(z)) != set(PLACEHOLDER.findall(e)):
                problems.append(
                    f"{name}: {key} fills {sorted(PLACEHOLDER.findall(z))} in Chinese, {sorted(PLACEHOLDER.findall(e))} in English"
                )
            bare = PLACEHOLDER.sub("", z or "")
            if (
                re.search(r"[A-Za-z]", bare)
                and not re.search(r"[\u3000-\u9fff\uff00-\uffef]", bare)
                and key not in LATIN_IN_CHINESE
            ):
                problems.append(f"{name}: {key} is not Chinese: {z!r}")
    assert not problems, "\n".join(problems)


#: Chinese strings that are rightly all Latin (a size, a file type, the switch to English).
LATIN_IN_CHINESE = {"lang.switch", "lang.switch.label"}


def test_every_key_the_pages_ask_for_exists_in_both_languages() -> None:
    known: dict[str, set[str]] = {"zh": set(), "en": set()}
    for langs in dictionaries().values():
        for lang in ("zh", "en"):
            known[lang] |= set(langs[lang])
    asked = set()
    for path in WEB.rglob("*.js"):
        for key in re.findall(r"\bt\(\s*'([A-Za-z0-9_.]+)'", path.read_text()):
            asked.add((path.relative_to(WEB).as_posix(), key))
    missing = sorted(f"{file}: {key} ({', '.join(lang for lang in ('zh', 'en') if key not in known[lang])})"
                     for file, key in asked if key not in known["zh"] or key not in known["en"])  # fmt: skip
    assert not missing, "keys asked for but not defined:\n" + "\n".join(missing)
