"""A witness for the evidence log: it cosigns a checkpoint only if the log has only grown.

The platform signs its own checkpoints, so on its own a checkpoint proves nothing against the
platform: it could show one history to a court and another to a party (a split view), or
quietly drop records and start again. A witness run by someone else — a court, a notary —
closes that gap. It remembers the last checkpoint it accepted for each log and cosigns a new
one only after checking, from the log's public tiles alone, that the new tree extends the
old (RFC 9162 §2.1.4 consistency). Two conflicting checkpoints can therefore never both
carry its cosignature, and anyone holding a cosigned checkpoint knows the witness saw that
exact tree.

The witness *pulls* instead of being called: it fetches ``<log>/checkpoint`` (a C2SP
signed note, https://c2sp.org/signed-note, whose body is a https://c2sp.org/tlog-checkpoint),
reads the hash tiles it needs (https://c2sp.org/tlog-tiles), and posts its cosignature line
(https://c2sp.org/tlog-cosignature, ``cosignature/v1``, Ed25519 signature type 0x04) to
``<log>/cosignature`` (see ``server/http/witness_api.py``). A court can run it behind its own
firewall with only outbound HTTP; nothing at the court needs to accept connections.

What a round does, in order (``witness_once``):

1. Fetch the checkpoint; verify the log's signature with the *pinned* log key. Other signature
   lines (other witnesses' cosignatures, our own earlier one) are ignored, as signed-note
   §Signatures asks of lines from unknown keys.
2. Compare with the last accepted ``(size, root)``: a smaller size is refused ("log shrank"),
   the same size with another root is refused ("fork"). Refused checkpoints are kept in the
   state file: signed by the log key, they are the evidence of the misbehaviour.
3. Compute the consistency proof from the tiles (``merkle.consistency_plan`` names the nodes;
   the tiles holding them are fetched concurrently; ``merkle.TileNodeReader`` rebuilds the
   nodes) and check it with ``merkle.verify_consistency``. On first contact there is nothing
   to be consistent with; the root is then recomputed from the tiles instead, so the log is
   known to serve the tiles that later proofs need.
4. Persist the new ``(size, root)`` *before* releasing the cosignature, as a
   c2sp.org/tlog-witness witness must: if the process dies after posting but before saving,
   a restarted witness could otherwise cosign a conflicting tree of the same size.
5. Cosign and post the line. A failed post is retried on the next round (the checkpoint is
   then "unchanged" but does not yet carry our line, so it is cosigned again).

The state file (JSON, mode 0600, replaced atomically) holds the witness's private key and,
per log origin, the pinned log key and the last accepted checkpoint. Losing it means losing
the memory that makes the witness worth anything: back it up, and never run two witnesses
on one state file (a lock file enforces this on one machine).

Log keys are pinned on first contact (trust on first use, from ``<log>/key``) unless given
with ``--log-key``; pinning out of band is the better choice for a court.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import errno
import fcntl
import json
import logging
import os
import signal
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp

from server.evidence import merkle, note

log = logging.getLogger("mediate.witness")

STATE_FORMAT = "mediate-witness-state/1"
SIZE_HEADER = "Checkpoint-Size"  # must match server/http/witness_api.py
MAX_CHECKPOINT_BYTES = 1 << 20
MAX_ALARMS = 20  # refused checkpoints kept per log as evidence
TILE_FETCH_CONCURRENCY = 8
USER_AGENT = "mediate-witness/1"


class WitnessError(RuntimeError):
    """The round could not be completed (network, HTTP status, missing tile): nothing was cosigned.

    Unlike a refusal this says nothing about the log's honesty; the next round tries again.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when an answer came but was not 200


class StateError(RuntimeError):
    """The state file is unreadable, not ours, or in use by another witness process."""


# -- state --------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
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
            "root": _b64(self.root),
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


# -- one round ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one round did for one log.

    ``status`` is ``cosigned`` (a cosignature was made; ``posted`` says whether the
    platform took it), ``unchanged`` (same checkpoint, already carrying our cosignature)
    or ``refused`` (``reason`` says why; nothing was signed or posted).
    """

    status: Literal["cosigned", "unchanged", "refused"]
    url: str
    origin: str | None = None
    size: int | None = None
    old_size: int | None = None
    reason: str | None = None
    line: str | None = None
    posted: bool = False
    tiles_fetched: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.origin or self.url}"
        if self.status == "refused":
            return f"{where}: REFUSED to cosign size {self.size}: {self.reason}"
        if self.status == "unchanged":
            return f"{where}: unchanged at size {self.size}"
        posted = "posted" if self.posted else f"NOT posted ({self.reason})"
        return f"{where}: cosigned size {self.size} (from {self.old_size}, {len(self.tiles_fetched)} tiles read), {posted}"


def log_prefix(base_url: str) -> str:
    """The tlog-tiles prefix: ``<platform>/log``; a URL already ending in ``/log`` is kept."""
    url = base_url.rstrip("/")
    return url if url.endswith("/log") else url + "/log"


async def _get(session: aiohttp.ClientSession, url: str, limit: int) -> bytes:
    try:
        async with session.get(url, headers={"User-Agent": USER_AGENT}) as response:
            if response.status != 200:
                raise WitnessError(f"GET {url}: HTTP {response.status}", response.status)
            data = await response.content.read(limit + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise WitnessError(f"GET {url}: {exc!r}") from exc
    if len(data) > limit:
        raise WitnessError(f"GET {url}: more than {limit} bytes")
    return data


async def fetch_tiles(
    session: aiohttp.ClientSession, prefix: str, tiles: set[merkle.TileAddress]
) -> dict[merkle.TileAddress, bytes]:
    """Fetch hash tiles concurrently; each must be exactly ``width`` hashes long (tlog-tiles).

    A log may stop serving a partial tile once the full one exists (c2sp.org/tlog-tiles), so
    a missing partial tile is read from the full tile's first ``width`` hashes instead.
    """
    limit = asyncio.Semaphore(TILE_FETCH_CONCURRENCY)

    async def one(tile: merkle.TileAddress) -> tuple[merkle.TileAddress, bytes]:
        want = tile.width * merkle.HASH_SIZE
        async with limit:
            try:
                data = await _get(session, f"{prefix}/{tile.path()}", want)
            except WitnessError as exc:
                if not (tile.is_partial and exc.status == 404):
                    raise
                full = merkle.TileAddress(tile.level, tile.index)
                data = (await _get(session, f"{prefix}/{full.path()}", merkle.TILE_WIDTH * merkle.HASH_SIZE))[:want]
        if len(data) != want:
            raise WitnessError(f"{tile.path()} is {len(data)} bytes, expected {want}")
        return tile, data

    return dict(await asyncio.gather(*(one(t) for t in sorted(tiles, key=lambda t: (t.level, t.index)))))


def tiles_for_nodes(nodes: set[merkle.NodeID], size: int) -> set[merkle.TileAddress]:
    """The tiles (as served at ``size``) that hold every node in ``nodes``."""
    return {merkle.tile_for_node(level, index, size)[0] for level, index in nodes}


async def _pin_on_first_contact(session: aiohttp.ClientSession, prefix: str, origin: str, state: WitnessState) -> LogState:
    """Trust on first use: take the key the log publishes at ``<log>/key`` (named after its origin).

    The pin is kept (by ``witness_once``) only once a checkpoint verified with it is accepted.
    """
    vkey = (await _get(session, f"{prefix}/key", 4096)).decode("utf-8", "replace").strip()
    try:
        verifier = note.Verifier.from_vkey(vkey)
    except note.NoteError as exc:
        raise WitnessError(f"{prefix}/key is not a signed-note verifier key: {exc}") from exc
    if verifier.name != origin:
        raise WitnessError(f"{prefix}/key names {verifier.name!r}, but the checkpoint's origin is {origin!r}")
    if verifier.name in state.logs:  # cannot happen: callers look the origin up first
        raise WitnessError(f"log {origin} is already pinned")
    # Not registered in the state until a checkpoint verified with it is accepted.
    entry = LogState(origin, verifier.vkey())
    log.warning(
        "first contact with %s: pinned its key %s as published at %s/key (trust on first use; "
        "pin it out of band with --log-key to remove that trust)",
        origin,
        entry.vkey,
        prefix,
    )
    return entry


def _refuse(
    state: WitnessState, entry: LogState, url: str, checkpoint: note.Checkpoint, signed: str, reason: str, now: int
) -> Outcome:
    """Keep the log-signed checkpoint as evidence, log loudly, and cosign nothing."""
    entry.alarms = [*entry.alarms, {"time": now, "reason": reason, "checkpoint": signed}][-MAX_ALARMS:]
    state.save()
    log.error(
        "REFUSING to cosign %s size %d: %s (last accepted size %d, root %s); the signed checkpoint is kept in %s",
        entry.origin,
        checkpoint.size,
        reason,
        entry.size,
        _b64(entry.root),
        state.path,
    )
    return Outcome("refused", url, entry.origin, checkpoint.size, entry.size, reason)


async def post_cosignature(session: aiohttp.ClientSession, prefix: str, size: int, line: str) -> str | None:
    """POST our line to ``<log>/cosignature``; returns None on success, else why it failed."""
    url = f"{prefix}/cosignature"
    headers = {"Content-Type": "text/plain; charset=utf-8", SIZE_HEADER: str(size), "User-Agent": USER_AGENT}
    try:
        async with session.post(url, data=line.encode("utf-8"), headers=headers) as response:
            if response.status == 200:
                return None
            detail = (await response.text())[:500]
            return f"HTTP {response.status}: {detail}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return repr(exc)


async def witness_once(session: aiohttp.ClientSession, base_url: str, state: WitnessState, *, now: int | None = None) -> Outcome:
    """Check one log's newest checkpoint against what we last accepted and cosign it if it only grew.

    ``base_url`` is the platform's URL (or its ``/log`` prefix). ``now`` is the cosignature
    timestamp (default: the current time). Raises ``WitnessError`` when the round could not
    be completed (nothing is cosigned then); refusals are returned, not raised.
    """
    timestamp = int(time.time()) if now is None else now
    url = base_url.rstrip("/")
    prefix = log_prefix(base_url)
    signed = (await _get(session, f"{prefix}/checkpoint", MAX_CHECKPOINT_BYTES)).decode("utf-8", "replace")

    # Which log is this? The unverified origin only selects the pinned key to verify with.
    try:
        claimed = note.Checkpoint.parse(note.parse_note(signed)[0])
    except note.NoteError as exc:
        raise WitnessError(f"{prefix}/checkpoint is not a signed checkpoint: {exc}") from exc
    entry = state.log_for_url(url)
    if entry is not None and entry.origin != claimed.origin:
        return Outcome(
            "refused",
            url,
            entry.origin,
            claimed.size,
            entry.size,
            f"checkpoint origin {claimed.origin!r} is not the log {entry.origin!r} this URL served before",
        )
    entry = entry or state.logs.get(claimed.origin) or await _pin_on_first_contact(session, prefix, claimed.origin, state)

    # signed-note §Signatures: verify the pinned key's line; other lines are not ours to judge.
    try:
        body, _ = note.open_note(signed, [entry.verifier])
        checkpoint = note.Checkpoint.parse(body)
    except note.NoteError as exc:
        return Outcome("refused", url, entry.origin, claimed.size, entry.size, f"checkpoint signature does not verify: {exc}")
    if checkpoint.origin != entry.origin:  # tlog-checkpoint: the key name is the origin
        return Outcome(
            "refused",
            url,
            entry.origin,
            checkpoint.size,
            entry.size,
            f"checkpoint origin {checkpoint.origin!r} is not {entry.origin!r}",
        )

    if checkpoint.size < entry.size:
        return _refuse(state, entry, url, checkpoint, signed, f"log shrank from {entry.size} to {checkpoint.size}", timestamp)
    fetched: tuple[str, ...] = ()
    if checkpoint.size == entry.size:
        if checkpoint.root_hash != entry.root:
            return _refuse(state, entry, url, checkpoint, signed, f"fork: a second root for size {checkpoint.size}", timestamp)
        if _carries_our_cosignature(signed, state):
            log.info("%s: unchanged at size %d, already cosigned", entry.origin, checkpoint.size)
            return Outcome("unchanged", url, entry.origin, checkpoint.size, entry.size)
    else:
        try:
            fetched = await _check_growth(session, prefix, entry, checkpoint)
        except merkle.ProofError as exc:
            return _refuse(state, entry, url, checkpoint, signed, f"not consistent with size {entry.size}: {exc}", timestamp)

    # tlog-witness: persist the accepted checkpoint before the cosignature leaves this process.
    old_size = entry.size
    state.logs[entry.origin] = entry
    entry.size, entry.root, entry.url = checkpoint.size, checkpoint.root_hash, url
    entry.checkpoint = _log_signed_only(signed, entry)
    entry.updated_at = timestamp
    state.save()

    cosigned = note.cosign(body, state.signer, timestamp)
    note.verify_cosignature(cosigned, state.signer.verifier())  # our own line must check out before it leaves
    line = cosigned[cosigned.rindex("\n\n") + 2 :]
    failure = await post_cosignature(session, prefix, checkpoint.size, line)
    outcome = Outcome("cosigned", url, entry.origin, checkpoint.size, old_size, failure, line, failure is None, fetched)
    (log.info if failure is None else log.warning)("%s", outcome)
    return outcome


def _carries_our_cosignature(signed: str, state: WitnessState) -> bool:
    try:
        note.verify_cosignature(signed, state.signer.verifier())
    except note.NoteError:
        return False
    return True


def _log_signed_only(signed: str, entry: LogState) -> str:
    """The checkpoint with only the log's own signature line (what the evidence needs)."""
    body, sigs = note.open_note(signed, [entry.verifier])
    return body + "\n" + "".join(s.line() for s in sigs)


async def _check_growth(
    session: aiohttp.ClientSession, prefix: str, entry: LogState, checkpoint: note.Checkpoint
) -> tuple[str, ...]:
    """Prove from tiles that ``checkpoint`` extends ``entry``'s tree; returns the tile paths read.

    RFC 9162 §2.1.4: the proof's nodes are named by ``merkle.consistency_plan`` and are
    complete subtrees of the new tree, so every one lives in a tile of the new size
    (full tiles are immutable; the right edge is a partial tile ``.p/<W>``). From size 0
    there is no proof; the new root is recomputed from the tiles instead.
    """
    size1, size2 = entry.size, checkpoint.size
    plan = merkle.consistency_plan(size1, size2)
    nodes = {node for ids in plan for node in ids}
    if size1 == 0:
        nodes |= set(merkle.range_nodes(0, size2)) if size2 else set()
    tiles = await fetch_tiles(session, prefix, tiles_for_nodes(nodes, size2))

    def read_tile(tile: merkle.TileAddress) -> bytes:
        return tiles[tile]

    reader = merkle.TileNodeReader(read_tile, size2)
    try:
        if size1 == 0:
            root = merkle.root_at(size2, reader)
            if root != checkpoint.root_hash:
                raise merkle.ProofError(f"the tiles give root {root.hex()}, the checkpoint says {checkpoint.root_hash.hex()}")
        proof = merkle.resolve(plan, reader)
    except LookupError as exc:
        raise WitnessError(f"a tile needed for the proof is missing or short: {exc}") from exc
    merkle.verify_consistency(size1, size2, proof, entry.root, checkpoint.root_hash)
    log.info(
        "%s: size %d -> %d is consistent (%d proof hashes from %d tiles)", entry.origin, size1, size2, len(proof), len(tiles)
    )
    return tuple(t.path() for t in tiles)


# -- the loop and the command ----------------------------------------------------------------


async def _round(session: aiohttp.ClientSession, base_urls: Sequence[str], state: WitnessState) -> list[Outcome | Exception]:
    results: list[Outcome | Exception] = []
    for url in base_urls:
        try:
            results.append(await witness_once(session, url, state))
        except WitnessError as exc:
            log.warning("%s: round failed, will retry: %s", url, exc)
            results.append(exc)
        except Exception as exc:
            log.exception("%s: round failed unexpectedly, will retry", url)
            results.append(exc)
    return results


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60, connect=15))


async def run_witness(base_urls: Sequence[str], state_path: str | os.PathLike[str], interval: float, stop: asyncio.Event) -> None:
    """Witness every log every ``interval`` seconds until ``stop`` is set."""
    with exclusive(state_path):
        state = WitnessState.open(state_path)
        log.info("witness %s following %s every %ss", state.vkey, ", ".join(base_urls), interval)
        async with _session() as session:
            while not stop.is_set():
                await _round(session, base_urls, state)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mediate witness",
        description="Cosign the evidence log's checkpoints after checking that it only grew (C2SP tlog-cosignature).",
    )
    p.add_argument("--state", required=True, help="state file: the witness key and what it has seen (created, mode 0600)")
    p.add_argument("--log", action="append", default=[], metavar="URL", help="platform URL (or its /log prefix); repeatable")
    p.add_argument(
        "--log-key",
        action="append",
        default=[],
        metavar="VKEY",
        help="pin a log's verifier key (as served at /log/key) instead of trusting it on first contact; repeatable",
    )
    p.add_argument("--name", help="key name for a new witness key (default <hostname>/witness); ignored once the key exists")
    p.add_argument("--interval", type=float, default=60.0, metavar="SECONDS", help="time between rounds (default 60)")
    p.add_argument("--once", action="store_true", help="do one round and exit (status 1 if a log was refused, 2 on errors)")
    p.add_argument("--print-key", action="store_true", help="print the witness's verifier key and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``mediate witness``: see ``parser()``."""
    args = parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with exclusive(args.state):
            state = WitnessState.open(args.state, args.name)
            for vkey in args.log_key:
                state.pin(vkey)
            if args.log_key:
                state.save()
        if args.print_key:
            print(state.vkey)
            return 0
        if state.created:
            print(f"New witness key; its state is in {Path(args.state).resolve()} (keep it safe and backed up).")
            print("Give the platform operator this key for MEDIATE_WITNESSES:")
            print(f"  {state.vkey}", flush=True)
        if not args.log:
            print("mediate witness: give at least one --log URL", file=sys.stderr)
            return 2
        if args.once:
            return asyncio.run(_once(args.log, args.state))
        asyncio.run(_forever(args.log, args.state, args.interval))
        return 0
    except (StateError, note.NoteError) as exc:
        print(f"mediate witness: {exc}", file=sys.stderr)
        return 2


async def _once(base_urls: Sequence[str], state_path: str) -> int:
    with exclusive(state_path):
        state = WitnessState.load(state_path)
        async with _session() as session:
            results = await _round(session, base_urls, state)
    for result in results:
        print(result if isinstance(result, Outcome) else f"error: {result}", flush=True)
    if any(isinstance(r, Outcome) and r.status == "refused" for r in results):
        return 1
    if any(isinstance(r, Exception) or (r.status == "cosigned" and not r.posted) for r in results):
        return 2
    return 0


async def _forever(base_urls: Sequence[str], state_path: str, interval: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await run_witness(base_urls, state_path, interval, stop)


if __name__ == "__main__":
    sys.exit(main())
