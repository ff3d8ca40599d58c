"""The statistics page and the ledger in Chromium (#23): what a clerk and a justice bureau's supervisor see.

A bureau with two committees below it, each with a mediator, and seven cases registered over two
months (through the administrator's and the mediators' API, not the pages): two ended without
agreement. The bureau's supervisor opens the statistics for the subtree under the page's
Content-Security-Policy: the four charts are drawn (their canvases carry ink), the totals and the
groups' tables are the API's figures, the "ended without agreement" figure opens the ledger on
exactly those cases, and the downloaded spreadsheet holds the same numbers. A committee's mediator
filters, searches and pages the ledger, and on a phone (390×844) nothing but the ledger's table is
wider than the screen, which scrolls sideways in its own box. Both pages pass axe-core; printed, the
statistics keep their tables and lose their controls.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from server.domain.statistics.audit import verify_snapshot
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Server, cli, keep_screenshot
from tests.browser.test_booking_flow import PageErrors, log_in_as, new_context
from tests.browser.test_csp import Probe

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "st-admin", "Stats-Pages-Pass-9"
BUREAU, NORTH, SOUTH = "达茂旗司法局", "百灵庙镇人民调解委员会", "石宝镇人民调解委员会"

#: How many of a canvas's pixels are not blank: the chart was drawn.
INK = """(testid) => {
  const canvas = document.querySelector(`[data-testid="${testid}"] canvas`);
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] !== 0 && (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250)) inked += 1;
  return inked;
}"""
#: Whatever is wider than the screen, except inside the ledger's scrolling box.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) out.push(`page ${document.documentElement.scrollWidth}`);
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.st-table-wrap')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) out.push(`${el.tagName}.${el.className} ${Math.round(box.right)}`);
  }
  return out;
}"""


class Api:
    """A logged-in account's JSON API (the request context shares the page's cookies)."""

    def __init__(self, context: Any, username: str, password: str = PASSWORD) -> None:
        self.req = context.request
        res = self.req.post("/api/v1/auth/login", data={"username": username, "password": password})
        assert res.status == 200, res.text()
        self.headers = {"X-CSRF-Token": res.json()["csrf_token"]}

    def post(self, path: str, body: dict[str, Any], expect: int = 201) -> Any:
        res = self.req.post(f"/api/v1{path}", data=body, headers=self.headers)
        assert res.status == expect, f"POST {path}: {res.status} {res.text()}"
        return res.json()

    def get(self, path: str) -> Any:
        res = self.req.get(f"/api/v1{path}")
        assert res.status == 200, f"GET {path}: {res.status} {res.text()}"
        return res.json()


def world(browser: Any, server: Server, today: date) -> dict[str, Any]:
    """The bureau, its two committees and their mediators, the supervisor, and the seven cases."""
    cli("user", "add", "--username", ADMIN, "--password", PASSWORD, "--role", "admin", data_dir=server.data_dir)
    context = browser.new_context(base_url=server.base_url)
    admin = Api(context, ADMIN)
    bureau = admin.post("/organisations", {"name": BUREAU, "kind": "bureau"})
    north = admin.post("/organisations", {"name": NORTH, "kind": "committee", "parent_id": bureau["id"]})
    south = admin.post("/organisations", {"name": SOUTH, "kind": "committee", "parent_id": bureau["id"]})
    for username, name, role, org in (
        ("st-north", "高调解员", "mediator", north), ("st-south", "任调解员", "mediator", south),
        ("st-sup", "乔督导员", "supervisor", bureau),
    ):  # fmt: skip
        admin.post(
            "/users",
            {"username": username, "display_name": name, "password": PASSWORD, "role": role, "organisation_id": org["id"]},
        )
    context.close()
    earlier = today - timedelta(days=35)
    cases = [  # (mediator, number, type, registered, amount, applicant, ended)
        ("st-north", "（2026）百调字第1号", "wages", earlier, "8000.00", "包文涛", True),
        ("st-north", "（2026）百调字第2号", "wages", earlier, "12000.00", "格日乐", False),
        ("st-north", "（2026）百调字第3号", "family", today, None, "苏日娜", False),
        ("st-north", "（2026）百调字第4号", "neighbours", today, "300.00", "巴图", True),
        ("st-north", "（2026）百调字第5号", "wages", today, "5000.50", "其其格", False),
        ("st-south", "（2026）石调字第1号", "contract", earlier, "20000.00", "乌兰", False),
        ("st-south", "（2026）石调字第2号", "wages", today, "6600.00", "阿拉坦", False),
    ]
    ids: dict[str, str] = {}
    for username in ("st-north", "st-south"):
        ctx = browser.new_context(base_url=server.base_url)
        mediator = Api(ctx, username)
        for who, number, kind, registered, amount, applicant, ended in cases:
            if who != username:
                continue
            body = {
                "case_number": number, "dispute_type": kind, "source": "party_application", "summary": "纠纷", "registered_on": registered.isoformat(),
                "applicants": [{"name": applicant, "phone": "13800000021"}], "respondents": [{"name": "某公司", "phone": "13800000022"}],
            }  # fmt: skip
            if amount:
                body["amount_in_dispute"] = amount
            case = mediator.post("/cases", body)
            ids[number] = case["id"]
            if ended:
                mediator.post(f"/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "divergence"}, expect=200)
        ctx.close()
    return {
        "bureau": bureau, "north": north, "south": south, "ids": ids, "from": (today - timedelta(days=59)).isoformat(),
        "month": earlier.strftime("%Y-%m"),  # the month of the earlier cases (35 days ago): ended
    }  # fmt: skip


def shown_totals(page: Any) -> dict[str, str]:
    rows = page.get_by_test_id("st-total")
    return {
        rows.nth(i).get_attribute("data-figure"): rows.nth(i).get_by_test_id("st-total-value").inner_text()
        for i in range(rows.count())
    }


def test_the_statistics_and_the_ledger_show_the_apis_figures_and_cases(browser: Any, server: Server, artifacts: Path) -> None:
    today = date.today()
    w = world(browser, server, today)
    cli("snapshot", "take", "--org", w["north"]["id"], "--month", w["month"], data_dir=server.data_dir)
    period = f"from={w['from']}&to={today.isoformat()}"

    # --- the supervisor's statistics of the subtree, under the page's Content-Security-Policy ---------------
    context = new_context(browser, server, bypass_csp=False, accept_downloads=True)
    probe = Probe(context)
    page = context.new_page()
    errors = PageErrors(page)
    log_in_as(page, "st-sup", PASSWORD, r"/supervision$")
    page.get_by_test_id("nav-statistics").click()
    page.wait_for_url(re.compile(r"/statistics\?subtree=true$"))
    page.get_by_test_id("st-preset").select_option("custom")
    for which, day in (("st-from", w["from"]), ("st-to", today.isoformat())):
        page.get_by_test_id(which).fill(day)
        page.get_by_test_id(which).dispatch_event("change")
    page.wait_for_url(re.compile(re.escape(f"to={today.isoformat()}")))
    page.get_by_test_id("st-totals").wait_for()
    answer = context.request.get(f"/api/v1/statistics?{period}&subtree=true")  # with the page's session
    assert answer.status == 200, answer.text()
    api = answer.json()
    page.locator('[data-testid="st-total"][data-figure="mediated"] [data-testid="st-total-value"]').filter(
        has_text="7"
    ).wait_for()
    assert api["totals"]["mediated"] == 7 and api["totals"]["failed"] == 2
    # Every total as the API has it, each beside what it counts.
    totals = shown_totals(page)
    assert list(totals) == list(api["definitions"])
    for key in api["cases"]:
        assert totals[key] == str(api["totals"][key]), key
    assert totals["success_rate"] == "0.0%" and totals["amount_fen"] == "¥51,900.50"
    means = page.locator('[data-testid="st-total"][data-figure="failed"] .st-means').inner_text()
    assert means == api["definitions"]["failed"]["means_zh"]
    # The groups' tables: by organisation, by type (the Ministry's order), by month.
    by_org = page.get_by_test_id("st-table-organisation").locator("tbody tr")
    assert [by_org.nth(i).locator("th").inner_text() for i in range(by_org.count())] == [
        g["name"] for g in api["groups"]["organisation"]
    ]
    mediated = page.locator('[data-testid="st-table-dispute_type"] td[data-column="mediated"]')
    assert mediated.all_inner_texts() == [str(g["mediated"]) for g in api["groups"]["dispute_type"]]
    assert page.get_by_test_id("st-table-month").locator("tbody tr").count() == len(api["groups"]["month"]) == 2
    places = page.get_by_test_id("st-table-places").locator("tbody td:nth-child(2)").all_inner_texts()
    assert places == [f"{g['success_rate'] * 100:.1f}%" for g in api["groups"]["organisation"]] == ["0.0%", "0.0%"]
    # The four charts are drawn: their canvases carry ink.
    for chart in ("st-chart-trend", "st-chart-types", "st-chart-organisations", "st-chart-places"):
        page.locator(f'[data-testid="{chart}"][data-state="ready"] canvas').wait_for()
        deadline = 100
        while page.evaluate(INK, chart) < 200 and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert page.evaluate(INK, chart) >= 200, f"{chart} is blank"

    keep_screenshot(page, artifacts / "statistics-supervisor.jpg")

    # The spreadsheet downloaded from the page has the same numbers.
    with page.expect_download() as downloading:
        page.get_by_test_id("st-download-xlsx").click()
    download = downloading.value
    assert download.suggested_filename == f"{BUREAU}（含下级组织）人民调解统计{w['from']}至{today.isoformat()}.xlsx"
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))  # the download is kept without a suffix
    sheet = {row[0]: row[1] for row in book["总计"].iter_rows(min_row=4, values_only=True)}
    assert (sheet["调解案件数"], sheet["调解不成数"], sheet["在调案件数"]) == (7, 2, 5)
    assert sheet["涉及金额（元）"] == 51900.5
    by_type = {row[0]: row[1] for row in book["按纠纷类型"].iter_rows(min_row=2, values_only=True)}
    assert by_type == {"婚姻家庭纠纷": 1, "邻里纠纷": 1, "合同纠纷": 1, "拖欠工资纠纷": 4}

    # The signed snapshot of 百灵庙镇's month before (taken as the hourly loop does at a month's end) is
    # listed, and its audit file downloads with the bundles of its cases and checks out offline.
    listed = page.locator(f'[data-testid="st-snapshot"][data-month="{w["month"]}"]')
    listed.filter(has_text=NORTH).filter(has_text="第1版").wait_for()
    assert listed.locator("td.num").inner_text() == "2"
    with page.expect_download() as fetched:
        listed.get_by_test_id("st-snapshot-export").click()
    audit_file = Path(fetched.value.path()).read_bytes()
    names = zipfile.ZipFile(io.BytesIO(audit_file)).namelist()
    assert "snapshot.json" in names and len([n for n in names if n.startswith("bundles/")]) == 2, names
    audited = verify_snapshot(audit_file)
    assert audited.ok and audited.organisation == NORTH and audited.month == w["month"], [
        f.sentence("zh") for f in audited.findings
    ]

    # A figure opens the ledger on exactly the cases behind it.
    page.locator('[data-testid="st-total"][data-figure="failed"] [data-testid="st-figure-link"]').click()
    page.wait_for_url(re.compile(r"/ledger\?.*figure=failed"))
    page.get_by_test_id("ledger-figure").filter(has_text="调解不成数").wait_for()
    page.get_by_test_id("ledger-count").filter(has_text="共 2 件案件").wait_for()
    rows = page.get_by_test_id("ledger-row")
    assert sorted(rows.nth(i).get_attribute("data-case-id") for i in range(rows.count())) == sorted(api["cases"]["failed"])
    # A group's count: the wages cases of 石宝镇 (by organisation), as the organisation's table links them.
    page.go_back()
    south = page.locator(f'[data-testid="st-table-organisation"] tr[data-key="{w["south"]["id"]}"] td[data-column="mediated"] a')
    south.click()
    page.get_by_test_id("ledger-count").filter(has_text="共 2 件案件").wait_for()
    assert sorted(page.locator('[data-testid="ledger-row"] th a').all_inner_texts()) == [
        "（2026）石调字第1号",
        "（2026）石调字第2号",
    ]
    errors.check()
    probe.check()
    context.close()

    # --- a committee's mediator: the ledger's filters, search and pages, then on a phone ---------------------
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in_as(page, "st-north", PASSWORD, r"/mediator$")
    page.get_by_test_id("nav-ledger").click()
    page.wait_for_url(re.compile(r"/ledger$"))
    page.get_by_test_id("ledger-count").filter(has_text="共 5 件案件").wait_for()
    page.get_by_test_id("ledger-dispute_type").select_option("wages")
    page.get_by_test_id("ledger-count").filter(has_text="共 3 件案件").wait_for()
    page.get_by_test_id("ledger-q").fill("格日乐")
    page.get_by_test_id("ledger-search").click()
    page.get_by_test_id("ledger-count").filter(has_text="共 1 件案件").wait_for()
    row = page.get_by_test_id("ledger-row")
    assert row.count() == 1 and row.locator('[data-column="applicants"]').inner_text() == "格日乐"
    assert row.locator('[data-column="amount_fen"]').inner_text() == "¥12,000.00"
    assert_accessible(page, "the ledger")
    # Pages of two, in case-number order, by the API's cursor.
    page.goto("/ledger?sort=case_number&order=asc&limit=2")
    page.get_by_test_id("ledger-count").filter(has_text="第 1–2 件").wait_for()
    seen = page.locator('[data-testid="ledger-row"] th a').all_inner_texts()
    page.get_by_test_id("ledger-next").click()
    page.get_by_test_id("ledger-count").filter(has_text="第 3–4 件").wait_for()
    seen += page.locator('[data-testid="ledger-row"] th a').all_inner_texts()
    page.get_by_test_id("ledger-next").click()
    page.get_by_test_id("ledger-count").filter(has_text="第 5–5 件").wait_for()
    seen += page.locator('[data-testid="ledger-row"] th a').all_inner_texts()
    assert seen == [f"（2026）百调字第{n}号" for n in range(1, 6)] and page.get_by_test_id("ledger-next").count() == 0
    # Each row opens its case.
    page.get_by_role("link", name="查看案件 （2026）百调字第5号").click()
    page.wait_for_url(re.compile(re.escape(f"/cases/{w['ids']['（2026）百调字第5号']}")))
    errors.check()
    context.close()

    # On a phone, in Chinese: only the ledger's table is wider than the screen, and it scrolls in its box.
    context = new_context(browser, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in_as(page, "st-north", PASSWORD, r"/mediator$")
    page.goto("/ledger")
    page.get_by_test_id("ledger-table").wait_for()
    assert page.evaluate(OVERFLOW) == []
    keep_screenshot(page, artifacts / "ledger-phone.jpg")
    box = page.get_by_test_id("ledger-scroll")
    assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    page.goto(f"/statistics?{period}")
    page.locator('[data-testid="st-chart-trend"][data-state="ready"]').wait_for()
    assert page.evaluate(OVERFLOW) == []
    # Each figure's definition reads under its name, whole, with no sideways scroll of its table.
    inline = page.locator('[data-testid="st-total"][data-figure="failed"] [data-testid="st-means-inline"]')
    assert inline.inner_text() == api["definitions"]["failed"]["means_zh"]
    assert page.get_by_test_id("st-totals").evaluate("(t) => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    keep_screenshot(page, artifacts / "statistics-phone.jpg")
    assert_accessible(page, "the statistics on a phone")
    # Printed: the figures and every chart's table, without the controls and the header.
    page.emulate_media(media="print")
    assert not page.get_by_test_id("st-download-xlsx").is_visible() and not page.locator(".site-header").is_visible()
    assert page.get_by_test_id("st-totals").is_visible() and page.get_by_test_id("st-table-places").is_visible()
    context.close()
