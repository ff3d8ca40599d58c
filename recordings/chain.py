"""The hash chain over a session's recorded segments.

H_i = SHA-256(H_{i-1} || i || SHA-256(segment_i) || start || end), with ``i`` as an 8-byte
big-endian unsigned integer, the segment hash as 32 raw bytes, and ``start``/``end`` as the
segment's wall-clock times in the evidence log's fixed-width form
(``2026-11-23T04:28:01.123456Z``, 27 ASCII bytes), so the concatenation has one reading.
H_0 is 32 zero bytes for a session's first recording; a recording resumed in the same
session starts from the last head of the previous one and continues its numbering, so the
session has one unbroken chain and a missing, reordered or altered segment shows anywhere.
"""

from __future__ import annotations

import hashlib
import struct

GENESIS = bytes(32)
TIME_LENGTH = 27


def link(previous: bytes, index: int, segment_sha256: bytes, start: str, end: str) -> bytes:
    if len(previous) != 32 or len(segment_sha256) != 32:
        raise ValueError("chain heads and segment hashes are 32 bytes")
    if index < 1:
        raise ValueError("segments are numbered from 1")
    for value in (start, end):
        if len(value) != TIME_LENGTH or not value.endswith("Z"):
            raise ValueError(f"not a fixed-width UTC time: {value!r}")
    return hashlib.sha256(previous + struct.pack(">Q", index) + segment_sha256 + start.encode() + end.encode()).digest()
