"""The mediation agreement: drafted in numbered versions, made final, signed by each party with
their own key, then by the mediator, sealed by the organisation and delivered.

People's Mediation Law art. 29: a written agreement takes effect once the parties have signed
(or sealed, or thumb-printed) it, the mediator has signed it and the committee's seal is on it.
The court rules for online mediation (2021) accept electronic signatures for the first two and
ask for delivery through the platform. Every step is a record in the case's evidence log:

- ``agreement_version``: each saved version, and the one declared final (drafting.py);
- ``signature``: a party's or the mediator's statement, signed with their own key (signing.py);
- ``signature`` with method ``paper`` and ``agreement_read_aloud``: a party who signs nothing with a
  key (a caller by phone) has the text read to them and signs on paper, the receiving mediator
  attesting with their own key (paper.py);
- ``agreement_sealed``: the final document sealed with the organisation's PAdES signature, and
  ``delivery``: the sealed document made available to each party, and their receipt (sealing.py).

The modules, in the order an agreement lives: ``text`` (its words), ``reading`` (loading it and
who signs), ``drafting``, ``signing``, ``sealer`` (its PDFs and the organisation's seal),
``sealing`` and ``public`` (what anyone with its code may check).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.agreements.drafting import Drafting
from server.domain.agreements.paper import PaperSignatures
from server.domain.agreements.public import Public
from server.domain.agreements.sealing import Sealing
from server.domain.agreements.signing import Signing


@dataclass(frozen=True)
class Agreements:
    """The agreement's services, as the composition root (server/app.py) builds and wires them."""

    drafting: Drafting
    signing: Signing
    paper: PaperSignatures
    sealing: Sealing
    public: Public
