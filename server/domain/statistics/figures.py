"""The figures of a set of cases, and of its groups: counts, rates, amounts, days, satisfaction.

Pure functions of ``CaseFacts`` (facts.py), so that the API, the command and a later audit compute
the same numbers the same way. What each figure counts is in definitions.py.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from server.domain.statistics.definitions import GROUPS
from server.domain.statistics.facts import CaseFacts
from server.domain.vocabulary import CASE_SOURCES, DISPUTE_TYPES

#: Types and sources in the Ministry's order (vocabulary.py); other groups by name.
ORDER: dict[str, tuple[str, ...]] = {"dispute_type": DISPUTE_TYPES, "source": tuple(CASE_SOURCES)}

#: The figures that count cases, with the test a case must pass: each also lists the cases behind it.
COUNTS: dict[str, Callable[[CaseFacts], bool]] = {
    "mediated": lambda f: True,
    "successful": lambda f: f.successful,
    "failed": lambda f: f.status == "failed",
    "pending": lambda f: f.status == "open",
    "with_obligations": lambda f: f.with_obligations,
    "performed": lambda f: f.performed,
    "confirmation_applied": lambda f: f.confirmation_applied,
    "confirmed": lambda f: f.confirmed,
    "closed": lambda f: f.closed_on is not None,
    "resolved": lambda f: f.resolved,
    "overdue_mediation": lambda f: f.overdue_mediation,
    "overdue_performance": lambda f: f.overdue_performance,
}
#: rate -> (numerator, denominator)
RATES = {
    "success_rate": ("successful", "mediated"),
    "performance_rate": ("performed", "with_obligations"),
    "resolution_rate": ("resolved", "mediated"),
}
#: The order of a figures row's columns (after the group's key and label), for the exports.
COLUMNS = (
    *COUNTS,
    *RATES,
    "amount_fen",
    "agreement_amount_fen",
    "days_to_agreement_mean",
    "days_to_agreement_median",
    "days_to_closing_mean",
    "days_to_closing_median",
    "ratings",
    "average_stars",
    "satisfied_rate",
)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _mean(values: Sequence[int]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def figures(facts: Sequence[CaseFacts]) -> dict[str, Any]:
    """Every figure of ``facts`` (definitions.DEFINITIONS), keyed as COLUMNS."""
    out: dict[str, Any] = {name: sum(1 for f in facts if test(f)) for name, test in COUNTS.items()}
    for name, (numerator, denominator) in RATES.items():
        out[name] = _rate(out[numerator], out[denominator])
    out["amount_fen"] = sum(f.amount_fen for f in facts)
    out["agreement_amount_fen"] = sum(f.agreement_amount_fen for f in facts if f.successful)
    to_agreement = [d for f in facts if (d := f.days_to_agreement) is not None]
    to_closing = [d for f in facts if (d := f.days_to_closing) is not None]
    out["days_to_agreement_mean"], out["days_to_agreement_median"] = _mean(to_agreement), _median(to_agreement)
    out["days_to_closing_mean"], out["days_to_closing_median"] = _mean(to_closing), _median(to_closing)
    stars = [s for f in facts for s in f.ratings]
    out["ratings"] = len(stars)
    out["average_stars"] = round(statistics.fmean(stars), 2) if stars else None
    out["satisfied_rate"] = _rate(sum(1 for s in stars if s >= 4), len(stars))
    return out


def cases_behind(facts: Sequence[CaseFacts]) -> dict[str, list[str]]:
    """Each count's cases by id: every figure links to the cases behind it."""
    return {name: [f.id for f in facts if test(f)] for name, test in COUNTS.items()}


def group_key(facts: CaseFacts, by: str) -> tuple[str, str]:
    """The group a case falls in (its key, and the name shown where the key is an id)."""
    if by == "dispute_type":
        return facts.dispute_type, facts.dispute_type
    if by == "source":
        return facts.source, facts.source
    if by == "organisation":
        return facts.organisation_id, facts.organisation
    if by == "mediator":  # the lead mediator (主持), whose case it is for per-case subsidies (以案定补)
        return facts.mediators[0]
    if by == "month":
        return facts.month, facts.month
    raise ValueError(by)


def grouped(facts: Sequence[CaseFacts], by: str) -> list[dict[str, Any]]:
    """The figures of each group of ``facts`` by ``by`` (definitions.GROUPS), the keys sorted."""
    assert by in GROUPS
    groups: dict[str, tuple[str, list[CaseFacts]]] = {}
    for f in facts:
        key, name = group_key(f, by)
        groups.setdefault(key, (name, []))[1].append(f)
    order = ORDER.get(by, ())
    return [
        {"key": key, "name": name, **figures(members)}
        for key, (name, members) in sorted(
            groups.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[1][0], item[0])
        )
    ]
