"""Witnesses hand in their cosignatures here: ``POST /log/cosignature``.

A checkpoint the platform signs alone proves nothing against the platform. Witnesses run by
others (``server/witness/``, or any C2SP witness driven the same way) check that the log
only grew and cosign its checkpoints (https://c2sp.org/tlog-cosignature, ``cosignature/v1``,
Ed25519 signature type 0x04). The platform keeps those lines and appends them to
``/log/checkpoint`` (``Ledger.checkpoint_text``), so every reader — and every evidence
bundle — gets the checkpoint together with the witnesses who vouch for it.

Request::

    POST /log/cosignature
    Content-Type: text/plain; charset=utf-8
    Checkpoint-Size: 1234

    — witness.court.example/w1 <base64(key id || timestamp || signature)>

The body is one or more signature lines exactly as they would follow the checkpoint in a
signed note (https://c2sp.org/signed-note §Signatures), newline-terminated; the
``Checkpoint-Size`` header names the checkpoint they cosign (its tree size, which identifies
one checkpoint since the platform signs each size once). The lines are checked against that
stored checkpoint's body; the witness never sends the checkpoint back, so it cannot smuggle
in another one.

A line is accepted only if

* its key (name and key ID) is one of the configured witnesses (``MEDIATE_WITNESSES``, a
  comma-separated list of witness vkeys, given to ``install``) — else **403**;
* it verifies as a cosignature/v1 over that checkpoint (``note.verify_cosignature``) —
  else **422**;
* its timestamp (tlog-cosignature: the witness's clock when it cosigned) is at most five
  minutes ahead of ours — else **422**: a timestamp from the future would later pass for a
  fresher observation than the witness made.

Unparseable bodies, a missing or non-decimal ``Checkpoint-Size`` or more than
``MAX_LINES`` lines are **400**; a size with no stored checkpoint is **404**. All lines are
checked before any is stored. A second cosignature from the same witness for the same size
answers **200** and keeps the first line (``stored: false``): the first one is as good, and
rows of ``log_cosignatures`` are append-only. Success is **200** with JSON
``{"size": N, "cosignatures": [{"witness": "<name>+<key id>", "stored": true|false}]}``;
errors are JSON ``{"error": {"code": ..., "message": ...}}`` like the rest of the API.

The endpoint needs no login and no CSRF token (it is under ``/log/``): the signature is the
authentication, and only configured keys are accepted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.evidence import note
from server.models import LogCheckpoint, LogCosignature
from server.services import services

SIZE_HEADER = "Checkpoint-Size"  # must match server/witness/rounds.py
MAX_LINES = 16
MAX_BODY_BYTES = 16 * 1024
MAX_FUTURE_SECONDS = 300
MAX_WITNESS_ID = 200  # log_cosignatures.witness is String(200)


@dataclass(frozen=True)
class WitnessConfig:
    verifiers: tuple[note.CosignatureVerifier, ...]
    clock: Callable[[], float]


WITNESSES: web.AppKey[WitnessConfig] = web.AppKey("witnesses", WitnessConfig)


class CosignatureRejected(Exception):
    """A posted cosignature is refused; ``status`` and ``code`` become the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Stored:
    witness: str
    stored: bool


def witness_id(name: str, key_id: int) -> str:
    """How a witness is named in ``log_cosignatures``: its key name and key ID, as in a vkey."""
    return f"{name}+{key_id:08x}"


def parse_witness_keys(text: str) -> list[note.CosignatureVerifier]:
    """Parse ``MEDIATE_WITNESSES``: witness vkeys (type 0x04) separated by commas or whitespace.

    Raises ``note.KeyFormatError`` naming the bad entry, so a typo stops the server at start
    instead of silently refusing every cosignature. Repeated keys are kept once.
    """
    out: dict[str, note.CosignatureVerifier] = {}
    for raw in text.replace(",", " ").split():
        try:
            verifier = note.CosignatureVerifier.from_vkey(raw)
        except note.KeyFormatError as exc:
            raise note.KeyFormatError(f"witness key {raw!r}: {exc}") from None
        ident = witness_id(verifier.name, verifier.key_id)
        if len(ident) > MAX_WITNESS_ID:
            raise note.KeyFormatError(f"witness key name {verifier.name!r} is too long")
        known = out.get(ident)
        if known is not None and known.public_key != verifier.public_key:
            raise note.KeyFormatError(f"two different witness keys share the name and key ID {ident}")
        out[ident] = verifier
    return list(out.values())


def parse_size(value: str | None) -> int:
    if value is None or not (value.isascii() and value.isdecimal()) or len(value) > 20:
        raise CosignatureRejected(400, "bad_request", f"the {SIZE_HEADER} header must name the checkpoint's tree size")
    return int(value)


async def store_cosignatures(
    maker: async_sessionmaker[AsyncSession],
    size: int,
    lines: str,
    witnesses: Iterable[note.CosignatureVerifier],
    now: float,
) -> list[Stored]:
    """Check witness cosignature lines against the stored checkpoint of ``size`` and keep them.

    Every line is checked before any is stored (all or nothing). Raises
    ``CosignatureRejected`` with the HTTP status the module docstring lists.
    """
    if not lines.endswith("\n"):
        lines += "\n"
    if lines.count("\n") > MAX_LINES:
        raise CosignatureRejected(400, "bad_request", f"at most {MAX_LINES} cosignature lines at once")
    known = {(v.name, v.key_id): v for v in witnesses}
    async with maker() as db, db.begin():
        checkpoint = await db.get(LogCheckpoint, size)
        if checkpoint is None:
            raise CosignatureRejected(404, "not_found", f"there is no checkpoint of size {size}")
        body, _ = note.parse_note(checkpoint.note)
        try:
            text, sigs = note.parse_note(body + "\n" + lines)
        except note.NoteError as exc:
            raise CosignatureRejected(400, "bad_request", f"not signed-note signature lines: {exc}") from None
        if text != body:  # a blank line inside the posted text would make part of it "note text"
            raise CosignatureRejected(400, "bad_request", "the body must hold signature lines only")
        checked: list[tuple[str, note.Signature]] = []
        for sig in sigs:
            ident = witness_id(sig.name, sig.key_id)
            verifier = known.get((sig.name, sig.key_id))
            if verifier is None:
                raise CosignatureRejected(
                    403, "unknown_witness", f"{ident} is not a witness this platform is configured to accept"
                )
            try:
                timestamp = note.verify_cosignature(body + "\n" + sig.line(), verifier)
            except note.NoteError as exc:
                raise CosignatureRejected(
                    422, "bad_signature", f"the cosignature of {ident} does not verify for size {size}: {exc}"
                ) from None
            if timestamp > now + MAX_FUTURE_SECONDS:
                raise CosignatureRejected(
                    422,
                    "bad_timestamp",
                    f"the cosignature of {ident} is dated {timestamp}, more than {MAX_FUTURE_SECONDS}s ahead",
                )
            checked.append((ident, sig))
        out: list[Stored] = []
        for ident, sig in checked:
            out.append(Stored(ident, await _insert_once(db, size, ident, sig.line())))
    return out


async def _insert_once(db: AsyncSession, size: int, ident: str, line: str) -> bool:
    """Insert one row unless (size, witness) has one; a concurrent insert counts as a duplicate."""
    exists = await db.scalar(select(LogCosignature.id).where(LogCosignature.size == size, LogCosignature.witness == ident))
    if exists is not None:
        return False
    try:
        async with db.begin_nested():
            db.add(LogCosignature(size=size, witness=ident, line=line))
    except IntegrityError:
        return False
    return True


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def post_cosignature(request: web.Request) -> web.StreamResponse:
    config = request.app[WITNESSES]
    try:
        size = parse_size(request.headers.get(SIZE_HEADER))
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise CosignatureRejected(400, "bad_request", f"at most {MAX_BODY_BYTES} bytes")
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise CosignatureRejected(400, "bad_request", f"at most {MAX_BODY_BYTES} bytes")
        try:
            lines = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CosignatureRejected(400, "bad_request", "the body is not UTF-8 text") from None
        ledger = services(request).ledger
        # The ledger's sessionmaker: cosignatures live next to the checkpoints they belong to.
        stored = await store_cosignatures(ledger._maker, size, lines, config.verifiers, config.clock())
    except CosignatureRejected as exc:
        return _error(exc.status, exc.code, exc.message)
    return web.json_response({"size": size, "cosignatures": [{"witness": s.witness, "stored": s.stored} for s in stored]})


def install(app: web.Application, witness_vkeys: Iterable[str], *, clock: Callable[[], float] = time.time) -> None:
    """Add ``POST /log/cosignature``, accepting cosignatures from ``witness_vkeys`` only.

    Each item may itself hold several comma-separated keys (``MEDIATE_WITNESSES`` as is).
    With no keys the route still exists and answers 403 to everyone, so a witness that
    is not configured yet learns why. Call before the app starts (the router freezes).
    """
    verifiers = parse_witness_keys(",".join(witness_vkeys))
    app[WITNESSES] = WitnessConfig(tuple(verifiers), clock)
    app.router.add_post("/log/cosignature", post_cosignature)
