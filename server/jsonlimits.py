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
from typing import Any

#: Deepest nesting of arrays and objects accepted.
MAX_DEPTH = 32
#: Longest number literal accepted, sign, point and exponent included.
MAX_NUMBER_CHARS = 100
#: What ``json.loads`` makes of arrays and objects.
CONTAINERS = (dict, list)


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


def depth_of(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``value`` nests, counting up to ``limit + 1`` at most.

    Level by level, containers only (no recursion to exhaust, no scalar visited): a few
    milliseconds for a 256 KiB body.
    """
    level = [value] if type(value) in CONTAINERS else []
    depth = 0
    while level and depth <= limit:
        depth += 1
        below: list[Any] = []
        for item in level:
            below += [child for child in (item.values() if type(item) is dict else item) if type(child) in CONTAINERS]
        level = below
    return depth


def loads(text: str | bytes | bytearray, **_: Any) -> Any:
    """``json.loads`` within the limits; raises ``JsonRefused`` (too deep, number too long, not JSON).

    Keyword arguments are accepted and ignored so that this module can stand in for ``json``
    where a library (python-socketio) calls ``loads`` itself.
    """
    # Fewer brackets than the limit cannot nest deeper than it: most bodies skip the walk.
    brackets = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels", "json_too_deep") from None
    except JsonRefused:
        raise
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise JsonRefused(str(exc)[:200], "json_invalid") from None
    if brackets > MAX_DEPTH and depth_of(value) > MAX_DEPTH:
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels", "json_too_deep")
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps``, so that this module is a complete stand-in for ``json`` (python-socketio encodes with it)."""
    return json.dumps(value, **kwargs)
