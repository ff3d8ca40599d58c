"""The ledger (台账) and the statistics (#23): every figure on a known set of cases, a referred case counted once
where it is handled, who reads what (a committee itself, a supervisor its subtree, nobody another tree), and the
`mediate stats` command's spreadsheet read back with openpyxl."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import update

from server.domain.clocks import local_day
from server.domain.principal import SYSTEM
from server.domain.statistics.export import render
from server.models import Case, utcnow
from tests.api.agreement_helpers import Mediation, mediation
from tests.api.helpers import open_case
from tests.api.test_extensions import proof
from tests.api.test_performance import answer, sealed
from tests.api.test_referrals import refer
from tests.conftest import PASSWORD, Actor, World

PERIOD = "from=2020-01-01&to=2099-12-31"


@dataclass
class Known:
    """朝阳 (org_a) has A (sealed, performed, closed), B (ended, closed) and D (open); C was registered there and
    referred to 海淀 (org_b), which accepted it: it is 海淀's. Both are under 乌兰市司法局, whose supervisor reads
    both; 韩's tree is another."""

    a: Mediation
    b: Mediation
    c: str
    d: str
    liu: Actor
    zhao: Actor
    city_supervisor: Actor
    other_supervisor: Actor


async def _supervisor(world: World, username: str, name: str, organisation_id: str) -> Actor:
    await world.services.accounts.create_user(
        SYSTEM, username=username, display_name=name, password=PASSWORD, role="supervisor", organisation_id=organisation_id
    )
    return await world.staff(username)


async def two_trees(world: World) -> tuple[Any, Any]:
    """乌兰市司法局 over the world's two committees (朝阳, 海淀), and 达拉县司法局 over none: another tree."""
    acc = world.services.accounts
    city = await acc.create_organisation(SYSTEM, "乌兰市司法局", "bureau")
    other = await acc.create_organisation(SYSTEM, "达拉县司法局", "bureau")
    for org in (world.org_a, world.org_b):
        await acc.update_organisation(SYSTEM, org.id, {"parent_id": city.id})
    return city, other


async def known_cases(world: World) -> Known:
    city, other = await two_trees(world)
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    a = await mediation(world, "（2026）朝调字第1号")
    zhang, li, _ = await sealed(world, a)
    # 李四 reports every instalment performed and 张三 confirms each with his key (performance_confirmed).
    for owed in (await a.respondent.call("GET", "/api/v1/party/obligations"))["owe"]:
        await a.respondent.call("POST", f"/api/v1/party/obligations/{owed['id']}/report", {}, expect=201)
        assert (await answer(world, zhang, owed["id"], "confirm"))["status"] == "performed"
    b = await mediation(world, "（2026）朝调字第2号", hour=14)
    ended = {"outcome": "failed", "reason": "withdrawn", "party_id": b.party_id("applicant")}
    await liu.call("POST", f"/api/v1/cases/{b.case_id}/outcome", ended)
    await liu.call(
        "POST", f"/api/v1/cases/{b.case_id}/close", {"reason": "other", "note": "申请人撤回，告知可另行起诉"}, expect=201
    )
    c = await open_case(liu, "（2026）朝调字第3号")
    sent = await refer(liu, c["id"], world.org_b.id)
    await zhao.call("POST", f"/api/v1/referrals/{sent['id']}/accept", {"mediator_id": world.ids["zhao"]})
    d = await liu.call(
        "POST", "/api/v1/cases",
        {"case_number": "（2026）朝调字第4号", "dispute_type": "family", "source": "police_transfer", "summary": "赡养纠纷"},
        expect=201,
    )  # fmt: skip
    await liu.call(
        "POST", f"/api/v1/cases/{d['id']}/parties", {"role": "applicant", "name": "王五", "phone": "13700000003"}, expect=201
    )
    today = local_day(utcnow())
    async with world.services.links._maker() as db, db.begin():
        # A registered ten days before its agreement, B four before it closed (a paper application entered late,
        # as POST /cases allows with registered_on): the days are known.
        await db.execute(update(Case).where(Case.id == a.case_id).values(registered_on=today - timedelta(days=10)))
        await db.execute(update(Case).where(Case.id == b.case_id).values(registered_on=today - timedelta(days=4)))
    await liu.call("POST", f"/api/v1/cases/{a.case_id}/close", {}, expect=201)
    # Once closed, 张三 rates the mediation five stars and 李四 three (satisfaction_rated, each with their key).
    sign = "/api/v1/party/satisfaction/sign"
    for signer, stars in ((zhang, 5), (li, 3)):
        statement = await signer.actor.call("POST", sign, {"occasion": "closing", "stars": stars}, expect=201)
        await signer.actor.call("POST", f"{sign}/{statement['challenge']}", await proof(world, signer, statement), expect=201)
    return Known(
        a, b, c["id"], d["id"], liu, zhao,
        await _supervisor(world, "sup_city", "孟督导员", city.id), await _supervisor(world, "sup_other", "韩督导员", other.id),
    )  # fmt: skip


async def stats(actor: Actor, query: str = "", expect: int = 200) -> Any:
    return await actor.call("GET", f"/api/v1/statistics?{PERIOD}{query}", expect=expect)


async def test_every_figure_of_a_known_set_of_cases(world: World) -> None:
    k = await known_cases(world)
    found = await stats(k.liu)
    t = found["totals"]
    assert found["organisation"]["name"] == "朝阳区人民调解委员会" and found["subtree"] is False
    counts = {name: t[name] for name in found["cases"]}
    assert counts == {
        "mediated": 3, "successful": 1, "failed": 1, "pending": 1, "with_obligations": 1, "performed": 1,
        "confirmation_applied": 0, "confirmed": 0, "closed": 2, "resolved": 1, "overdue_mediation": 0,
        "overdue_performance": 0,
    }  # fmt: skip
    assert sorted(found["cases"]["mediated"]) == sorted([k.a.case_id, k.b.case_id, k.d])
    assert found["cases"]["successful"] == [k.a.case_id] and found["cases"]["failed"] == [k.b.case_id]
    assert (t["success_rate"], t["performance_rate"], t["resolution_rate"]) == (0.3333, 1.0, 0.3333)
    # A and B registered 12000.50 yuan in dispute; D none. A's agreement pays 5000 + 7000 yuan.
    assert (t["amount_fen"], t["agreement_amount_fen"]) == (2 * 1_200_050, 1_200_000)
    assert (t["days_to_agreement_mean"], t["days_to_agreement_median"]) == (10.0, 10.0)
    assert (t["days_to_closing_mean"], t["days_to_closing_median"]) == (7.0, 7.0)
    assert (t["ratings"], t["average_stars"], t["satisfied_rate"]) == (2, 4.0, 0.5)
    by_type = {g["key"]: g for g in found["groups"]["dispute_type"]}
    assert {k: g["mediated"] for k, g in by_type.items()} == {"wages": 2, "family": 1}
    assert by_type["wages"]["successful"] == 1 and by_type["family"]["pending"] == 1
    assert [(g["key"], g["mediated"]) for g in found["groups"]["dispute_type"]] == [
        ("family", 1),
        ("wages", 2),
    ]  # the Ministry's order
    assert [(g["key"], g["mediated"]) for g in found["groups"]["source"]] == [("party_application", 2), ("police_transfer", 1)]
    assert [(g["name"], g["mediated"]) for g in found["groups"]["mediator"]] == [("刘调解员", 3)]
    assert sum(g["mediated"] for g in found["groups"]["month"]) == 3
    assert found["definitions"]["successful"]["zh"] == "调解成功数" and found["definitions"]["resolved"]["means_en"]
    # The referred case is counted once, where it is handled now: 海淀, not 朝阳; the city counts four cases.
    haidian = await stats(k.zhao)
    assert haidian["cases"]["mediated"] == [k.c] and haidian["totals"]["pending"] == 1
    assert [(g["name"], g["mediated"]) for g in haidian["groups"]["mediator"]] == [("赵调解员", 1)]
    city = await stats(k.city_supervisor, "&subtree=true")
    assert city["totals"]["mediated"] == 4 and sorted(city["cases"]["mediated"]) == sorted([k.a.case_id, k.b.case_id, k.c, k.d])
    assert {g["name"]: g["mediated"] for g in city["groups"]["organisation"]} == {
        "朝阳区人民调解委员会": 3, "海淀区矛盾纠纷多元化解中心": 1,
    }  # fmt: skip
    assert (await stats(k.city_supervisor))["totals"]["mediated"] == 0  # the bureau itself mediates nothing
    # A period that ends before the cases were registered counts none of them.
    empty = await k.liu.call("GET", "/api/v1/statistics?from=2020-01-01&to=2020-12-31")
    assert empty["totals"]["mediated"] == 0 and empty["totals"]["success_rate"] is None
    backwards = await k.liu.call("GET", "/api/v1/statistics?from=2026-12-31&to=2026-01-01", expect=422)
    assert backwards["error"]["fields"][0]["code"] == "before_start"


async def ledger(actor: Actor, query: str = "", expect: int = 200) -> Any:
    return await actor.call("GET", f"/api/v1/ledger?{query}", expect=expect)


async def test_the_ledger_has_a_row_per_case_with_filters_search_sort_and_pages(world: World) -> None:
    k = await known_cases(world)
    everything = await ledger(k.liu, "sort=case_number&order=asc")
    assert everything["total"] == 3 and everything["next"] is None
    assert everything["columns"]["registered_on"]["zh"] == "受理日期"
    rows = {r["case_number"]: r for r in everything["items"]}
    assert list(rows) == ["（2026）朝调字第1号", "（2026）朝调字第2号", "（2026）朝调字第4号"]
    a = rows["（2026）朝调字第1号"]
    assert (a["stage"], a["outcome"], a["performance"], a["agreement"]["status"]) == (
        "closed",
        "settled",
        "performed",
        "effective",
    )
    assert (a["applicants"], a["respondents"], a["amount_fen"]) == (["张三"], ["李四"], 1_200_050)
    assert [m["display_name"] for m in a["mediators"]] == ["刘调解员"] and a["closed_on"] and a["confirmation"] is None
    b = rows["（2026）朝调字第2号"]
    assert (b["stage"], b["outcome"], b["outcome_reason"], b["agreement"]) == ("closed", "failed", "withdrawn", None)
    d = rows["（2026）朝调字第4号"]
    assert (d["stage"], d["source"], d["dispute_type"], d["amount_fen"], d["closed_on"]) == (
        "open",
        "police_transfer",
        "family",
        0,
        None,
    )
    # Filters: a party's name, part of a number, a type, a stage.
    assert [r["id"] for r in (await ledger(k.liu, "q=王五"))["items"]] == [k.d]
    assert [r["id"] for r in (await ledger(k.liu, "q=第1号"))["items"]] == [k.a.case_id]
    assert [r["id"] for r in (await ledger(k.liu, "dispute_type=family"))["items"]] == [k.d]
    closed = await ledger(k.liu, "stage=closed&sort=case_number&order=asc")
    assert [r["id"] for r in closed["items"]] == [k.a.case_id, k.b.case_id]
    assert (await ledger(k.liu, "stage=settled"))["total"] == 0
    # Keyset pages, and the same by offset.
    first = await ledger(k.liu, "sort=case_number&order=asc&limit=2")
    assert [r["case_number"] for r in first["items"]] == ["（2026）朝调字第1号", "（2026）朝调字第2号"] and first["total"] == 3
    second = await ledger(k.liu, f"sort=case_number&order=asc&limit=2&cursor={first['next']}")
    assert [r["id"] for r in second["items"]] == [k.d] and second["next"] is None
    assert [r["id"] for r in (await ledger(k.liu, "sort=case_number&order=asc&limit=2&offset=2"))["items"]] == [k.d]
    newest = await ledger(k.liu, "limit=1")  # by registration day, newest first: D was registered today
    assert [r["id"] for r in newest["items"]] == [k.d]
    cheapest = await ledger(k.liu, "sort=amount&order=asc&limit=1")  # D registered no amount
    assert [r["id"] for r in cheapest["items"]] == [k.d]
    after = await ledger(k.liu, f"sort=amount&order=asc&limit=5&cursor={cheapest['next']}")
    assert sorted(r["id"] for r in after["items"]) == sorted([k.a.case_id, k.b.case_id]) and after["next"] is None
    bad = await ledger(k.liu, "cursor=not-a-cursor", expect=422)
    assert bad["error"]["fields"][0]["field"] == "cursor"
    # The referred case is 海淀's row, not 朝阳's.
    assert [r["id"] for r in (await ledger(k.zhao))["items"]] == [k.c]
    subtree = await ledger(k.city_supervisor, "subtree=true&sort=case_number&order=asc")
    assert subtree["total"] == 4 and sorted(r["id"] for r in subtree["items"]) == sorted([k.a.case_id, k.b.case_id, k.c, k.d])


async def test_a_committee_reads_itself_a_supervisor_its_subtree_and_nobody_another_tree(world: World) -> None:
    k = await known_cases(world)
    a, b = world.org_a.id, world.org_b.id
    for path in ("/api/v1/ledger?", f"/api/v1/statistics?{PERIOD}&"):
        # 朝阳's mediator reads 朝阳, not 海淀, nor the organisations below (a supervisor's).
        await k.liu.call("GET", f"{path}organisation_id={a}")
        refused = await k.liu.call("GET", f"{path}organisation_id={b}", expect=403)
        assert refused["error"]["reason"] == "another_organisation"
        below = await k.liu.call("GET", f"{path}subtree=true", expect=403)
        assert below["error"]["reason"] == "role_needed"
        # The city's supervisor reads either committee; another tree's supervisor neither.
        assert (await k.city_supervisor.call("GET", f"{path}organisation_id={b}"))["organisation"]["id"] == b
        for org in (a, b):
            other = await k.other_supervisor.call("GET", f"{path}organisation_id={org}", expect=403)
            assert other["error"]["reason"] == "another_organisation"
        judge = await world.staff("judge1")
        assert (await judge.call("GET", path, expect=403))["error"]["reason"] == "role_needed"
        unknown = await k.city_supervisor.call("GET", f"{path}organisation_id=no-such-org", expect=403)
        assert unknown["error"]["reason"] == "another_organisation"  # nothing said of what lies outside one's tree
        assert (await (await world.actor()).request("GET", path)).status == 401


def mediate(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


async def test_the_stats_command_writes_the_same_figures_as_a_spreadsheet(world: World, tmp_path: Path) -> None:
    k = await known_cases(world)
    api = await stats(k.liu)
    settings = world.services.settings
    out = tmp_path / "朝阳2026.xlsx"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIATE_")}
    env["MEDIATE_DATABASE_URL"] = settings.resolved_database_url
    args = ["stats", "--org", "朝阳区人民调解委员会", "--from", "2020-01-01", "--to", "2099-12-31", "--format", "xlsx"]
    done = await asyncio.to_thread(mediate, [*args, "--out", str(out), "--data-dir", str(settings.data_dir)], env)
    assert done.returncode == 0, done.stderr
    assert "3 cases mediated, 1 successfully" in done.stdout
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == ["总计", "按纠纷类型", "按案件来源", "按调解组织", "按调解员", "按受理月份"]
    totals = {row[0]: row[1] for row in book["总计"].iter_rows(min_row=4, values_only=True)}
    assert totals["调解案件数"] == api["totals"]["mediated"] == 3
    assert totals["调解成功数"] == 1 and totals["结案数"] == 2 and totals["化解数"] == 1
    assert totals["调解成功率（%）"] == 33.3 and totals["涉及金额（元）"] == 24001.0 and totals["协议金额（元）"] == 12000.0
    assert totals["满意率（%）"] == 50.0 and totals["受理至结案平均天数"] == 7.0
    by_type = list(book["按纠纷类型"].iter_rows(values_only=True))
    assert by_type[0][:3] == ("纠纷类型", "调解案件数", "调解成功数")
    assert {row[0]: row[1] for row in by_type[1:]} == {"拖欠工资纠纷": 2, "婚姻家庭纠纷": 1}
    # The subtree needs the command line to say so; JSON goes to standard output.
    args = ["stats", "--org", world.org_b.id, "--from", "2020-01-01", "--to", "2099-12-31", "--format", "json"]
    printed = await asyncio.to_thread(mediate, [*args, "--data-dir", str(settings.data_dir)], env)
    assert printed.returncode == 0, printed.stderr
    assert f'"{k.c}"' in printed.stdout and '"mediated": 1' in printed.stdout
    # The CSV is the same tables one after another, readable by a spreadsheet opened by double click (BOM).
    text = render(api, "csv").decode("utf-8")
    assert text.startswith("\ufeff总计") and "调解案件数,3," in text and "按纠纷类型" in text and "婚姻家庭纠纷,1," in text
