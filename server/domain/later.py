"""Rows a transaction inserts at its end, in one statement per table: what group commit saves on.

On SQLite's one connection every statement of a request waits for every statement before it, and
each costs about a millisecond of the event loop through the ORM (#24: a booking was 25 of them).
A row nobody reads back in the same transaction (a history line, a queued message, a party's new
link) need not be flushed one by one: ``insert_later`` keeps it, and the group commit
(server/domain/group_commit.py) inserts a whole batch's such rows, table by table, in one
executemany each just before it commits.

Only a transaction that group commit runs inserts what was kept. Anywhere else the row is simply
added to the session, as the caller would have done without this module: a function called both
inside and outside a group commit (``links.issue``) needs no second path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession

#: Where a transaction's session keeps the rows ``insert_later`` was given (``AsyncSession.info``);
#: present only while a group commit runs the transaction.
LATER = "group_commit.later"


def begin(db: AsyncSession) -> None:
    """Mark ``db``'s transaction as one whose kept rows ``insert_kept`` will insert (group commit only)."""
    db.info[LATER] = []


def grouped(db: AsyncSession) -> bool:
    return LATER in db.info


def kept(db: AsyncSession) -> int:
    """How many rows are waiting: a unit that kept one has written, as one that flushed has."""
    return len(db.info.get(LATER, ()))


def insert_later(db: AsyncSession, model: type[Any], row: dict[str, Any]) -> None:
    """Insert ``row`` into ``model``'s table before this transaction commits (see the module's docstring)."""
    rows: list[tuple[type[Any], dict[str, Any]]] | None = db.info.get(LATER)
    if rows is None:
        db.add(model(**row))
    else:
        rows.append((model, row))


def stage(db: AsyncSession, obj: Any) -> None:
    """``insert_later`` for an ORM object built by the caller, who keeps it (unsaved) to read from.

    The columns' Python defaults (an id, a creation time) are filled in now, as a flush would, so
    that the caller can name the row (a history line's ``link_id``) before it is inserted.
    """
    if not grouped(db):
        db.add(obj)
        return
    mapper = inspect(obj).mapper
    row: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if attr.key not in obj.__dict__ and column.default is not None:
            default = column.default
            if default.is_scalar:
                setattr(obj, attr.key, default.arg)
            elif default.is_callable:
                setattr(obj, attr.key, default.arg(None))
        if attr.key in obj.__dict__:
            row[attr.key] = obj.__dict__[attr.key]
    insert_later(db, type(obj), row)


def holds(db: AsyncSession, model: type[Any], column: str, value: Any) -> bool:
    """Whether a kept row of ``model`` has ``value`` in ``column``: what a SELECT cannot see yet
    (two new links of one batch must not draw the same PIN)."""
    return any(m is model and row.get(column) == value for m, row in db.info.get(LATER, ()))


async def insert_kept(db: AsyncSession) -> None:
    """Insert the rows kept so far, one statement per table, in the order they were kept."""
    staged: list[tuple[type[Any], dict[str, Any]]] = db.info.pop(LATER, [])
    tables: dict[type[Any], list[dict[str, Any]]] = {}
    for model, row in staged:
        tables.setdefault(model, []).append(row)
    for model, rows in tables.items():
        await db.execute(insert(model), rows)
