"""Every page keeps its Content-Security-Policy in Chromium, and uses the camera only where allowed (issue #19, item 6).

The policy is enforced by the browser as the server sends it; each page is driven until its
scripts have run: the login page (a wrong password), a dead link's page, the verification page,
the mediator's dashboard, case page and live room with a party admitted and their video playing,
the review page playing a recorded session, the administrator's page, the court's inbox, a supervisor's board
and a case page as they read it, the ledger and the statistics with their ECharts charts drawn, and the party's page from the link
through the device check and the waiting room into the room, and in the state where its modules
never arrived (the reload button, wired without an inline handler, reloads). Any
``securitypolicyviolation`` event, any console message about the policy or the Permissions-Policy,
and any uncaught error fails the test; so does a page served without a policy. The probe is
checked first: a script added inline to a page must be refused and reported.

Permissions-Policy as the browser reads it (``document.featurePolicy``): camera and microphone on
the party's page and the live room, screen sharing in the live room only, neither elsewhere.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, cli, session_day
from tests.browser.test_booking_flow import DESKTOP, PHONE, log_in, new_context
from tests.browser.test_live_session import WAGES
from tests.browser.test_review import VIDEOS, make_recording

pytestmark = pytest.mark.browser

ADMIN, JUDGE, PASSWORD = "csp-admin", "csp-judge", "Csp-Probe-Pass-9"

REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const v = { directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, disposition: e.disposition };
  window.__violations.push(v);
  window.__cspViolation(v);
}, true);
"""
#: The probe's own test: a script it adds inline, which the policy must refuse.
SELF_TEST = "window.__inline = 1"
POLICY_MESSAGE = re.compile(r"Content[- ]Security[- ]Policy|Permissions[- ]Policy|Refused to", re.I)
ALLOWS = "(feature) => document.featurePolicy ? document.featurePolicy.allowsFeature(feature) : null"


class Probe:
    """What breaks the policy in a browser context: violations, console messages about it, errors."""

    def __init__(self, context: Any) -> None:
        self.found: list[str] = []
        self.pages = 0
        context.expose_binding("__cspViolation", self._violation)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.found.append(f"uncaught error: {e.error}"))
        context.on("response", self._response)

    def _violation(self, source: dict[str, Any], v: dict[str, Any]) -> None:
        self.found.append(f"{source['frame'].url}: violation {v}")

    def _console(self, message: Any) -> None:
        if POLICY_MESSAGE.search(message.text):
            self.found.append(f"{message.page.url if message.page else '?'}: console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.request.resource_type != "document" or response.request.frame.parent_frame is not None:
            return
        self.pages += 1
        if "content-security-policy" not in response.headers:
            self.found.append(f"{response.url} ({response.status}): served without a Content-Security-Policy")

    def check(self) -> None:
        assert not self.found, "the pages break their policy:\n" + "\n".join(self.found)


def settled(page: Any) -> None:
    """The page has drawn itself: nothing loading, something to read."""
    page.locator("main, .link-error").first.wait_for(timeout=30_000)
    page.locator('.loading, #boot-loading, [aria-busy="true"]').first.wait_for(state="detached", timeout=30_000)


def until(page: Any, predicate: str, arg: Any = None, timeout_s: float = 60.0) -> None:
    """Wait until ``predicate`` (a JavaScript function) is true in ``page``.

    Not ``page.wait_for_function``: Playwright evaluates its expression with eval inside the page,
    which the policy under test refuses. ``page.evaluate`` goes through the DevTools protocol.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate, arg):
        assert time.monotonic() < deadline, f"not true within {timeout_s} s: {predicate}"
        page.wait_for_timeout(100)


def allows(page: Any, feature: str) -> bool | None:
    result: bool | None = page.evaluate(ALLOWS, feature)
    return result


def login_as(page: Any, username: str, password: str, lands: str) -> None:
    page.goto("/login")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(lands))


def accounts(browser: Any, server: Server) -> None:
    """An administrator (CLI), and through the administrator's API a court with a judge."""
    cli("user", "add", "--username", ADMIN, "--password", PASSWORD, "--role", "admin", data_dir=server.data_dir)
    context = browser.new_context(base_url=server.base_url)
    try:
        req = context.request
        res = req.post("/api/v1/auth/login", data={"username": ADMIN, "password": PASSWORD})
        assert res.status == 200, res.text()
        headers = {"X-CSRF-Token": res.json()["csrf_token"]}
        court = req.post(
            "/api/v1/organisations",
            data={"name": "朝阳区人民法院", "kind": "court", "region": "北京市朝阳区", "court_code": "京0105"},
            headers=headers,
        )
        assert court.status == 201, court.text()
        judge = {"username": JUDGE, "display_name": "陈法官", "password": PASSWORD, "role": "judge"}
        res = req.post("/api/v1/users", data={**judge, "organisation_id": court.json()["id"]}, headers=headers)
        assert res.status == 201, res.text()
    finally:
        context.close()


def test_every_page_of_every_role_runs_under_its_content_security_policy(browser: Any, server: Server) -> None:
    accounts(browser, server)
    booked = book_through_api(browser, server, "CS", 9, day=session_day(later=13), dispute=WAGES)
    link = next(x for x in booked.links if x["role"] == "applicant")

    # --- anonymous: the probe works, the login page, a dead link, the verification page ----------------
    context = new_context(browser, server, bypass_csp=False)
    probe = Probe(context)
    page = context.new_page()
    page.goto("/login")
    page.locator("#login-username").wait_for()
    assert probe.found == [] and page.evaluate("window.__violations.length") == 0, probe.found
    page.evaluate(
        "(code) => { const s = document.createElement('script'); s.textContent = code; document.head.append(s); }", SELF_TEST
    )
    assert page.evaluate("window.__inline") is None, "an inline script ran: the policy is not enforced"
    until(page, "() => window.__violations.some(v => v.directive === 'script-src-elem')")
    assert any("script-src-elem" in f for f in probe.found), f"the probe missed the violation: {probe.found}"
    probe.found.clear()
    page.locator("#login-username").fill(server.username)
    page.locator("#login-password").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    page.locator(".form-message").filter(has_text="用户名或密码").wait_for()
    assert allows(page, "camera") is False and allows(page, "microphone") is False
    page.goto("/j/" + "x" * 32)
    page.locator(".link-error").wait_for()
    page.goto("/v/ZZZZ-ZZZZ")
    page.get_by_test_id("verify-not-found").wait_for()
    page.goto("/no/such/page")
    context.close()
    probe.check()

    # --- the mediator's pages and the live room with the party in it ------------------------------------
    m_context = new_context(browser, server, viewport=DESKTOP, bypass_csp=False)
    m_probe = Probe(m_context)
    mediator = m_context.new_page()
    log_in(mediator, server)
    mediator.get_by_test_id("week-view").wait_for()
    settled(mediator)
    assert allows(mediator, "camera") is False and allows(mediator, "display-capture") is False
    mediator.goto(f"/cases/{booked.case_id}")
    mediator.get_by_test_id("session-card").first.wait_for()
    settled(mediator)
    mediator.goto(f"/live/{booked.session_id}")
    mediator.get_by_test_id("live-room").wait_for()
    assert [allows(mediator, f) for f in ("camera", "microphone", "display-capture")] == [True, True, True]

    p_context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=False)
    p_probe = Probe(p_context)
    party = p_context.new_page()
    party.goto(link["url"])
    party.wait_for_url(re.compile(r"/party(\?|$)"))
    party.get_by_test_id("countdown").wait_for()
    assert [allows(party, f) for f in ("camera", "microphone", "display-capture")] == [True, True, False]
    party.get_by_test_id("join-live").click()
    party.locator('[data-testid="camera-status"][data-status="ok"]').wait_for()
    party.get_by_test_id("device-continue").click()
    party.get_by_test_id("waiting-room").wait_for()
    waiting = mediator.get_by_test_id("waiting-list").locator(f'[data-participant-id="{link["party_id"]}"]')
    waiting.get_by_test_id("admit").click()
    party.get_by_test_id("live-room").wait_for()
    # Media flows both ways (the WebSocket, the peer connection and the videos all under the policy).
    frames = """(pid) => { const v = document.querySelector(`[data-testid="tile"][data-kind="video"][data-participant-id="${pid}"] video`);
      return v && v.srcObject ? v.getVideoPlaybackQuality().totalVideoFrames : -1; }"""
    until(party, f"(pid) => ({frames})(pid) > 0", server.mediator_id)
    until(mediator, f"(pid) => ({frames})(pid) > 0", link["party_id"])
    m_context.close()
    p_context.close()
    m_probe.check()
    p_probe.check()

    # --- a recorded session played back on the review page (media from this origin) --------------------
    recorded = book_through_api(browser, server, "CR", 11, day=session_day(later=13), dispute=WAGES)
    make_recording(server, recorded)
    r_context = new_context(browser, server, viewport=DESKTOP, bypass_csp=False)
    r_probe = Probe(r_context)
    review = r_context.new_page()
    log_in(review, server)
    review.goto(f"/review/{recorded.session_id}")
    review.get_by_test_id("review-player").wait_for()
    until(review, f"() => {VIDEOS}.length === 3 && {VIDEOS}.every(v => v.readyState >= 2)")
    review.get_by_test_id("review-play").click()
    until(review, f"() => {VIDEOS}.some(v => !v.paused && v.currentTime > 0.5)")
    r_context.close()
    r_probe.check()

    # --- a party page whose modules never arrived: its reload button works without inline script ---------
    l_context = new_context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=False)
    l_probe = Probe(l_context)
    l_context.route(re.compile(r"/static/js/pages/party\.js"), lambda route: route.abort())
    lost = l_context.new_page()
    lost.goto(link["url"])
    lost.get_by_test_id("load-failed-help").wait_for()
    l_context.unroute(re.compile(r"/static/js/pages/party\.js"))
    with lost.expect_navigation():
        lost.get_by_role("button", name=re.compile("重新加载")).click()
    lost.get_by_test_id("countdown").wait_for()
    l_context.close()
    l_probe.check()

    # --- the administrator and the court ------------------------------------------------------------------
    a_context = new_context(browser, server, bypass_csp=False)
    a_probe = Probe(a_context)
    admin = a_context.new_page()
    login_as(admin, ADMIN, PASSWORD, r"/admin$")
    # The court's row (other tests' organisations may come first, each row's parent list naming it in a hidden option).
    admin.get_by_text("朝阳区人民法院", exact=True).filter(visible=True).first.wait_for()
    settled(admin)
    assert allows(admin, "camera") is False
    a_context.close()
    a_probe.check()

    j_context = new_context(browser, server, bypass_csp=False)
    j_probe = Probe(j_context)
    court = j_context.new_page()
    login_as(court, JUDGE, PASSWORD, r"/court$")
    settled(court)
    assert allows(court, "camera") is False
    j_context.close()
    j_probe.check()

    # --- a justice bureau's supervisor: the board, and a case of the committee below (read only) ----------
    cli("org", "add", "--name", "朝阳区司法局", "--kind", "bureau", data_dir=server.data_dir)
    cli("org", "set", "--org", server.organisation_id, "--parent", "朝阳区司法局", data_dir=server.data_dir)
    cli(
        "user", "add", "--username", "csp-supervisor", "--password", PASSWORD, "--role", "supervisor", "--org", "朝阳区司法局",
        data_dir=server.data_dir,
    )  # fmt: skip
    s_context = new_context(browser, server, bypass_csp=False)
    s_probe = Probe(s_context)
    supervisor = s_context.new_page()
    login_as(supervisor, "csp-supervisor", PASSWORD, r"/supervision$")
    supervisor.locator(f'[data-testid="sup-case"][data-case-id="{booked.case_id}"]').wait_for()
    settled(supervisor)
    assert allows(supervisor, "camera") is False
    supervisor.goto(f"/cases/{booked.case_id}")
    supervisor.get_by_test_id("case-supervisor").wait_for()
    settled(supervisor)
    # The ledger and the statistics of the subtree (#23): ECharts draws on a canvas under the policy.
    supervisor.goto("/ledger?subtree=true")
    supervisor.get_by_test_id("ledger-table").wait_for()
    settled(supervisor)
    supervisor.goto("/statistics?subtree=true")
    for chart in ("st-chart-trend", "st-chart-types", "st-chart-organisations", "st-chart-places"):
        supervisor.locator(f'[data-testid="{chart}"][data-state="ready"] canvas').wait_for()
    settled(supervisor)
    s_context.close()
    s_probe.check()
    assert sum(p.pages for p in (probe, m_probe, p_probe, l_probe, r_probe, a_probe, j_probe, s_probe)) >= 19
