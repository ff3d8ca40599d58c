"""Ending a case on the grounds of 人民法院在线调解规则 art. 25 (issue #21): each ground and what it
needs, who may end a case, and the ground with its source in the signed `mediation_ended` record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from server.domain.outcomes import GROUNDS, LEGACY, ground_of
from server.evidence.records import Record
from server.models import Case, utcnow
from tests.api.agreement_helpers import Mediation, draft_and_finalise, mediation
from tests.api.helpers import open_case
from tests.conftest import World


def end(reason: str, **more: Any) -> dict[str, Any]:
    return {"outcome": "failed", "reason": reason, **more}


async def ended_record(world: World, m: Mediation) -> dict[str, Any]:
    """The public part and the body's data of the case's `mediation_ended` record, as the ledger keeps them."""
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        entries = await world.services.ledger.case_entries(db, m.case_id)
        bodies = await world.services.ledger.bodies(db, m.case_id)
    [record] = [r for r in (Record.from_entry(e.entry) for e in entries) if r.claim.type == "mediation_ended"]
    datas = [b.get("data") for b in bodies.values()]
    [data] = [d for d in datas if isinstance(d, dict) and "routes" in d]
    return {"public": record.claim.public, "body": data}


async def test_the_ending_form_offers_exactly_the_grounds_of_article_25_with_what_each_needs(world: World) -> None:
    liu = await world.staff("liu")
    listed = (await liu.call("GET", "/api/v1/meta"))["mediation_end_reasons"]
    # The form offers the mediator's grounds; the two the platform records itself (the other side
    # refused or did not answer, server/domain/willingness.py) are marked automatic and not offered.
    assert [r["code"] for r in listed if r.get("automatic")] == ["other_side_refused", "other_side_silent"]
    reasons = [r for r in listed if not r.get("automatic")]
    assert [(r["item"], r["code"]) for r in reasons] == [
        (2, "withdrawn"), (3, "unreachable"), (4, "unwilling"), (5, "divergence"),
        (6, "period_expired"), (7, "refused_to_sign"), (8, "other"),
    ]  # fmt: skip
    by_code = {r["code"]: r for r in reasons}
    assert by_code["unreachable"]["zh"] == "在调解期限内无法联系到当事人"
    assert by_code["unreachable"]["source_zh"] == "《人民法院在线调解规则》第二十五条第（三）项"
    assert by_code["period_expired"]["en"].startswith("The mediation period is over")
    assert {c: r["needs"] for c, r in by_code.items()} == {
        "withdrawn": ["applicant"], "unreachable": ["party", "note"], "unwilling": ["party"], "divergence": [],
        "period_expired": ["period_over"], "refused_to_sign": ["party", "final_agreement"], "other": ["note"],
    }  # fmt: skip
    # Every older reason is one of the grounds.
    assert all(ground_of(old) is GROUNDS[new] for old, new in LEGACY.items())


async def test_a_ground_that_names_a_party_or_needs_a_note_is_refused_without_it(world: World) -> None:
    m = await mediation(world)
    path = f"/api/v1/cases/{m.case_id}/outcome"
    unknown = await m.liu.call("POST", path, end("no_agreement"), expect=422)  # an older reason is no ground
    assert [(f["field"], f["code"]) for f in unknown["error"]["fields"]] == [("reason", "choice")]
    for reason, field in (("unreachable", "note"), ("other", "note"), ("unwilling", "party_id"), ("withdrawn", "party_id")):
        refused = await m.liu.call("POST", path, end(reason), expect=422)
        assert [(f["field"], f["code"]) for f in refused["error"]["fields"]] == [(field, "required")], reason
    # Withdrawing is the applicant's act; an unknown party is none of this case's.
    respondent = await m.liu.call("POST", path, end("withdrawn", party_id=m.party_id("respondent")), expect=422)
    assert [(f["field"], f["code"]) for f in respondent["error"]["fields"]] == [("party_id", "party_of_case")]
    stranger = await m.liu.call("POST", path, end("unwilling", party_id="no-such-party"), expect=422)
    assert stranger["error"]["fields"][0]["code"] == "party_of_case"
    # The period has not run out; no agreement was put to the parties.
    early = await m.liu.call("POST", path, end("period_expired"), expect=409)
    assert early["error"]["reason"] == "period_not_over" and early["error"]["due_date"]
    unsigned = await m.liu.call("POST", path, end("refused_to_sign", party_id=m.party_id("respondent")), expect=409)
    assert unsigned["error"]["reason"] == "no_final_agreement"
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}"))["status"] == "open"


async def test_a_party_who_will_not_go_on_is_named_in_the_signed_record_with_the_article(world: World) -> None:
    m = await mediation(world)
    case = await m.liu.call(
        "POST",
        f"/api/v1/cases/{m.case_id}/outcome",
        end("unwilling", party_id=m.party_id("respondent"), note="电话中明确表示不再调解"),
    )
    assert (case["status"], case["outcome"]["reason"]) == ("failed", "unwilling")
    record = await ended_record(world, m)
    assert record["public"] == {
        "outcome": "failed", "reason": "unwilling", "ground": {"rule": "在线调解规则", "article": 25, "item": 4},
    }  # fmt: skip
    body = record["body"]
    assert (
        body["ground"] == "当事人一方明确表示不愿意继续调解" and body["source"] == "《人民法院在线调解规则》第二十五条第（四）项"
    )
    respondent = next(p["name"] for p in m.case["parties"] if p["role"] == "respondent")
    assert body["party"] == respondent and body["note"] == "电话中明确表示不再调解" and "诉讼" in body["routes"]


async def test_the_applicant_withdraws_and_an_unreachable_party_is_recorded_with_what_was_tried(world: World) -> None:
    m = await mediation(world)
    withdrawn = await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/outcome", end("withdrawn", party_id=m.party_id("applicant")))
    assert withdrawn["outcome"]["reason"] == "withdrawn"
    assert (await ended_record(world, m))["public"]["ground"]["item"] == 2
    other = await mediation(world, number="（2026）朝调字第13号", hour=14)
    note = "12月1日、3日两次电话未接通，短信未回复"
    gone = await other.liu.call(
        "POST", f"/api/v1/cases/{other.case_id}/outcome", end("unreachable", party_id=other.party_id("respondent"), note=note)
    )
    assert (gone["outcome"]["reason"], gone["outcome"]["note"]) == ("unreachable", note)


async def test_the_period_ground_once_thirty_days_have_passed_and_refusal_to_sign_once_final(world: World) -> None:
    m = await mediation(world)
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Case).where(Case.id == m.case_id).values(created_at=utcnow() - timedelta(days=45)))
    expired = await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/outcome", end("period_expired"))
    assert expired["outcome"]["reason"] == "period_expired"
    assert (await ended_record(world, m))["body"]["source"] == "《人民法院在线调解规则》第二十五条第（六）项"
    signing = await mediation(world, number="（2026）朝调字第14号", hour=14)
    await draft_and_finalise(signing)
    refused = await signing.liu.call(
        "POST", f"/api/v1/cases/{signing.case_id}/outcome", end("refused_to_sign", party_id=signing.party_id("respondent"))
    )
    assert refused["outcome"]["reason"] == "refused_to_sign"


async def test_only_the_cases_own_mediators_end_it(world: World) -> None:
    liu, zhao, judge = await world.staff("liu"), await world.staff("zhao"), await world.staff("judge1")
    case = await open_case(liu)
    path = f"/api/v1/cases/{case['id']}/outcome"
    assert (await zhao.call("POST", path, end("divergence"), expect=403))["error"]["reason"] == "another_organisation"
    await judge.call("POST", path, end("divergence"), expect=403)
    assert (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["status"] == "open"
