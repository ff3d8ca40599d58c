"""A case's facts read from its signed evidence records alone, for auditing a statistics snapshot (#23).

``facts.py`` reads the rows the records made, which is fast; a supervisor who audits a snapshot has
only the case's bundle (FORMAT.md): its records, signed and chained, and their bodies. This module reads
the same facts from those, so that ``mediate verify-stats`` can recompute each count without trusting the
platform's database. The two readings must agree on every case (tests/api/test_statistics_snapshots.py
compares them), which is what "the figures are computed from the evidence records" means in practice.

Which counts the records decide today (``AUDITED``), and from which records:

- ``mediated``: the case is registered (``case_registered``, or an older ``case_opened``) in the month,
  and led by the organisation: the last accepted lead referral's ``to_organisation`` (``case_referred``
  and ``referral_accepted``), else the organisation named in the registration's body;
- ``successful``: an ``agreement_sealed`` record (the agreement took effect: signed and sealed,
  人民调解法 art. 29); ``failed``: a ``mediation_ended`` record (art. 26) and no seal; ``pending``: neither;
- ``confirmation_applied``: every party named in an application's ``joint`` signed its
  ``confirmation_applied`` record (art. 33: the parties apply jointly); ``confirmed``: a
  ``confirmation_decided`` record with ``decision`` confirmed;
- ``closed``: a ``case_closed`` record;
- ``with_obligations`` and ``performed``, for a closed case: its ``case_closed`` record counts the sealed
  agreement's instalments (``obligations``) and those not performed (``outstanding``), and after it no
  performance is recorded (server/domain/closing.py). A settled case not yet closed is *undecided* (None):
  its instalments are in the agreement's rows, not in structured records.

The other counts (``resolved``, ``overdue_mediation``, ``overdue_performance``) rest on the instalments'
last days and on the mediation clock, which the records do not carry. The snapshot states them with their
cases; ``verify-stats`` checks their cases' hashes and says it could not recompute them, rather than
pretending to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from server.domain.clocks import local_day
from server.evidence.records import Record, parse_time


@dataclass(frozen=True)
class RecordFacts:
    case_id: str
    #: From the registration's body; None for a case whose first record is not a registration.
    case_number: str | None
    registered_on: date | None
    #: The registering organisation's name (body), and the organisation a lead referral moved the case to (id).
    registered_by_organisation: str | None
    lead_organisation_id: str | None
    settled: bool
    sealed_on: date | None
    failed: bool
    confirmation_applied: bool
    confirmed: bool
    closed_on: date | None
    #: From the ``case_closed`` record: the agreement's instalments and those not performed (None while open).
    instalments: int | None
    outstanding: int | None
    ratings: tuple[int, ...]

    @property
    def with_obligations(self) -> bool | None:
        if not self.settled:
            return False
        return None if self.instalments is None else self.instalments > 0

    @property
    def performed(self) -> bool | None:
        if not self.settled:
            return False
        return None if self.instalments is None else self.instalments > 0 and self.outstanding == 0

    def led_by(self, organisation_id: str, organisation_name: str) -> bool:
        """Whether the records put the case with this organisation (a lead referral accepted moves it)."""
        if self.lead_organisation_id is not None:
            return self.lead_organisation_id == organisation_id
        return self.registered_by_organisation == organisation_name


#: The counts the records decide, with the test a case's record facts must pass (None: they cannot say).
AUDITED: dict[str, Callable[[RecordFacts], bool | None]] = {
    "mediated": lambda f: True,
    "successful": lambda f: f.settled,
    "failed": lambda f: f.failed and not f.settled,
    "pending": lambda f: not f.settled and not f.failed,
    "with_obligations": lambda f: f.with_obligations,
    "performed": lambda f: f.performed,
    "confirmation_applied": lambda f: f.confirmation_applied,
    "confirmed": lambda f: f.confirmed,
    "closed": lambda f: f.closed_on is not None,
}


def _data(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    data = (body or {}).get("data")
    return data if isinstance(data, Mapping) else {}


def facts_from_records(records: Sequence[Record], bodies: Mapping[int, Mapping[str, Any]]) -> RecordFacts:
    """The facts of one case from its records (in ``seq`` order, as far as the audit reads them) and
    their bodies by ``seq`` (``{"salt", "data"}``, FORMAT.md "Bodies")."""
    case_id = records[0].claim.case if records else ""
    case_number: str | None = None
    registered_on: date | None = None
    organisation: str | None = None
    referred: dict[str, str] = {}  # lead referral id -> the organisation it went to
    lead: str | None = None
    settled, failed, confirmed = False, False, False
    sealed_on: date | None = None
    closed_on: date | None = None
    instalments: int | None = None
    outstanding: int | None = None
    joint: dict[str, set[str]] = {}
    signed: dict[str, set[str]] = {}
    ratings: list[int] = []
    for record in records:
        claim, public = record.claim, record.claim.public
        day = local_day(parse_time(claim.time))
        if claim.type in ("case_registered", "case_opened"):
            data = _data(bodies.get(record.seq))
            case_number = str(data["case_number"]) if "case_number" in data else None
            registered_on = date.fromisoformat(str(data["registered_on"])) if data.get("registered_on") else day
            organisation = str(data["organisation"]) if "organisation" in data else None
        elif claim.type == "case_referred" and public.get("role") == "lead":
            referred[str(public.get("referral"))] = str(public.get("to_organisation"))
        elif claim.type == "referral_accepted" and str(public.get("referral")) in referred:
            lead = referred[str(public.get("referral"))]
        elif claim.type == "agreement_sealed":
            settled, sealed_on = True, sealed_on or day
        elif claim.type == "mediation_ended":
            failed = True
        elif claim.type == "confirmation_applied":
            application = str(public.get("application"))
            joint.setdefault(application, set()).update(str(p) for p in public.get("joint") or ())
            signed.setdefault(application, set()).add(claim.actor.get("id", ""))
        elif claim.type == "confirmation_decided" and public.get("decision") == "confirmed":
            confirmed = True
        elif claim.type == "case_closed":
            closed_on = closed_on or day
            instalments, outstanding = _count(public.get("obligations")), _count(public.get("outstanding"))
        elif claim.type == "satisfaction_rated" and isinstance(public.get("stars"), int):
            ratings.append(int(public["stars"]))
    applied = any(people and people <= signed.get(application, set()) for application, people in joint.items())
    return RecordFacts(
        case_id=case_id,
        case_number=case_number,
        registered_on=registered_on,
        registered_by_organisation=organisation,
        lead_organisation_id=lead,
        settled=settled,
        sealed_on=sealed_on,
        failed=failed,
        confirmation_applied=applied,
        confirmed=confirmed,
        closed_on=closed_on,
        instalments=instalments,
        outstanding=outstanding,
        ratings=tuple(ratings),
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
