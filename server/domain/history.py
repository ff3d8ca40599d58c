"""The case history: one row per change, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.principal import Principal, actor_of
from server.models import CaseEvent, utcnow

#: A party's complaint and its answer: read by supervisors only, never by the mediator complained
#: about (server/domain/satisfaction.py, 人民法院在线调解规则 art. 29). The case history and the
#: evidence list leave them out for every other reader, and the case's outbox leaves out the text
#: that tells a party their complaint was answered (a notice of the same kind).
COMPLAINT_KINDS = frozenset({"complaint_filed", "complaint_answered"})


def record(db: AsyncSession, case_id: str, principal: Principal | None, kind: str, **data: Any) -> None:
    db.add(CaseEvent(**row(case_id, principal, kind, **data)))


def row(case_id: str, principal: Principal | None, kind: str, **data: Any) -> dict[str, Any]:
    """A history line's columns, for a caller that inserts many at once (``later.insert_later``)."""
    actor_kind, actor_id, actor_name = actor_of(principal)
    return {
        "case_id": case_id,
        "at": utcnow(),
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "kind": kind,
        "data": data,
    }
