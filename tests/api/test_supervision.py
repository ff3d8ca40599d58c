"""Organisations form a tree; supervisors read their subtree's cases, change none, and instruct (#21).

The tree of these tests: 市司法局 (a bureau) → 县调解中心 → 镇调委会 → the world's 朝阳区人民调解委员会
(刘调解员's and 王调解员's committee). The world's 海淀区 centre (赵调解员's) stays outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update

from server.domain import orgtree
from server.domain.principal import SYSTEM
from server.evidence.verify import render, verify_bundle
from server.models import Case, SupervisionInstruction, utcnow
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import PASSWORD, Actor, World


@dataclass
class Tree:
    city: Any
    county: Any
    town: Any
    #: the city bureau's supervisor, and the 海淀 centre's (outside the tree)
    city_supervisor: Actor
    other_supervisor: Actor


async def supervisor(world: World, username: str, name: str, organisation_id: str) -> Actor:
    await world.services.accounts.create_user(
        SYSTEM, username=username, display_name=name, password=PASSWORD, role="supervisor", organisation_id=organisation_id
    )
    return await world.staff(username)


async def tree(world: World) -> Tree:
    acc = world.services.accounts
    city = await acc.create_organisation(SYSTEM, "乌兰市司法局", "bureau")
    county = await acc.create_organisation(SYSTEM, "达拉县矛盾纠纷调解中心", "centre", parent_id=city.id)
    town = await acc.create_organisation(SYSTEM, "树林召镇人民调解委员会", "committee", parent_id=county.id)
    await acc.update_organisation(SYSTEM, world.org_a.id, {"parent_id": town.id})
    return Tree(
        city,
        county,
        town,
        await supervisor(world, "sup_city", "孟督导员", city.id),
        await supervisor(world, "sup_other", "韩督导员", world.org_b.id),
    )


def reason(body: dict[str, Any]) -> str:
    return str(body["error"]["reason"])


async def test_organisations_form_a_tree_that_refuses_a_loop(world: World) -> None:
    admin = await world.staff("admin1")
    city = await admin.call("POST", "/api/v1/organisations", {"name": "乌兰市司法局", "kind": "bureau"}, expect=201)
    county = await admin.call(
        "POST", "/api/v1/organisations", {"name": "达拉县矛盾纠纷调解中心", "kind": "centre", "parent_id": city["id"]}, expect=201
    )
    town = await admin.call(
        "POST",
        "/api/v1/organisations",
        {"name": "树林召镇人民调解委员会", "kind": "committee", "parent_id": county["id"]},
        expect=201,
    )
    assert (county["parent_id"], town["parent_id"]) == (city["id"], county["id"])
    moved = await admin.call("PATCH", f"/api/v1/organisations/{world.org_a.id}", {"parent_id": town["id"]})
    assert moved["parent_id"] == town["id"]
    async with world.services.recordings.maker() as db:
        assert await orgtree.subtree_of(db, city["id"]) == {city["id"], county["id"], town["id"], world.org_a.id}
        assert await orgtree.subtree_of(db, town["id"]) == {town["id"], world.org_a.id}
        assert await orgtree.within(db, world.org_a.id, city["id"])
        assert not await orgtree.within(db, world.org_b.id, city["id"])
    # The city under the village committee three levels below it would make a loop: refused, naming it.
    loop = await admin.call("PATCH", f"/api/v1/organisations/{city['id']}", {"parent_id": world.org_a.id}, expect=422)
    [field] = loop["error"]["fields"]
    assert (field["field"], field["code"], field["params"]) == ("parent_id", "parent_cycle", {"name": "朝阳区人民调解委员会"})
    itself = await admin.call("PATCH", f"/api/v1/organisations/{town['id']}", {"parent_id": town["id"]}, expect=422)
    assert itself["error"]["fields"][0]["code"] == "parent_cycle"
    unknown = await admin.call("PATCH", f"/api/v1/organisations/{town['id']}", {"parent_id": "no-such-org"}, expect=422)
    assert unknown["error"]["fields"][0]["code"] == "not_found"
    orphan = await admin.call(
        "POST", "/api/v1/organisations", {"name": "无上级", "kind": "committee", "parent_id": "no-such-org"}, expect=422
    )
    assert orphan["error"]["fields"][0]["field"] == "parent_id"
    listed = {o["id"]: o["parent_id"] for o in (await admin.call("GET", "/api/v1/organisations"))["items"]}
    assert listed[city["id"]] is None and listed[world.org_a.id] == town["id"]
    # Moved to the top of a tree again (null), the city bureau no longer sees the committee.
    await admin.call("PATCH", f"/api/v1/organisations/{town['id']}", {"parent_id": None})
    async with world.services.recordings.maker() as db:
        assert await orgtree.subtree_of(db, city["id"]) == {city["id"], county["id"]}
    # Only an administrator changes the tree.
    liu = await world.staff("liu")
    refused = await liu.call("PATCH", f"/api/v1/organisations/{town['id']}", {"parent_id": city["id"]}, expect=403)
    assert reason(refused) == "role_needed"


async def test_a_supervisor_reads_every_case_of_their_subtree_and_changes_none(world: World) -> None:
    t = await tree(world)
    liu = await world.staff("liu")
    case = await open_case(liu, "（2026）树调字第1号")
    booked = await book(liu, case["id"], next_weekday_at(10))
    session_id = booked["session"]["id"]
    party_id = case["parties"][0]["id"]
    sup = t.city_supervisor
    assert sup.user is not None and sup.user["role"] == "supervisor"
    # Supervisors land on their board.
    landing = await sup.client.get("/", allow_redirects=False)
    assert landing.headers["Location"] == "/supervision"
    # Three levels below: the case, its parties, sessions, history, evidence log and files.
    seen = await sup.call("GET", f"/api/v1/cases/{case['id']}")
    assert seen["case_number"] == "（2026）树调字第1号" and [p["name"] for p in seen["parties"]] == ["张三", "李四"]
    assert seen["organisation"]["name"] == "朝阳区人民调解委员会" and seen["mediator"]["display_name"] == "刘调解员"
    assert [c["case_number"] for c in (await sup.call("GET", "/api/v1/cases"))["items"]] == ["（2026）树调字第1号"]
    assert (await sup.call("GET", f"/api/v1/sessions/{session_id}"))["case_id"] == case["id"]
    assert any(e["kind"] == "case_registered" for e in (await sup.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"])
    await world.services.ledger.settle()
    records = (await sup.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    assert [r["type"] for r in records] == ["case_registered"]
    assert (await sup.call("GET", f"/api/v1/cases/{case['id']}/documents"))["items"] == []
    assert (await sup.call("GET", f"/api/v1/cases/{case['id']}/agreement"))["agreement"] is None
    # Every write is refused, saying why; the party links in the outbox are the mediator's alone.
    writes: list[tuple[str, str, Any]] = [
        ("POST", f"/api/v1/cases/{case['id']}/parties", {"role": "respondent", "name": "王五", "phone": "13700000003"}),
        ("PATCH", f"/api/v1/cases/{case['id']}/parties/{party_id}", {"ethnicity": "蒙古族"}),
        (
            "POST",
            f"/api/v1/cases/{case['id']}/sessions",
            {"starts_at": next_weekday_at(14).isoformat(), "duration_minutes": 30, "timezone": "Asia/Shanghai"},
        ),
        ("POST", f"/api/v1/sessions/{session_id}/reschedule", {"starts_at": next_weekday_at(15).isoformat()}),
        ("POST", f"/api/v1/sessions/{session_id}/cancel", {}),
        ("POST", f"/api/v1/sessions/{session_id}/links/{party_id}", None),
        ("DELETE", f"/api/v1/sessions/{session_id}/links/{party_id}", None),
        ("POST", f"/api/v1/cases/{case['id']}/agreement", {}),
        ("POST", f"/api/v1/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "divergence"}),
        (
            "POST",
            f"/api/v1/cases/{case['id']}/identity-checks",
            {"party_id": party_id, "method": "face_to_face", "result": "confirmed"},
        ),
        ("GET", f"/api/v1/cases/{case['id']}/outbox", None),
        ("GET", f"/api/v1/parties/{party_id}/identity", None),
    ]
    for method, path, body in writes:
        refused = await sup.call(method, path, body, expect=403)
        assert reason(refused) == "supervisor_reads_only", (method, path, refused)
    upload = await sup.request(
        "POST",
        f"/api/v1/cases/{case['id']}/documents?name=a.pdf",
        data=b"%PDF-1.4\n",
        headers={"Content-Type": "application/pdf"},
    )
    assert upload.status == 403 and reason(await upload.json()) == "supervisor_reads_only"
    assert (await sup.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")).status == 403
    # Nothing changed: still two parties, one scheduled session, an open case.
    after = await liu.call("GET", f"/api/v1/cases/{case['id']}")
    assert len(after["parties"]) == 2 and after["status"] == "open"
    assert [s["status"] for s in after["sessions"]] == ["scheduled"]
    # The town's supervisor sees it too; a supervisor of another subtree sees nothing of it.
    town_sup = await supervisor(world, "sup_town", "白督导员", t.town.id)
    await town_sup.call("GET", f"/api/v1/cases/{case['id']}")
    other = t.other_supervisor
    for path in (f"/api/v1/cases/{case['id']}", f"/api/v1/cases/{case['id']}/history", f"/api/v1/cases/{case['id']}/evidence"):
        assert reason(await other.call("GET", path, expect=403)) == "another_organisation"
    assert (await other.call("GET", "/api/v1/cases"))["items"] == []
    assert (await other.call("GET", "/api/v1/supervision"))["items"] == []


async def test_the_board_lists_the_subtree_by_organisation_with_names(world: World) -> None:
    t = await tree(world)
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    village = await open_case(liu, "（2026）树调字第2号")
    await book(liu, village["id"], next_weekday_at(11))
    await world.services.accounts.create_user(
        SYSTEM, username="gao", display_name="高调解员", password=PASSWORD, role="mediator", organisation_id=t.county.id
    )
    county_case = await open_case(await world.staff("gao"), "（2026）达调字第9号", parties=1)
    await open_case(zhao, "（2026）海调字第3号", parties=1)  # 海淀: outside the tree
    board = await t.city_supervisor.call("GET", "/api/v1/supervision")
    rows = {c["case_number"]: c for c in board["items"]}
    assert set(rows) == {"（2026）树调字第2号", "（2026）达调字第9号"}
    row = rows["（2026）树调字第2号"]
    assert row["organisation"]["name"] == "朝阳区人民调解委员会" and row["mediator"]["display_name"] == "刘调解员"
    assert row["status"] == "open" and row["days_since_registration"] == 0
    assert row["next_session"] is not None and row["instructions"] == [] and row["awaiting_reply"] == 0
    assert rows["（2026）达调字第9号"]["next_session"] is None
    assert {o["name"] for o in board["organisations"]} == {
        "乌兰市司法局",
        "达拉县矛盾纠纷调解中心",
        "树林召镇人民调解委员会",
        "朝阳区人民调解委员会",
    }
    only = await t.city_supervisor.call("GET", f"/api/v1/supervision?organisation_id={t.county.id}")
    assert [c["id"] for c in only["items"]] == [county_case["id"]]
    outside = await t.city_supervisor.call("GET", f"/api/v1/supervision?organisation_id={world.org_b.id}", expect=403)
    assert reason(outside) == "another_organisation"
    assert reason(await liu.call("GET", "/api/v1/supervision", expect=403)) == "role_needed"


async def test_the_board_and_the_mediators_list_show_which_cases_are_past_their_mediation_period(world: World) -> None:
    t = await tree(world)
    liu = await world.staff("liu")
    await open_case(liu, "（2026）树调字第5号")
    old = await open_case(liu, "（2026）树调字第6号")
    async with world.services.links._maker() as db, db.begin():  # registered 40 days ago, still open
        await db.execute(update(Case).where(Case.id == old["id"]).values(created_at=utcnow() - timedelta(days=40)))
    rows = {c["case_number"]: c for c in (await t.city_supervisor.call("GET", "/api/v1/supervision"))["items"]}
    assert rows["（2026）树调字第5号"]["mediation_clock"]["state"] == "running"
    late = rows["（2026）树调字第6号"]["mediation_clock"]
    assert late["state"] == "overdue" and late["label_zh"] and late["source_zh"]
    # The handling mediator's case list marks it too.
    listed = {c["case_number"]: c for c in (await liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed["（2026）树调字第6号"]["mediation_clock"]["state"] == "overdue"
    assert listed["（2026）树调字第5号"]["mediation_clock"]["state"] == "running"


async def test_an_instruction_and_its_reply_are_signed_records_that_verify(world: World) -> None:
    t = await tree(world)
    liu, wang, zhao = await world.staff("liu"), await world.staff("wang"), await world.staff("zhao")
    case = await open_case(liu, "（2026）树调字第3号")
    path = f"/api/v1/cases/{case['id']}/supervision"
    due = (date.today() + timedelta(days=7)).isoformat()
    words = {"text": "请于本周内组织第二次调解，并报告结果。", "due_date": due}
    # Who may not instruct: the case's own mediator, a supervisor of another subtree; nor with nothing to say or a past date.
    assert reason(await liu.call("POST", path, words, expect=403)) == "role_needed"
    assert reason(await t.other_supervisor.call("POST", path, words, expect=403)) == "another_organisation"
    empty = await t.city_supervisor.call("POST", path, {"text": "   "}, expect=422)
    assert empty["error"]["fields"][0]["code"] == "required"
    past = await t.city_supervisor.call("POST", path, {"text": "迟到的督办", "due_date": "2020-01-01"}, expect=422)
    assert past["error"]["fields"][0]["field"] == "due_date"
    issued = await t.city_supervisor.call("POST", path, words, expect=201)
    assert issued["awaiting_reply"] and issued["due_date"] == due
    assert issued["issued_by"] == {
        "id": t.city_supervisor.user["id"] if t.city_supervisor.user else "",
        "display_name": "孟督导员",
        "organisation": "乌兰市司法局",
    }
    # The board shows it awaiting a reply; the case's mediators see it on the case.
    row = next(c for c in (await t.city_supervisor.call("GET", "/api/v1/supervision"))["items"] if c["id"] == case["id"])
    assert row["awaiting_reply"] == 1 and row["instructions"][0]["text"] == words["text"]
    assert [i["id"] for i in (await wang.call("GET", path))["items"]] == [issued["id"]]
    listed = {c["id"]: c for c in (await liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed[case["id"]]["supervision_awaiting"] == 1
    # Unanswered past its due date, it is overdue on the board.
    async with world.services.recordings.maker() as db, db.begin():
        await db.execute(update(SupervisionInstruction).values(due_date=date.today() - timedelta(days=2)))
    row = next(c for c in (await t.city_supervisor.call("GET", "/api/v1/supervision"))["items"] if c["id"] == case["id"])
    assert row["instructions"][0]["overdue"] is True
    # Who may not reply: a mediator of another organisation, a supervisor.
    reply_path = f"/api/v1/supervision/{issued['id']}/reply"
    answer = {"text": "已于周三组织第二次调解，双方同意分两期支付。"}
    assert reason(await zhao.call("POST", reply_path, answer, expect=403)) == "another_organisation"
    assert reason(await t.city_supervisor.call("POST", reply_path, answer, expect=403)) == "role_needed"
    assert reason(await zhao.call("GET", path, expect=403)) == "another_organisation"
    # Any mediator of the handling organisation may answer, once.
    replied = await wang.call("POST", reply_path, answer)
    assert (
        replied["reply"] == answer["text"]
        and replied["replied_by"]["display_name"] == "王调解员"
        and not replied["awaiting_reply"]
    )
    again = await liu.call("POST", reply_path, {"text": "再答一次"}, expect=409)
    assert (reason(again), again["error"]["name"]) == ("supervision_replied_already", "王调解员")
    row = next(c for c in (await t.city_supervisor.call("GET", "/api/v1/supervision"))["items"] if c["id"] == case["id"])
    assert row["awaiting_reply"] == 0 and row["instructions"][0]["reply"] == answer["text"]
    listed = {c["id"]: c for c in (await liu.call("GET", "/api/v1/cases"))["items"]}
    assert listed[case["id"]]["supervision_awaiting"] == 0
    history = [e["kind"] for e in (await t.city_supervisor.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"]]
    assert history[-2:] == ["supervision_issued", "supervision_replied"]
    # Both are records of the case's evidence log; the reply names the instruction's record.
    await world.services.ledger.settle()
    records = (await liu.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    types = [r["type"] for r in records]
    assert types[-2:] == ["supervision_issued", "supervision_replied"]
    assert records[-2]["actor"]["role"] == "supervisor" and records[-1]["actor"]["role"] == "mediator"
    assert replied["issued_seq"] == records[-2]["seq"] and replied["replied_seq"] == records[-1]["seq"]
    response = await liu.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")
    assert response.status == 200
    bundle = world.services.settings.data_dir / "supervised.zip"
    bundle.write_bytes(await response.read())
    report = verify_bundle(bundle)
    assert report.ok, render(report, "en")
    assert "督办意见" in render(report, "zh") and "督办反馈" in render(report, "zh")
