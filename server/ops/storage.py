"""A full disk, seen: which failures mean "no space left", and how much space is left.

With the disk full every write used to fail as a generic 500 ``internal_error`` while ``/healthz``
and ``/readyz`` stayed green, so neither the people using the pages nor the operator's monitoring
could tell what was wrong. Here:

- ``is_storage_full`` recognises the failure wherever it comes from: ``OSError`` with ``ENOSPC``
  or ``EDQUOT`` (a file write: recordings, exports, the static cache), SQLite's ``SQLITE_FULL``
  ("database or disk is full") and PostgreSQL's SQLSTATE 53100 ``disk_full``, through SQLAlchemy's
  and the drivers' wrapping. The edges answer it with ``server.errors.StorageFull`` (HTTP 507,
  RFC 4918 §11.5; a Socket.IO error ack), which the pages show as "服务器存储空间已满".
- ``StorageWatch`` measures the free space of the data and recordings directories against
  ``MEDIATE_MIN_FREE_DISK_MB`` for ``/readyz`` and ``mediate_disk_free_bytes``, and remembers a
  write that failed for lack of space until a test write of its own succeeds, so that readiness turns red
  when writes fail even above the threshold (a quota, a filesystem out of inodes) and green again
  as soon as space is freed: nothing needs a restart.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: PostgreSQL's SQLSTATE for disk_full (Appendix A, class 53: insufficient resources).
PG_DISK_FULL = "53100"
#: What readiness writes to see whether space is back after a write failed (a few pages of SQLite).
PROBE_BYTES = 64 * 1024


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps: ``__cause__``, ``__context__`` and a DB-API error's ``orig``."""
    stack, seen = [exc], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        for inner in (getattr(item, "orig", None), item.__cause__, item.__context__):
            if isinstance(inner, BaseException):
                stack.append(inner)


def is_storage_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) says the disk or the quota is full."""
    for item in _causes(exc):
        if isinstance(item, OSError) and item.errno in FULL_ERRNOS:
            return True
        if isinstance(item, sqlite3.Error) and getattr(item, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if getattr(item, "sqlstate", None) == PG_DISK_FULL or getattr(item, "pgcode", None) == PG_DISK_FULL:
            return True
        # aiosqlite and SQLAlchemy pass SQLite's message on; older sqlite3 has no error code.
        if isinstance(item, sqlite3.OperationalError) and "database or disk is full" in str(item):
            return True
    return False


@dataclass
class StorageWatch:
    """Free space of the directories the server writes to, and the last write refused for lack of it."""

    directories: dict[str, Path]
    min_free_bytes: int
    clock: Callable[[], float] = time.monotonic
    failed_at: float | None = field(default=None, init=False)

    def free_bytes(self, name: str) -> float:
        try:
            return float(shutil.disk_usage(_existing(self.directories[name])).free)
        except OSError:
            return float("nan")

    def failed(self) -> None:
        self.failed_at = self.clock()

    def probe(self) -> None:
        """After a failed write: try writing ``PROBE_BYTES`` in each directory; all succeed, forget the failure.

        Blocking (run it in a thread). Without it readiness, once red, would wait for a user's
        write that a load balancer no longer sends.
        """
        if self.failed_at is None:
            return
        for path in self.directories.values():
            target = _existing(path) / ".mediate-space-probe"
            try:
                with target.open("wb") as probe:
                    probe.write(b"\0" * PROBE_BYTES)
                    probe.flush()
                    os.fsync(probe.fileno())
            except OSError:
                return
            finally:
                target.unlink(missing_ok=True)
        self.failed_at = None

    def problems(self) -> list[str]:
        """What is wrong, one sentence each for ``/readyz``; empty when there is room."""
        out = []
        for name, path in self.directories.items():
            free = self.free_bytes(name)
            if free < self.min_free_bytes or free == 0:
                out.append(
                    f"{name} directory {path} has {_mb(free)} MB free, below MEDIATE_MIN_FREE_DISK_MB "
                    f"({_mb(self.min_free_bytes)} MB): free space or add disk"
                )
        if self.failed_at is not None:
            ago = int(self.clock() - self.failed_at)
            out.append(f"a write failed for lack of space {ago} s ago (no space left on device or database full)")
        return out

    @property
    def full(self) -> bool:
        return bool(self.problems())


def _existing(path: Path) -> Path:
    """``path``, or its nearest existing parent (a directory made on first use is not there yet)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def _mb(size: float) -> str:
    return "?" if size != size else f"{size / (1024 * 1024):.0f}"
