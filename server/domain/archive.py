"""Archiving a closed case (归档, ``case_archived``) and destroying its file after the organisation's
retention (``case_file_destroyed``).

People's Mediation Law art. 27 has the committee keep a file of each mediation (立卷归档: the
registration, the record of the mediation, the agreement); it sets no period, nor do the Ministry of
Justice's rules after it, and committees set one by the dispute (the rule of the organisation). The
national rule on keeping records (国家档案局令第8号, 机关文件材料归档范围和文书档案保管期限规定, 2006,
art. 6) knows two kinds: for good (永久) and for a fixed period, 30 or 10 years. The organisation's rule
is ``Organisation.case_file_retention_years`` (0: for good); its default, 30 years, is the longer fixed
period and outlasts the longest time a civil claim can be brought (民法典 art. 188: twenty years).

- **Archiving**: a mediator of the case's organisation archives it once it is closed (结案,
  server/domain/closing.py) and no application for judicial confirmation awaits a court's decision;
  its case file (人民调解卷宗, server/domain/case_file) is made at closing, or now for a case closed
  before files were made, so that every archived case has one. The
  ``case_archived`` record, signed by the platform on the mediator's login, says who, when, the
  retention that applies (its years and the last day it runs to, counted from the day of archiving)
  and the documents the file holds. From then on the case reads only (server/domain/archived.py).
- **Destruction**: once that last day has passed, the file's stored contents (the bytes of its
  documents: uploads, the PDFs the platform made) are destroyed by ``purge``, run hourly by the server
  and on demand by ``mediate casefiles purge``. As with a recording (server/domain/recordings), it is a
  logged act: the ``case_file_destroyed`` record names each document with its hash and size, the
  retention applied and who destroyed it, and is written before the bytes go, in the same transaction.
  The evidence log stays whole (a bundle still proves what the file held and that it was destroyed,
  ``mediate verify``); the database lets a filed document's bytes go this way only (migration 0030).
  A case that went to a court for confirmation is kept, as its recordings are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.access import case_for_staff, is_before_court
from server.domain.archived import refuse_if_archived, retention_words
from server.domain.case_file import existing, make_case_file
from server.domain.clocks import local_day
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, System
from server.errors import Conflict
from server.models import Case, CaseDocument, ConfirmationApplication, Organisation, User, utcnow

log = logging.getLogger(__name__)

#: What destroyed a file, by whom the purge was run (the record's ``by``).
BY_LOOP = "retention_loop"
BY_COMMAND = "command_line"
BY_WORDS = {BY_LOOP: "平台按保管期限自动销毁", BY_COMMAND: "运维人员以命令行销毁（mediate casefiles purge）"}
#: A court's decision on the application for confirmation closes it; before that the court still acts on the case.
DECIDED = ("confirmed", "rejected")


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 February falls on the 28th in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class ArchiveView:
    case: Case
    archived_by: str | None
    #: The years the organisation's rule gives now (what archiving now would apply).
    rule_years: int
    documents: int

    def to_json(self) -> dict[str, Any]:
        c = self.case
        years = c.retention_years if c.archived_at else self.rule_years
        zh, en = retention_words(years)
        return {
            "archived": c.archived_at is not None,
            "archived_at": c.archived_at.isoformat() if c.archived_at else None,
            "archived_by": self.archived_by,
            "seq": c.archived_seq,
            "retention_years": years,
            "retention_words": {"zh": zh, "en": en},
            "retained_until": c.retained_until.isoformat() if c.retained_until else None,
            "destroyed_at": c.case_file_destroyed_at.isoformat() if c.case_file_destroyed_at else None,
            "destroyed_seq": c.case_file_destroyed_seq,
            "documents": self.documents,
            # A closed case not archived yet; the server also waits for a court's pending decision.
            "can_archive": c.archived_at is None and c.case_closed_at is not None,
        }


@dataclass(frozen=True)
class Destroyed:
    case_id: str
    case_number: str
    destroyed: bool  # False: kept, the case went to a court for confirmation
    documents: int = 0
    seq: int | None = None


class Archive:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, font: Path | None = None) -> None:
        self._maker = maker
        self._ledger = ledger
        self._font = font

    async def _view(self, db: AsyncSession, case: Case) -> ArchiveView:
        org = await db.get(Organisation, case.organisation_id)
        assert org is not None
        by = await db.get(User, case.archived_by) if case.archived_by else None
        documents = len(list(await db.scalars(select(CaseDocument.id).where(CaseDocument.case_id == case.id))))
        return ArchiveView(case, by.display_name if by else None, org.case_file_retention_years, documents)

    async def view(self, principal: Principal | None, case_id: str) -> ArchiveView:
        """Whether the case is archived, under which retention, and whether its file was destroyed."""
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, court=True, shared=True, supervise=True)
            return await self._view(db, case)

    async def archive(self, principal: Principal | None, case_id: str) -> ArchiveView:
        async with self._maker() as db, db.begin():
            # A change of the case by its own organisation's mediators (``changes``: one archived already
            # is refused ``case_archived``); after a court's decision too, which ``write`` would refuse.
            staff, case = await case_for_staff(db, principal, case_id, changes=True)
            case = await db.get(Case, case.id, with_for_update=True, populate_existing=True) or case
            refuse_if_archived(case)  # archived meanwhile
            if case.case_closed_at is None:
                raise Conflict("only a closed case is archived: close it first", reason="archive_not_closed")
            pending = await db.scalar(
                select(ConfirmationApplication.id).where(
                    ConfirmationApplication.case_id == case.id, ConfirmationApplication.status.not_in(DECIDED)
                )
            )
            if pending is not None:
                raise Conflict(
                    "an application to confirm the agreement awaits the court: archive the case once it is decided",
                    reason="confirmation_pending",
                )
            org = await db.get(Organisation, case.organisation_id)
            assert org is not None
            now = utcnow()
            years = org.case_file_retention_years
            if await existing(db, case.id) is None:
                # Archiving follows the case file: a case closed before files were made has its file made now.
                await make_case_file(db, self._ledger, case, staff, self._font, retention=retention_words(years)[0])
            until = add_years(local_day(now), years) if years else None
            documents = list(await db.execute(
                select(CaseDocument.name, CaseDocument.sha256).where(CaseDocument.case_id == case.id)
                .order_by(CaseDocument.created_at)
            ))  # fmt: skip
            appended = await self._ledger.append_platform(
                db,
                type="case_archived",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "archived_by": staff.display_name,
                    "case_number": case.case_number,
                    "retention_words": retention_words(years)[0],
                    "documents": [f"{name}（SHA-256 {sha256}）" for name, sha256 in documents],
                },
                public={
                    "retention_years": years,
                    "retained_until": until.isoformat() if until else None,
                    "documents": len(documents),
                },
            )
            case.archived_at, case.archived_by, case.archived_seq = now, staff.user_id, appended.record.seq
            case.retention_years, case.retained_until = years, until
            history.record(
                db, case.id, staff, "case_archived", retention_years=years,
                retained_until=until.isoformat() if until else None, seq=appended.record.seq,
            )  # fmt: skip
            await db.flush()
            return await self._view(db, case)

    # -- destruction after the retention ------------------------------------------------------

    async def purge(self, now: datetime | None = None, by: Principal | None = None) -> list[Destroyed]:
        """Destroy the files of the archived cases whose retention ran out before ``now``'s day.

        ``by``: who runs it (the command line); None is the server's own hourly loop.
        """
        today = local_day(now or utcnow())
        async with self._maker() as db:
            due = list(
                await db.scalars(
                    select(Case.id)
                    .where(
                        Case.archived_at.is_not(None),
                        Case.case_file_destroyed_at.is_(None),
                        Case.retained_until.is_not(None),
                        Case.retained_until < today,
                    )
                    .order_by(Case.retained_until, Case.id)
                )
            )
        return [await self._destroy(case_id, today, by) for case_id in due]

    async def _destroy(self, case_id: str, today: date, by: Principal | None) -> Destroyed:
        async with self._maker() as db, db.begin():
            case = await db.get(Case, case_id, with_for_update=True)
            assert case is not None and case.retained_until is not None
            if await is_before_court(db, case.id):
                log.info("case %s is past its file's retention but went to a court for confirmation: kept", case.id)
                return Destroyed(case.id, case.case_number, destroyed=False)
            if case.case_file_destroyed_at is not None or case.retained_until >= today:  # another process, meanwhile
                return Destroyed(case.id, case.case_number, destroyed=False)
            docs = list(await db.execute(
                select(CaseDocument.id, CaseDocument.kind, CaseDocument.name, CaseDocument.sha256, CaseDocument.size)
                .where(CaseDocument.case_id == case.id, CaseDocument.destroyed_at.is_(None))
                .order_by(CaseDocument.created_at, CaseDocument.id)
            ))  # fmt: skip
            who = BY_COMMAND if isinstance(by, System) else BY_LOOP
            appended = await self._ledger.append_platform(
                db,
                type="case_file_destroyed",
                case=case.id,
                actor=({"kind": "staff", "id": by.user_id, "role": by.role} if isinstance(by, Staff)
                       else {"kind": "platform", "id": "platform"}),
                data={
                    "case_number": case.case_number,
                    "by_words": BY_WORDS[who],
                    "retention_words": retention_words(case.retention_years)[0],
                    "documents": [f"{d.name}（{d.size} 字节，SHA-256 {d.sha256}）" for d in docs],
                },
                public={
                    "reason": "retention",
                    "by": who,
                    "retention_years": case.retention_years,
                    "retained_until": case.retained_until.isoformat(),
                    "documents": [{"document": d.id, "kind": d.kind, "sha256": d.sha256, "bytes": d.size} for d in docs],
                },
            )  # fmt: skip
            # After the record, in its transaction: the bytes go, the rows (names, hashes, sizes) stay.
            now, seq = utcnow(), appended.record.seq
            await db.execute(
                update(CaseDocument)
                .where(CaseDocument.id.in_([d.id for d in docs]))
                .values(data=b"", destroyed_at=now, destroyed_seq=seq)
                .execution_options(synchronize_session=False)
            )
            case.case_file_destroyed_at, case.case_file_destroyed_seq = now, seq
            history.record(db, case.id, by, "case_file_destroyed", documents=len(docs), by=who, seq=seq)
        log.info("case %s: its file's %d document(s) destroyed after its retention (record %d)", case_id, len(docs), seq)
        return Destroyed(case.id, case.case_number, destroyed=True, documents=len(docs), seq=seq)

    async def run_retention(self, stop: asyncio.Event, every: float = 3600.0) -> None:
        """Purge once an hour while the server runs."""
        while not stop.is_set():
            try:
                await self.purge()
            except Exception:
                log.exception("case file retention failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


__all__ = ["Archive", "ArchiveView", "Destroyed", "add_years", "retention_words"]
