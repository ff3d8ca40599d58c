"""Prometheus metrics of one process, all named ``mediate_*``.

Each app has its own registry (several apps run in one test process, and no module keeps
state). Counters and histograms are fed where things happen, through small callbacks that the
composition root hands to the domain (the domain never imports this module); gauges of live
state (sessions, participants, forwarded streams, connections) are read when Prometheus scrapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: Seconds: a signaling ack is expected in milliseconds; a media_start (ICE gathering) may take a second.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: Seconds: a loop that runs what is due later than 20 ms is a hiccup in the media it forwards (#24).
LAG_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
#: Seconds: an append is one transaction (a lock on the case's chain row, a few inserts).
APPEND_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._watched: list[tuple[Gauge, Callable[[], float]]] = []
        self.live_sessions = Gauge("mediate_live_sessions", "Sessions whose media this process carries", registry=r)
        self.participants = Gauge("mediate_participants", "Participants with a peer connection to this process", registry=r)
        self.forwarded_streams = Gauge(
            "mediate_forwarded_streams", "Audio/video/screen streams this process forwards to a subscriber right now", registry=r
        )
        self.signaling_connections = Gauge(
            "mediate_signaling_connections", "Socket.IO connections to /live on this process", registry=r
        )
        self.recordings_running = Gauge("mediate_recordings_running", "Recordings being written by this process", registry=r)
        self.recordings_store_up = Gauge(
            "mediate_recordings_store_up", "1 while the recordings directory or bucket can be written", registry=r
        )
        self.disk_free_bytes = Gauge(
            "mediate_disk_free_bytes", "Free space where the server writes, by directory (data, recordings)", ["dir"], registry=r
        )
        self.storage_full = Gauge(
            "mediate_storage_full",
            "1 while the data or recordings directory is below MEDIATE_MIN_FREE_DISK_MB or a write failed for lack of space",
            registry=r,
        )
        self.draining = Gauge("mediate_draining", "1 while the process is stopping (admits no one new)", registry=r)
        self.recording_bytes = Counter(
            "mediate_recording_bytes", "Sealed recording bytes written (segments, before encryption overhead)", registry=r
        )
        self.recording_segments = Counter("mediate_recording_segments", "Recording segments written", registry=r)
        self.signaling_ack = Histogram(
            "mediate_signaling_ack_seconds",
            "Time from a /live event's arrival to its ack",
            ["event"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.ledger_append = Histogram(
            "mediate_ledger_append_seconds",
            "Time to check and store a batch of evidence records (one transaction)",
            buckets=APPEND_BUCKETS,
            registry=r,
        )
        self.loop_lag = Histogram(
            "mediate_event_loop_lag_seconds",
            "How late the event loop ran a callback that was due (server/ops/looplag.py)",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.loop_longest_stall = Gauge(
            "mediate_event_loop_longest_stall_seconds", "The longest event-loop lag since the process started", registry=r
        )
        self.gc_pause = Histogram(
            "mediate_gc_pause_seconds",
            "Garbage collections, by generation, and how long each held the process (server/ops/gcpause.py)",
            ["generation"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.gc_frozen = Gauge(
            "mediate_gc_frozen_objects", "Objects of start-up that garbage collections skip (gc.freeze)", registry=r
        )
        self._gc_children = [self.gc_pause.labels(generation=str(g)) for g in range(3)]
        self.loop_stalls = Counter(
            "mediate_event_loop_stall_seconds",
            "Event-loop stalls over stall_trace_ms, by the project's code they were sampled in (server/ops/stalltrace.py)",
            ["site"],
            registry=r,
        )
        self.ledger_records = Counter("mediate_ledger_records", "Evidence records accepted into the log", registry=r)
        self.errors = Counter(
            "mediate_errors", "Requests and events answered with an error, by where and kind", ["where", "kind"], registry=r
        )
        self.http_requests = Counter(
            "mediate_http_requests", "HTTP requests answered, by method and status class", ["method", "status"], registry=r
        )

    # -- feeding ----------------------------------------------------------------------------------

    def watch(self, gauge: Gauge, read: Callable[[], float]) -> None:
        """Read ``gauge`` from live state at scrape time (on the event loop, which owns that state)."""
        self._watched.append((gauge, read))

    def collected(self, generation: int, seconds: float) -> None:
        # Called from inside the collector, in whatever thread allocated: it must take no lock that code a
        # collection can interrupt may hold. ``labels()`` takes the metric's lock, which /metrics holds while it
        # copies the children (an allocation, so a collection can start there): its children are made up front.
        self._gc_children[min(generation, 2)].observe(seconds)

    def stalled(self, site: str, seconds: float) -> None:
        # A site is a code location (path:line function): a bounded set, however long the process runs.
        self.loop_stalls.labels(site=site[:200]).inc(seconds)

    def error(self, where: str, kind: str) -> None:
        self.errors.labels(where=where, kind=kind[:40]).inc()

    def segment_written(self, size: int) -> None:
        self.recording_segments.inc()
        self.recording_bytes.inc(size)

    def appended(self, seconds: float, records: int) -> None:
        self.ledger_append.observe(seconds)
        self.ledger_records.inc(records)

    async def exposition(self) -> bytes:
        """The text a scrape gets. The live gauges are read here, on the loop; the text is made in a
        thread: every histogram's buckets of every label, 30-60 ms of the loop at each scrape under
        load (``MEDIATE_STALL_TRACE_MS`` found it), which prometheus_client's own locks make safe."""
        for gauge, read in self._watched:
            gauge.set(read())
        return await asyncio.to_thread(generate_latest, self.registry)
