"""Extending the mediation period by every party's agreement (issue #21, ``deadline_extended``):
the mediator proposes, each party signs with their own key, the clock moves only when all have;
a refusal, a withdrawal and everyone who may not act leave it where it was."""

from __future__ import annotations

from datetime import date, timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import select

from server.domain import notices
from server.domain.principal import SYSTEM
from server.evidence.records import Record, unb64
from server.evidence.verify import render, verify_bundle
from server.models import LogEntry, OutboxMessage, Party, utcnow
from tests.api.agreement_helpers import Mediation, Signer, bind_device_key, bind_passkey, latest_code, mediation
from tests.api.helpers import book, next_weekday_at, open_case, same_server_with
from tests.api.test_confirmation import submitted
from tests.conftest import PASSWORD, Actor, World

REASON = "双方同意等待劳动监察部门的工资核算结果后继续调解"


async def propose(m: Mediation, days: int = 20, expect: int = 201, actor: Actor | None = None) -> Any:
    found = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions")
    to = date.fromisoformat(found["last_day"]) + timedelta(days=days)
    return await (actor or m.liu).call(
        "POST", f"/api/v1/cases/{m.case_id}/extensions", {"to_date": to.isoformat(), "reason": REASON}, expect=expect
    )


async def prepared(signer: Signer, expect: int = 201) -> Any:
    return await signer.actor.call("POST", "/api/v1/party/extension/sign", {}, expect=expect)


async def proof(world: World, signer: Signer, statement: Any) -> dict[str, Any]:
    raw = unb64(statement["statement"])
    if signer.device is not None:
        return {"code": await latest_code(world, signer.party_id), "signature": signer.device.sign(raw)["sig"]}
    assert signer.passkey is not None
    settings = world.services.settings
    return {
        "credential": signer.passkey.sign(sha256(raw).digest(), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)
    }


async def agree(world: World, signer: Signer, expect: int = 201) -> Any:
    statement = await prepared(signer)
    return await signer.actor.call(
        "POST", f"/api/v1/party/extension/sign/{statement['challenge']}", await proof(world, signer, statement), expect=expect
    )


async def bundle_types(world: World, actor: Actor, case_id: str) -> list[str]:
    await world.services.ledger.settle()
    response = await actor.request("POST", f"/api/v1/cases/{case_id}/evidence/bundle")
    assert response.status == 200, await response.text()
    path = world.services.settings.data_dir / "extension.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    [found] = [f for f in report.findings if f.code == "deadline_extended"]
    assert found.level == "ok" and found.params["parties"] == 2, render(report, "en")
    # A judge reads each party's signature as what it is, not as signing the agreement.
    said = render(report, "zh")
    assert said.count("签名同意延长调解期限") == 2 and "签署调解协议" not in said
    return [r["type"] for r in (await actor.call("GET", f"/api/v1/cases/{case_id}/evidence"))["items"]]


async def parties(world: World) -> tuple[Mediation, Signer, Signer]:
    m = await mediation(world)
    return (
        m,
        await bind_device_key(world, m.applicant, m.party_id("applicant")),
        await bind_passkey(world, m.respondent, m.party_id("respondent")),
    )


async def test_both_parties_sign_and_the_period_ends_on_the_day_they_agreed(world: World) -> None:
    m, zhang, li = await parties(world)
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    thirty = case["clocks"][0]["due_date"]
    assert not case["clocks"][0]["extended"]
    proposal = await propose(m)
    assert proposal["status"] == "proposed" and proposal["from_date"] == thirty
    assert proposal["proposed_by"]["display_name"] == "刘调解员"
    assert [(s["name"], s["signed_at"]) for s in proposal["signers"]] == [("张三", None), ("李四", None)]

    # Each party sees it on their page, and that they are one who agrees.
    seen = await zhang.actor.call("GET", "/api/v1/party/extension")
    assert seen["extension"]["to_date"] == proposal["to_date"] and seen["me"] == {
        "party_id": zhang.party_id,
        "signer": True,
        "signed": False,
    }

    first = await agree(world, zhang)
    assert first["extension"]["status"] == "proposed"
    # One party agreeing moves nothing; the mediator sees who has and who has not.
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    assert case["clocks"][0]["due_date"] == thirty and not case["clocks"][0]["extended"]
    listed = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions"))["items"][0]
    assert [(s["name"], bool(s["signed_at"])) for s in listed["signers"]] == [("张三", True), ("李四", False)]
    # Signing twice is refused.
    again = await prepared(zhang, expect=409)
    assert again["error"]["reason"] == "signed"

    # A replayed signature (the same challenge again) is refused.
    statement = await prepared(li)
    body = await proof(world, li, statement)
    done = await li.actor.call("POST", f"/api/v1/party/extension/sign/{statement['challenge']}", body, expect=201)
    replay = await li.actor.call("POST", f"/api/v1/party/extension/sign/{statement['challenge']}", body, expect=410)
    assert replay["error"]["reason"] == "expired"

    extended = done["extension"]
    assert extended["status"] == "extended" and extended["seq"]
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    assert case["clocks"][0]["due_date"] == proposal["to_date"] and case["clocks"][0]["extended"]
    mine = next(c for c in (await m.liu.call("GET", "/api/v1/cases"))["items"] if c["id"] == m.case_id)
    assert mine["mediation_clock"]["due_date"] == proposal["to_date"] and mine["mediation_clock"]["extended"]
    # The supervision board shows the agreed day too.
    await world.services.accounts.create_user(
        SYSTEM, username="sup", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=world.org_a.id
    )
    board = await (await world.staff("sup")).call("GET", "/api/v1/supervision")
    supervised = next(c for c in board["items"] if c["id"] == m.case_id)
    assert supervised["mediation_clock"]["due_date"] == proposal["to_date"] and supervised["mediation_clock"]["extended"]
    # Another extension starts from the agreed day.
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions"))["last_day"] == proposal["to_date"]

    types = await bundle_types(world, m.liu, m.case_id)
    assert types.count("deadline_extended") == 1 and types.index("deadline_extended") > types.index("signature")
    # The record names the old and new last day and each party's own signature record.
    async with world.services.links._maker() as db:
        entry = await db.scalar(select(LogEntry.entry).where(LogEntry.case_id == m.case_id, LogEntry.type == "deadline_extended"))
    assert entry is not None
    public = Record.from_entry(entry).claim.public
    assert (public["from_date"], public["to_date"]) == (thirty, proposal["to_date"])
    assert [(s["party"], s["seq"]) for s in public["signatures"]] == [
        (zhang.party_id, first["seq"]),
        (li.party_id, done["seq"]),
    ]


async def test_a_party_who_declines_leaves_the_clock_where_it_was_and_the_mediator_sees_who(world: World) -> None:
    m, zhang, li = await parties(world)
    proposal = await propose(m)
    await agree(world, zhang)
    declined = await li.actor.call("POST", "/api/v1/party/extension/decline", {"reason": "希望尽快解决"})
    assert declined["status"] == "declined" and declined["declined_by"]["name"] == "李四"
    assert declined["decline_reason"] == "希望尽快解决"
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    assert case["clocks"][0]["due_date"] == proposal["from_date"] and not case["clocks"][0]["extended"]
    listed = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions"))["items"][0]
    assert listed["status"] == "declined" and [s["declined"] for s in listed["signers"]] == [False, True]
    # Nothing is left to sign; the mediator may propose again.
    assert (await prepared(li, expect=409))["error"]["reason"] == "extension_declined"
    await propose(m, days=10)
    types = await bundle_types_without_extension(world, m)
    assert "deadline_extended" not in types


async def bundle_types_without_extension(world: World, m: Mediation) -> list[str]:
    await world.services.ledger.settle()
    return [r["type"] for r in (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/evidence"))["items"]]


async def test_a_withdrawn_proposal_cannot_be_signed(world: World) -> None:
    m, zhang, _ = await parties(world)
    proposal = await propose(m)
    statement = await prepared(zhang)
    body = await proof(world, zhang, statement)
    pending = await propose(m, expect=409)
    assert pending["error"]["reason"] == "extension_pending"
    withdrawn = await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/extensions/{proposal['id']}/withdraw", {})
    assert withdrawn["status"] == "withdrawn"
    late = await zhang.actor.call("POST", f"/api/v1/party/extension/sign/{statement['challenge']}", body, expect=409)
    assert late["error"]["reason"] == "extension_withdrawn"
    twice = await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/extensions/{proposal['id']}/withdraw", {}, expect=409)
    assert twice["error"]["reason"] == "extension_withdrawn"
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}")
    assert not case["clocks"][0]["extended"]


async def test_a_new_day_must_come_after_the_current_last_day_and_the_case_must_be_open(world: World) -> None:
    m = await mediation(world)
    found = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions")
    path = f"/api/v1/cases/{m.case_id}/extensions"
    same = await m.liu.call("POST", path, {"to_date": found["last_day"], "reason": REASON}, expect=422)
    [field] = same["error"]["fields"]
    assert (field["field"], field["code"], field["params"]) == ("to_date", "not_after_last_day", {"last_day": found["last_day"]})
    no_reason = await m.liu.call("POST", path, {"to_date": "2099-01-01", "reason": " "}, expect=422)
    assert no_reason["error"]["fields"][0]["code"] == "required"
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/outcome", {"outcome": "failed", "reason": "divergence"})
    closed = await m.liu.call("POST", path, {"to_date": "2099-01-01", "reason": REASON}, expect=409)
    assert closed["error"]["reason"] == "failed"


async def test_who_may_not_propose_or_agree(world: World) -> None:
    m, zhang, _ = await parties(world)
    acc = world.services.accounts
    await acc.create_user(
        SYSTEM, username="sup", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=world.org_a.id
    )
    supervisor, zhao = await world.staff("sup"), await world.staff("zhao")
    assert (await propose(m, actor=supervisor, expect=403))["error"]["reason"] == "supervisor_reads_only"
    assert (await propose(m, actor=zhao, expect=403))["error"]["reason"] == "another_organisation"
    await zhao.call("GET", f"/api/v1/cases/{m.case_id}/extensions", expect=403)
    # The supervisor reads the proposals.
    await supervisor.call("GET", f"/api/v1/cases/{m.case_id}/extensions")

    proposal = await propose(m)
    # The supervisor reads who has agreed, not the texts to the parties (their bodies carry the parties' links).
    [read] = (await supervisor.call("GET", f"/api/v1/cases/{m.case_id}/extensions"))["items"]
    assert [s["name"] for s in read["signers"]] == ["张三", "李四"] and all("notice" not in s for s in read["signers"])
    withdraw = f"/api/v1/cases/{m.case_id}/extensions/{proposal['id']}/withdraw"
    assert (await zhao.call("POST", withdraw, {}, expect=403))["error"]["reason"] == "another_organisation"

    # Another case's party sees nothing of it and cannot sign it, not even with its statement.
    other = await mediation(world, "（2026）朝调字第13号", hour=14)
    stranger = await bind_device_key(world, other.applicant, other.party_id("applicant"))
    assert (await stranger.actor.call("GET", "/api/v1/party/extension"))["extension"] is None
    assert (await prepared(stranger, expect=409))["error"]["reason"] == "no_extension"
    statement = await prepared(zhang)
    stolen = await stranger.actor.call(
        "POST", f"/api/v1/party/extension/sign/{statement['challenge']}", await proof(world, zhang, statement), expect=404
    )
    assert stolen["error"]["reason"] == "no_such_request"
    # An agent does not agree for the party here; the parties themselves do.
    added = await m.liu.call(
        "POST",
        f"/api/v1/cases/{m.case_id}/parties",
        {"role": "agent", "name": "王律师", "phone": "13700000003", "represents_party_id": zhang.party_id},
        expect=201,
    )
    assert added["role"] == "agent"
    case = await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions")
    assert [s["name"] for s in case["items"][0]["signers"]] == ["张三", "李四"]


async def test_a_case_before_the_court_is_not_extended(world: World) -> None:
    m, a, _, _ = await submitted(world)
    refused = await propose(m, expect=409)
    assert refused["error"]["reason"] == "submitted"
    # Nor can a party start one: nothing was proposed.
    assert (await prepared(a, expect=409))["error"]["reason"] == "no_extension"


async def texts_of(world: World, case_id: str) -> list[OutboxMessage]:
    async with world.services.links._maker() as db:
        return list(
            await db.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.case_id == case_id, OutboxMessage.kind == "extension_proposed", OutboxMessage.channel == "sms"
                )
                .order_by(OutboxMessage.id)
            )
        )


async def test_proposing_texts_each_party_who_must_agree_a_link_to_their_own_page(world: World) -> None:
    m = await mediation(world)
    proposal = await propose(m)
    day = date.fromisoformat(proposal["to_date"])
    texts = await texts_of(world, m.case_id)
    assert [(t.party_id, t.recipient) for t in texts] == [
        (m.party_id("applicant"), "13800000001"),
        (m.party_id("respondent"), "13900000002"),
    ]
    for text, name in zip(texts, ("张三", "李四"), strict=True):
        assert text.body.startswith(
            f"{name}您好：调解员刘调解员提议将案件（2026）朝调字第12号的调解期限延长至{notices.day_text(day)[0]}，须经您本人同意。"
        )
        assert "选择同意或不同意" in text.body
        link = (text.template_params or {})["link"]
        assert link.startswith("j/") and len(link) <= 35 and f"http://mediate.test/{link}" in text.body
        # Each link opens that party's own page, where the proposal waits for them.
        reader = await world.actor()
        assert (await reader.open_link(f"http://mediate.test/{link}")).status == 303
        seen = await reader.call("GET", "/api/v1/party/extension")
        assert seen["extension"]["id"] == proposal["id"] and seen["me"]["party_id"] == text.party_id and seen["me"]["signer"]
    # The links they had still open their pages.
    assert (await m.applicant.call("GET", "/api/v1/party/extension"))["extension"]["id"] == proposal["id"]

    # The mediator sees what became of each text: queued, with a sender to hand it on; then handed on.
    assert [[(n["channel"], n["status"], n["undelivered"]) for n in s["notice"]["messages"]] for s in proposal["signers"]] == [
        [("sms", "pending", None)],
        [("sms", "pending", None)],
    ]
    await world.services.outbox.deliver_pending()
    listed = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions"))["items"][0]
    assert [[(n["status"], n["provider"]) for n in s["notice"]["messages"]] for s in listed["signers"]] == [
        [("sent", "spool")],
        [("sent", "spool")],
    ]
    # Proposed again while it waits: refused, and nobody is texted twice.
    await propose(m, expect=409)
    assert len(await texts_of(world, m.case_id)) == 2
    # A party's page never shows the texts.
    assert "notice" not in (await m.applicant.call("GET", "/api/v1/party/extension"))["extension"]["signers"][0]
    # A new proposal after a withdrawal is news again: one more text each.
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/extensions/{proposal['id']}/withdraw", {})
    await propose(m, days=30)
    assert len(await texts_of(world, m.case_id)) == 4


async def test_a_party_with_no_phone_or_no_session_is_not_texted_and_the_mediator_is_told_why(world: World) -> None:
    liu = await world.staff("liu")
    unbooked = await open_case(liu, "（2026）朝调字第14号")
    proposal = await liu.call(
        "POST", f"/api/v1/cases/{unbooked['id']}/extensions", {"to_date": "2099-01-01", "reason": REASON}, expect=201
    )
    assert [(s["name"], s["notice"]) for s in proposal["signers"]] == [
        ("张三", {"messages": [], "missing": "no_session"}),
        ("李四", {"messages": [], "missing": "no_session"}),
    ]
    assert await texts_of(world, unbooked["id"]) == []
    # A case from an online application: the other side's phone may be unknown (王五 has none).
    case = await liu.call(
        "POST", "/api/v1/cases",
        {"case_number": "（2026）朝调字第15号", "dispute_type": "neighbours", "source": "party_application", "summary": "院墙"},
        expect=201,
    )  # fmt: skip
    async with world.services.links._maker() as db, db.begin():
        db.add(Party(case_id=case["id"], role="respondent", name="王五", phone="", created_at=utcnow()))
    await liu.call("POST", f"/api/v1/cases/{case['id']}/parties", {"role": "applicant", "name": "张三", "phone": "13800000001"}, expect=201)  # fmt: skip
    await book(liu, case["id"], next_weekday_at(15))
    proposal = await liu.call(
        "POST", f"/api/v1/cases/{case['id']}/extensions", {"to_date": "2099-01-01", "reason": REASON}, expect=201
    )
    told = {s["name"]: s["notice"] for s in proposal["signers"]}
    assert told["王五"] == {"messages": [], "missing": "no_contact"}
    assert [n["recipient"] for n in told["张三"]["messages"]] == ["13800000001"] and told["张三"]["missing"] is None


async def test_with_no_sms_service_the_mediator_sees_the_texts_are_only_recorded(world: World, aiohttp_server: Any) -> None:
    off = await same_server_with(world, aiohttp_server, sms_gateway="spool")
    m = await mediation(off)
    proposal = await propose(m)
    assert [[(n["status"], n["undelivered"]) for n in s["notice"]["messages"]] for s in proposal["signers"]] == [
        [("pending", "no_sms_service")],
        [("pending", "no_sms_service")],
    ], "never 'sending' for a text nothing sends"
    await off.services.outbox.deliver_pending()
    listed = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/extensions"))["items"][0]
    for signer in listed["signers"]:
        [kept] = signer["notice"]["messages"]
        assert (kept["status"], kept["provider"], kept["failure_reason"]) == ("recorded", None, "未开通短信服务，短信未发出")
