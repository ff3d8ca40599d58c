"""The mediator calls a party who cannot dial in ("call me", #25): from the live session, on the
number on file, through the trunk (here a real baresip that answers on loopback). The party is in
the room as soon as they answer, heard by the mediator, marked as by phone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.models import CaseEvent
from server.settings import Settings
from tests.signaling.live import Meeting, eventually
from tests.signaling.media_client import MediaClient
from tests.telephony.baresip import Baresip
from tests.telephony.test_phone_calls import CALLER_HZ, MEDIATOR_HZ, WITHIN, Tone, seen_by_host
from tests.telephony.tones import tone_power


async def history_of(meeting: Meeting, kind: str | None = None) -> list[Any]:
    """The session's case history: (kind, actor's name, party) of each line, or the data of lines of ``kind``."""
    async with meeting.world.services.links._maker() as db:
        query = select(CaseEvent).order_by(CaseEvent.at)
        rows = [e for e in await db.scalars(query) if (e.data or {}).get("session_id") == meeting.session_id]
    if kind is not None:
        return [e.data for e in rows if e.kind == kind]
    return [(e.kind, e.actor_name, (e.data or {}).get("party_id")) for e in rows]


async def test_the_mediator_calls_a_party_who_answers_and_is_in_the_room_at_once(
    meeting: Meeting, settings: Settings, tmp_path: Path, answering_port: int
) -> None:
    # The respondent's phone (the number on file), answering; the trunk gives it the calls to that number.
    number = "13900000002"
    phone = await Baresip.start(
        tmp_path / "phone", tone_hz=CALLER_HZ, record_to=None, sip_port=answering_port, answer=True, user=number
    )
    try:
        host = await meeting.host()
        mediator = MediaClient(host, video=False, microphone=lambda: Tone(MEDIATOR_HZ))
        await mediator.start()
        respondent = meeting.id("respondent")
        unknown = await host.call("phone_dial", {"participant_id": "no-such-party"})
        assert unknown["error"]["code"] == "not_found"
        # A number the network refuses (the applicant's, which this phone is not): the mediator is told.
        assert (await host.call("phone_dial", {"participant_id": meeting.id("applicant")}))["ok"]
        failed = await host.wait("phone_dial")
        assert failed == {"participant_id": meeting.id("applicant"), "name": "张三", "status": "rejected"}

        assert await host.call("phone_dial", {"participant_id": respondent}) == {"ok": True, "calling": "李四"}
        await phone.wait_established(WITHIN)
        # Answered: in the room at once (the mediator's call was the admission), shown as by phone.
        await eventually(
            lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "admitted" and p["phone"], WITHIN
        )
        key, rate = (respondent, "audio"), mediator.heard_rate
        await eventually(lambda: len(mediator.heard.get(key, ())) >= 2 * rate, WITHIN)
        last = mediator.heard[key][-rate:]
        assert tone_power(last, rate, CALLER_HZ) > 50 * tone_power(last, rate, MEDIATOR_HZ)
        # In the session already: not called twice.
        again = await host.call("phone_dial", {"participant_id": respondent})
        assert again["error"]["code"] == "invalid_state" and again["error"]["reason"] == "already_here"

        # The case's history says who called whom, and how each call went.
        lines = await history_of(meeting)
        applicant = meeting.id("applicant")
        assert ("phone_called", "刘调解员", applicant) in lines and ("phone_call_failed", "system", applicant) in lines
        assert ("phone_called", "刘调解员", respondent) in lines
        # Answered: written once the party is in the room, which the host may see a moment before.
        answered = [{"party_id": respondent, "session_id": meeting.session_id, "method": "phone_call"}]
        for _ in range(int(WITHIN / 0.05)):
            if await history_of(meeting, "link_opened") == answered:
                break
            await asyncio.sleep(0.05)
        assert await history_of(meeting, "link_opened") == answered
        failed_line = await history_of(meeting, "phone_call_failed")
        assert failed_line == [{"party_id": applicant, "session_id": meeting.session_id, "reason": "call_rejected"}]

        await phone.hangup()
        await phone.wait_closed(WITHIN)
        await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "reconnecting", WITHIN)
        await mediator.close()
    finally:
        await phone.stop()
