"""Signed monthly statistics snapshots (``statistics_snapshot``), which a justice bureau can audit (#23).

**What a snapshot says.** For one organisation and one Beijing calendar month: every figure
(figures.figures) of the cohort that definitions.py defines, the cases registered in that month
(``Case.registered_on``) that the organisation leads at the moment it is taken, and, for each count
(figures.COUNTS), the cases it counts, each with the hash and ``seq`` of its last evidence record at that
moment. The figures are *as of* that moment (``as_of``): a cohort's cases go on (agreements are sealed,
instalments performed), so a figure is only auditable with the time it was true and the records that
were then the case's (its chain's last entry pins them). The platform signs the whole with its key, as
it signs the records it vouches for.

**When.** At each month's end: the server's hourly loop (``run``, wired in server/app.py beside the
retention loops) takes, within the hour after Beijing midnight on the 1st, the previous month's snapshot
of every organisation that leads a case registered by then (an organisation with none has nothing to
report); ``mediate snapshot take`` does the same now. A month's snapshot is written once: a second attempt
finds it and does nothing. A snapshot taken before its month ended (``mediate demo``, an operator's look)
is *interim*, marked so, and does not stand in for the month's.

**Past months cannot change.** The ``statistics_snapshots`` table refuses UPDATE and DELETE (migration
0031), and the record is in the append-only evidence log. A correction is a new snapshot, one version
more, whose record names the one it corrects (its id and record hash) and why.

**Where the record lives.** In the organisation's *statistics stream* (server/domain/statistics_stream.py): a chain in the evidence
log whose ``case`` is ``stream_id(organisation)``. The smallest sound choice: the snapshots get the log's
ordering, Merkle inclusion, checkpoints and witnesses, and the per-stream chain shows a missing or reordered
snapshot, with no second log to sign and keep; the table only finds them. The same stream indexes the cases
the organisation leads (``case_indexed``), as they are registered and referred: the export carries the stream
up to the snapshot, so that ``verify-stats`` also sees a case of the cohort left out altogether.

**Who reads them.** As the statistics (service.py ``_scope``): a committee's mediators their own
organisation's; a supervisor any organisation of their subtree; nobody another tree. A supervisor may
download a snapshot with the bundles behind it (``export``) and check it offline with
``mediate verify-stats`` (audit.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.clocks import local_day
from server.domain.evidence import Evidence
from server.domain.ledger import Ledger
from server.domain.principal import SYSTEM, Principal, Staff, System, require_staff
from server.domain.statistics.facts import CHUNK, facts_of
from server.domain.statistics.figures import cases_behind, count_each, figures
from server.domain.statistics.index_check import STREAM_FILE
from server.domain.statistics.service import Statistics
from server.domain.statistics_stream import ACTOR, stream_id
from server.domain.workdays import Workdays
from server.errors import FieldError, InvalidInput, NotFound
from server.evidence import zip_members
from server.evidence.records import timestamp
from server.models import Case, EvidenceChain, LogEntry, Organisation, StatisticsSnapshot, utcnow

log = logging.getLogger(__name__)

FORMAT = "mediate-statistics-snapshot/1"
#: How many times a snapshot is read again after a concurrent change to its organisation's cases (PostgreSQL).
ATTEMPTS = 5


def serialization_failure(exc: DBAPIError) -> bool:
    """PostgreSQL's "could not serialize access" (SQLSTATE 40001), which a REPEATABLE READ transaction meets."""
    return getattr(exc.orig, "sqlstate", None) == "40001" or getattr(exc.orig, "pgcode", None) == "40001"


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last Beijing day of "YYYY-MM"."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput("a month is YYYY-MM", [FieldError("month", "YYYY-MM", "invalid")]) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def month_ended(month: str, at: datetime) -> bool:
    """Whether Beijing midnight after the month's last day has passed at ``at``."""
    return local_day(at) > month_bounds(month)[1]


def previous_month(at: datetime) -> str:
    first = local_day(at).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


@dataclass(frozen=True)
class Taken:
    snapshot: StatisticsSnapshot
    #: False when the month's snapshot existed already and nothing was written.
    written: bool


def snapshot_json(row: StatisticsSnapshot, organisation: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "organisation": {"id": row.organisation_id, "name": organisation},
        "month": row.month,
        "version": row.version,
        "interim": row.interim,
        "as_of": timestamp(row.as_of),
        "seq": row.seq,
        "claim_hash": row.claim_hash,
        "supersedes": row.supersedes_id,
        "reason": row.reason,
        "counts": row.counts,
    }


@dataclass(frozen=True)
class Cohort:
    """What a snapshot states: every figure, each count's cases, and each case's last record then."""

    figures: dict[str, Any]
    counted: dict[str, list[str]]
    #: case id -> {"case_number", "seq", "last_record_hash"}
    cases: dict[str, dict[str, Any]]


async def cohort(db: AsyncSession, organisation_id: str, month: str, as_of: datetime, workdays: Workdays) -> Cohort:
    """The cases registered in ``month`` that ``organisation_id`` leads, their figures as of ``as_of`` and
    each one's last record, read in ``db``'s transaction (so that the figures and the hashes go together).
    Reads only: ``mediate bench stats`` may time it apart from the signing and writing of ``take_snapshot``."""
    first, last = month_bounds(month)
    cases = list(
        await db.scalars(
            select(Case)
            .where(Case.organisation_id == organisation_id, Case.registered_on >= first, Case.registered_on <= last)
            .order_by(Case.registered_on, Case.id)
        )
    )
    facts = await facts_of(db, cases, as_of, workdays)
    ids = [c.id for c in cases]
    chains: dict[str, tuple[int, str]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await db.execute(
            select(EvidenceChain.case_id, EvidenceChain.last_seq, EvidenceChain.last_entry_hash).where(
                EvidenceChain.case_id.in_(ids[start : start + CHUNK])
            )
        )
        chains.update({r.case_id: (r.last_seq, r.last_entry_hash) for r in rows})
    done = count_each(facts)
    return Cohort(
        figures=figures(facts, done),
        counted=cases_behind(facts, done),
        cases={
            f.id: {
                "case_number": f.case_number,
                "seq": chains.get(f.id, (0, ""))[0],
                "last_record_hash": chains.get(f.id, (0, ""))[1],
            }
            for f in facts
        },
    )


class Snapshots:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        ledger: Ledger,
        evidence: Evidence,
        statistics: Statistics,
        workdays: Workdays | None = None,
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._evidence = evidence
        self._statistics = statistics
        self._workdays = workdays or Workdays()

    # -- taking ----------------------------------------------------------------------------------

    async def take_snapshot(
        self,
        organisation_id: str,
        month: str,
        *,
        as_of: datetime | None = None,
        corrects: str | None = None,
        reason: str | None = None,
    ) -> Taken:
        """Sign and store the snapshot of ``organisation_id``'s cohort of ``month`` as of ``as_of`` (now).

        The month's first snapshot taken after it ended is its snapshot, written once: asked again, this
        returns it and writes nothing. ``corrects`` (a snapshot's id, with a ``reason``) writes a correction.
        This is what ``mediate bench stats`` times for the monthly snapshot.
        """
        month_bounds(month)  # refuses a month that is not YYYY-MM before anything is read
        as_of = as_of or utcnow()
        interim = not month_ended(month, as_of)
        if corrects is not None and not (reason or "").strip():
            raise InvalidInput("say why the snapshot is corrected", [FieldError("reason", "required", "required")])
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self._take(organisation_id, month, as_of, interim, corrects, reason)
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not serialization_failure(exc):
                    raise
                # A case of the organisation was registered or referred meanwhile: read the month again, after it.
                log.info("statistics snapshot of %s for %s met a concurrent change; reading again", organisation_id, month)
        raise AssertionError("unreachable")

    async def _one_instant(self, db: AsyncSession) -> None:
        """On PostgreSQL, the transaction reads one snapshot of the database (REPEATABLE READ): the cohort, each figure
        and each case's last record hash are of one instant, as is the statistics stream the snapshot is appended to
        (a registration or referral committed after that instant makes the append fail, and the snapshot is read
        again). Under READ COMMITTED each statement would see what had committed by then: figures of one instant
        beside hashes of another. SQLite's one writer reads and writes a transaction serially already."""
        if self._ledger.dialect == "postgresql":
            await db.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    async def _take(
        self, organisation_id: str, month: str, as_of: datetime, interim: bool, corrects: str | None, reason: str | None
    ) -> Taken:
        first, last = month_bounds(month)
        async with self._maker() as db, db.begin():
            await self._one_instant(db)
            organisation = await db.get(Organisation, organisation_id)
            if organisation is None:
                raise NotFound("no such organisation", reason="no_such_organisation")
            earlier = list(
                await db.scalars(
                    select(StatisticsSnapshot)
                    .where(StatisticsSnapshot.organisation_id == organisation_id, StatisticsSnapshot.month == month)
                    .order_by(StatisticsSnapshot.version)
                )
            )
            old: StatisticsSnapshot | None = None
            if corrects is not None:
                old = next((s for s in earlier if s.id == corrects), None)
                if old is None:
                    raise NotFound("no such snapshot of this organisation and month", reason="no_such_snapshot")
            elif not interim:
                standing = next((s for s in earlier if not s.interim), None)
                if standing is not None:
                    return Taken(standing, written=False)
            found = await cohort(db, organisation_id, month, as_of, self._workdays)
            version = (earlier[-1].version if earlier else 0) + 1
            counts = {name: len(members) for name, members in found.counted.items()}
            data: dict[str, object] = {
                "format": FORMAT,
                "organisation": {"id": organisation.id, "name": organisation.name},
                "month": month,
                "period": {"from": first.isoformat(), "to": last.isoformat()},
                "as_of": timestamp(as_of),
                "interim": interim,
                "version": version,
                "corrects": {"id": old.id, "claim_hash": old.claim_hash, "version": old.version} if old else None,
                "reason": reason.strip() if reason else None,
                "figures": found.figures,
                "counts": found.counted,
                "cases": found.cases,
            }
            public: dict[str, object] = {
                "organisation": organisation.id,
                "month": month,
                "version": version,
                "interim": interim,
                "as_of": timestamp(as_of),
                "counts": counts,
                "corrects": old.claim_hash if old else None,
            }
            appended = await self._ledger.append_platform(
                db, type="statistics_snapshot", case=stream_id(organisation.id), actor=ACTOR, data=data, public=public
            )
            row = StatisticsSnapshot(
                organisation_id=organisation.id, month=month, version=version, interim=interim, stream=stream_id(organisation.id),
                seq=appended.record.seq, claim_hash=appended.claim_hash, as_of=as_of, supersedes_id=old.id if old else None,
                reason=reason.strip() if reason else None, counts=counts, created_at=utcnow(),
            )  # fmt: skip
            db.add(row)
            await db.flush()
        log.info("statistics snapshot of %s for %s (version %d, %d cases)", organisation_id, month, version, len(found.cases))
        return Taken(row, written=True)

    async def take_due(self, now: datetime | None = None) -> list[Taken]:
        """The previous month's snapshot of every organisation leading a case registered by its end, where missing."""
        now = now or utcnow()
        month = previous_month(now)
        _, last = month_bounds(month)
        async with self._maker() as db:
            organisations = list(
                await db.scalars(select(Case.organisation_id).where(Case.registered_on <= last).group_by(Case.organisation_id))
            )
            done = set(
                await db.scalars(
                    select(StatisticsSnapshot.organisation_id).where(
                        StatisticsSnapshot.month == month, StatisticsSnapshot.interim.is_(False)
                    )
                )
            )
        out = []
        for organisation_id in sorted(set(organisations) - done):
            try:
                out.append(await self.take_snapshot(organisation_id, month, as_of=now))
            except IntegrityError:  # another process took it meanwhile: theirs is the month's
                log.info("statistics snapshot of %s for %s was taken by another process", organisation_id, month)
        return out

    async def run(self, stop: asyncio.Event, every: float = 3600.0) -> None:
        """Take the month-end snapshots that are due, once an hour while the server runs."""
        while not stop.is_set():
            try:
                await self.take_due()
            except Exception:
                log.exception("statistics snapshots failed; trying again in an hour")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    # -- reading ---------------------------------------------------------------------------------

    async def listing(
        self, principal: Principal | None, organisation_id: str | None, *, subtree: bool = False
    ) -> list[dict[str, Any]]:
        """The snapshots of an organisation (or its subtree) that ``principal`` may read, newest month first."""
        async with self._maker() as db:
            scope = await self._statistics._scope(db, principal, organisation_id, subtree)
            names = dict(
                (
                    await db.execute(
                        select(Organisation.id, Organisation.name).where(Organisation.id.in_(scope.organisation_ids))
                    )
                ).all()
            )
            rows = await db.scalars(
                select(StatisticsSnapshot)
                .where(StatisticsSnapshot.organisation_id.in_(scope.organisation_ids))
                .order_by(StatisticsSnapshot.month.desc(), StatisticsSnapshot.organisation_id, StatisticsSnapshot.version)
            )
            return [snapshot_json(r, names.get(r.organisation_id, r.organisation_id)) for r in rows]

    async def _readable(self, db: AsyncSession, principal: Principal | None, snapshot_id: str) -> StatisticsSnapshot:
        if not isinstance(principal, System):
            require_staff(principal, "mediator", "supervisor")  # who may read any snapshot, before whether it exists
        row = await db.get(StatisticsSnapshot, snapshot_id)
        if row is None:
            raise NotFound("no such snapshot", reason="no_such_snapshot")
        await self._statistics._scope(db, principal, row.organisation_id, False)
        return row

    async def snapshot(self, snapshot_id: str) -> StatisticsSnapshot:
        """One snapshot by id (the command line's corrections)."""
        async with self._maker() as db:
            row = await db.get(StatisticsSnapshot, snapshot_id)
        if row is None:
            raise NotFound("no such snapshot", reason="no_such_snapshot")
        return row

    async def export(self, principal: Principal | None, snapshot_id: str, into: IO[bytes] | None = None) -> tuple[str, bytes]:
        """The snapshot as a file for ``mediate verify-stats``, with the bundles of the cases behind it.

        ``snapshot.json`` holds the signed record exactly as logged, its body and the platform's keys;
        ``bundles/<case id>.zip`` each counted case's evidence bundle (exporting it logs an ``export`` record
        in that case, by the platform, as any bundle does). The cases' later records are in their bundles
        too; the snapshot's hashes say which of them the figures rest on.

        Returns the file's name and, without ``into`` (a seekable file to write the zip to), the zip. A
        case's bundle is as big as its recordings: each is exported to a temporary file and copied into
        the zip a chunk at a time, so memory does not grow with them.
        """
        async with self._maker() as db:
            row = await self._readable(db, principal, snapshot_id)
        # The platform's keys in the database, as the server publishes them on start: a command run on a data
        # directory no server has opened yet would otherwise export no key to check the signatures with.
        await self._ledger.publish_platform_keys()
        checkpoint = await self._ledger.settle()
        assert checkpoint is not None
        async with self._maker() as db:
            entry = await db.scalar(select(LogEntry).where(LogEntry.claim_hash == row.claim_hash))
            assert entry is not None
            bodies = await self._ledger.bodies(db, row.stream)
            body = bodies[row.claim_hash]
            keys = [k.to_json() for k in await self._ledger.keys_for_case(db, row.stream)]
            # The stream before the snapshot: its chain ends in the snapshot's ``prev``, so none can be left out.
            earlier = list(
                await db.scalars(
                    select(LogEntry).where(LogEntry.case_id == row.stream, LogEntry.seq < row.seq).order_by(LogEntry.seq)
                )
            )
        stream = "".join(
            json.dumps({"entry": e.entry.decode(), "body": bodies.get(e.claim_hash)}, ensure_ascii=False) + "\n" for e in earlier
        )
        # Where the record sits in the log, under a checkpoint the log key signed (RFC 6962 inclusion):
        # a snapshot that was quietly replaced by another signed one would not be there.
        proof = [h.hex() for h in await self._ledger.inclusion_proof(entry.idx, checkpoint.size)]
        out = io.BytesIO() if into is None else into
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            document = {
                "format": FORMAT,
                "entry": entry.entry.decode(),
                "body": body,
                "keys": keys,
                "checkpoint": await self._ledger.checkpoint_text(checkpoint) or checkpoint.note,
                "inclusion": {"index": entry.idx, "size": checkpoint.size, "proof": proof},
            }
            zip_members.write_member(zf, "snapshot.json", json.dumps(document, ensure_ascii=False, indent=1))
            zip_members.write_member(zf, STREAM_FILE, stream)
            zip_members.write_member(zf, "README.txt", README)
            data = body["data"]
            assert isinstance(data, dict)
            # Each bundle's export record names who asked: a supervisor (whom Evidence.export, a mediator's and a
            # court's door, would refuse) was let read this snapshot's cases above; the platform writes for them.
            exporter = SYSTEM
            if isinstance(principal, Staff):
                exporter = System(name=f"{principal.display_name}（统计快照 {row.month} 第 {row.version} 版核查）")
            for case_id in data["cases"]:
                with await asyncio.to_thread(tempfile.TemporaryFile) as bundle:
                    await self._evidence.export(exporter, case_id, into=bundle)
                    size = await asyncio.to_thread(bundle.tell)
                    await asyncio.to_thread(zip_members.copy_member, zf, f"bundles/{case_id}.zip", bundle, size)
        name = f"statistics-{row.month}-v{row.version}-{row.organisation_id}.zip"
        return name, out.getvalue() if isinstance(out, io.BytesIO) else b""


README = """\
月度统计快照（平台签名）及其所统计案件的证据包。
离线核验：mediate verify-stats 本文件.zip [--trusted-key 日志公钥]
核验内容：快照签名；每个案件证据包本身（与 mediate verify 相同）；快照所记每案最后一条记录的哈希；
由签名记录重新计算各项计数，逐案指出不支持其计数的案件；并按本组织统计链（stream.jsonl）中的案件索引，
指出本月由本组织主办、却未列入快照的案件。

A monthly statistics snapshot signed by the platform, with the evidence bundles of the cases it counts.
Check it offline: mediate verify-stats THIS.zip [--trusted-key LOG_VKEY]
It checks the snapshot's signature; each case's bundle (as mediate verify does); the last record hash the
snapshot gives each case; and recomputes each count from the signed records, naming every case that does
not support its count; and, from the organisation's index of the cases it leads (its statistics stream,
stream.jsonl), names any case it led in the month that the snapshot leaves out.
"""

__all__ = ["Cohort", "Snapshots", "Taken", "cohort", "month_bounds", "stream_id"]
