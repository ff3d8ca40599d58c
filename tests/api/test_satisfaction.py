"""Parties rate the mediation and complain to the supervising organisation (issue #22).

A party rates a session once it has ended (1 to 5 stars, a comment), once, signed with their own
key; the ratings make up each mediator's record that supervisors and administrators read. A
complaint goes to the organisation above the case's and is answered there; the mediator it is
about never reads it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from server.evidence.verify import render, verify_bundle
from server.models import MediationSession, OutboxMessage, utcnow
from tests.api.agreement_helpers import Mediation, Signer, mediation
from tests.api.test_extensions import parties, proof
from tests.api.test_performance import logged, sealed
from tests.api.test_supervision import reason, tree
from tests.conftest import World


async def end_session(world: World, m: Mediation) -> None:
    """The session was held an hour ago."""
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(MediationSession)
            .where(MediationSession.id == m.session["session"]["id"])
            .values(starts_at=utcnow() - timedelta(minutes=70), ends_at=utcnow() - timedelta(minutes=10))
        )


async def rate(world: World, signer: Signer, session_id: str, stars: int, comment: str = "", expect: int = 201) -> Any:
    body = {"occasion": "session", "session_id": session_id, "stars": stars, "comment": comment}
    statement = await signer.actor.call("POST", "/api/v1/party/satisfaction/sign", body, expect=201)
    return await signer.actor.call(
        "POST",
        f"/api/v1/party/satisfaction/sign/{statement['challenge']}",
        await proof(world, signer, statement),
        expect=expect,
    )


async def complain(world: World, signer: Signer, text: str, about: str = "mediator") -> Any:
    statement = await signer.actor.call("POST", "/api/v1/party/complaints/sign", {"about": about, "text": text}, expect=201)
    return await signer.actor.call(
        "POST", f"/api/v1/party/complaints/sign/{statement['challenge']}", await proof(world, signer, statement), expect=201
    )


async def test_a_party_rates_a_session_once_it_has_ended_and_once_only(world: World) -> None:
    m, zhang, li = await parties(world)
    session_id = m.session["session"]["id"]
    rating = {"occasion": "session", "session_id": session_id, "stars": 4}
    # Not before the session has ended.
    early = await zhang.actor.call("POST", "/api/v1/party/satisfaction/sign", rating, expect=409)
    assert reason(early) == "session_not_ended"
    page = await zhang.actor.call("GET", "/api/v1/party/satisfaction")
    assert page["may_rate"] is True and [(o["session_id"], o["ended"], o["rating"]) for o in page["occasions"]] == [
        (session_id, False, None)
    ]
    await end_session(world, m)
    # Not another case's session, nor stars outside 1 to 5, nor a comment over 500 characters.
    other = await mediation(world, "（2026）朝调字第13号", hour=14)
    await end_session(world, other)
    alien = {"session_id": other.session["session"]["id"], "stars": 5}
    assert reason(await zhang.actor.call("POST", "/api/v1/party/satisfaction/sign", alien, expect=404)) == "no_such_session"
    await zhang.actor.call("POST", "/api/v1/party/satisfaction/sign", rating | {"stars": 6}, expect=422)
    await zhang.actor.call("POST", "/api/v1/party/satisfaction/sign", rating | {"comment": "长" * 501}, expect=422)

    page = await rate(world, zhang, session_id, 4, "调解员耐心，但时间有点短")
    [occasion] = page["occasions"]
    assert occasion["ended"] is True and occasion["rating"]["stars"] == 4
    assert occasion["rating"]["comment"] == "调解员耐心，但时间有点短"
    # A second rating of the same session is refused; the first stands.
    again = await zhang.actor.call("POST", "/api/v1/party/satisfaction/sign", rating | {"stars": 1}, expect=409)
    assert reason(again) == "already_rated"
    await rate(world, li, session_id, 5)  # the other party, with a passkey
    # An agent does not rate or complain for the party: the parties themselves do.
    agent = await m.liu.call(
        "POST",
        f"/api/v1/cases/{m.case_id}/parties",
        {"role": "agent", "name": "王律师", "phone": "13700000003", "represents_party_id": zhang.party_id},
        expect=201,
    )
    link = await m.liu.call("POST", f"/api/v1/sessions/{session_id}/links/{agent['id']}", expect=201)
    lawyer = await world.actor()
    await lawyer.open_link(link["url"])
    assert (await lawyer.call("GET", "/api/v1/party/satisfaction"))["may_rate"] is False
    refused = await lawyer.call("POST", "/api/v1/party/satisfaction/sign", rating, expect=403)
    assert reason(refused) == "parties_themselves_only"
    words = {"about": "mediation", "text": "代理人想投诉"}
    refused = await lawyer.call("POST", "/api/v1/party/complaints/sign", words, expect=403)
    assert reason(refused) == "parties_themselves_only"

    # The mediator's record: count, average, comments with the case number, no party's name.
    admin = await world.staff("admin1")
    records = (await admin.call("GET", "/api/v1/supervision/mediators"))["items"]
    liu = next(r for r in records if r["mediator"]["display_name"] == "刘调解员")
    assert (liu["count"], liu["average"]) == (2, 4.5)
    assert [(r["stars"], r["comment"], r["case_number"]) for r in liu["ratings"]] == [
        (5, "", "（2026）朝调字第12号"),
        (4, "调解员耐心，但时间有点短", "（2026）朝调字第12号"),
    ]
    assert "张三" not in json.dumps(records, ensure_ascii=False) and "李四" not in json.dumps(records, ensure_ascii=False)
    wang = next(r for r in records if r["mediator"]["display_name"] == "王调解员")
    assert (wang["count"], wang["average"], wang["ratings"]) == (0, None, [])
    # Mediators do not read the record (theirs or anyone's).
    await m.liu.call("GET", "/api/v1/supervision/mediators", expect=403)

    # Both ratings are the parties' own signed records, and the bundle verifies.
    types = [r["type"] for r in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/evidence"))["items"]]
    assert types.count("satisfaction_rated") == 2
    await world.services.ledger.settle()
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    assert response.status == 200, await response.text()
    path = world.services.settings.data_dir / "rated.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")


async def test_a_complaint_reaches_the_supervisors_above_and_never_the_mediator(world: World) -> None:
    t = await tree(world)  # the case's committee sits under 树林召镇人民调解委员会
    m, zhang, _ = await parties(world)
    words = "调解员在视频中多次打断我，不让我说完。"
    page = await complain(world, zhang, words)
    [filed] = page["complaints"]
    # The party's page says who received it, and nothing about anything done.
    assert (filed["organisation"], filed["text"], filed["answer"]) == ("树林召镇人民调解委员会", words, None)
    assert page["receiving_organisation"] == "树林召镇人民调解委员会"

    # The mediator reads it nowhere: not the complaints, not the history, not the evidence list; nor answers it.
    assert reason(await m.liu.call("GET", "/api/v1/supervision/complaints", expect=403)) == "role_needed"
    history = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/history")
    assert not [e for e in history["items"] if e["kind"].startswith("complaint")]
    evidence = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/evidence")
    assert not [r for r in evidence["items"] if r["type"].startswith("complaint")]
    await m.liu.call("POST", f"/api/v1/supervision/complaints/{filed['id']}/answer", {"text": "已核实"}, expect=403)

    # A supervisor of another tree sees none and cannot answer it.
    assert (await t.other_supervisor.call("GET", "/api/v1/supervision/complaints"))["items"] == []
    path = f"/api/v1/supervision/complaints/{filed['id']}/answer"
    refused = await t.other_supervisor.call("POST", path, {"text": "已核实"}, expect=404)
    assert reason(refused) == "no_such_complaint"

    # The city bureau's supervisor (above the town) reads it with who, where and about whom, and answers once.
    [seen] = (await t.city_supervisor.call("GET", "/api/v1/supervision/complaints"))["items"]
    assert (seen["text"], seen["party"]["name"], seen["mediator"]["display_name"], seen["case_number"]) == (
        words,
        "张三",
        "刘调解员",
        "（2026）朝调字第12号",
    )
    empty = await t.city_supervisor.call("POST", path, {"text": "  "}, expect=422)
    assert empty["error"]["fields"][0]["code"] == "required"
    answered = await t.city_supervisor.call("POST", path, {"text": "已约谈调解员，下次调解由王调解员共同主持。"})
    assert answered["answered_by"]["display_name"] == "孟督导员" and answered["answer_seq"] > seen["seq"]
    again = await t.city_supervisor.call("POST", path, {"text": "再答一次"}, expect=409)
    assert reason(again) == "complaint_answered_already"
    # The supervisor's view of the case history has both lines; the party reads the answer on their page.
    kinds = [e["kind"] for e in (await t.city_supervisor.call("GET", f"/api/v1/cases/{m.case_id}/history"))["items"]]
    assert "complaint_filed" in kinds and "complaint_answered" in kinds
    [mine] = (await zhang.actor.call("GET", "/api/v1/party/satisfaction"))["complaints"]
    assert mine["answer"] == "已约谈调解员，下次调解由王调解员共同主持。"
    # The party is texted a new link (theirs may have closed since), which opens their page with the answer;
    # the case's outbox that the mediator reads does not list that text.
    async with world.services.links._maker() as db:
        [text] = await db.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "complaint_answered", OutboxMessage.channel == "sms")
        )
    assert text.party_id == zhang.party_id
    assert text.body.startswith("张三您好：树林召镇人民调解委员会已答复您就案件（2026）朝调字第12号提出的投诉。")
    reader = await world.actor()
    assert (await reader.open_link(f"http://mediate.test/{(text.template_params or {})['link']}")).status == 303
    [read] = (await reader.call("GET", "/api/v1/party/satisfaction"))["complaints"]
    assert read["answer"] == mine["answer"]
    outbox = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/outbox")
    assert outbox["items"] and not [x for x in outbox["items"] if x["kind"].startswith("complaint")]

    # The case's bundle still verifies (every record in the chain); the words are not in the log's bodies.
    await world.services.ledger.settle()
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    assert response.status == 200, await response.text()
    bundle = world.services.settings.data_dir / "complained.zip"
    bundle.write_bytes(await response.read())
    report = verify_bundle(bundle)
    assert report.ok, render(report, "en")
    async with world.services.links._maker() as db:
        bodies = json.dumps(await world.services.ledger.bodies(db, m.case_id), ensure_ascii=False)
    assert words not in bodies and "已约谈调解员" not in bodies


async def test_the_parties_rate_the_mediation_as_a_whole_once_the_case_is_closed(world: World) -> None:
    m = await mediation(world)
    zhang, _, _ = await sealed(world, m)
    sign = "/api/v1/party/satisfaction/sign"
    body = {"occasion": "closing", "stars": 5, "comment": "调解员很耐心，钱已全部收到"}
    # Not before closing (结案): the sessions are rated one by one until then.
    early = await zhang.actor.call("POST", sign, body, expect=409)
    assert reason(early) == "case_not_closed"
    assert [o["occasion"] for o in (await zhang.actor.call("GET", "/api/v1/party/satisfaction"))["occasions"]] == ["session"]
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/close", {"reason": "waived"}, expect=201)
    page = await zhang.actor.call("GET", "/api/v1/party/satisfaction")
    closing = page["occasions"][-1]
    assert (closing["occasion"], closing["ended"], closing["rating"]) == ("closing", True, None)
    statement = await zhang.actor.call("POST", sign, body, expect=201)
    await zhang.actor.call("POST", f"{sign}/{statement['challenge']}", await proof(world, zhang, statement), expect=201)
    rating = (await zhang.actor.call("GET", "/api/v1/party/satisfaction"))["occasions"][-1]["rating"]
    assert (rating["stars"], rating["comment"]) == (5, "调解员很耐心，钱已全部收到")
    record = await logged(world, m, "satisfaction_rated")
    assert (record.claim.public["occasion"], record.claim.public["ref"]) == ("closing", m.case_id)
    assert record.claim.public["mediator"] == world.ids["liu"]
    # Once only, as for a session.
    again = await zhang.actor.call("POST", sign, body, expect=409)
    assert reason(again) == "already_rated"
