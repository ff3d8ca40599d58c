"""Which tone a recording holds: enough spectral analysis for "the caller heard 660 Hz, not 880 Hz".

Pure Python (the test environment has no numpy): the Goertzel algorithm, which measures the power of
one frequency in O(n), swept over candidate frequencies.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path

#: Width of the first, coarse sweep. Its blocks last 1/COARSE_HZ s, so that a tone anywhere between two
#: candidates still falls in the main lobe of the nearer one; the second sweep then looks 1 Hz apart.
COARSE_HZ = 25


def read_wav(path: Path) -> tuple[int, array[int]]:
    """The sample rate and the 16-bit samples (the first channel) of a PCM WAV file.

    Reads a file still being written: baresip's sndfile module writes the chunk sizes only when the
    call ends (until then the data chunk says 0 bytes), so a data chunk runs to the end of the file
    when its size is 0 or larger than what is there.
    """
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path} is not a WAV file")
    pos, rate, channels = 12, 0, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk == b"fmt ":
            _, channels, rate = struct.unpack_from("<HHI", data, body)
            (bits,) = struct.unpack_from("<H", data, body + 14)
            if bits != 16:
                raise ValueError(f"{path}: {bits}-bit samples, only 16-bit PCM is read")
        elif chunk == b"data":
            if not rate:
                raise ValueError(f"{path}: data before its fmt chunk")
            end = len(data) if size == 0 or body + size > len(data) else body + size
            frame = 2 * channels
            samples = array("h", data[body : body + (end - body) // frame * frame])
            if sys.byteorder == "big":
                samples.byteswap()
            return rate, samples[::channels]
        pos = body + size + (size & 1)
    raise ValueError(f"{path} has no data chunk")


def tone_power(samples: Sequence[float], rate: int, hz: float) -> float:
    """Power of ``samples`` at ``hz`` (Goertzel), divided by the length squared: comparable between frequencies."""
    if not samples:
        raise ValueError("no samples")
    coeff = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / len(samples) ** 2


def window(wav_path: Path, start_s: float, end_s: float) -> tuple[int, array[int]]:
    """The samples from ``start_s`` to ``end_s``; an error when the recording ends before ``end_s``."""
    rate, samples = read_wav(wav_path)
    first, last = round(start_s * rate), round(end_s * rate)
    if not 0 <= first < last <= len(samples):
        raise ValueError(f"{wav_path} holds {len(samples) / rate:.2f} s, not {start_s}-{end_s} s")
    return rate, samples[first:last]


def dominant_frequency(wav_path: Path, start_s: float, end_s: float) -> float:
    """The frequency (to 1 Hz) of the strongest tone between ``start_s`` and ``end_s`` of a WAV file.

    A coarse sweep every COARSE_HZ over the telephone band, with the power summed over blocks of
    1/COARSE_HZ s, then a sweep 1 Hz apart over the whole window around the coarse peak.
    """
    rate, samples = window(wav_path, start_s, end_s)
    block = rate // COARSE_HZ
    blocks = [samples[i : i + block] for i in range(0, len(samples) - block + 1, block)] or [samples]
    coarse = max(range(COARSE_HZ, rate // 2, COARSE_HZ), key=lambda hz: sum(tone_power(b, rate, hz) for b in blocks))
    fine = range(max(1, coarse - COARSE_HZ), min(rate // 2, coarse + COARSE_HZ + 1))
    return float(max(fine, key=lambda hz: tone_power(samples, rate, hz)))
