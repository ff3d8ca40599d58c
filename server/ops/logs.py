"""Log lines an operator's collector can parse: one JSON object per line, with who and where.

``MEDIATE_LOG_FORMAT=json`` turns it on (``text``, the default, is for a person at a terminal).
Every line carries the live session and participant it concerns, when there is one: the
signaling layer sets them in context variables for the duration of an event, and anything it
logs or starts from there (the asyncio task inherits the context) is tagged, without every call
having to pass them. Tokens, keys and SDP are never logged (STYLE.md), so nothing is scrubbed here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

session_id: ContextVar[str | None] = ContextVar("mediate_session_id", default=None)
participant_id: ContextVar[str | None] = ContextVar("mediate_participant_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: aioice logs every ICE candidate pair check at INFO: dozens of lines per participant.
NOISY = ("aioice", "aiortc")


class LiveContext(logging.Filter):
    """Adds ``session_id``, ``participant_id`` and ``process`` (pid) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "session_id"):
            record.session_id = session_id.get()
        if not hasattr(record, "participant_id"):
            record.participant_id = participant_id.get()
        return True


@contextmanager
def live(session: str | None, participant: str | None = None) -> Iterator[None]:
    """Tag what is logged inside (and tasks started inside) with a session and participant."""
    tokens = (session_id.set(session), participant_id.set(participant))
    try:
        yield
    finally:
        participant_id.reset(tokens[1])
        session_id.reset(tokens[0])


def formatter(kind: LogFormat) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter(
            "%(levelname)s %(name)s %(message)s %(session_id)s %(participant_id)s %(process)d",
            rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
            timestamp="time",  # ISO 8601, UTC
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(kind: LogFormat = "text", level: int = logging.INFO) -> None:
    """Set up the root logger once for a command (``mediate serve`` and the others)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(kind))
    handler.addFilter(LiveContext())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def format_from_env() -> LogFormat:
    """Read before the settings object exists (logging is set up first, so settings errors are logged)."""
    return "json" if os.environ.get("MEDIATE_LOG_FORMAT", "").strip().lower() == "json" else "text"
