"""JSON from the network, parsed with its nesting and its numbers bounded.

Python's parser recurses once per level of nesting, so ``[[[[…]]]]`` a hundred thousand deep
raises ``RecursionError``; and it refuses to turn a literal of more than 4,300 digits into an
``int`` with a ``ValueError`` (the limit CPython added against quadratic-time conversion,
CVE-2020-10735). Neither is a ``JSONDecodeError``, so both used to escape the HTTP edge as a
500 with a traceback, before any login. RFC 8259 §9 lets a parser "set limits on the maximum
depth of nesting" and "on the range and precision of numbers"; OWASP's input validation
guidance asks for exactly that at the edge. Every JSON body (``server.http.api.parse_body``)
and every Socket.IO packet (``signaling.server.attach``) is parsed here.

The limits are far above anything the pages send (their bodies nest four levels at most, and
amounts travel as strings), so they are constants rather than settings: no honest client meets them.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

#: Deepest nesting of arrays and objects accepted.
MAX_DEPTH = 32
#: Longest number literal accepted, sign, point and exponent included.
MAX_NUMBER_CHARS = 100

# A JSON string (RFC 8259 §7): quote, runs of anything but a quote or backslash, each run after the
# first following a backslash and the one character it escapes, then quote. Nothing in it can match
# in two ways, so the match is linear; written as runs, it seldom steps in and out of a group.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonRefused(ValueError):
    """The text is JSON, or nearly, but is outside the limits. ``reason`` names which, for the pages."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number longer than {MAX_NUMBER_CHARS} characters", "json_number_too_long")
    return int(literal)


def _float(literal: str) -> float:
    value = float(literal)
    if len(literal) > MAX_NUMBER_CHARS or not math.isfinite(value):
        raise JsonRefused(f"a number longer than {MAX_NUMBER_CHARS} characters or out of range", "json_number_too_long")
    return value


def _constant(name: str) -> Any:
    # NaN and Infinity are Python's extension, not JSON (RFC 8259 §6).
    raise JsonRefused(f"{name} is not a JSON value", "json_invalid")


def nesting_of(text: str) -> int:
    """How deep the text's arrays and objects nest, read from the text itself, strings skipped.

    Measured before parsing, because the parser must never be let near the recursion limit:
    a ``RecursionError`` caught after the fact is too late. The deepest frames have already
    run, and a garbage collection that happens there runs other objects' finalizers with no
    stack left; their own ``RecursionError`` is lost ("Exception ignored in …"). Regular
    expressions and ``itertools.accumulate`` do the work in C: 25-40 ms for the worst 256 KiB
    body, and only bodies with more brackets than the limit are measured at all.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(text: str | bytes | bytearray, **_: Any) -> Any:
    """``json.loads`` within the limits; raises ``JsonRefused`` (too deep, number too long, not JSON).

    Keyword arguments are accepted and ignored so that this module can stand in for ``json``
    where a library (python-socketio) calls ``loads`` itself.
    """
    try:
        if not isinstance(text, str):  # as json.loads reads bytes: UTF-8, -16 or -32 (RFC 8259 §8.1)
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        # Fewer brackets than the limit cannot nest deeper than it: most bodies skip the measure.
        if text.count("[") + text.count("{") > MAX_DEPTH and nesting_of(text) > MAX_DEPTH:
            raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels", "json_too_deep")
        return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except JsonRefused:
        raise
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise JsonRefused(str(exc)[:200], "json_invalid") from None


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps``, so that this module is a complete stand-in for ``json`` (python-socketio encodes with it)."""
    return json.dumps(value, **kwargs)
