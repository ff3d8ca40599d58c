"""The ledger (台账) and the statistics of an organisation, or of its subtree, for its staff.

Who reads what follows the supervision rules (server/domain/access.py, server/domain/orgtree.py): a
committee's mediators read their own organisation's ledger and figures; a supervisor reads any
organisation of their subtree, and the subtree of any of them; nobody reads another tree. The
command line (``mediate stats``) reads any organisation.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, tuple_, union
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased, load_only

from server.domain import orgtree
from server.domain.principal import Principal, System, require_staff
from server.domain.statistics import deputies
from server.domain.statistics.definitions import DEFINITIONS, GROUPS, STAGES
from server.domain.statistics.facts import CASE_COLUMNS, CaseFacts, facts_of
from server.domain.statistics.figures import COUNTS, cases_behind, count_each, figures, grouped
from server.domain.workdays import Workdays
from server.errors import FieldError, Forbidden, InvalidInput, NotFound
from server.models import Case, Organisation, Party, utcnow

SORTS = ("registered_on", "case_number", "amount")
MAX_LIMIT = 200
#: The most rows one download of the ledger carries (a county's year is a few thousand cases).
MAX_EXPORT = 100_000


@dataclass(frozen=True)
class Scope:
    organisation: Organisation
    subtree: bool
    organisation_ids: frozenset[str]
    #: What the reader may choose from: their own organisation and, for a supervisor, every one below
    #: it, (id, name, parent id) by name; the pages' organisation picker.
    choices: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True)
class LedgerQuery:
    organisation_id: str | None = None
    subtree: bool = False
    date_from: date | None = None
    date_to: date | None = None
    dispute_type: str | None = None
    stage: str | None = None
    #: A party's name or the case number, or part of either.
    q: str | None = None
    #: The case's source (vocabulary.CASE_SOURCES) and its lead mediator (the statistics' groups).
    source: str | None = None
    mediator_id: str | None = None
    #: Only the cases behind this figure (figures.COUNTS): a figure's link opens the ledger on them.
    figure: str | None = None
    sort: str = "registered_on"
    descending: bool = True
    limit: int = 50
    #: Keyset pagination: the ``next`` of the page before; else ``offset`` rows are skipped.
    cursor: str | None = None
    offset: int = 0


@dataclass(frozen=True)
class LedgerPage:
    scope: Scope
    rows: list[CaseFacts]
    total: int
    #: The cursor of the next page, None on the last.
    next: str | None


def _period(date_from: date | None, date_to: date | None) -> list[ColumnElement[bool]]:
    if date_from is not None and date_to is not None and date_to < date_from:
        raise InvalidInput("the period ends before it starts", [FieldError("to", "on or after from", "before_start")])
    out: list[ColumnElement[bool]] = []
    if date_from is not None:
        out.append(Case.registered_on >= date_from)
    if date_to is not None:
        out.append(Case.registered_on <= date_to)
    return out


def _stage(stage: str) -> ColumnElement[bool]:
    if stage == "closed":
        return Case.case_closed_at.is_not(None)
    return and_(Case.case_closed_at.is_(None), Case.status == stage)


def _sort_column(sort: str) -> Any:
    if sort == "case_number":
        return Case.case_number
    if sort == "amount":
        return func.coalesce(Case.amount_fen, -1)
    return Case.registered_on


def _cursor(sort: str, value: Any, case_id: str) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, date) else value, case_id], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(sort: str, cursor: str) -> tuple[Any, str]:
    try:
        value, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort == "registered_on":
            value = date.fromisoformat(value)
        elif sort == "amount":
            value = int(value)
        else:
            value = str(value)
        return value, str(case_id)
    except (ValueError, TypeError) as error:
        raise InvalidInput("this page's cursor is not one we gave", [FieldError("cursor", "invalid", "invalid")]) from error


class Statistics:
    def __init__(self, maker: async_sessionmaker[AsyncSession], workdays: Workdays | None = None) -> None:
        self._maker = maker
        self._workdays = workdays or Workdays()

    async def _scope(
        self, db: AsyncSession, principal: Principal | None, organisation_id: str | None, subtree: bool, *, choices: bool = False
    ) -> Scope:
        """Which organisations ``principal`` reads here, or why not; with ``choices``, also what the pages'
        organisation picker offers (only the ledger's and the statistics' answers need it)."""
        if isinstance(principal, System):
            if organisation_id is None:
                raise InvalidInput("name an organisation", [FieldError("organisation_id", "required", "required")])
            root = organisation_id
        else:
            staff = require_staff(principal, "mediator", "supervisor")
            if staff.organisation_id is None:
                raise Forbidden("this is for the staff of an organisation", reason="another_organisation")
            root = organisation_id or staff.organisation_id
            if staff.role == "mediator":
                if root != staff.organisation_id:
                    raise Forbidden("this organisation is not yours", reason="another_organisation")
                if subtree:
                    raise Forbidden("the organisations below are a supervisor's", reason="role_needed", roles=["supervisor"])
            elif not await orgtree.within(db, root, staff.organisation_id):
                raise Forbidden("this organisation is not below yours", reason="another_organisation")
        organisation = await db.get(Organisation, root)
        if organisation is None:
            raise NotFound("no such organisation", reason="no_such_organisation")
        ids = await orgtree.subtree_of(db, root) if subtree else {root}
        if not choices:
            return Scope(organisation, subtree, frozenset(ids))
        if isinstance(principal, System):
            mine = {root}
        else:
            staff = require_staff(principal)
            own = staff.organisation_id or root
            mine = await orgtree.subtree_of(db, own) if staff.role == "supervisor" else {own}
        found = await db.execute(
            select(Organisation.id, Organisation.name, Organisation.parent_id)
            .where(Organisation.id.in_(mine))
            .order_by(Organisation.name, Organisation.id)
        )
        return Scope(organisation, subtree, frozenset(ids), tuple((i, name, parent) for i, name, parent in found.all()))

    def _where(self, scope: Scope, query: LedgerQuery) -> list[ColumnElement[bool]]:
        if query.sort not in SORTS:
            raise InvalidInput("unknown sort", [FieldError("sort", f"one of {', '.join(SORTS)}", "invalid")])
        if query.stage is not None and query.stage not in STAGES:
            raise InvalidInput("unknown stage", [FieldError("stage", f"one of {', '.join(STAGES)}", "invalid")])
        if query.figure is not None and query.figure not in COUNTS:
            raise InvalidInput("unknown figure", [FieldError("figure", f"one of {', '.join(COUNTS)}", "invalid")])
        where = [Case.organisation_id.in_(scope.organisation_ids), *_period(query.date_from, query.date_to)]
        if query.dispute_type:
            where.append(Case.dispute_type == query.dispute_type)
        if query.source:
            where.append(Case.source == query.source)
        if query.mediator_id:
            where.append(Case.mediator_id == query.mediator_id)
        if query.stage:
            where.append(_stage(query.stage))
        if query.q:
            # The cases whose number or a party's name holds ``q``, found once each (one pass over the
            # names and one over the numbers, which no B-tree index can serve for a match inside a
            # word), then read by id: an OR of the two, or an EXISTS per case, walked every case of the
            # tree (`mediate bench stats`: 200–1,300 ms at 100,000 cases, now about 100; see the CHANGELOG).
            numbered = aliased(Case)
            matching = union(
                select(Party.case_id).where(
                    Party.role.in_(("applicant", "respondent")), Party.name.contains(query.q, autoescape=True)
                ),
                select(numbered.id).where(numbered.case_number.contains(query.q, autoescape=True)),
            )
            where.append(Case.id.in_(matching))
        return where

    async def ledger(self, principal: Principal | None, query: LedgerQuery) -> LedgerPage:
        """One page of the ledger: one row per case, filtered, sorted, and paged by keyset or offset.

        With ``figure`` the rows are the cases behind that figure (figures.COUNTS) among those the
        other filters select. Whether a case counts is a fact of its records (an agreement in effect,
        every instalment performed…), not a column, so the facts of every selected case are computed
        first, as the statistics do for the same period; the page is then the counted cases in the
        same keyset order as without a figure (the ids after the cursor come from the database, in its
        collation), so the ``next`` cursor and ``offset`` work the same way and ``total`` is the figure.
        """
        return await self._ledger(principal, query, max(1, min(query.limit, MAX_LIMIT)))

    async def ledger_rows(self, principal: Principal | None, query: LedgerQuery) -> LedgerPage:
        """Every row the ledger shows for ``query`` in its order (no paging), for a download: at most MAX_EXPORT."""
        return await self._ledger(principal, replace(query, cursor=None, offset=0), MAX_EXPORT)

    async def _ledger(self, principal: Principal | None, query: LedgerQuery, limit: int) -> LedgerPage:
        now = utcnow()
        async with self._maker() as db:
            scope = await self._scope(db, principal, query.organisation_id, query.subtree, choices=True)
            where = self._where(scope, query)
            column = _sort_column(query.sort)
            order = (column.desc(), Case.id.desc()) if query.descending else (column.asc(), Case.id.asc())
            after: list[ColumnElement[bool]] = []
            if query.cursor:
                value, case_id = _after(query.sort, query.cursor)
                key = tuple_(column, Case.id)
                after.append(key < tuple_(value, case_id) if query.descending else key > tuple_(value, case_id))
            skip = max(0, query.offset) if not query.cursor else 0
            if query.figure is not None:
                candidates = {c.id: c for c in await db.scalars(select(Case).options(load_only(*CASE_COLUMNS)).where(*where))}
                counted = COUNTS[query.figure]
                facts = await facts_of(db, list(candidates.values()), now, self._workdays, where)
                known = {f.id: f for f in facts if counted(f)}
                total = len(known)
                ids = [i for i in await db.scalars(select(Case.id).where(*where, *after).order_by(*order)) if i in known]
                chosen = ids[skip : skip + limit + 1]
                cases = [candidates[i] for i in chosen]
                rows = [known[i] for i in chosen[:limit]]
            else:
                total = int(await db.scalar(select(func.count()).select_from(Case).where(*where)) or 0)
                page = select(Case).where(*where, *after).order_by(*order)
                if skip:
                    page = page.offset(skip)
                cases = list(await db.scalars(page.limit(limit + 1)))
                rows = await facts_of(db, cases[:limit], now, self._workdays)
        more = len(cases) > limit
        cases = cases[:limit]
        following = None
        if more and cases:
            last = cases[-1]
            value = {"case_number": last.case_number, "amount": last.amount_fen if last.amount_fen is not None else -1}
            following = _cursor(query.sort, value.get(query.sort, last.registered_on), last.id)
        return LedgerPage(scope, rows, total, following)

    async def figures(
        self, principal: Principal | None, organisation_id: str | None, date_from: date, date_to: date, *, subtree: bool = False
    ) -> dict[str, Any]:
        """The figures of the cases registered from ``date_from`` to ``date_to`` (both included), in
        total and by every grouping of definitions.GROUPS, with the cases behind each count."""
        async with self._maker() as db:
            scope = await self._scope(db, principal, organisation_id, subtree, choices=True)
            where = [Case.organisation_id.in_(scope.organisation_ids), *_period(date_from, date_to)]
            cases = list(
                await db.scalars(
                    select(Case).options(load_only(*CASE_COLUMNS)).where(*where).order_by(Case.registered_on, Case.id)
                )
            )
            facts = await facts_of(db, cases, utcnow(), self._workdays, where)
        done = count_each(facts)
        return {
            "organisation": {"id": scope.organisation.id, "name": scope.organisation.name},
            "subtree": scope.subtree,
            "organisations": len(scope.organisation_ids),
            "choices": [{"id": i, "name": name, "parent_id": parent} for i, name, parent in scope.choices],
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "totals": figures(facts, done),
            "cases": cases_behind(facts, done),
            "groups": {by: grouped(facts, by, done) for by in GROUPS},
            "definitions": {
                key: {"zh": d.zh, "en": d.en, "means_zh": d.means_zh, "means_en": d.means_en} for key, d in DEFINITIONS.items()
            },
        }

    async def deputies(
        self, principal: Principal | None, organisation_id: str | None, year: int, quarter: int, *, subtree: bool = False
    ) -> dict[str, Any]:
        """The people's-deputy report of a quarter (deputies.py): who may read it is who may read the figures."""
        start, end = deputies.quarter(year, quarter)
        async with self._maker() as db:
            scope = await self._scope(db, principal, organisation_id, subtree)
            cases, invited = await deputies.deputies_of(db, scope.organisation_ids, start, end)
            facts = await facts_of(db, cases, utcnow(), self._workdays)
        head = {
            "organisation": {"id": scope.organisation.id, "name": scope.organisation.name},
            "subtree": scope.subtree,
            "organisations": len(scope.organisation_ids),
        }
        return deputies.report(head, year, quarter, facts, invited)
