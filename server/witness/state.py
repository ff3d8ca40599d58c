"""The witness's memory: its key and, per log, the pinned log key and the last accepted checkpoint.

The state file (JSON, mode 0600, replaced atomically) holds the witness's private key and,
per log origin, the pinned log key and the last accepted checkpoint. Losing it means losing
the memory that makes the witness worth anything: back it up, and never run two witnesses
on one state file (a lock file enforces this on one machine, ``exclusive``).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.evidence import merkle, note

log = logging.getLogger("mediate.witness")

STATE_FORMAT = "mediate-witness-state/1"


class StateError(RuntimeError):
    """The state file is unreadable, not ours, or in use by another witness process."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class LogState:
    """What the witness knows about one log, identified by its origin (= its key's name)."""

    origin: str
    vkey: str
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    url: str | None = None
    checkpoint: str | None = None  # the last accepted log-signed checkpoint note
    updated_at: int | None = None
    alarms: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verifier(self) -> note.Verifier:
        return note.Verifier.from_vkey(self.vkey)

    def to_json(self) -> dict[str, Any]:
        return {
            "vkey": self.vkey,
            "size": self.size,
            "root": b64(self.root),
            "url": self.url,
            "checkpoint": self.checkpoint,
            "updated_at": self.updated_at,
            "alarms": self.alarms,
        }

    @classmethod
    def from_json(cls, origin: str, data: dict[str, Any]) -> LogState:
        root = base64.b64decode(data["root"], validate=True)
        if len(root) != merkle.HASH_SIZE or int(data["size"]) < 0:
            raise ValueError(f"bad size or root for log {origin}")
        state = cls(
            origin,
            str(data["vkey"]),
            int(data["size"]),
            root,
            data.get("url"),
            data.get("checkpoint"),
            data.get("updated_at"),
            list(data.get("alarms") or []),
        )
        if state.verifier.name != origin:
            raise ValueError(f"pinned key {state.vkey} is not named after the log's origin {origin}")
        return state


class WitnessState:
    """The witness's key and its memory of every log it follows, in one JSON file.

    Writes go to a temporary file in the same directory that is fsynced and then renamed
    over the old one (and the directory fsynced), so a crash leaves either the old or the
    new state, never a torn one. The file is created with mode 0600: it holds the private key.
    """

    def __init__(self, path: Path, signer: note.CosignatureSigner, logs: dict[str, LogState] | None = None) -> None:
        self.path = path
        self.signer = signer
        self.logs: dict[str, LogState] = logs or {}
        self.created = False  # set by open() when this run generated the key

    @property
    def vkey(self) -> str:
        """The witness's verifier key (signed-note vkey text, type 0x04) for the platform's MEDIATE_WITNESSES."""
        return self.signer.verifier().vkey()

    @classmethod
    def open(cls, path: str | os.PathLike[str], name: str | None = None) -> WitnessState:
        """Load the state, or create it with a fresh cosignature key on first run.

        ``name`` names a new key (default ``<hostname>/witness``); an existing key keeps
        its name.
        """
        path = Path(path)
        if path.exists():
            return cls.load(path)
        key_name = name or f"{socket.gethostname()}/witness"
        signer = note.CosignatureSigner.generate(key_name)
        state = cls(path, signer)
        state.created = True
        state.save()
        log.info("created witness key %s in %s", state.vkey, path)
        return state

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> WitnessState:
        path = Path(path)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != STATE_FORMAT:
                raise StateError(f"{path} is not a witness state file ({STATE_FORMAT})")
            signer = note.CosignatureSigner.from_skey(data["key"])
            logs = {origin: LogState.from_json(origin, entry) for origin, entry in dict(data.get("logs") or {}).items()}
        except StateError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateError(f"cannot read witness state {path}: {exc}") from exc
        if mode & 0o077:
            log.warning("%s holds the witness's private key but has mode %o; it should be 0600", path, mode)
        return cls(path, signer, logs)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "key": self.signer.skey(),
            "vkey": self.vkey,  # for the operator's convenience; the key above is authoritative
            "logs": {origin: entry.to_json() for origin, entry in sorted(self.logs.items())},
        }

    def save(self) -> None:
        """Atomically replace the state file (temp file + fsync + rename + directory fsync)."""
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        data = (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def pin(self, vkey: str) -> LogState:
        """Pin a log's key given out of band (``--log-key``); its name is the log's origin.

        Re-pinning the same key is a no-op; a different key for a known origin is refused,
        because silently switching keys would let whoever handed us the new one fork the log.
        """
        verifier = note.Verifier.from_vkey(vkey.strip())
        canonical = verifier.vkey()
        known = self.logs.get(verifier.name)
        if known is not None:
            if known.verifier.vkey() != canonical:
                raise StateError(
                    f"log {verifier.name} is pinned to {known.vkey}, not {canonical}; "
                    "edit the state file by hand if the log really changed keys"
                )
            return known
        entry = LogState(verifier.name, canonical)
        self.logs[verifier.name] = entry
        return entry

    def log_for_url(self, url: str) -> LogState | None:
        return next((entry for entry in self.logs.values() if entry.url == url), None)


@contextlib.contextmanager
def exclusive(state_path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``<state>.lock``: two witnesses sharing one memory could cosign a fork between them."""
    lock_path = Path(f"{os.fspath(state_path)}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise StateError(f"another witness is running with {state_path}") from None
            raise
        yield
    finally:
        os.close(fd)
