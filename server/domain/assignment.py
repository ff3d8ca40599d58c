"""The mediators assigned to a case: those who host its live sessions together (issue #21).

A case may be mediated by one or several mediators (人民调解法 art. 19: "人民调解委员会根据调解
纠纷的需要，可以指定一名或者数名人民调解员进行调解"). Each of them hosts the case's live sessions:
any may admit, take a side aside, record or end (signaling/PROTOCOL.md, "Several hosts").

Until assignment lands (the ``mediator_assigned`` record and its table, built apart), the
mediators of a case are its own mediator and the mediators its sessions were booked for, which is
what the rest of the platform already knows of who works on it. The integrator replaces the body
of :func:`assigned_mediators` with the assignment table's; its contract stays: user ids, lead first.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Case, MediationSession, User


async def assigned_mediators(db: AsyncSession, case_id: str) -> list[str]:
    """The user ids of the mediators assigned to the case, lead first (none if there is no such case)."""
    case = await db.get(Case, case_id)
    if case is None:
        return []
    found = [case.mediator_id]
    # Until assignment lands: whoever a session of the case was booked for, in booking order.
    query = (
        select(MediationSession.mediator_id)
        .join(User, User.id == MediationSession.mediator_id)
        .where(MediationSession.case_id == case_id, MediationSession.status != "cancelled", User.role == "mediator")
        .order_by(MediationSession.starts_at, MediationSession.id)
    )
    for mediator_id in await db.scalars(query):
        if mediator_id not in found:
            found.append(mediator_id)
    return found
