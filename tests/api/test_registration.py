"""Staff register a case at the window (受理登记, #21): its source, its parties in one go, collective cases.

The case's first evidence record is `case_registered`, with its source in the body and in public;
a case opened before registration began with `case_opened`, and its log still reads and verifies.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.domain import history, registration
from server.domain.principal import Staff
from server.evidence.verify import render, verify_bundle
from server.models import Case, utcnow
from tests.conftest import Actor, World


def today() -> date:
    """The day on the registering mediator's calendar (liu works in Beijing time)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


APPLICANT: dict[str, Any] = {
    "name": "巴特尔",
    "phone": "13947100001",
    "sex": "male",
    "ethnicity": "蒙古族",
    "age": 46,
    "occupation": "务工人员",
    "address": "内蒙古自治区呼和浩特市赛罕区昭乌达路1号",
    "id_number": "150105197801011237",
}
WINDOW: dict[str, Any] = {
    "case_number": "（2026）赛调字第21号",
    "dispute_type": "wages",
    "summary": "申请人在被申请人的工地务工四个月，被拖欠工资。",
    "amount_in_dispute": "48000",
    "source": "hotline_order",
    "source_reference": "12345-20261205-0173",
    "property_region": "内蒙古自治区呼和浩特市赛罕区",
    "applicants": [APPLICANT],
    "respondents": [{"name": "某建筑劳务有限公司", "phone": "0471-6900000", "address": "呼和浩特市新城区"}],
}


async def bundle_of(actor: Actor, world: World, case_id: str, name: str) -> tuple[zipfile.ZipFile, Any]:
    response = await actor.request("POST", f"/api/v1/cases/{case_id}/evidence/bundle")
    assert response.status == 200
    path = world.services.settings.data_dir / name
    path.write_bytes(await response.read())
    return zipfile.ZipFile(io.BytesIO(path.read_bytes())), verify_bundle(path)


def workers(count: int) -> list[str]:
    return [f"务工人员{n:02d}, 1390000{n:04d}" for n in range(1, count + 1)]


async def test_a_case_registered_at_the_window_logs_case_registered_with_its_source_and_parties(world: World) -> None:
    liu = await world.staff("liu")
    created = await liu.call("POST", "/api/v1/cases", WINDOW, expect=201)
    assert created["source"] == "hotline_order" and created["source_reference"] == "12345-20261205-0173"
    assert created["registered_on"] == today().isoformat() and created["collective"] is False
    assert [(p["role"], p["name"]) for p in created["parties"]] == [("applicant", "巴特尔"), ("respondent", "某建筑劳务有限公司")]
    case = await liu.call("GET", f"/api/v1/cases/{created['id']}")
    [applicant, respondent] = case["parties"]
    assert (applicant["sex"], applicant["ethnicity"], applicant["age"], applicant["occupation"]) == (
        "male",
        "蒙古族",
        46,
        "务工人员",
    )
    assert applicant["id_number_masked"] == "1501**********1237" and respondent["address"] == "呼和浩特市新城区"
    assert case["applicant_count"] == 1 and case["property_region"] == "内蒙古自治区呼和浩特市赛罕区"

    [record] = (await liu.call("GET", f"/api/v1/cases/{created['id']}/evidence"))["items"]
    assert record["type"] == "case_registered" and record["actor"]["id"] == liu.user["id"]  # type: ignore[index]
    [event] = (await liu.call("GET", f"/api/v1/cases/{created['id']}/history"))["items"]
    assert event["kind"] == "case_registered" and event["actor_name"] == "刘调解员"
    assert (event["data"]["source"], event["data"]["applicants"], event["data"]["respondents"]) == ("hotline_order", 1, 1)

    await world.services.ledger.settle()
    files, report = await bundle_of(liu, world, created["id"], "registered.zip")
    assert report.ok, render(report, "en")
    assert report.case_number == "（2026）赛调字第21号" and report.records[0].type == "case_registered"
    assert "受理登记" in render(report) and "刘调解员" in render(report)
    claim = json.loads(files.read("records/000001.json"))["claim"]
    assert claim["public"] == {
        "dispute_type": "wages",
        "source": "hotline_order",
        "collective": False,
        "applicants": 1,
        "respondents": 1,
    }
    body = json.loads(files.read("bodies/000001.json"))["data"]
    assert (body["source"], body["source_words"], body["source_reference"]) == (
        "hotline_order",
        "12345 派单",
        "12345-20261205-0173",
    )
    assert body["registered_on"] == today().isoformat() and body["registered_by"] == "刘调解员"
    assert body["parties"][0] == {
        "role": "applicant", "name": "巴特尔", "sex": "male", "ethnicity": "蒙古族", "birth_date": None, "age": 46,
        "occupation": "务工人员", "phone": "13947100001", "address": "内蒙古自治区呼和浩特市赛罕区昭乌达路1号",
    }  # fmt: skip
    assert "150105197801011237" not in json.dumps(body, ensure_ascii=False), "an ID number is never in the log's bodies"


async def test_the_source_is_required_and_one_of_the_list_and_a_bad_registration_names_its_fields(world: World) -> None:
    liu = await world.staff("liu")
    without = {k: v for k, v in WINDOW.items() if k != "source"}
    missing = await liu.call("POST", "/api/v1/cases", without, expect=422)
    assert [(f["field"], f["code"]) for f in missing["error"]["fields"]] == [("source", "required")]
    unknown = await liu.call("POST", "/api/v1/cases", {**WINDOW, "source": "rumour"}, expect=422)
    assert [(f["field"], f["code"]) for f in unknown["error"]["fields"]] == [("source", "choice")]
    invited = {**WINDOW, "source": "party_application", "invited_by_court_id": world.court.id}
    wrong = await liu.call("POST", "/api/v1/cases", invited, expect=422)
    assert [(f["field"], f["code"]) for f in wrong["error"]["fields"]] == [("source", "source_court_referral")]
    ahead = await liu.call(
        "POST", "/api/v1/cases", {**WINDOW, "registered_on": (today() + timedelta(days=1)).isoformat()}, expect=422
    )
    assert [(f["field"], f["code"]) for f in ahead["error"]["fields"]] == [("registered_on", "not_future")]
    rows = {
        **WINDOW,
        "applicants": [
            {**APPLICANT, "sex": "female"},
            {"name": "乌云", "phone": "电话没有"},
        ],
        "respondents": [{"name": "某公司", "phone": "0471-6900000", "age": 200}],
    }
    refused = await liu.call("POST", "/api/v1/cases", rows, expect=422)
    assert {(f["field"], f["code"]) for f in refused["error"]["fields"]} == {("respondents.0.age", "max")}
    rows["respondents"] = WINDOW["respondents"]
    refused = await liu.call("POST", "/api/v1/cases", rows, expect=422)
    assert [(f["field"], f["code"]) for f in refused["error"]["fields"]] == [
        ("applicants.0.sex", "id_mismatch_sex"),
        ("applicants.1.phone", "phone"),
    ]
    assert (await liu.call("GET", "/api/v1/cases"))["items"] == []
    backdated = await liu.call(
        "POST", "/api/v1/cases", {**WINDOW, "registered_on": (today() - timedelta(days=3)).isoformat()}, expect=201
    )
    assert backdated["registered_on"] == (today() - timedelta(days=3)).isoformat()


async def test_a_collective_case_of_72_workers_is_registered_in_one_go(world: World) -> None:
    liu = await world.staff("liu")
    body = {**WINDOW, "applicants": [], "collective": True, "applicant_lines": "\n".join(workers(72))}
    started = time.perf_counter()
    created = await liu.call("POST", "/api/v1/cases", body, expect=201)
    elapsed = time.perf_counter() - started
    print(f"registering a collective case of 72 applicants took {elapsed * 1000:.0f} ms")
    assert elapsed < 5, f"72 applicants took {elapsed:.1f} s"
    assert created["collective"] is True and created["applicant_count"] == 72 and len(created["parties"]) == 73
    listed = (await liu.call("GET", "/api/v1/cases"))["items"]
    assert [(c["collective"], c["applicant_count"]) for c in listed] == [(True, 72)]
    case = await liu.call("GET", f"/api/v1/cases/{created['id']}")
    names = [p["name"] for p in case["parties"] if p["role"] == "applicant"]
    assert names[0] == "务工人员01" and names[-1] == "务工人员72" and len(set(names)) == 72
    await world.services.ledger.settle()
    files, report = await bundle_of(liu, world, created["id"], "collective.zip")
    assert report.ok, render(report, "en")
    claim = json.loads(files.read("records/000001.json"))["claim"]
    assert (claim["public"]["collective"], claim["public"]["applicants"], claim["public"]["respondents"]) == (True, 72, 1)
    assert len(json.loads(files.read("bodies/000001.json"))["data"]["parties"]) == 73


async def test_a_bad_line_in_the_list_is_refused_with_its_line_number_and_nothing_is_registered(world: World) -> None:
    liu = await world.staff("liu")
    lines = workers(72)
    lines[36] = "务工人员37, 139-abc-0037"  # line 37
    lines[49] = lines[2]  # line 50 repeats line 3
    lines.insert(10, "")  # a blank line is skipped, and the lines keep the numbers the clerk sees
    lines[60] = "只有名字"  # line 61
    body = {**WINDOW, "applicants": [], "collective": True, "applicant_lines": "\n".join(lines)}
    refused = await liu.call("POST", "/api/v1/cases", body, expect=422)
    assert (refused["error"]["reason"], refused["error"]["lines"]) == ("bad_lines", 3)
    fields = [(f["field"], f["code"], f["params"]) for f in refused["error"]["fields"]]
    assert fields == [
        ("applicant_lines", "line_phone", {"line": 38, "phone": "139-abc-0037"}),
        ("applicant_lines", "line_repeated", {"line": 51, "first": 3}),
        ("applicant_lines", "line_format", {"line": 61}),
    ]
    assert all(f"line {n}" in f["reason"] for n, f in zip((38, 51, 61), refused["error"]["fields"], strict=True))
    assert (await liu.call("GET", "/api/v1/cases"))["items"] == []
    alone = {**WINDOW, "applicants": [], "collective": True, "applicant_lines": workers(1)[0]}
    one = await liu.call("POST", "/api/v1/cases", alone, expect=422)
    assert [(f["field"], f["code"]) for f in one["error"]["fields"]] == [("collective", "collective_applicants")]


async def test_only_a_mediator_registers_a_case_in_their_own_organisation(world: World) -> None:
    judge = await world.staff("judge1")
    refused = await judge.call("POST", "/api/v1/cases", WINDOW, expect=403)
    assert refused["error"]["code"] == "forbidden"
    await (await world.actor()).call("POST", "/api/v1/cases", WINDOW, expect=401)
    zhao, liu = await world.staff("zhao"), await world.staff("liu")
    theirs = await zhao.call("POST", "/api/v1/cases", WINDOW, expect=201)
    await liu.call("GET", f"/api/v1/cases/{theirs['id']}", expect=403)
    assert [c["case_number"] for c in (await zhao.call("GET", "/api/v1/cases"))["items"]] == [WINDOW["case_number"]]
    assert (await liu.call("GET", "/api/v1/cases"))["items"] == []


async def test_a_case_opened_before_registration_still_reads_and_its_log_verifies(world: World) -> None:
    """What the previous version wrote: a case row migrated by 0014 and a `case_opened` first record."""
    liu = await world.staff("liu")
    async with world.services.links._maker() as db, db.begin():
        case = Case(
            organisation_id=world.org_a.id, case_number="（2025）朝调字第9号", dispute_type="loans", summary="借款未还",
            mediator_id=world.ids["liu"], created_by=world.ids["liu"], created_at=utcnow() - timedelta(days=40),
            source="party_application", registered_on=date.today() - timedelta(days=40),
        )  # fmt: skip
        db.add(case)
        await db.flush()
        staff = Staff(world.ids["liu"], world.org_a.id, "mediator", "刘调解员", "Asia/Shanghai")
        history.record(db, case.id, staff, "case_opened", case_number=case.case_number, dispute_type="loans")
        await world.services.ledger.append_platform(
            db,
            type="case_opened",
            case=case.id,
            actor={"kind": "staff", "id": world.ids["liu"], "role": "mediator"},
            data={"case_number": case.case_number, "dispute_type": "loans", "summary": "借款未还", "opened_by": "刘调解员"},
            public={"dispute_type": "loans"},
        )
    shown = await liu.call("GET", f"/api/v1/cases/{case.id}")
    assert (shown["source"], shown["collective"], shown["applicant_count"]) == ("party_application", False, 0)
    assert [e["kind"] for e in (await liu.call("GET", f"/api/v1/cases/{case.id}/history"))["items"]] == ["case_opened"]
    await world.services.ledger.settle()
    assert [r["type"] for r in (await liu.call("GET", f"/api/v1/cases/{case.id}/evidence"))["items"]] == ["case_opened"]
    _, report = await bundle_of(liu, world, case.id, "opened.zip")
    assert report.ok, render(report, "en")
    assert report.case_number == "（2025）朝调字第9号" and report.records[0].type == "case_opened"
    assert report.records[0].actor_name == "刘调解员" and "立案" in render(report)


def test_a_list_is_read_as_the_window_pastes_it() -> None:
    """Commas of either width, a spreadsheet's tabs, semicolons or only a space; an ID number as a
    third column; blank lines and a byte-order mark skipped."""
    text = "\ufeff张三, 13800000001\n李四，139 0000 0002\n\n王五\t13700000003\t150105197801011237\n赵六；+86 136-0000-0004\nAhmed Ali 13500000005"
    people = registration.parse_lines(text)
    assert [(p.name, p.phone, p.id_number) for p in people] == [
        ("张三", "13800000001", None),
        ("李四", "139 0000 0002", None),
        ("王五", "13700000003", "150105197801011237"),
        ("赵六", "+86 136-0000-0004", None),
        ("Ahmed Ali", "13500000005", None),
    ]
    assert {p.role for p in people} == {"applicant"}
