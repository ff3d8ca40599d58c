"""The mediation record written live (调解笔录, issue #22): the admitted parties read the draft as the
mediator writes it, a party let in later gets what was written before they came, a reconnecting
writer finds their text kept, and nobody but a host writes."""

from __future__ import annotations

from typing import Any

from tests.signaling.live import Meeting

LINES = "调解员：请申请人陈述。\n张三：公司拖欠我三个月工资。"


def draft(**parts: Any) -> dict[str, Any]:
    return {"content": {"recorder": "刘调解员", "present": [{"name": "张三", "role": "applicant"}], "statements": LINES} | parts}


async def test_an_admitted_party_reads_the_record_as_the_mediator_writes_it(meeting: Meeting) -> None:
    host, applicant, respondent = await meeting.everyone_admitted()
    ack = await host.call("transcript", draft())
    assert ack["ok"] is True and ack["updated_at"]
    seen = await applicant.wait("transcript")
    assert seen["content"]["statements"] == LINES and seen["by"] == "刘调解员"
    assert (await respondent.wait("transcript"))["content"]["statements"] == LINES
    # The writer is not sent their own text back.
    await host.barrier()
    assert host.of("transcript") == []
    # The next save reaches them too, in order, and is what the record holds.
    more = LINES + "\n李四：只欠两个月。"
    await host.call("transcript", draft(statements=more, facts="张三在公司工作至九月。"))
    latest = await applicant.wait("transcript", 2)
    assert latest["content"]["statements"] == more and latest["content"]["facts"] == "张三在公司工作至九月。"
    kept = await meeting.liu.call("GET", f"/api/v1/sessions/{meeting.session_id}/transcript")
    assert kept["content"]["statements"] == more


async def test_a_party_let_in_later_gets_what_was_written_and_a_waiting_one_nothing(meeting: Meeting) -> None:
    host = await meeting.host()
    applicant = await meeting.party("applicant")
    assert (await host.call("admit", {"participant_id": meeting.id("applicant")})) == {"ok": True}
    await applicant.wait("admitted")
    await host.call("transcript", draft())
    await applicant.wait("transcript")
    # The respondent joins late: while waiting they read nothing of it …
    respondent = await meeting.party("respondent")
    await host.call("transcript", draft(proposals="按两个半月计算"))
    await applicant.wait("transcript", 2)
    await respondent.barrier()
    assert respondent.of("transcript") == []
    # … once admitted they are sent the whole text as it stands.
    assert (await host.call("admit", {"participant_id": meeting.id("respondent")})) == {"ok": True}
    got = await respondent.wait("transcript")
    assert got["content"]["statements"] == LINES and got["content"]["proposals"] == "按两个半月计算"


async def test_the_writer_reconnecting_finds_the_text_kept(meeting: Meeting) -> None:
    host = await meeting.host()
    await host.call("transcript", draft(facts="双方确认劳动关系。"))
    await host.sio.disconnect()
    again = await meeting.host()
    back = await again.wait("transcript")
    assert back["content"]["facts"] == "双方确认劳动关系。" and back["content"]["statements"] == LINES


async def test_a_party_may_not_write_and_a_malformed_record_is_refused(meeting: Meeting) -> None:
    host, applicant, respondent = await meeting.everyone_admitted()
    refused = await applicant.call("transcript", draft(statements="我来改记录"))
    assert refused["ok"] is False and refused["error"]["reason"] == "mediator_writes"
    await respondent.barrier()
    assert respondent.of("transcript") == []
    too_long = await host.call("transcript", draft(statements="a" * 15001))
    assert too_long["ok"] is False and too_long["error"]["code"] == "invalid_input"
    kept = await meeting.liu.call("GET", f"/api/v1/sessions/{meeting.session_id}/transcript")
    assert kept["updated_at"] is None  # nothing was saved
