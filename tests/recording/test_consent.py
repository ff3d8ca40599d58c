"""Consent decides what is recorded: nothing before everyone agreed, nothing after a withdrawal, no one who did not agree."""

from __future__ import annotations

import asyncio
import io
import time

import pytest

from server.evidence.records import parse_time
from server.evidence.verify import render, verify_bundle
from tests.recording.session import Person, Recorded, case_of, export, recordings_of, segments_of
from tests.signaling.live import PATIENCE, eventually


def stored_files(s: Recorded, pattern: str = "*") -> list[str]:
    root = s.meeting.world.services.settings.resolved_recordings_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob(pattern) if p.is_file()) if root.exists() else []


async def evidence_types(s: Recorded) -> list[str]:
    await s.meeting.world.services.ledger.settle()
    items = (await s.meeting.liu.call("GET", f"/api/v1/cases/{await case_of(s.meeting)}/evidence"))["items"]
    return [item["type"] for item in items]


async def test_recording_starts_only_once_every_admitted_participant_has_consented(recorded: Recorded) -> None:
    s = await recorded.assemble()
    assert (await s.people["applicant"].consent())["ok"]
    refused = await s.host.call("record_start", {})
    assert refused["ok"] is False
    assert refused["error"]["reason"] == "consent_missing" and "李四" in refused["error"]["message"]
    await asyncio.sleep(2.0)  # media flows meanwhile; none of it may be written
    assert await recordings_of(s.meeting) == [] and stored_files(s) == []
    assert s.host.view["recording"]["active"] is False
    consented = {p["name"]: p["consented"] for p in s.host.view["participants"]}
    assert consented == {"刘调解员": False, "张三": True, "李四": False}
    # A party cannot start it, and the host does not sign the party's statement.
    assert (await s.people["applicant"].peer.call("record_start", {}))["error"]["code"] == "forbidden"
    assert (await s.host.call("consent_prepare", {}))["error"]["code"] == "invalid_state"

    assert (await s.people["respondent"].consent())["ok"]
    started = await s.host.call("record_start", {})
    assert started["ok"], started
    await eventually(lambda: all(p.view["recording"]["active"] for p in (s.host, s.people["applicant"].peer)))
    assert await evidence_types(s) == ["case_registered", "key_bound", "key_bound", "consent", "consent", "consent"]


async def test_a_party_without_a_bound_key_is_told_to_bind_one(recorded: Recorded) -> None:
    s = await recorded.assemble(parties=())
    m = s.meeting
    peer = await m.join("applicant", await m.browser_for("applicant"))
    answer = await peer.call("consent_prepare", {})
    assert answer["ok"] is False and answer["error"]["reason"] == "no_key"
    # A signature that is not theirs over a statement that was never prepared is refused too.
    bad = await peer.call("consent_give", {"challenge": "x" * 32, "signature": "AAAA"})
    assert bad["ok"] is False and bad["error"]["code"] == "not_found"


# Segments a minute long: nothing is cut before the withdrawal, so every segment is one the stop kept.
@pytest.mark.parametrize("segment_seconds", [60.0])
async def test_a_withdrawal_stops_the_recording_for_everyone_within_a_second(recorded: Recorded) -> None:
    s = await recorded.assemble()
    for who in ("applicant", "respondent"):
        assert (await s.people[who].consent())["ok"]
    await asyncio.sleep(1.0)
    assert (await s.host.call("record_start", {}))["ok"]
    started_at = time.time()
    await asyncio.sleep(5.0)
    withdrawn_at = time.time()
    answer = await s.people["respondent"].peer.call("consent_withdraw", {})
    assert answer["ok"] and answer["recording_stopped"] is True
    stopped = await s.host.wait("recording_stopped")
    assert stopped["reason"] == "consent_withdrawn" and stopped["by"] == "李四" and "撤回" in stopped["message"]
    await eventually(lambda: not any(p.peer.view["recording"]["active"] for p in s.people.values()))
    [recording] = await recordings_of(s.meeting)
    assert recording.status == "stopped" and recording.end_reason == "consent_withdrawn"
    segments = await segments_of(s.meeting, recording.id)
    # What the three sent until the withdrawal, still in memory then, is kept for each of them...
    assert {seg.participant_id for seg in segments} == {s.id(who) for who in s.people}
    # ...and nothing captured more than a second after it. (How close to the withdrawal the last kept
    # frame was captured depends on the media's delay, which a loaded machine stretches past a second.)
    last_end = max(parse_time(seg.end).timestamp() for seg in segments)
    assert started_at < last_end < withdrawn_at + 1.0
    segments_then = stored_files(s, "*.seg")
    await asyncio.sleep(2.0)  # media still flows between the three; no more of it is written
    assert stored_files(s, "*.seg") == segments_then  # (the files to watch it are derived from these)
    assert (await evidence_types(s))[-2:] == ["consent_withdrawn", "segment_manifest"]  # then the final manifest
    # Starting again needs the respondent's consent again.
    again = await s.host.call("record_start", {})
    assert again["ok"] is False and again["error"]["reason"] == "consent_missing"


async def test_someone_admitted_later_is_recorded_only_from_their_consent(recorded: Recorded) -> None:
    s = await recorded.assemble(parties=("applicant",))
    assert (await s.people["applicant"].consent())["ok"]
    await asyncio.sleep(1.0)
    assert (await s.host.call("record_start", {}))["ok"]
    late = await s.add("respondent")
    await asyncio.sleep(5.0)  # the respondent's media reaches the server, unrecorded
    consented_at = time.time()
    assert (await late.consent())["ok"]
    consent_taken = time.time()  # seconds after consented_at on a loaded machine: two round trips and a commit
    await asyncio.sleep(6.0)
    assert (await s.host.call("record_stop", {}))["ok"]
    [recording] = await recordings_of(s.meeting)
    mine = [seg for seg in await segments_of(s.meeting, recording.id) if seg.participant_id == s.id("respondent")]
    assert mine, "recorded after consenting"
    # A frame's time on the timeline is when it was captured: one still in flight when the consent
    # was taken (a loaded machine delays them by a quarter second and more) was captured before it.
    assert min(parse_time(seg.start).timestamp() for seg in mine) >= consented_at
    report = verify_bundle(io.BytesIO(await export(s.meeting)))
    assert report.ok
    # (A loaded machine also stalls media now and then: those stretches are "no_media" gaps, not this test's.)
    gaps = [g for g in report.recordings[0]["participants"][s.id("respondent")]["gaps"] if g["reason"] != "no_media"]
    assert sorted((g["kind"], g["reason"]) for g in gaps) == [("audio", "not_consented"), ("video", "not_consented")]
    # Recorded from the first key frame after the consent was taken (a loaded machine takes a while to send one).
    assert parse_time(gaps[0]["end"]).timestamp() <= consent_taken + 2.0
    # The judge's summary names who was recorded and says the gap once (audio and video stopped together).
    summary = render(report)
    assert "　　李四：" in summary and "　　张三：" in summary and s.id("respondent") not in summary
    assert summary.count("尚未同意录制") == 1


async def recorded_participants(s: Recorded, recording_id: str) -> set[str]:
    return {seg.participant_id for seg in await segments_of(s.meeting, recording_id)}


async def until_recorded(s: Recorded, recording_id: str, who: set[str]) -> set[str]:
    """Wait until segments of everyone in ``who`` are written; what has been written by then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not who <= (written := await recorded_participants(s, recording_id)):
        assert loop.time() < deadline, f"only {written} recorded"
        await asyncio.sleep(0.05)
    return written


async def test_a_co_mediator_is_recorded_only_once_they_consent_themself_and_it_is_logged_as_theirs(
    recorded: Recorded,
) -> None:
    """Several mediators host a session (#21). The lead's start is his consent, not his colleague's: the
    co-mediator does not hold the recording up, is not recorded until they say so, and says so themself."""
    s = await recorded.assemble(parties=("applicant",))
    m = s.meeting
    co = s.people["co"] = Person(await m.cohost("王", await m.assign("wang")))
    await Recorded.start_media(co)
    wang = m.world.ids["wang"]
    assert (await s.people["applicant"].consent())["ok"]
    started = await s.host.call("record_start", {})
    assert started["ok"], started
    [recording] = await recordings_of(m)
    # The lead's and the applicant's tracks are written, the co-mediator's not.
    written = await until_recorded(s, recording.id, {m.host_id, m.id("applicant")})
    assert wang not in written
    assert {p["name"]: p["consented"] for p in s.host.view["participants"]}["王调解员"] is False

    joined = await co.peer.call("record_start", {})
    assert joined == {"ok": True, "recording": recording.id, "since": started["since"], "joined": True}
    await eventually(lambda: {p["name"]: p["consented"] for p in s.host.view["participants"]}["王调解员"] is True)
    await until_recorded(s, recording.id, {wang})
    # Said once is enough: another start while it runs is refused as before.
    again = await co.peer.call("record_start", {})
    assert again["ok"] is False and again["error"]["code"] == "invalid_state"
    await m.world.services.ledger.settle()
    items = (await m.liu.call("GET", f"/api/v1/cases/{await case_of(m)}/evidence"))["items"]
    consents = [item["actor"]["id"] for item in items if item["type"] == "consent"]
    assert consents[-2:] == [m.host_id, wang], "each host's consent is their own record, the lead's first"
