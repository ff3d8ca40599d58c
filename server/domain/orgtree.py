"""Organisations form a tree: village committee → town → county centre → city justice bureau.

A supervisor of an organisation reads the cases of that organisation and of every organisation
below it (人民调解法 art. 5: the justice administration of each level above the county guides
people's mediation in its area). The tree is small (an organisation per village at most), so it
is read whole and walked here rather than with a recursive query.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Organisation


async def parents(db: AsyncSession) -> dict[str, str | None]:
    """Every organisation's id → its parent's id (None at the top of a tree)."""
    return {row.id: row.parent_id for row in (await db.execute(select(Organisation.id, Organisation.parent_id))).all()}


def subtree(parent_of: Mapping[str, str | None], root: str) -> set[str]:
    """``root`` and every organisation below it, however deep."""
    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def ancestors(parent_of: Mapping[str, str | None], organisation_id: str) -> list[str]:
    """The organisations above ``organisation_id``, nearest first (a cycle, which the services
    never write, ends the walk instead of looping)."""
    out: list[str] = []
    current = parent_of.get(organisation_id)
    while current is not None and current not in out and current != organisation_id:
        out.append(current)
        current = parent_of.get(current)
    return out


async def subtree_of(db: AsyncSession, root: str) -> set[str]:
    return subtree(await parents(db), root)


async def within(db: AsyncSession, organisation_id: str, root: str) -> bool:
    """Whether ``organisation_id`` is ``root`` or lies below it."""
    return organisation_id == root or root in ancestors(await parents(db), organisation_id)
