"""One round of the witness for one log: fetch, check, remember, cosign, post (``witness_once``).

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

Log keys are pinned on first contact (trust on first use, from ``<log>/key``) unless given
with ``--log-key``; pinning out of band is the better choice for a court.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Literal

import aiohttp

from server.evidence import merkle, note
from server.witness.state import LogState, WitnessState, b64

log = logging.getLogger("mediate.witness")

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
        b64(entry.root),
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
