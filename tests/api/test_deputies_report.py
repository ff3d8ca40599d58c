"""The people's-deputy report (人大代表参与调解情况, #23): the quarter's cases a people's deputy was invited to,
with their parties, deputies, outcome and agreement amount, counted by outcome; who reads it (a committee
itself, a supervisor its subtree, nobody another tree); and `mediate stats deputies` as a spreadsheet."""

from __future__ import annotations

import asyncio
import io
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from server.domain.clocks import local_day
from server.models import utcnow
from tests.api.agreement_helpers import mediation
from tests.api.helpers import open_case
from tests.api.test_invited import DEPUTY, invite
from tests.api.test_performance import sealed
from tests.api.test_statistics import _supervisor, mediate, two_trees
from tests.conftest import Actor, World


@dataclass
class Scene:
    """朝阳 (org_a): A settled with 王代表 invited, B failed with 陈代表 (and a lawyer), D open with only a
    lawyer; 海淀 (org_b): C open with 周代表. Both committees are under 乌兰市司法局; 韩's tree is another."""

    a: str
    b: str
    c: str
    d: str
    liu: Actor
    city_supervisor: Actor
    other_supervisor: Actor
    year: int
    quarter: int


LAWYER = {"role": "invited", "invited_as": "lawyer", "name": "赵律师", "phone": "13700000004"}


async def scene(world: World) -> Scene:
    city, other = await two_trees(world)
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    a = await mediation(world, "（2026）朝调字第1号")
    await invite(liu, a.case_id, DEPUTY)
    await sealed(world, a)
    b = await open_case(liu, "（2026）朝调字第2号")
    await invite(liu, b["id"], {**DEPUTY, "name": "陈代表", "phone": "13700000005", "occupation": None})
    await invite(liu, b["id"], LAWYER)
    applicant = next(p["id"] for p in b["parties"] if p["role"] == "applicant")
    await liu.call(
        "POST", f"/api/v1/cases/{b['id']}/outcome", {"outcome": "failed", "reason": "withdrawn", "party_id": applicant}
    )
    c = await open_case(zhao, "（2026）海调字第1号")
    await invite(zhao, c["id"], {**DEPUTY, "name": "周代表", "phone": "13700000006", "occupation": "市人大代表"})
    d = await open_case(liu, "（2026）朝调字第4号")
    await invite(liu, d["id"], LAWYER)
    today = local_day(utcnow())
    return Scene(
        a.case_id, b["id"], c["id"], d["id"], liu,
        await _supervisor(world, "sup_city", "孟督导员", city.id), await _supervisor(world, "sup_other", "韩督导员", other.id),
        today.year, (today.month - 1) // 3 + 1,
    )  # fmt: skip


def path(s: Scene, query: str = "", year: int | None = None, quarter: int | None = None) -> str:
    return f"/api/v1/statistics/deputies?year={year or s.year}&quarter={quarter or s.quarter}{query}"


async def test_the_quarters_cases_with_a_deputy_are_listed_with_their_outcome_and_counted(world: World) -> None:
    s = await scene(world)
    report = await s.liu.call("GET", path(s))
    assert report["organisation"]["name"] == "朝阳区人民调解委员会" and report["subtree"] is False
    assert (report["year"], report["quarter"]) == (s.year, s.quarter) and report["definition"]["zh"].startswith("本季度")
    rows = {r["case_number"]: r for r in report["items"]}
    # D had only a lawyer: no deputy, not in the report. C is 海淀's.
    assert sorted(rows) == ["（2026）朝调字第1号", "（2026）朝调字第2号"]
    a, b = rows["（2026）朝调字第1号"], rows["（2026）朝调字第2号"]
    assert (a["id"], a["dispute_type"], a["applicants"], a["respondents"]) == (s.a, "wages", ["张三"], ["李四"])
    assert [(d["name"], d["occupation"]) for d in a["deputies"]] == [("王代表", "县人大代表")]
    assert (a["outcome"], a["agreement_amount_fen"]) == ("settled", 1_200_000)  # 5000 + 7000 yuan
    assert [(d["name"], d["occupation"]) for d in b["deputies"]] == [("陈代表", None)]
    assert (b["outcome"], b["outcome_reason"], b["agreement_amount_fen"]) == ("failed", "withdrawn", None)
    assert report["totals"] == {
        "cases": 2, "deputies": 2, "settled": 1, "failed": 1, "open": 0, "agreement_amount_fen": 1_200_000,
    }  # fmt: skip
    by_outcome = {g["key"]: (g["zh"], g["cases"], g["ids"]) for g in report["by_outcome"]}
    assert by_outcome == {"settled": ("调解成功", 1, [s.a]), "failed": ("调解不成功", 1, [s.b]), "open": ("正在调解", 0, [])}
    # The city's supervisor reads the subtree: 海淀's C as well, still being mediated.
    city = await s.city_supervisor.call("GET", path(s, "&subtree=true"))
    assert sorted(r["id"] for r in city["items"]) == sorted([s.a, s.b, s.c])
    assert (city["totals"]["cases"], city["totals"]["open"], city["totals"]["deputies"]) == (3, 1, 3)
    # The quarter before had no deputy invited.
    before = (s.year, s.quarter - 1) if s.quarter > 1 else (s.year - 1, 4)
    earlier = await s.liu.call("GET", path(s, year=before[0], quarter=before[1]))
    assert earlier["items"] == [] and earlier["totals"]["cases"] == 0
    assert earlier["from"] == date(before[0], 3 * before[1] - 2, 1).isoformat()
    bad = await s.liu.call("GET", path(s, quarter=5), expect=422)
    assert bad["error"]["fields"][0]["field"] == "quarter"


async def test_a_committee_reads_its_own_report_a_supervisor_its_subtree_and_nobody_another_tree(world: World) -> None:
    s = await scene(world)
    a, b = world.org_a.id, world.org_b.id
    assert (await s.liu.call("GET", path(s, f"&organisation_id={a}")))["organisation"]["id"] == a
    refused = await s.liu.call("GET", path(s, f"&organisation_id={b}"), expect=403)
    assert refused["error"]["reason"] == "another_organisation"
    below = await s.liu.call("GET", path(s, "&subtree=true"), expect=403)
    assert below["error"]["reason"] == "role_needed"
    haidian = await s.city_supervisor.call("GET", path(s, f"&organisation_id={b}"))
    assert [r["id"] for r in haidian["items"]] == [s.c]
    for org in (a, b):
        other = await s.other_supervisor.call("GET", path(s, f"&organisation_id={org}&subtree=true"), expect=403)
        assert other["error"]["reason"] == "another_organisation"
    judge = await world.staff("judge1")
    assert (await judge.call("GET", path(s), expect=403))["error"]["reason"] == "role_needed"
    assert (await (await world.actor()).request("GET", path(s))).status == 401


async def test_the_command_writes_the_report_with_chinese_headings(world: World, tmp_path: Path) -> None:
    s = await scene(world)
    settings = world.services.settings
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIATE_")}
    env["MEDIATE_DATABASE_URL"] = settings.resolved_database_url
    common = ["--data-dir", str(settings.data_dir), "--year", str(s.year), "--quarter", str(s.quarter)]
    out = tmp_path / "人大代表.xlsx"
    args = ["stats", "deputies", "--org", "乌兰市司法局", "--subtree", "--format", "xlsx", "--out", str(out), *common]
    done = await asyncio.to_thread(mediate, args, env)
    assert done.returncode == 0, done.stderr
    assert "3 cases with a people's deputy, 1 settled" in done.stdout
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == ["人大代表参与调解情况", "按调解结果"]
    rows: list[Any] = list(book["人大代表参与调解情况"].iter_rows(values_only=True))
    assert rows[0][0] == f"乌兰市司法局（含下级组织）人大代表参与调解情况（{s.year}年第{s.quarter}季度）"
    assert rows[2][:4] == ("案号", "调解组织", "受理日期", "纠纷类型")
    listed = {row[0]: row for row in rows[3:]}
    assert sorted(listed) == ["（2026）朝调字第1号", "（2026）朝调字第2号", "（2026）海调字第1号"]
    a = listed["（2026）朝调字第1号"]
    assert (a[3], a[4], a[5], a[6], a[8], a[9]) == ("拖欠工资纠纷", "张三", "李四", "王代表（县人大代表）", "调解成功", 12000.0)
    assert listed["（2026）海调字第1号"][8] == "正在调解"
    summary = {row[0]: row[1] for row in book["按调解结果"].iter_rows(min_row=2, values_only=True)}
    assert summary == {
        "调解成功": 1,
        "调解不成功": 1,
        "正在调解": 1,
        "合计": 3,
        "参与调解的人大代表人数": 3,
        "协议金额合计（元）": 12000.0,
    }
    # CSV to standard output, readable by a spreadsheet opened by double click; a committee alone by its id.
    printed = await asyncio.to_thread(mediate, ["stats", "deputies", "--org", world.org_b.id, "--format", "csv", *common], env)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("\ufeff海淀") and "周代表（市人大代表）" in printed.stdout and "朝调字" not in printed.stdout
    # The quarter is required for this report, as --from and --to are for the figures.
    missing = await asyncio.to_thread(
        mediate, ["stats", "deputies", "--org", world.org_b.id, "--data-dir", str(settings.data_dir)], env
    )
    assert missing.returncode == 2 and "--year and --quarter" in missing.stderr
    figures = await asyncio.to_thread(mediate, ["stats", "--org", world.org_b.id, "--data-dir", str(settings.data_dir)], env)
    assert figures.returncode == 2 and "--from and --to" in figures.stderr
