"""Every figure opens the cases behind it, and the statistics and the ledger download as files (#23).

On test_statistics.py's known cases: 朝阳 has A (sealed, performed, closed), B (ended, closed) and D
(open); C was referred to 海淀. A figure's ledger lists exactly the cases its count names (the
statistics' ``cases``), by keyset pages and by offset, also inside a group (a type, a source, a
mediator, a month); the statistics' download is the same file ``mediate stats`` writes, named in
Chinese (RFC 6266 ``filename*``); the ledger's is what the ledger shows, with Chinese headings.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from urllib.parse import quote, unquote

from openpyxl import load_workbook

from server.domain.statistics.export import ledger_file, render
from server.domain.statistics.facts import CaseFacts
from server.domain.statistics.figures import COUNTS
from tests.api.test_statistics import PERIOD, known_cases, ledger, stats
from tests.conftest import World


async def ids_of(actor: Any, query: str) -> list[str]:
    """Every id the ledger lists for ``query``, following its ``next`` cursor a row at a time."""
    out: list[str] = []
    page = await ledger(actor, f"{query}&limit=1")
    total = page["total"]
    while True:
        out += [r["id"] for r in page["items"]]
        if page["next"] is None:
            break
        page = await ledger(actor, f"{query}&limit=1&cursor={page['next']}")
    assert len(out) == total
    return out


async def test_every_figure_opens_the_ledger_on_exactly_the_cases_behind_it(world: World) -> None:
    k = await known_cases(world)
    found = await stats(k.liu)
    for figure in COUNTS:
        listed = await ids_of(k.liu, f"{PERIOD}&figure={figure}&sort=case_number&order=asc")
        assert sorted(listed) == sorted(found["cases"][figure]), figure
        assert len(listed) == found["totals"][figure]
    # In order, by keyset pages and by offset alike: the closed cases are A then B.
    assert await ids_of(k.liu, f"{PERIOD}&figure=closed&sort=case_number&order=asc") == [k.a.case_id, k.b.case_id]
    second = await ledger(k.liu, f"{PERIOD}&figure=closed&sort=case_number&order=asc&limit=1&offset=1")
    assert [r["id"] for r in second["items"]] == [k.b.case_id] and second["total"] == 2
    # A group's figure: its filter and the figure together (a type, a source, the lead mediator, a month).
    wages = await ledger(k.liu, f"{PERIOD}&figure=successful&dispute_type=wages")
    assert [r["id"] for r in wages["items"]] == [k.a.case_id]
    police = await ledger(k.liu, f"{PERIOD}&figure=pending&source=police_transfer")
    assert [r["id"] for r in police["items"]] == [k.d]
    assert (await ledger(k.liu, f"{PERIOD}&figure=pending&source=party_application"))["total"] == 0
    mine = await ledger(k.liu, f"{PERIOD}&figure=mediated&mediator_id={world.ids['liu']}")
    assert mine["total"] == 3
    assert (await ledger(k.liu, f"{PERIOD}&figure=mediated&mediator_id={world.ids['zhao']}"))["total"] == 0
    # A supervisor's subtree: the referred case counts at 海淀, in the city's figure.
    city = await ledger(k.city_supervisor, f"{PERIOD}&subtree=true&figure=pending")
    assert sorted(r["id"] for r in city["items"]) == sorted([k.c, k.d])
    # B's outcome says its ground in both languages.
    b = (await ledger(k.liu, f"{PERIOD}&figure=failed"))["items"][0]
    assert b["outcome_reason_words"]["zh"] == "当事人自行和解，撤回调解申请"
    unknown = await ledger(k.liu, "figure=everything", expect=422)
    assert unknown["error"]["fields"][0]["field"] == "figure"


async def download(actor: Any, path: str) -> tuple[bytes, str, str]:
    response = await actor.request("GET", path)
    body = await response.read()
    assert response.status == 200, body[:300]
    return body, response.headers["Content-Type"], response.headers["Content-Disposition"]


async def test_the_statistics_download_is_the_file_mediate_stats_writes_named_in_chinese(world: World) -> None:
    k = await known_cases(world)
    found = await stats(k.liu)
    body, kind, disposition = await download(k.liu, f"/api/v1/statistics/export?{PERIOD}&format=xlsx")
    assert kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = "朝阳区人民调解委员会人民调解统计2020-01-01至2099-12-31.xlsx"
    assert disposition == (f"attachment; filename=\"statistics-2020-01-01-2099-12-31.xlsx\"; filename*=UTF-8''{quote(name)}")
    assert unquote(disposition.split("''", 1)[1]) == name
    book = load_workbook(io.BytesIO(body))
    totals = {row[0]: row[1] for row in book["总计"].iter_rows(min_row=4, values_only=True)}
    assert totals["调解案件数"] == found["totals"]["mediated"] == 3 and totals["调解成功数"] == 1
    assert totals["调解成功率（%）"] == 33.3
    text, kind, disposition = await download(k.liu, f"/api/v1/statistics/export?{PERIOD}&format=csv")
    assert kind == "text/csv; charset=utf-8" and disposition.endswith(".csv")
    assert text == render(found, "csv")  # the very file `mediate stats --format csv` writes
    city, _, disposition = await download(k.city_supervisor, f"/api/v1/statistics/export?{PERIOD}&format=csv&subtree=true")
    assert quote("乌兰市司法局（含下级组织）") in disposition and "调解案件数,4," in city.decode("utf-8")
    # The same rules as the page: 朝阳's mediator downloads nothing of 海淀's.
    refused = await k.liu.call("GET", f"/api/v1/statistics/export?{PERIOD}&organisation_id={world.org_b.id}", expect=403)
    assert refused["error"]["reason"] == "another_organisation"


async def test_the_ledger_download_is_what_the_ledger_shows_with_chinese_headings(world: World) -> None:
    k = await known_cases(world)
    body, _, disposition = await download(k.liu, "/api/v1/ledger/export?format=xlsx&sort=case_number&order=asc")
    assert quote("朝阳区人民调解委员会人民调解台账") in disposition and disposition.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(body))["人民调解台账"].iter_rows(values_only=True))
    assert rows[0][:4] == ("案号", "受理日期", "案件来源", "纠纷类型") and "涉及金额（元）" in rows[0]
    assert [r[0] for r in rows[1:]] == ["（2026）朝调字第1号", "（2026）朝调字第2号", "（2026）朝调字第4号"]
    a, b, d = (dict(zip(rows[0], r, strict=True)) for r in rows[1:])
    assert (a["申请人"], a["涉及金额（元）"], a["阶段"], a["调解协议"], a["履行情况"]) == (
        "张三",
        12000.5,
        "已结案",
        "已生效",
        "已履行完毕",
    )
    assert b["调解结果"] == "调解不成（当事人自行和解，撤回调解申请）"
    assert (d["案件来源"], d["纠纷类型"], d["阶段"]) == ("公安移交", "婚姻家庭纠纷", "调解中")
    # Filtered as shown: a figure, as CSV (UTF-8 with a byte-order mark for a spreadsheet opened by double click).
    text, kind, _ = await download(k.liu, f"/api/v1/ledger/export?{PERIOD}&format=csv&figure=closed&sort=case_number&order=asc")
    assert kind == "text/csv; charset=utf-8" and text.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert table[0][0] == "案号" and [r[0] for r in table[1:]] == ["（2026）朝调字第1号", "（2026）朝调字第2号"]


def test_a_download_shows_names_as_typed_never_as_formulas_or_control_characters() -> None:
    """A party called "=HYPERLINK(…)" is text in the spreadsheet, not a formula Excel runs (OWASP "CSV
    Injection"); a number pasted with a control character, which XLSX cannot hold, loses the character."""
    facts = CaseFacts(
        id="c1", case_number="（2026）调字第\x071号", organisation_id="o1", organisation="委员会", registered_on=date(2026, 3, 1),
        source="party_application", dispute_type="wages", applicants=('=HYPERLINK("http://x.example","点")',),
        respondents=("@某公司",), case_amount_fen=None, mediators=(("u1", "刘调解员"),), status="open", outcome_reason=None,
        agreement_status=None, sealed_on=None, obligations=(), agreement_amount_fen=0, confirmation=None,
        confirmation_applied=False, confirmed=False, closed_on=None, closing_reason=None, overdue_mediation=False, ratings=(),
    )  # fmt: skip
    sheet = load_workbook(io.BytesIO(ledger_file("台账", [facts], "xlsx")))["台账"]
    row = dict(zip((c.value for c in sheet[1]), sheet[2], strict=True))
    assert row["申请人"].data_type == "s" and row["申请人"].value == '\'=HYPERLINK("http://x.example","点")'
    assert row["被申请人"].value == "'@某公司" and row["案号"].value == "（2026）调字第1号"
    text = ledger_file("台账", [facts], "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\x07" not in text
