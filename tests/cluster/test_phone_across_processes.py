"""A caller reaches another process than the one carrying the session's media (#25, several processes).

Each process answers phone calls on its own SIP port (the PBX spreads calls over them). 刘 (mediator,
saying 660 Hz) and 张三 are connected to process 1 with aiortc peers: process 1 carries the
session's media and records it. 李四 calls process 2 from a real phone (Debian's baresip, saying
440 Hz) and types his PIN. His line cannot leave process 2, so process 2 asks process 1 for the
session: process 1 finishes its recording, passes its claim to process 2 and tells its people to
start media again, which they do, now with process 2. 李四 waits, is admitted, and each side
hears the other (the tones measured). The recording goes on at process 2 on the same chain.

A second caller of the same session reaching process 1 is told they cannot join: process 2 keeps
the session's media while its own caller is on the line (one session's callers share one process).
"""

from __future__ import annotations

import io
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from server.evidence.verify import render, verify_bundle
from tests.cluster.conftest import REDIS_URL, Cluster, ServeProcess
from tests.cluster.people import Browser, book
from tests.cluster.recorded import bind_key, consent, plain, restarts_on_failure
from tests.cluster.test_media_across_processes import gauge
from tests.signaling.live import Peer, eventually
from tests.signaling.media_client import MediaClient
from tests.telephony.baresip import Baresip, free_port
from tests.telephony.test_phone_calls import CALLER_HZ, MEDIATOR_HZ, WITHIN, Tone, hear_for, seen_by_host
from tests.telephony.tones import tone_power, window

#: RTP ports each process may take for its calls (two per call).
RTP_PORTS = 40


def phone_line() -> dict[str, str]:
    """A process's own SIP port and RTP ports, below the kernel's ephemeral range (tests/telephony/baresip.py)."""
    rtp = free_port()
    return {"MEDIATE_SIP_LISTEN": f"127.0.0.1:{free_port()}", "MEDIATE_SIP_RTP_PORTS": f"{rtp}-{rtp + RTP_PORTS}"}


def sip_uri(process: ServeProcess) -> str:
    return f"sip:mediation@{process.env['MEDIATE_SIP_LISTEN']}"


async def media_owner(cluster: Cluster, session_id: str) -> str:
    """The process id holding the session's media claim in Redis (signaling/owners.py), or ""."""
    redis = Redis.from_url(REDIS_URL)
    try:
        raw = await redis.get(f"{cluster.redis_prefix}:media-owner:{session_id}")
    finally:
        await redis.aclose()
    return raw.decode() if isinstance(raw, bytes) else ""


def owner_is(owner: str, process: ServeProcess) -> bool:
    """Whether a media process id is ``process``'s (its pid, then a random part)."""
    assert process.proc is not None
    return owner.startswith(f"{process.proc.pid}-")


def state(host: Peer, participant_id: str) -> str | None:
    shown = seen_by_host(host, participant_id)
    return str(shown["state"]) if shown is not None and shown["online"] else None


async def test_a_caller_on_another_process_brings_the_sessions_media_there_and_everyone_hears_each_other(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.extra_env["MEDIATE_PHONE_NUMBER"] = "01012345678"  # links come with their PINs
    one, two = await cluster.start("one", phone_line()), await cluster.start("two", phone_line())
    liu, zhang = Browser(one.url, "刘"), Browser(one.url, "张三")
    clients: list[MediaClient] = []
    phones: list[Baresip] = []
    try:
        await liu.login()
        case, session_id, links = await book(liu)
        a, r = links["applicant"]["party_id"], links["respondent"]["party_id"]
        await zhang.open_link(links["applicant"]["url"])
        key = await bind_key(cluster, zhang)
        host = await liu.join({"session_id": session_id})
        applicant = await zhang.join()
        assert await host.call("admit", {"participant_id": a}) == {"ok": True}
        await applicant.wait("admitted")
        h = host.view["self"]["id"]

        # 刘 and 张三 meet through process 1, which records.
        mh = restarts_on_failure(MediaClient(host, video=False, microphone=lambda: Tone(MEDIATOR_HZ)))
        ma = restarts_on_failure(MediaClient(applicant, video=False))
        clients += [mh, ma]
        assert await mh.start() == {"ok": True}
        assert await ma.start() == {"ok": True}
        await eventually(lambda: len(ma.heard.get((h, "audio"), ())) >= ma.heard_rate, within=30)
        assert owner_is(await media_owner(cluster, session_id), one)
        await consent(applicant, key)
        started = await host.call("record_start", {})
        assert started["ok"], started

        # 李四 calls process 2 and types his PIN: he waits, by name, as a caller.
        caller = await Baresip.start(tmp_path / "phone", tone_hz=CALLER_HZ, record_to=tmp_path / "heard.wav")
        phones.append(caller)
        await caller.dial(sip_uri(two))
        await caller.wait_established(WITHIN)
        await caller.send_dtmf(str(links["respondent"]["phone"]["pin"]))
        await eventually(lambda: state(host, r) == "waiting", WITHIN)
        shown = seen_by_host(host, r)
        assert shown is not None and shown["name"] == "李四" and shown["phone"] is True

        # The session's media moved to process 2: 刘 and 张三 were told to start again, and did, there.
        assert owner_is(await media_owner(cluster, session_id), two)
        await eventually(lambda: bool(host.of("media_failed")) and bool(applicant.of("media_failed")), WITHIN)
        assert await gauge(one, "mediate_live_sessions") == 0

        # 刘 admits him (his event is carried to process 2); each then hears the other.
        assert await host.call("admit", {"participant_id": r}) == {"ok": True}
        await eventually(lambda: state(host, r) == "admitted", WITHIN)
        rate = mh.heard_rate
        await eventually(lambda: len(mh.heard.get((r, "audio"), ())) >= 3 * rate, WITHIN)
        last = mh.heard[(r, "audio")][-rate:]
        assert tone_power(last, rate, CALLER_HZ) > 50 * tone_power(last, rate, MEDIATOR_HZ)
        await hear_for(caller, 5.0)  # the "you are in the room" prompt
        await caller_hears_the_mediator(caller)
        # Both browsers' peers are with process 2 now (张三 hears 刘 again, through it).
        heard_before = len(ma.heard.get((h, "audio"), ()))
        await eventually(lambda: len(ma.heard.get((h, "audio"), ())) >= heard_before + ma.heard_rate, WITHIN)
        assert await gauge(two, "mediate_live_sessions") == 1
        assert await gauge(two, "mediate_participants") == 2

        # The recording went on at process 2, on the same chain.
        def resumed() -> bool:
            recording = host.view["recording"]
            return bool(recording["active"]) and recording["since"] != started["since"]

        await eventually(resumed, within=WITHIN)

        # 刘's media starts again (as after a network change) at process 2: the caller still hears him.
        answered = len(mh.answers)
        assert await mh.start() == {"ok": True}
        await eventually(lambda: len(mh.answers) > answered, WITHIN)
        await hear_for(caller, 2.0)
        await caller_hears_the_mediator(caller)

        # A second caller of this session, reaching process 1, cannot join: process 2 keeps the media
        # while its caller is on the line. 张三's own connection is left as it was.
        second = await Baresip.start(tmp_path / "second", tone_hz=None, record_to=None)
        phones.append(second)
        await second.dial(sip_uri(one))
        await second.wait_established(WITHIN)
        await second.send_dtmf(str(links["applicant"]["phone"]["pin"]))
        await second.wait_closed(WITHIN)
        assert "said cannot_join" in one.log.read_text()
        assert owner_is(await media_owner(cluster, session_id), two)
        assert not applicant.of("replaced") and state(host, a) == "admitted" and state(host, r) == "admitted"

        stopped = await host.call("record_stop", {})
        assert stopped["ok"] and stopped["recording"] != started["recording"], stopped
        await caller.hangup()
        await caller.wait_closed(WITHIN)

        bundle = await liu.call("POST", f"/cases/{case['id']}/evidence/bundle")
        report = verify_bundle(io.BytesIO(bundle))
        assert report.ok, render(report, "en")
        assert "recording_interrupted" not in [record.type for record in report.records]
        ends = {rec["recording"]: (rec["status"], rec["end_reason"]) for rec in report.recordings}
        assert ends[started["recording"]] == ("complete", "media_moved"), ends
        assert ends[stopped["recording"]] == ("complete", "stopped_by_mediator"), ends
        db = await asyncpg.connect(plain(cluster.database_url))
        try:
            rows = await db.fetch("SELECT id, previous_id FROM recordings WHERE session_id = $1 ORDER BY started_at", session_id)
        finally:
            await db.close()
        assert [(row["id"], row["previous_id"]) for row in rows] == [
            (started["recording"], None),
            (stopped["recording"], started["recording"]),
        ]
    finally:
        for phone in phones:
            await phone.stop()
        for client in clients:
            await client.close()
        for browser in (liu, zhang):
            await browser.close()


async def caller_hears_the_mediator(caller: Baresip) -> None:
    """The next two seconds the caller hears are the mediator's 660 Hz (张三 says nothing)."""
    assert caller.record_to is not None
    start, end = await hear_for(caller, 2.0)
    rate, heard = window(caller.record_to, start, end)
    assert tone_power(heard, rate, MEDIATOR_HZ) > 20 * tone_power(heard, rate, 500)
    assert tone_power(heard, rate, MEDIATOR_HZ) > 20 * tone_power(heard, rate, CALLER_HZ)
