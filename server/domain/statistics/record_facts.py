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
  ``confirmation_applied`` record (art. 33: the parties apply jointly), or signed it on paper and a
  mediator's record names them as its ``subject`` (#25); ``confirmed``: a
  ``confirmation_decided`` record with ``decision`` confirmed;
- ``closed``: a ``case_closed`` record;
- ``with_obligations``, ``performed``, ``overdue_performance`` and ``resolved``: the ``agreement_sealed``
  record's body lists the instalments the sealed agreement binds the parties to (``instalments``: each with
  its obligation's id and last day, server/domain/agreements/sealing.py ``instalments_of``), and each
  instalment's state follows its performance records as the ``Obligation`` row's status does
  (server/domain/performance.py): ``performance_reported`` makes it reported, ``performance_confirmed``
  performed, ``performance_disputed`` disputed. Against the snapshot's as-of day, ``status_on`` (the very
  function the database reading uses) makes a pending or disputed instalment past its last day overdue.
  So these are decided for every case sealed with that body, open or closed. People's Mediation Law art. 31:
  the committee follows the agreement's performance; the snapshot's figures of it are auditable as its others.

A case sealed before the record listed its instalments (its ``agreement_sealed`` body has none, or its
body was withheld) falls back on its ``case_closed`` record, which counts the instalments
(``obligations``) and those not performed (``outstanding``), after which no performance is recorded
(server/domain/closing.py): closed, ``with_obligations`` and ``performed`` are decided, and
``overdue_performance``/``resolved`` too where nothing is outstanding; otherwise they are *undecided*
(None), and ``verify-stats`` says so rather than pretending.

``overdue_mediation``: still being mediated (neither sealed, ended nor closed) past the mediation period,
by the very function the database reading uses (clocks.mediation_clock: 30 days, the last one moved to a
working day, in Beijing days, server/domain/workdays.py) from the instant the registration's body gives
(``mediation_from``: the case's creation, which ``case_mediation_clock`` counts from) to the last day the
latest ``deadline_extended`` record's ``to_date`` sets (every party agreed, server/domain/extensions.py),
as of the snapshot's moment. A case registered before the body gave that instant (or begun by an older
``case_opened``) is *undecided* while still being mediated: its record's own time follows the case's creation
by the length of a transaction, which can straddle a midnight, so the records cannot say for certain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from server.domain.clocks import local_day, mediation_clock
from server.domain.performance import status_on
from server.domain.workdays import Workdays
from server.evidence.records import Record, RecordError, parse_time

#: The state each performance record puts its instalment in (the ``Obligation.status`` it sets).
PERFORMANCE_STATES = {
    "performance_reported": "reported",
    "performance_confirmed": "performed",
    "performance_disputed": "disputed",
}


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
    #: Each instalment's state on the as-of day (pending | reported | performed | disputed | overdue), from the
    #: ``agreement_sealed`` body and the performance records; None where that body lists no instalments.
    instalment_states: tuple[str, ...] | None = None
    #: The instant the mediation period runs from (the registration's body), and the last day agreed instead.
    mediation_from: datetime | None = None
    extended_to: date | None = None
    #: Still being mediated past the mediation period as of the audit's moment; None where the records cannot say.
    overdue_mediation: bool | None = None

    @property
    def with_obligations(self) -> bool | None:
        if not self.settled:
            return False
        if self.instalment_states is not None:
            return bool(self.instalment_states)
        return None if self.instalments is None else self.instalments > 0

    @property
    def performed(self) -> bool | None:
        if not self.settled:
            return False
        if self.instalment_states is not None:
            return bool(self.instalment_states) and all(s == "performed" for s in self.instalment_states)
        return None if self.instalments is None else self.instalments > 0 and self.outstanding == 0

    @property
    def overdue_performance(self) -> bool | None:
        if not self.settled:
            return False
        if self.instalment_states is not None:
            return any(s in ("overdue", "disputed") for s in self.instalment_states)
        # Closed with nothing outstanding: no instalment can be overdue or disputed.
        return False if self.instalments == 0 or (self.instalments is not None and self.outstanding == 0) else None

    @property
    def resolved(self) -> bool | None:
        overdue = self.overdue_performance
        return None if overdue is None else self.settled and not overdue

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
    "resolved": lambda f: f.resolved,
    "overdue_mediation": lambda f: f.overdue_mediation,
    "overdue_performance": lambda f: f.overdue_performance,
}


def _data(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    data = (body or {}).get("data")
    return data if isinstance(data, Mapping) else {}


def facts_from_records(
    records: Sequence[Record], bodies: Mapping[int, Mapping[str, Any]], *, as_of: datetime, workdays: Workdays
) -> RecordFacts:
    """The facts of one case from its records (in ``seq`` order, as far as the audit reads them) and
    their bodies by ``seq`` (``{"salt", "data"}``, FORMAT.md "Bodies"), as of the moment ``as_of`` (the
    snapshot's): its instalments' states on that Beijing day, its mediation clock then."""
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
    #: obligation id -> [state, last day], in the agreement's order; None until a body lists them
    owed: dict[str, list[Any]] | None = None
    joint: dict[str, set[str]] = {}
    signed: dict[str, set[str]] = {}
    ratings: list[int] = []
    started: datetime | None = None
    extended_to: date | None = None
    for record in records:
        claim, public = record.claim, record.claim.public
        day = local_day(parse_time(claim.time))
        if claim.type in ("case_registered", "case_opened"):
            data = _data(bodies.get(record.seq))
            case_number = str(data["case_number"]) if "case_number" in data else None
            registered_on = date.fromisoformat(str(data["registered_on"])) if data.get("registered_on") else day
            organisation = str(data["organisation"]) if "organisation" in data else None
            started = _instant(data.get("mediation_from"))
        elif claim.type == "deadline_extended":
            extended_to = _day(public.get("to_date")) or extended_to
        elif claim.type == "case_referred" and public.get("role") == "lead":
            referred[str(public.get("referral"))] = str(public.get("to_organisation"))
        elif claim.type == "referral_accepted" and str(public.get("referral")) in referred:
            lead = referred[str(public.get("referral"))]
        elif claim.type == "agreement_sealed":
            settled, sealed_on = True, sealed_on or day
            listed = _instalments(_data(bodies.get(record.seq)).get("instalments"))
            owed = owed if listed is None else listed
        elif claim.type in PERFORMANCE_STATES and owed is not None and str(public.get("obligation")) in owed:
            owed[str(public.get("obligation"))][0] = PERFORMANCE_STATES[claim.type]
        elif claim.type == "mediation_ended":
            failed = True
        elif claim.type == "confirmation_applied":
            application = str(public.get("application"))
            joint.setdefault(application, set()).update(str(p) for p in public.get("joint") or ())
            # A party's own signature, or a mediator's attestation of one on paper naming the party (#25).
            subject = public.get("subject") if claim.actor.get("kind") == "staff" else None
            signer = subject.get("id", "") if isinstance(subject, dict) else claim.actor.get("id", "")
            signed.setdefault(application, set()).add(str(signer))
        elif claim.type == "confirmation_decided" and public.get("decision") == "confirmed":
            confirmed = True
        elif claim.type == "case_closed":
            closed_on = closed_on or day
            instalments, outstanding = _count(public.get("obligations")), _count(public.get("outstanding"))
        elif claim.type == "satisfaction_rated" and isinstance(public.get("stars"), int):
            ratings.append(int(public["stars"]))
    applied = any(people and people <= signed.get(application, set()) for application, people in joint.items())
    overdue_mediation: bool | None = False
    if not settled and not failed and closed_on is None:
        # The database's reading: case_mediation_clock(case, workdays, now), open so never concluded (facts.py).
        clock = mediation_clock(started, None, as_of, workdays, extended_to=extended_to) if started else None
        overdue_mediation = None if clock is None else clock.state == "overdue"
    as_of_day = local_day(as_of)
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
        instalment_states=None if owed is None else tuple(status_on(state, due, as_of_day) for state, due in owed.values()),
        mediation_from=started,
        extended_to=extended_to,
        overdue_mediation=overdue_mediation,
    )


def _instant(value: object) -> datetime | None:
    try:
        return parse_time(value) if isinstance(value, str) else None
    except (RecordError, ValueError):
        return None


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _instalments(value: object) -> dict[str, list[Any]] | None:
    """The instalments an ``agreement_sealed`` body lists, each pending on sealing; None for a body that lists
    none (sealed before it did) or lists them malformed (then the records cannot say, rather than say wrong)."""
    if not isinstance(value, list):
        return None
    out: dict[str, list[Any]] = {}
    for item in value:
        if not isinstance(item, Mapping) or not item.get("obligation") or not item.get("due_date"):
            return None
        try:
            out[str(item["obligation"])] = ["pending", date.fromisoformat(str(item["due_date"]))]
        except ValueError:
            return None
    return out


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
