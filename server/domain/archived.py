"""An archived case reads only, for everyone: the rule, and the one refusal every change meets.

Once a closed case is archived (归档, server/domain/archive.py) nothing of it changes: no note, file,
session, agreement, performance, visit, party, chat or signature, by its mediators, its parties, a
supervisor or a court. Everyone still reads it: the case, its history, files, evidence log and bundle.
Whoever would change it is told so with one reason, ``case_archived`` (409), and what to do.

The rule is asked where a change begins, before any other check, so that the refusal says why:

- staff: ``case_for_staff(..., write=True)`` or ``changes=True`` (server/domain/access.py), the one
  door every staff service goes through to a case;
- parties: ``require_party(principal, changes=True)`` (server/domain/principal.py), on the party's
  principal, which says whether their case was archived when the request came;
- the live room: nobody joins a session of an archived case (signaling/admission.py);
- and underneath them all, the evidence log: every act on a case is a record in its log
  (CONTRIBUTING, "Adding a record kind"), and the ledger (server/domain/ledger.py) appends none to an
  archived case but the few that are no change of it (``STILL_TAKES``). A change a door above missed
  is refused there, in the same words, before its transaction commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import Conflict
from server.models import Case

REASON = "case_archived"
#: Records an archived case still takes, none of them a change of it: reading it out (a bundle's
#: ``export``, a witness's cosignature, a party's receipt of the sealed agreement on first opening it,
#: ``delivery``), the platform's account of its recordings (deleted after their retention, interrupted
#: by a restart), and destroying its file after the case file's retention.
STILL_TAKES = frozenset(
    {"export", "checkpoint_witnessed", "delivery", "recording_deleted", "recording_interrupted", "case_file_destroyed"}
)


def retention_words(years: int | None) -> tuple[str, str]:
    """An organisation's rule for its case files (``Organisation.case_file_retention_years``), as the
    file's cover and the records say it: "30年", or "永久" (0: kept for good)."""
    if not years:
        return "永久", "for good"
    return f"{years}年", f"{years} years"


def refusal() -> Conflict:
    """What every change of an archived case is told (web/js/errors-i18n.js says it in Chinese and English)."""
    return Conflict(
        "this case is archived: it can be read but no longer changed; "
        "if something in it must be corrected, ask the head of the mediation organisation",
        reason=REASON,
    )


def refuse_if_archived(case: Case) -> None:
    if case.archived_at is not None:
        raise refusal()


async def archived_among(db: AsyncSession, case_ids: set[str]) -> set[str]:
    """Which of these cases are archived (no query for none)."""
    if not case_ids:
        return set()
    return set(await db.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.archived_at.is_not(None))))


async def is_archived(db: AsyncSession, case_id: str) -> bool:
    return bool(await archived_among(db, {case_id}))
