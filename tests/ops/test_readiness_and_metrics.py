"""What a load balancer and Prometheus see of a process: /readyz, draining, /metrics.

The real app in-process (SQLite and PostgreSQL), real Socket.IO clients. Cast as in
tests/signaling: mediator 刘 hosts, 张三 (applicant) and 李四 (respondent) join from their links.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from server.bench.stalls import Stalls
from server.http.context import LIFECYCLE
from server.ops.looplag import INTERVAL
from tests.api.helpers import open_case
from tests.signaling.live import Meeting, eventually, session_cookie


async def scrape(meeting: Meeting) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    actor = await meeting.world.actor()
    response = await actor.request("GET", "/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_readyz_is_ready_then_draining_refuses_newcomers_and_sends_everyone_to_reconnect(meeting: Meeting) -> None:
    actor = await meeting.world.actor()
    ready = await actor.request("GET", "/readyz")
    assert (ready.status, await ready.json()) == (200, {"status": "ready"})
    host = await meeting.host()
    applicant_browser = await meeting.browser_for("applicant")

    await meeting.world.app[LIFECYCLE].drain()

    # Everyone connected is told to come back, and their connection is closed.
    restarting = await host.wait("restarting")
    assert restarting["retry_after_ms"] > 0 and "restarting" in restarting["message"]
    await eventually(lambda: not host.sio.connected)
    # The load balancer is told to send no one new here, and no one new gets in.
    draining = await actor.request("GET", "/readyz")
    assert (draining.status, await draining.json()) == (503, {"status": "draining"})
    refusal: Any = await meeting.refused("张三", session_cookie(applicant_browser.client))
    assert refusal["data"]["code"] == "restarting"
    # Liveness is another question: the process is still up and its database answers.
    assert (await actor.request("GET", "/healthz")).status == 200


async def test_metrics_count_acks_errors_connections_and_ledger_appends(meeting: Meeting) -> None:
    before = await scrape(meeting)
    assert value(before, "mediate_signaling_connections") == 0
    host = await meeting.host()
    applicant = await meeting.party("applicant")
    assert (await host.call("admit", {"participant_id": meeting.id("applicant")})) == {"ok": True}
    refused = await applicant.call("lock", {"on": True})  # a party may not lock the room
    assert refused["error"]["code"] == "forbidden"
    unknown = await applicant.call("no_such_event", {})
    assert unknown["error"]["code"] == "invalid_input"
    await open_case(meeting.liu, "（2026）朝调字第13号")  # an evidence record is appended for the new case
    missing = await meeting.liu.request("GET", "/api/v1/cases/00000000000000000000000000000000")
    assert missing.status == 404

    after = await scrape(meeting)
    assert value(after, "mediate_signaling_connections") == 2
    assert value(after, "mediate_signaling_ack_seconds_count", event="admit") == 1
    assert value(after, "mediate_signaling_ack_seconds_count", event="lock") == 1
    # A made-up event name is counted, but never becomes a label of its own.
    assert value(after, "mediate_signaling_ack_seconds_count", event="unknown") == 1
    assert not any(labels == (("event", "no_such_event"),) for _, labels in after)
    assert value(after, "mediate_errors_total", where="socketio", kind="forbidden") == 1
    assert value(after, "mediate_errors_total", where="socketio", kind="invalid_input") == 1
    assert value(after, "mediate_errors_total", where="http", kind="not_found") == 1
    assert value(after, "mediate_ledger_append_seconds_count") > value(before, "mediate_ledger_append_seconds_count")
    assert value(after, "mediate_ledger_records_total") > value(before, "mediate_ledger_records_total")
    assert value(after, "mediate_http_requests_total", method="GET", status="4xx") >= 1
    assert value(after, "mediate_draining") == 0


async def test_a_stalled_event_loop_is_seen_in_the_lag_metrics(meeting: Meeting) -> None:
    """Work that blocks the loop (here a deliberate quarter second of synchronous sleep, as a
    blocking query or a PDF rendered on the loop would) is a stall every call of the process
    feels: /metrics counts it among the lags over 100 ms and gives its length (less at most the
    monitor's interval, when it began between two ticks)."""
    before = await scrape(meeting)
    over_before = value(before, "mediate_event_loop_lag_seconds_count") - value(
        before, "mediate_event_loop_lag_seconds_bucket", le="0.1"
    )
    time.sleep(0.25)  # noqa: ASYNC251 (the stall under test, on the server's own loop: the app runs in this process)

    # The stall is counted at the monitor's next tick, which the loop runs right after it.
    for _ in range(200):
        after = await scrape(meeting)
        over = value(after, "mediate_event_loop_lag_seconds_count") - value(
            after, "mediate_event_loop_lag_seconds_bucket", le="0.1"
        )
        if over > over_before:
            break
        await asyncio.sleep(0.05)
    assert over > over_before
    assert value(after, "mediate_event_loop_longest_stall_seconds") >= 0.25 - INTERVAL


async def test_a_benchmark_phase_names_its_longest_stall(meeting: Meeting) -> None:
    """What `mediate bench media` prints after each phase, from the server's /metrics: the length of
    a stall that set a new longest, and how many lags passed the 20 ms target."""
    # Longer than any stall this server has had (on a loaded machine its start-up may have stalled
    # 300 ms too): only a new longest has an exact length to print; otherwise the line gives a range.
    so_far = value(await scrape(meeting), "mediate_event_loop_longest_stall_seconds")
    stall = max(0.3, so_far + INTERVAL + 0.2)
    stalls = Stalls(str(meeting.world.server.make_url("")).rstrip("/"))
    await stalls.mark()
    time.sleep(stall)  # noqa: ASYNC251 (a stall on the server's loop, as in the test above)
    # The monitor's overdue tick runs on the loop's first turn after the stall, before any reply.
    line = await stalls.line()
    longest = int(line.split("longest event-loop stall ")[1].split(" ms")[0])
    assert (stall - INTERVAL) * 1000 <= longest < stall * 1000 + 2000, line
    assert int(line.split(", ")[1].split(" over")[0]) >= 1, line
