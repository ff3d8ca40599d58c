"""The mediation record (调解笔录, issue #22): the mediator writes it, closes it into hashed versions
(``transcript_version``), and each party signs the newest version with their own key
(``transcript_signed``), noting a disagreement beside it; everyone else is refused."""

from __future__ import annotations

import re
import uuid
from hashlib import sha256
from typing import Any

from sqlalchemy import select

from server.evidence.records import Record
from server.evidence.verify import Report, render, verify_bundle
from server.models import LogEntry, Recording, utcnow
from tests.api.agreement_helpers import Mediation, Signer, bind_device_key, bind_passkey, mediation
from tests.api.test_extensions import proof
from tests.conftest import World

DRAFT = {
    "recorder": "王调解员",
    "statements": "调解员：请申请人陈述请求。\n张三：公司拖欠我三个月工资共一万五千元。\n李四：工资是欠的，但只欠两个月。",
    "facts": "张三在李四的公司工作至2026年9月。\n2026年8月、9月的工资未发放。",
    "proposals": "调解员建议按两个半月计算，即一万二千五百元。",
    "agreement": "",
}


async def logged(world: World, case_id: str, kind: str) -> list[Record]:
    """The case's records of a kind, as the log holds them (claim: type, actor, public)."""
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        query = select(LogEntry.entry).where(LogEntry.case_id == case_id, LogEntry.type == kind).order_by(LogEntry.seq)
        return [Record.from_entry(entry) for entry in await db.scalars(query)]


async def verified(world: World, m: Mediation) -> Report:
    """The case's evidence bundle, checked by the offline verifier, which finds nothing wrong."""
    await world.services.ledger.settle()
    response = await m.liu.request("POST", f"/api/v1/cases/{m.case_id}/evidence/bundle")
    assert response.status == 200, await response.text()
    path = world.services.settings.data_dir / "transcript.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    return report


def reason(body: Any) -> str:
    return str(body["error"]["reason"])


async def written(m: Mediation, draft: dict[str, Any] | None = None) -> dict[str, Any]:
    path = f"/api/v1/sessions/{m.session['session']['id']}/transcript"
    started = await m.liu.call("GET", path)
    return dict(await m.liu.call("PUT", path, started["content"] | (draft or DRAFT)))


async def closed(m: Mediation, expect: int = 201) -> Any:
    return await m.liu.call("POST", f"/api/v1/sessions/{m.session['session']['id']}/transcript/close", {}, expect=expect)


async def sign(
    world: World, m: Mediation, signer: Signer, version: int, text_sha256: str, note: str = "", expect: int = 201
) -> Any:
    sid = m.session["session"]["id"]
    body = {"version": version, "text_sha256": text_sha256, "disagreement": note}
    statement = await signer.actor.call("POST", f"/api/v1/party/transcripts/{sid}/sign", body, expect=201)
    return await signer.actor.call(
        "POST", f"/api/v1/party/transcript/sign/{statement['challenge']}", await proof(world, signer, statement), expect=expect
    )


async def test_the_record_starts_with_who_is_present_and_keeps_what_the_mediator_wrote(world: World) -> None:
    m = await mediation(world)
    sid = m.session["session"]["id"]
    fresh = await m.liu.call("GET", f"/api/v1/sessions/{sid}/transcript")
    # Prefilled from the case: its parties and mediator, by name and role; the writer as recorder.
    assert [(p["name"], p["role"]) for p in fresh["content"]["present"]] == [
        ("张三", "applicant"),
        ("李四", "respondent"),
        ("刘调解员", "mediator"),
    ]
    assert fresh["content"]["recorder"] == "刘调解员" and fresh["version"] is None and fresh["updated_at"] is None
    saved = await written(m)
    assert saved["content"]["statements"] == DRAFT["statements"] and saved["updated_at"]
    # A party of the case reads the draft as it stands; a colleague of the committee may write it as recorder.
    seen = await m.applicant.call("GET", f"/api/v1/sessions/{sid}/transcript")
    assert seen["content"]["facts"] == DRAFT["facts"]
    wang = await world.staff("wang")
    by_wang = await wang.call("PUT", f"/api/v1/sessions/{sid}/transcript", seen["content"] | {"proposals": "再议"})
    assert by_wang["content"]["proposals"] == "再议"


async def test_only_the_cases_mediators_write_and_only_its_parties_read(world: World) -> None:
    m = await mediation(world)
    sid = m.session["session"]["id"]
    path = f"/api/v1/sessions/{sid}/transcript"
    await written(m)
    # A party reads, never writes nor closes.
    assert reason(await m.applicant.call("PUT", path, DRAFT, expect=403)) == "staff_only"
    assert reason(await m.respondent.call("POST", f"{path}/close", {}, expect=403)) == "staff_only"
    # A mediator of another organisation neither reads nor writes.
    zhao = await world.staff("zhao")
    assert reason(await zhao.call("GET", path, expect=403)) == "another_organisation"
    assert reason(await zhao.call("PUT", path, DRAFT, expect=403)) == "another_organisation"
    # A party of another case does not read this one's record.
    other = await mediation(world, "（2026）朝调字第13号", hour=14)
    assert reason(await other.applicant.call("GET", path, expect=403)) == "another_case"
    # Nobody anonymous.
    anonymous = await world.actor()
    await anonymous.call("GET", path, expect=401)
    # Too long a record is refused with what to do, and nothing changes.
    too_long = await m.liu.call("PUT", path, DRAFT | {"statements": "字" * 15001}, expect=422)
    assert too_long["error"]["fields"][0]["code"] == "too_long"
    assert (await m.liu.call("GET", path))["content"]["statements"] == DRAFT["statements"]


async def test_closing_makes_a_hashed_version_in_the_log_and_the_next_close_the_next(world: World) -> None:
    m = await mediation(world)
    sid = m.session["session"]["id"]
    assert reason(await closed(m, expect=409)) == "no_transcript"
    await written(m)
    first = await closed(m)
    v1 = first["version"]
    assert v1["number"] == 1 and v1["closed_by"] == "刘调解员"
    assert v1["text_sha256"] == sha256(v1["text"].encode()).hexdigest()
    # The form's head and foot: title, place online, the mediator, recorder, who was present, signatures.
    text = v1["text"]
    assert text.startswith("人民调解记录\n") and "地点：线上视频调解（朝阳区人民调解委员会）" in text
    assert "调解员：刘调解员" in text and "记录人：王调解员" in text
    # Closed before the booked start (as here): the time is the booked sitting, never an end before the start.
    assert re.search(r"时间：\d{4}年\d{1,2}月\d{1,2}日 10:00至11:00\n", text), text
    assert "到场人员：申请人 张三；被申请人 李四；调解员 刘调解员" in text
    assert "二、双方无争议的事实\n张三在李四的公司工作至2026年9月。" in text
    assert "四、口头调解协议（人民调解法第二十八条、第三十条）\n（未达成）" in text
    assert "当事人（签名）：申请人 张三、被申请人 李四" in text
    # Closing the same words again is refused: nothing new to sign.
    assert reason(await closed(m, expect=409)) == "transcript_unchanged"
    # An oral agreement written in makes version 2.
    await written(m, DRAFT | {"agreement": "李四于2026年12月31日前支付张三工资一万二千五百元。"})
    v2 = (await closed(m))["version"]
    assert v2["number"] == 2 and v2["text_sha256"] != v1["text_sha256"]
    assert "李四于2026年12月31日前支付张三工资一万二千五百元。" in v2["text"]
    # Each version is a `transcript_version` record holding its hash; the history names them.
    versions = [r.claim.public for r in await logged(world, m.case_id, "transcript_version")]
    assert [(r["version"], r["text_hash"]) for r in versions] == [
        (1, v1["text_sha256"]),
        (2, v2["text_sha256"]),
    ]
    assert all(r["session"] == sid for r in versions)
    # The case page lists the record with its newest version; a change after it asks for a new close.
    [listed] = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/transcripts"))["items"]
    assert listed["session_id"] == sid and listed["version"]["number"] == 2 and listed["unclosed"] is False
    await written(m, DRAFT | {"proposals": "另议"})
    assert (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/transcripts"))["items"][0]["unclosed"] is True
    zhao = await world.staff("zhao")
    assert reason(await zhao.call("GET", f"/api/v1/cases/{m.case_id}/transcripts", expect=403)) == "another_organisation"
    history = (await m.liu.call("GET", f"/api/v1/cases/{m.case_id}/history"))["items"]
    assert sum(1 for h in history if h["kind"] == "transcript_version") == 2


async def test_each_party_signs_the_newest_version_once_and_a_disagreement_stays_beside_it(world: World) -> None:
    m = await mediation(world)
    zhang = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    li = await bind_passkey(world, m.respondent, m.party_id("respondent"))
    sid = m.session["session"]["id"]
    await written(m)
    v1 = (await closed(m))["version"]
    # Before signing, each party sees the closed record on their page and that they sign it.
    page = await zhang.actor.call("GET", "/api/v1/party/transcripts")
    assert page["me"]["signer"] and [i["version"]["text_sha256"] for i in page["items"]] == [v1["text_sha256"]]
    signed = await sign(world, m, zhang, 1, v1["text_sha256"])
    assert signed["seq"] and [(s["name"], bool(s["signed_at"])) for s in signed["record"]["signers"]] == [
        ("张三", True),
        ("李四", False),
    ]
    # Signing twice is refused, clearly.
    body = {"version": 1, "text_sha256": v1["text_sha256"]}
    again = await zhang.actor.call("POST", f"/api/v1/party/transcripts/{sid}/sign", body, expect=409)
    assert reason(again) == "signed"

    # The mediator writes on and closes version 2: a signature of version 1 is refused, named so.
    await written(m, DRAFT | {"proposals": "调解员建议按两个月计算，即一万元。"})
    v2 = (await closed(m))["version"]
    stale = await li.actor.call("POST", f"/api/v1/party/transcripts/{sid}/sign", body, expect=409)
    assert reason(stale) == "transcript_changed"
    # A statement prepared for a version closed over since is refused when signed.
    note = "本人不认可“只欠两个月”的说法，记录中我方陈述为三个月。"
    statement = await li.actor.call(
        "POST", f"/api/v1/party/transcripts/{sid}/sign", {"version": 2, "text_sha256": v2["text_sha256"], "disagreement": note},
        expect=201,
    )  # fmt: skip
    await written(m, DRAFT | {"proposals": "调解员建议按两个半月计算。"})
    v3 = (await closed(m))["version"]
    late = await li.actor.call(
        "POST", f"/api/v1/party/transcript/sign/{statement['challenge']}", await proof(world, li, statement), expect=409
    )
    assert reason(late) == "transcript_changed"

    # The respondent signs version 3 with their disagreement noted; the record's text is unchanged by it.
    done = await sign(world, m, li, 3, v3["text_sha256"], note)
    mine = next(s for s in done["record"]["signers"] if s["name"] == "李四")
    assert mine["disagreement"] == note and done["record"]["version"]["text"] == v3["text"]
    assert note not in v3["text"]
    # The applicant's signature of version 1 does not count for version 3.
    assert next(s for s in done["record"]["signers"] if s["name"] == "张三")["signed_at"] is None
    # The mediator sees the note beside the record.
    seen = await m.liu.call("GET", f"/api/v1/sessions/{sid}/transcript")
    assert next(s for s in seen["signers"] if s["name"] == "李四")["disagreement"] == note

    # The log: `transcript_signed` records, each the party's own, naming the version and its hash.
    signatures = await logged(world, m.case_id, "transcript_signed")
    assert [(r.claim.actor["id"], r.claim.public["version"], r.claim.public["disagreement"]) for r in signatures] == [
        (zhang.party_id, 1, False),
        (li.party_id, 3, True),
    ]
    assert signatures[1].claim.public["text_hash"] == v3["text_sha256"]
    # The offline verifier checks every signature, the passkey's user verification too.
    report = await verified(world, m)
    assert "当事人签署调解记录" in render(report, "zh")
    # Each signature names a logged version with the same hash: the verifier says which.
    ok = [f.params["version"] for f in report.findings if f.code == "transcript_signed" and f.level == "ok"]
    assert ok == [1, 3]


async def test_only_a_party_signs_and_an_agent_reads(world: World) -> None:
    m = await mediation(world)
    await written(m)
    v1 = (await closed(m))["version"]
    sid = m.session["session"]["id"]
    body = {"version": 1, "text_sha256": v1["text_sha256"]}
    # Staff cannot sign as a party; a party of another case cannot sign this one's record.
    assert reason(await m.liu.call("POST", f"/api/v1/party/transcripts/{sid}/sign", body, expect=403)) == "parties_only"
    other = await mediation(world, "（2026）朝调字第13号", hour=14)
    refused = await other.applicant.call("POST", f"/api/v1/party/transcripts/{sid}/sign", body, expect=403)
    assert reason(refused) == "another_case"
    # A text the party was not shown (a different hash) is refused before anything is prepared.
    wrong = body | {"text_sha256": "0" * 64}
    assert reason(await m.applicant.call("POST", f"/api/v1/party/transcripts/{sid}/sign", wrong, expect=409)) == (
        "transcript_changed"
    )


def test_the_time_runs_to_the_close_during_the_sitting_and_to_the_booked_end_otherwise() -> None:
    from datetime import UTC, datetime, timedelta

    from server.domain.transcript_text import Content, Head, Present, compose

    start = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    head = Head("（2026）朝调字第1号", "朝阳区人民调解委员会", "拖欠工资", ("刘调解员",), start, start + timedelta(hours=1),
                "Asia/Shanghai", (Present("张三", "applicant"), Present("李四", "respondent")))  # fmt: skip
    content = Content(statements="张三：欠三个月。")
    assert "时间：2026年12月7日 10:00至11:42\n" in compose(content, head, start + timedelta(minutes=102))
    assert "时间：2026年12月7日 10:00至11:00\n" in compose(content, head, start + timedelta(days=2))
    # The same words and case give the same bytes: what is hashed is reproducible.
    closed = start + timedelta(minutes=30)
    assert compose(content, head, closed) == compose(Content.from_json(content.to_json()), head, closed)


async def choose_recording(world: World, signer: Signer, expect: int = 201) -> Any:
    statement = await signer.actor.call("POST", "/api/v1/party/transcript/recording-choice", {}, expect=201)
    return await signer.actor.call(
        "POST", f"/api/v1/party/transcript/recording-choice/{statement['challenge']}", await proof(world, signer, statement),
        expect=expect,
    )  # fmt: skip


async def recorded(world: World, m: Mediation) -> None:
    """A stopped recording of the session, as the recorder leaves it."""
    async with world.services.recordings.maker() as db, db.begin():
        db.add(
            Recording(
                id=uuid.uuid4().hex, session_id=m.session["session"]["id"], case_id=m.case_id, status="stopped",
                started_at=utcnow(), ended_at=utcnow(), started_by=world.ids["liu"], master_key_id="test",
                wrapped_key=b"", base_head="0" * 64, head="0" * 64,
            )
        )  # fmt: skip


async def test_the_recording_stands_for_the_statements_only_once_both_parties_chose_so_and_facts_stay_written(
    world: World,
) -> None:
    m = await mediation(world)
    zhang = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    li = await bind_passkey(world, m.respondent, m.party_id("respondent"))
    only_facts = DRAFT | {"statements": "", "proposals": ""}
    await written(m, only_facts)
    # Without the parties' choice, the written account of what was said is the record.
    assert reason(await closed(m, expect=409)) == "statements_required"
    # One party choosing changes nothing.
    first = await choose_recording(world, zhang)
    assert first["seq"] and not first["recording"]["agreed"]
    assert [(p["name"], bool(p["signed_at"])) for p in first["recording"]["parties"]] == [("张三", True), ("李四", False)]
    assert reason(await zhang.actor.call("POST", "/api/v1/party/transcript/recording-choice", {}, expect=409)) == "signed"
    assert reason(await closed(m, expect=409)) == "statements_required"
    both = await choose_recording(world, li)
    assert both["recording"]["agreed"]
    # Both chose: the facts both sides accept are still written, and the session must have been recorded.
    await written(m, only_facts | {"facts": ""})
    assert reason(await closed(m, expect=409)) == "facts_required"
    await written(m, only_facts)
    assert reason(await closed(m, expect=409)) == "no_recording"
    await recorded(world, m)
    done = await closed(m)
    text = done["version"]["text"]
    assert "经双方当事人签名同意，本次调解以录音录像代替对当事人陈述的记录（《人民法院在线调解规则》第二十二条）" in text
    assert "二、双方无争议的事实\n张三在李四的公司工作至2026年9月。" in text
    assert done["recording"]["agreed"]
    [version] = await logged(world, m.case_id, "transcript_version")
    assert version.claim.public["recording_instead"] is True
    choices = [
        r for r in await logged(world, m.case_id, "signature") if r.claim.public.get("intent") == "recording_instead_of_record"
    ]
    assert [r.claim.actor["id"] for r in choices] == [zhang.party_id, li.party_id]
    # The parties still sign the record: it is what confirms the undisputed facts in writing.
    signed = await sign(world, m, zhang, 1, done["version"]["text_sha256"])
    assert signed["seq"]
    said = render(await verified(world, m), "zh")
    assert said.count("签名同意以录音录像代替调解笔录") == 2 and "签署调解协议" not in said
