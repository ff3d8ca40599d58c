"""An organisation's statistics stream in the evidence log, and its index of the cases it leads (#23).

**The stream.** The evidence log is chained per case (FORMAT.md): each case's records carry ``seq`` and
``prev``. An organisation has no case, so each gets a chain of its own in the same log, its *statistics
stream*, whose ``case`` is ``stream_id(organisation)``: a version-5 UUID derived from the organisation's id,
which never equals a case's (cases' ids are random version-4 UUIDs, ``server.models.base.new_id``). Its
monthly ``statistics_snapshot`` records live there (snapshots.py).

**The index.** A snapshot lists the cases of its cohort, and ``mediate verify-stats`` checks each one it
lists; a case left out altogether would pass unseen. So the stream also says, as it happens, which cases the
organisation leads: a ``case_indexed`` record when the organisation registers a case (``registered``), and,
when a lead referral is accepted (the case's lead changes, server/domain/referrals.py), one in the stream of
the organisation that passed it on (``referred_out``) and one in the stream of the organisation that took it
(``referred_in``). Each is written in the same transaction as the case's own record (``case_registered``,
``referral_accepted``), so the index holds a case exactly when the act happened. A snapshot's record comes
later in the same chain, so its ``prev`` pins every index record before it; ``verify-stats`` reads them
(index_check.py) and names a case the index says the organisation led in the month that the cohort lacks.

Cases registered before the index began have no index record: ``verify-stats`` says where the index starts
rather than pretend it is complete.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.ledger import Ledger
from server.domain.ledger_shapes import Submission
from server.models import Case, Organisation

#: The namespace of the organisations' statistics streams (uuid5 of the organisation's id under it).
STREAM_NAMESPACE = uuid.UUID("8f5b1e62-2f43-5d8a-9a0e-6d6564696174")
#: Who the stream's records name: the platform's statistics, which vouches for them with its key.
ACTOR = {"kind": "platform", "id": "statistics"}
INDEXED = "case_indexed"
#: Why a case enters or leaves an organisation's index.
REASONS = ("registered", "referred_in", "referred_out")


def stream_id(organisation_id: str) -> str:
    """The ``case`` of an organisation's statistics stream in the evidence log."""
    return str(uuid.uuid5(STREAM_NAMESPACE, f"statistics:{organisation_id}"))


def _entry(
    ledger: Ledger, case: Case, organisation: Organisation, reason: str, *, referral: str | None = None,
    other: Organisation | None = None,
) -> Submission:  # fmt: skip
    data: dict[str, object] = {
        "organisation": {"id": organisation.id, "name": organisation.name},
        "case": case.id,
        "case_number": case.case_number,
        "registered_on": case.registered_on.isoformat(),
        "reason": reason,
        "referral": referral,
        # Where a referred case came from (referred_in) or went (referred_out).
        "other_organisation": {"id": other.id, "name": other.name} if other is not None else None,
    }
    # The case number stays in the body, as the registration's does; the log says which case, when, and why.
    public: dict[str, object] = {
        "organisation": organisation.id,
        "indexed_case": case.id,
        "registered_on": case.registered_on.isoformat(),
        "reason": reason,
    }
    return ledger.platform_submission(type=INDEXED, case=stream_id(organisation.id), actor=ACTOR, data=data, public=public)


async def _append(db: AsyncSession, ledger: Ledger, items: list[Submission]) -> None:
    for outcome in await ledger.append_many(db, items):
        if isinstance(outcome, Exception):
            raise outcome


async def index_registered(db: AsyncSession, ledger: Ledger, case: Case, organisation: Organisation) -> None:
    """The registering organisation's index takes the case, in the registration's transaction."""
    await _append(db, ledger, [_entry(ledger, case, organisation, "registered")])


async def index_referred(
    db: AsyncSession, ledger: Ledger, case: Case, referral_id: str, source: Organisation, target: Organisation
) -> None:
    """A lead referral accepted: the case leaves ``source``'s index and enters ``target``'s, in the acceptance's
    transaction. One batch, so that both streams are locked in one statement (two acceptances crossing between
    the same organisations cannot each hold one stream and wait for the other)."""
    await _append(
        db,
        ledger,
        [
            _entry(ledger, case, source, "referred_out", referral=referral_id, other=target),
            _entry(ledger, case, target, "referred_in", referral=referral_id, other=source),
        ],
    )
