"""Judicial confirmation (司法确认): from an effective agreement to a court's signed ruling.

People's Mediation Law art. 33 and Civil Procedure Law arts. 205–206: the parties *jointly*
apply, within 30 days of the agreement taking effect, to a basic-level court of the place of the
mediation organisation, of a party's residence or of the property (or to the court that invited
the mediation); the court rules the agreement valid, and it can then be enforced, or rejects it.
The court's rules for online mediation (2021) let all of this happen online.

The modules: ``application`` (each party signs a ``confirmation_applied`` statement with their
own key; the application reaches the court only when every party has signed), ``paper`` (a party
without a key signs the printed application, the receiving mediator attests it with their own
key, #25), ``court`` (judges
of that court, and no others, read the case, accept and number the application, hold a hearing),
``decision`` (the ruling is a ``confirmation_decided`` record signed with the judge's own key,
with a PDF sealed by the court), ``ruling`` (the ruling's words) and ``views`` (what each reader
is shown).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.confirmation.application import Applications
from server.domain.confirmation.court import Court
from server.domain.confirmation.decision import Decisions
from server.domain.confirmation.paper import PaperApplications


@dataclass(frozen=True)
class Confirmations:
    """The services of judicial confirmation, as the composition root (server/app.py) builds and wires them."""

    applications: Applications
    paper: PaperApplications
    court: Court
    decisions: Decisions
