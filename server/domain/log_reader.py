"""Reading the evidence log (server/domain/ledger.py writes it): its size, tree nodes and root,
checkpoints with their cosignatures, inclusion and consistency proofs (RFC 6962), C2SP tlog-tiles
hash tiles and entry bundles, and a case's entries and bodies."""

from __future__ import annotations

import struct
from collections.abc import Iterable

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.evidence import merkle
from server.models import EvidenceBody, LogCheckpoint, LogCosignature, LogEntry, LogNode


class LogReader:
    """What ``Ledger`` reads of the log; it gives the session maker."""

    _maker: async_sessionmaker[AsyncSession]

    async def size(self, db: AsyncSession) -> int:
        last = await db.scalar(select(func.max(LogEntry.idx)))
        return 0 if last is None else int(last) + 1

    async def _nodes(self, db: AsyncSession, ids: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        wanted = list(set(ids))
        found: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await db.execute(
                select(LogNode.level, LogNode.idx, LogNode.hash).where(tuple_(LogNode.level, LogNode.idx).in_(chunk))
            )
            found.update({(r.level, r.idx): r.hash for r in rows})
        return found

    async def root(self, db: AsyncSession, size: int) -> bytes:
        ids = merkle.range_nodes(0, size) if size else ()
        nodes = await self._nodes(db, ids)
        return merkle.fold([nodes[i] for i in ids]) if size else merkle.EMPTY_ROOT

    async def latest_checkpoint_row(self) -> LogCheckpoint | None:
        async with self._maker() as db:
            return await db.scalar(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))

    async def cosigned_checkpoint(self, min_size: int) -> LogCheckpoint | None:
        """The newest checkpoint covering `min_size` entries that a witness has cosigned."""
        async with self._maker() as db:
            return await db.scalar(
                select(LogCheckpoint)
                .where(LogCheckpoint.size >= min_size, LogCheckpoint.size.in_(select(LogCosignature.size)))
                .order_by(LogCheckpoint.size.desc())
                .limit(1)
            )

    async def checkpoint_text(self, row: LogCheckpoint | None = None) -> str | None:
        """The newest checkpoint with every witness cosignature gathered for it."""
        row = row or await self.latest_checkpoint_row()
        if row is None:
            return None
        async with self._maker() as db:
            lines = list(
                await db.scalars(select(LogCosignature.line).where(LogCosignature.size == row.size).order_by(LogCosignature.id))
            )
        return row.note + "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        plan = merkle.inclusion_plan(index, size)
        async with self._maker() as db:
            nodes = await self._nodes(db, (node for ids in plan for node in ids))
        return merkle.resolve(plan, lambda level, i: nodes[(level, i)])

    async def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        plan = merkle.consistency_plan(size1, size2)
        async with self._maker() as db:
            nodes = await self._nodes(db, (node for ids in plan for node in ids))
        return merkle.resolve(plan, lambda level, i: nodes[(level, i)])

    async def tile(self, tile: merkle.TileAddress) -> bytes | None:
        """A C2SP tlog-tiles hash tile, or None if the log is not that large yet."""
        level = tile.level * merkle.TILE_HEIGHT
        first = tile.index * merkle.TILE_WIDTH
        async with self._maker() as db:
            size = await self.size(db)
            if (size >> level) < first + tile.width:
                return None
            rows = await db.execute(
                select(LogNode.hash)
                .where(LogNode.level == level, LogNode.idx >= first, LogNode.idx < first + tile.width)
                .order_by(LogNode.idx)
            )
            hashes = [r.hash for r in rows]
        return b"".join(hashes) if len(hashes) == tile.width else None

    async def entry_bundle(self, tile: merkle.TileAddress) -> bytes | None:
        """Entries of a level-0 tile, each prefixed by its big-endian uint16 length (tlog-tiles)."""
        first = tile.index * merkle.TILE_WIDTH
        async with self._maker() as db:
            rows = list(
                await db.scalars(
                    select(LogEntry.entry).where(LogEntry.idx >= first, LogEntry.idx < first + tile.width).order_by(LogEntry.idx)
                )
            )
        if len(rows) != tile.width:
            return None
        return b"".join(struct.pack(">H", len(e)) + e for e in rows)

    async def case_entries(self, db: AsyncSession, case_id: str) -> list[LogEntry]:
        return list(await db.scalars(select(LogEntry).where(LogEntry.case_id == case_id).order_by(LogEntry.seq)))

    async def bodies(self, db: AsyncSession, case_id: str) -> dict[str, dict[str, object]]:
        rows = await db.scalars(select(EvidenceBody).where(EvidenceBody.case_id == case_id))
        return {r.claim_hash: r.body for r in rows}
