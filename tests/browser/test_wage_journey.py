"""The wage case from the window to the sealed agreement, in Chromium (issue #21).

A county's one-stop dispute centre (综治中心) registers at its window 72 migrant workers' unpaid
wages as one collective case against the construction company, and refers it to the labour
bureau's committee to lead, which accepts it, naming 高调解员; 高 asks the forestry bureau to assist
(the site was a forestry project) and the bureau accepts. 高 assigns his colleague 白调解员 as
co-mediator and invites a people's deputy (人民调解法 arts. 19, 20); in the live room each of them is
shown by name and role (主持调解员, 调解员, 受邀参与 · 人大代表). The centre's supervisor instructs on
the case from the board and 高 replies (督办). The agreement is signed by all 72 workers and the
company, then by 高, and sealed: the case page shows it in force.

What a person does is done in the browser: the registration form with the pasted list, the
referral sent and both referrals accepted on the dashboards, the co-mediator assigned and the
deputy invited on the case page, the live room, the instruction and the reply, one worker and the
company signing on their phones, the mediator signing and the sealed agreement on the case page.
The rest goes through the JSON API as in the API tests: booking the session, drafting the agreement
and, because clicking through 71 more phones proves nothing more, the other 71 workers binding a
device key and signing with the code texted to them (read from the server's outbox).

The session is booked 30 weekdays on (`session_day(later=30)`), a day no other module uses.

Run with: python -m pytest -n0 tests/browser/test_wage_journey.py -q
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.evidence.records import DeviceKey, b64, unb64
from tests.browser.conftest import Server, cli, last_line, session_day
from tests.browser.test_agreement import PHONE, confirm, draw_signature, read_to_the_end
from tests.browser.test_booking_flow import DESKTOP, PageErrors, log_in, new_context, open_party_page
from tests.browser.test_cohost import open_live
from tests.browser.test_evidence_ui import latest_code
from tests.browser.test_live_session import join_as_party
from tests.browser.test_referrals import api_as
from tests.browser.test_registration import workers

pytestmark = pytest.mark.browser

CENTRE = "乌兰县矛盾纠纷调处化解中心"
LABOUR = "乌兰县人社局劳动人事争议调解委员会"
FORESTRY = "乌兰县林业和草原局"
COMPANY = "某建筑劳务有限公司"
WINDOW, LEAD, CO, FOREST, SUPERVISOR = "wj-su", "wj-gao", "wj-bai", "wj-lin", "wj-han"
NAMES = {WINDOW: "苏窗口", LEAD: "高调解员", CO: "白调解员", FOREST: "林科长", SUPERVISOR: "韩督办"}
DEPUTY = "乌日娜代表"

CONTENT: dict[str, Any] = {
    "facts": "72名申请人在被申请人承建的林区道路工地务工，被申请人拖欠其2026年工资共计人民币216万元。",
    "terms": [
        {
            "text": "被申请人于2027年1月20日前向72名申请人支付拖欠工资共计人民币216万元，各人数额见附表。",
            "performance": "银行转账至各申请人账户",
            "due": "2027年1月20日前",
        },
        {"text": "申请人放弃其他请求。", "performance": "", "due": ""},
    ],
    "effect": "本协议经双方当事人签名、调解员签名并加盖调解组织印章后生效。",
    "copies": 3,
    "other": "",
}


def staff(server: Server, username: str, role: str, org: str) -> str:
    return last_line(
        cli(
            "user", "add", "--username", username, "--password", server.password, "--role", role,
            "--display-name", NAMES[username], "--org", org, data_dir=server.data_dir,
        )
    )  # fmt: skip


def logged_in(browser: Any, server: Server, username: str, lands: str = "mediator") -> tuple[Any, Any, PageErrors]:
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    if lands == "mediator":
        log_in(page, replace(server, username=username))
    else:
        page.goto("/login")
        page.locator("#login-username").fill(username)
        page.locator("#login-password").fill(server.password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(rf"/{lands}$"))
    return context, page, errors


def party_signs_by_api(browser: Any, server: Server, link: dict[str, Any]) -> None:
    """A worker opens their link, binds a device key with the texted code and signs version 2 with it."""
    party_id = link["party_id"]
    context = browser.new_context(base_url=server.base_url)
    try:
        req = context.request
        opened = req.get(link["url"])
        assert opened.ok, opened.status
        headers = {"X-CSRF-Token": req.get("/api/v1/auth/me").json()["csrf_token"]}

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            r = req.post(f"/api/v1{path}", data=body, headers=headers)
            assert r.status == 201, f"POST {path}: {r.status} {r.text()}"
            return dict(r.json())

        key = DeviceKey.generate({"kind": "party", "id": party_id})
        started = post("/party/keys/device", {"spki": b64(key.info.spki)})
        bind_id, code = latest_code(server, party_id)
        post(
            f"/party/keys/device/{started['challenge']}",
            {"code": code, "signature": key.sign(unb64(started["statement"]))["sig"]},
        )
        prepared = post("/party/agreement/sign", {"version": 2})
        _, code = latest_code(server, party_id, newer_than=bind_id)
        post(
            f"/party/agreement/sign/{prepared['challenge']}",
            {"code": code, "signature": key.sign(unb64(prepared["statement"]))["sig"]},
        )
    finally:
        context.close()


def party_signs_on_a_phone(browser: Any, server: Server, link: dict[str, Any]) -> None:
    """A party reads the final agreement on their phone, in Chinese, binds a device key and signs."""
    party_id = link["party_id"]
    context, page, errors = open_party_page(browser, server, link["url"], viewport=PHONE)
    card = page.get_by_test_id("agreement-card")
    card.filter(has_text="协议已定稿，请在").wait_for()
    card.get_by_test_id("agreement-open").filter(has_text="阅读并签署调解协议").click()
    view = page.get_by_test_id("party-agreement")
    view.get_by_test_id("agr-sign-text").filter(has_text="216万元").wait_for()
    read_to_the_end(page)
    view.get_by_test_id("agr-read-note").filter(has_text="您已读到最后").wait_for()
    draw_signature(page)
    view.get_by_test_id("sig-state").filter(has_text="已写好").wait_for()
    view.get_by_test_id("agr-sign").click()
    view.get_by_test_id("agr-key-first").wait_for()
    view.get_by_test_id("key-send").click()
    view.get_by_test_id("key-code").wait_for()
    bind_id, bind_code = latest_code(server, party_id)
    view.get_by_test_id("key-code").fill(bind_code)
    view.get_by_test_id("key-confirm").click()
    view.get_by_test_id("agr-sign-code").wait_for()
    _, sign_code = latest_code(server, party_id, newer_than=bind_id)
    view.get_by_test_id("agr-sign-code").fill(sign_code)
    view.get_by_test_id("agr-sign-confirm").click()
    view.get_by_test_id("agr-signed").filter(has_text="您已签名").wait_for()
    mine = view.get_by_test_id("agr-signers").locator(f'[data-signer-id="{party_id}"]')
    assert mine.get_attribute("data-signed") == "true"
    assert "本人设备密钥" in mine.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    errors.check()
    context.close()


def test_the_wage_case_of_72_workers_from_the_window_to_the_sealed_agreement(browser: Any, server: Server) -> None:
    started = time.monotonic()
    centre = last_line(cli("org", "add", "--name", CENTRE, "--kind", "centre", data_dir=server.data_dir))
    labour = last_line(cli("org", "add", "--name", LABOUR, "--kind", "committee", "--parent", centre, data_dir=server.data_dir))
    forestry = last_line(cli("org", "add", "--name", FORESTRY, "--kind", "bureau", "--parent", centre, data_dir=server.data_dir))
    staff(server, WINDOW, "mediator", centre)
    lead_id = staff(server, LEAD, "mediator", labour)
    co_id = staff(server, CO, "mediator", labour)
    staff(server, FOREST, "mediator", forestry)
    staff(server, SUPERVISOR, "supervisor", centre)
    lead_name, co_name = NAMES[LEAD], NAMES[CO]

    # --- registered at the centre's window: 72 workers, one collective case ------------------------
    w_context, window, w_errors = logged_in(browser, server, WINDOW)
    number = f"（2026）乌综调字第{int(time.time()) % 100000}号"
    window.locator("#nc-case_number").fill(number)
    window.locator("#nc-dispute_type").select_option("wages")
    window.locator("#nc-summary").fill("72名务工人员在被申请人承建的林区道路工地务工，被拖欠工资共计216万元。")
    window.locator("#nc-amount_in_dispute").fill("2160000")
    window.locator("#nc-collective").check()
    window.locator("#nc-applicant_lines").fill("\n".join(workers(72)))
    window.get_by_test_id("lines-count").filter(has_text="已填写 72 行").wait_for()
    window.locator("#nc-respondents-0-name").fill(COMPANY)
    window.locator("#nc-respondents-0-phone").fill("13900000000")
    window.get_by_role("button", name="登记并创建案件").click()
    window.wait_for_url(re.compile(r"/cases/[^/]+$"))
    case_id = window.url.rsplit("/", 1)[1]
    window.get_by_test_id("case-number").filter(has_text=number).wait_for()
    assert window.get_by_test_id("case-collective").inner_text() == "72 名申请人"
    assert "务工人员72" in window.get_by_test_id("party-list").inner_text()

    # … and referred to the labour bureau's committee to lead it.
    form = window.locator("#refer-form")
    form.get_by_label("移送给").select_option(label=LABOUR)
    form.get_by_label("方式").select_option("lead")
    form.get_by_label("移送理由").fill("属拖欠工资的劳动争议，由人社局劳动人事争议调解委员会主办")
    form.get_by_test_id("refer-submit").click()
    window.get_by_test_id("referral").filter(has_text=LABOUR).filter(has_text="等待对方决定").wait_for()

    # --- the committee's mediator accepts it on the dashboard, naming himself ------------------------
    l_context, lead, l_errors = logged_in(browser, server, LEAD)
    incoming = lead.get_by_test_id("incoming-referral").filter(has_text=number)
    incoming.get_by_label("承办调解员").select_option(label=lead_name)
    incoming.get_by_test_id("accept-referral").click()
    incoming.wait_for(state="detached")
    mine = lead.locator(".case-item").filter(has=lead.get_by_text(number, exact=True))
    assert mine.get_by_test_id("case-collective").inner_text() == "群体性纠纷 · 72 名申请人"
    lead.get_by_test_id("case-link").filter(has_text=number).click()
    lead.wait_for_url(re.compile(rf"/cases/{case_id}$"))

    # … asks the forestry bureau to assist, and the bureau accepts.
    form = lead.locator("#refer-form")
    form.get_by_label("移送给").select_option(label=FORESTRY)
    form.get_by_label("方式").select_option("assisting")
    form.get_by_label("移送理由").fill("工地为林区道路工程，需林草局协助")
    form.get_by_label("请对方做什么").fill("提供工程发包及工程款拨付情况")
    form.get_by_test_id("refer-submit").click()
    lead.locator('[data-testid="referral"][data-role="assisting"]').filter(has_text="等待对方决定").wait_for()
    f_context, forest, f_errors = logged_in(browser, server, FOREST)
    incoming = forest.get_by_test_id("incoming-referral").filter(has_text=number)
    assert "提供工程发包" in incoming.inner_text()
    incoming.get_by_test_id("accept-referral").click()
    incoming.wait_for(state="detached")
    f_context.close()
    lead.reload()
    lead.locator('[data-testid="referral"][data-role="assisting"]').filter(has_text=FORESTRY).filter(has_text="已接受").wait_for()
    lead_referral = lead.locator('[data-testid="referral"][data-role="lead"]').inner_text()
    assert f"{CENTRE} → {LABOUR}" in lead_referral and "已接受" in lead_referral and lead_name in lead_referral

    # --- 高 assigns 白 as co-mediator and invites a people's deputy, on the case page -----------------
    section = lead.locator("#mediators")
    assign = section.get_by_test_id("assign-form")
    assign.get_by_label("调解员", exact=True).select_option(label=co_name)
    assign.get_by_test_id("assign-submit").click()
    section.get_by_test_id("case-mediator").filter(has_text=co_name).filter(has_text="共同调解").wait_for()
    lead.locator("#ap-role").select_option("invited")
    lead.locator("#ap-invited_as").select_option("deputy")
    lead.locator("#ap-name").fill(DEPUTY)
    lead.locator("#ap-phone").fill("13700000099")
    lead.locator("#add-party-form button[type=submit]").click()
    listed = lead.get_by_test_id("party-list").locator("li").filter(has_text=DEPUTY)
    listed.locator(".badge").filter(has_text="受邀参与 · 人大代表").wait_for()

    # The session (booked through the API): a link for each of the 72 workers, the company and the deputy.
    api, as_lead = api_as(browser, server, LEAD)
    day = session_day(later=30)
    booked = as_lead(
        f"/cases/{case_id}/sessions",
        {"starts_at": f"{day.isoformat()}T10:00:00+08:00", "duration_minutes": 120, "timezone": "Asia/Shanghai"},
        201,
    )
    session_id, links = booked["session"]["id"], booked["links"]
    by_role: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        by_role.setdefault(link["role"], []).append(link)
    assert {role: len(some) for role, some in by_role.items()} == {"applicant": 72, "respondent": 1, "invited": 1}
    deputy_link = by_role["invited"][0]
    deputy_id = deputy_link["party_id"]

    # --- the live room: two mediators and the deputy, each shown by name and role -------------------
    h_context, host, h_errors = open_live(browser, server, LEAD, session_id)
    host.get_by_test_id("live-room").wait_for()
    c_context, co, c_errors = open_live(browser, server, CO, session_id)
    co.get_by_test_id("live-room").wait_for()
    d_context, deputy, d_errors = join_as_party(browser, server, deputy_link["url"], DESKTOP)
    deputy.get_by_test_id("waiting-room").filter(has_text=f"{lead_name}、{co_name}").wait_for()
    host.get_by_test_id("waiting-list").locator(f'[data-participant-id="{deputy_id}"]').get_by_test_id("admit").click()
    deputy.get_by_test_id("live-room").wait_for()
    for page in (host, co):
        person = page.locator(f'.people [data-participant-id="{deputy_id}"]')
        person.get_by_test_id("person-role").filter(has_text=re.compile(r"^受邀参与 · 人大代表$")).wait_for()
        assert DEPUTY in person.inner_text()
    for pid, caption in ((lead_id, f"{lead_name} · 主持调解员"), (co_id, f"{co_name} · 调解员")):
        tile = deputy.locator(f'[data-testid="tile"][data-participant-id="{pid}"] figcaption')
        tile.filter(has_text=re.compile(f"^{re.escape(caption)}$")).wait_for()
    co.locator(f'.people [data-participant-id="{lead_id}"]').get_by_test_id("person-role").filter(
        has_text=re.compile("^主持调解员$")
    ).wait_for()
    for errors in (h_errors, c_errors, d_errors):
        errors.check()
    for context in (d_context, c_context, h_context):
        context.close()

    # --- supervised: the centre's supervisor instructs from the board, 高 replies ---------------------
    s_context, board, s_errors = logged_in(browser, server, SUPERVISOR, lands="supervision")
    card = board.locator(f'[data-testid="sup-case"][data-case-id="{case_id}"]')
    assert card.get_by_test_id("sup-org").inner_text() == LABOUR
    assert card.get_by_test_id("sup-mediator").inner_text() == lead_name
    card.get_by_test_id("sup-unfold").click()
    card.get_by_test_id("sup-issue-text").fill("涉及72名务工人员，请于春节前组织调解并报告结果。")
    card.get_by_test_id("sup-issue-due").fill((day + timedelta(days=3)).isoformat())
    card.get_by_test_id("sup-issue-submit").click()
    card.get_by_test_id("sup-state").filter(has_text="1 条待回复").wait_for()
    lead.reload()
    item = lead.locator('#supervision [data-testid="sup-item"][data-awaiting="true"]')
    assert NAMES[SUPERVISOR] in item.inner_text() and CENTRE in item.inner_text()
    item.get_by_test_id("sup-reply-text").fill("已组织调解，林草局已提供工程款拨付情况，双方同意一次付清。")
    item.get_by_test_id("sup-reply-submit").click()
    lead.locator('#supervision [data-testid="sup-reply"]').filter(has_text="一次付清").wait_for()
    board.goto("/supervision")
    card.get_by_test_id("sup-state").filter(has_text="均已回复").wait_for()
    s_errors.check()
    s_context.close()

    # --- settled: the agreement drafted and made final (API), signed by 72 workers and the company ----
    base = f"/cases/{case_id}/agreement"
    as_lead(base, {"session_id": session_id}, 201)
    as_lead(f"{base}/versions", {"content": CONTENT, "based_on": 1}, 201)
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    as_lead(f"{base}/final", {"version": 2, "deadline": deadline}, 200)
    api.close()

    applicants = by_role["applicant"]
    party_signs_on_a_phone(browser, server, applicants[0])
    signing = time.monotonic()
    for link in applicants[1:]:
        party_signs_by_api(browser, server, link)
    print(f"71 workers signed through the API in {time.monotonic() - signing:.1f} s")
    party_signs_on_a_phone(browser, server, by_role["respondent"][0])

    # 高 signs on the case page with a key made on his device: the agreement is sealed and in force.
    lead.reload()
    panel = lead.get_by_test_id("agreement-panel")
    box = panel.get_by_test_id("agr-sign-box")
    box.filter(has_text="所有当事人都已签名").wait_for()
    assert panel.get_by_test_id("agr-signers").locator('[data-signed="true"]').count() == 73
    box.get_by_test_id("agr-no-key").wait_for()
    box.get_by_test_id("agr-key-register").click()
    box.get_by_test_id("agr-sign-message").filter(has_text="已在本设备创建并登记签名密钥").wait_for()
    box.get_by_test_id("agr-sign").click()
    confirm(lead, "签署调解协议")
    seal = panel.get_by_test_id("agr-seal")
    seal.filter(has_text="调解协议已生效（已盖章）").wait_for()
    assert "已生效" in panel.locator("#agreement-title").inner_text()
    signers = panel.get_by_test_id("agr-signers")
    assert signers.locator('[data-signed="true"]').count() == 74
    assert "务工人员72" in signers.inner_text() and COMPANY in signers.inner_text() and lead_name in signers.inner_text()
    assert DEPUTY not in signers.inner_text(), "an invited person does not sign the agreement"

    # The case's evidence log shows its whole path, each act a signed record.
    lead.reload()
    lead.locator('[data-testid="evidence-record"][data-type="agreement_sealed"]').wait_for()
    kinds = Counter(lead.get_by_test_id("evidence-record").evaluate_all("els => els.map((el) => el.dataset.type)"))
    path = {kind: kinds[kind] for kind in ("case_registered", "case_referred", "referral_accepted", "mediator_assigned")}
    assert path == {"case_registered": 1, "case_referred": 2, "referral_accepted": 2, "mediator_assigned": 2}, kinds
    assert (kinds["supervision_issued"], kinds["supervision_replied"]) == (1, 1), kinds
    # 72 workers, the company and the mediator: each bound a key and signed; each party was delivered a copy.
    assert (kinds["key_bound"], kinds["signature"], kinds["agreement_sealed"], kinds["delivery"]) == (74, 74, 1, 73), kinds

    for errors in (w_errors, l_errors, f_errors):
        errors.check()
    for context in (w_context, l_context):
        context.close()
    print(f"the wage journey took {time.monotonic() - started:.1f} s")
