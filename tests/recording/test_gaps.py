"""A "no media" gap never claims a stretch where media was recorded (recordings/segments.py).

The figures are those of a CI run: a participant's audio stalled at 4.25 s; the recorder noted a
gap to 6.24 s, where a late packet was placed; the packets after it, on time again, were placed
from 5.68 s on, inside that gap. ``mediate verify`` then reported 2 s without sound in which the
recording has sound.
"""

from __future__ import annotations

from recordings.segments import Gap, media_found_in_gap

SHORTEST = 0.5


def noted(start: float, end: float | None, kind: str = "audio", reason: str = "no_media") -> Gap:
    return Gap("p1", kind, start, end, reason)


def spans(gaps: list[Gap]) -> list[tuple[str, float, float | None, str]]:
    return [(g.kind, g.start, g.end, g.reason) for g in gaps]


def test_media_placed_inside_a_gap_splits_it_and_a_piece_too_short_to_be_a_gap_goes() -> None:
    gaps = [noted(4.25, 6.24)]
    for at in (5.676, 5.683, 5.7, 5.715, 5.731, 5.739):
        gaps = media_found_in_gap(gaps, "audio", at, SHORTEST)
    # Before the late packets, the stall stands; after them, 0.501 s is left to 6.24 s.
    assert spans(gaps) == [("audio", 4.25, 5.676, "no_media"), ("audio", 5.739, 6.24, "no_media")]
    gaps = media_found_in_gap(gaps, "audio", 5.75, SHORTEST)
    assert spans(gaps) == [("audio", 4.25, 5.676, "no_media")], "0.49 s is no gap"


def test_only_a_no_media_gap_of_that_kind_around_that_moment_changes() -> None:
    others = [
        noted(4.0, 7.0, kind="video"),  # video's silence is not audio's
        noted(4.0, 7.0, reason="muted"),  # muted: whatever arrived was not to be recorded
        noted(4.0, None),  # still open
        noted(1.0, 2.0),  # before
        noted(8.0, 9.0),  # after
    ]
    assert spans(media_found_in_gap(others, "audio", 5.0, SHORTEST)) == spans(others)


def test_media_at_a_gaps_edge_leaves_it_whole() -> None:
    gaps = [noted(4.25, 6.24)]
    assert spans(media_found_in_gap(gaps, "audio", 4.25, SHORTEST)) == spans(gaps)
    assert spans(media_found_in_gap(gaps, "audio", 6.24, SHORTEST)) == spans(gaps)
