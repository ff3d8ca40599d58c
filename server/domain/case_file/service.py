"""The case file (卷宗) for staff: made when the case is closed, made on a mediator's word for a case
closed before files were made ("制作卷宗"), and read by the case's staff."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.access import case_for_staff
from server.domain.case_file.making import Made, existing, make_case_file
from server.domain.ledger import Ledger
from server.domain.principal import Principal
from server.errors import InvalidState, NotFound
from server.models import Case, CaseDocument


class Dossiers:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, font: Path | None = None) -> None:
        self._maker = maker
        self._ledger = ledger
        self._font = font

    async def make(self, principal: Principal | None, case_id: str) -> Made:
        """A mediator of the closed case has its file made; a case that has one keeps it (one file per case)."""
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, assigned=True, changes=True)
            case = await db.get(Case, case.id, with_for_update=True) or case
            if case.case_closed_at is None:
                raise InvalidState("the case file is made once the case is closed", reason="case_file_not_closed")
            return await make_case_file(db, self._ledger, case, staff, self._font)

    async def get(self, principal: Principal | None, case_id: str) -> CaseDocument:
        """The file, for the case's mediators, the supervisors above them and the court that reads the case."""
        async with self._maker() as db:
            _, case = await case_for_staff(db, principal, case_id, court=True, supervise=True)
            doc = await existing(db, case.id)
            if doc is None:
                raise NotFound("this case has no case file yet", reason="no_case_file")
            return doc


__all__ = ["Dossiers"]
