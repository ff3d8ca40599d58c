"""Whether the other side agrees to mediation.

Mediation is voluntary for both sides: a committee mediates only if the parties agree, and a party
may refuse it (人民调解法 art. 17: 当事人一方明确拒绝调解的，不得调解). On an online application the
other side is asked through their own link whether they agree (人民法院在线调解规则 art. 15), and
their answer is their signed record (``mediation_accepted`` / ``mediation_refused``).

This module is where that asking begins. For now ``ask_other_side`` does nothing: the asking is
built elsewhere, and the acceptance of an application (server/domain/online_applications.py)
already calls it, in the transaction that creates the case, so that nothing else changes when it
is filled in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Case


async def ask_other_side(db: AsyncSession, case: Case, **context: Any) -> None:
    """Ask the case's respondents whether they agree to mediation (人民调解法 art. 17; 在线调解规则 art. 15).

    Called once the organisation has accepted a party's application and the case exists, in the
    same transaction. ``context`` carries what the caller knows (e.g. ``staff``, the accepting
    staff member). Does nothing yet.
    """
    return None
