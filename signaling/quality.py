"""How a participant's link is doing, from their peer connection's RTCP statistics (the ``quality`` event)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Quality = Literal["good", "fair", "poor", "unknown"]


def assess(seen: dict[str, float], report: Mapping[str, Any]) -> dict[str, Any]:
    """Turn one ``getStats`` report into loss since the last look (``seen``, kept per peer), RTT and a plain level."""
    received = lost = 0
    rtts: list[float] = []
    remote_loss: list[float] = []
    for stat in report.values():
        if stat.type == "inbound-rtp":
            received += stat.packetsReceived
            lost += max(0, stat.packetsLost)
        elif stat.type == "remote-inbound-rtp":
            if stat.roundTripTime is not None:
                rtts.append(stat.roundTripTime)
            if stat.fractionLost is not None:
                remote_loss.append(stat.fractionLost)
    d_received = received - seen.get("received", 0)
    d_lost = lost - seen.get("lost", 0)
    seen.update(received=received, lost=lost)
    upstream = d_lost / (d_received + d_lost) if d_received + d_lost > 0 else None
    downstream = max(remote_loss) if remote_loss else None
    rtt = max(rtts) if rtts else None
    losses = [x for x in (upstream, downstream) if x is not None]
    level: Quality
    if not losses and rtt is None:
        level = "unknown"
    else:
        loss = max(losses, default=0.0)
        if loss < 0.02 and (rtt or 0) < 0.3:
            level = "good"
        elif loss < 0.08 and (rtt or 0) < 0.8:
            level = "fair"
        else:
            level = "poor"
    return {
        "level": level,
        "upstream_loss": None if upstream is None else round(upstream, 3),
        "downstream_loss": None if downstream is None else round(downstream, 3),
        "rtt_ms": None if rtt is None else round(rtt * 1000),
    }
