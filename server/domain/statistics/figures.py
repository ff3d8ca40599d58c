"""The figures of a set of cases, and of its groups: counts, rates, amounts, days, satisfaction.

Pure functions of ``CaseFacts`` (facts.py), so that the API, the command and a later audit compute
the same numbers the same way. What each figure counts is in definitions.py.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
#: Where "successful" is among COUNTS' tests (Counted.tests).
SUCCESSFUL = list(COUNTS).index("successful")
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


@dataclass(frozen=True, slots=True)
class Counted:
    """What the figures read of one case, each test of COUNTS asked once: a year's statistics tally the
    same cases seven times (the totals, the cases behind them, and each of five groupings), and asking
    the facts' properties each time was most of the time at a whole tree's year (`mediate bench stats`)."""

    id: str
    tests: tuple[bool, ...]
    amount_fen: int
    #: What the agreement pays, where the case counts as successful; else 0.
    agreement_amount_fen: int
    days_to_agreement: int | None
    days_to_closing: int | None
    ratings: tuple[int, ...]


def count_each(facts: Sequence[CaseFacts]) -> list[Counted]:
    out = []
    for f in facts:
        tests = tuple(test(f) for test in COUNTS.values())
        successful = tests[SUCCESSFUL]
        out.append(
            Counted(
                f.id, tests, f.amount_fen, f.agreement_amount_fen if successful else 0,
                f.days_to_agreement, f.days_to_closing, f.ratings,
            )
        )  # fmt: skip
    return out


def figures(facts: Sequence[CaseFacts], done: Sequence[Counted] | None = None) -> dict[str, Any]:
    """Every figure of ``facts`` (definitions.DEFINITIONS), keyed as COLUMNS; ``done``: ``count_each(facts)``
    where the caller has it already."""
    cases = count_each(facts) if done is None else done
    out: dict[str, Any] = {name: sum(1 for c in cases if c.tests[i]) for i, name in enumerate(COUNTS)}
    for name, (numerator, denominator) in RATES.items():
        out[name] = _rate(out[numerator], out[denominator])
    out["amount_fen"] = sum(c.amount_fen for c in cases)
    out["agreement_amount_fen"] = sum(c.agreement_amount_fen for c in cases)
    to_agreement = [d for c in cases if (d := c.days_to_agreement) is not None]
    to_closing = [d for c in cases if (d := c.days_to_closing) is not None]
    out["days_to_agreement_mean"], out["days_to_agreement_median"] = _mean(to_agreement), _median(to_agreement)
    out["days_to_closing_mean"], out["days_to_closing_median"] = _mean(to_closing), _median(to_closing)
    stars = [s for c in cases for s in c.ratings]
    out["ratings"] = len(stars)
    out["average_stars"] = round(statistics.fmean(stars), 2) if stars else None
    out["satisfied_rate"] = _rate(sum(1 for s in stars if s >= 4), len(stars))
    return out


def cases_behind(facts: Sequence[CaseFacts], done: Sequence[Counted] | None = None) -> dict[str, list[str]]:
    """Each count's cases by id: every figure links to the cases behind it."""
    cases = count_each(facts) if done is None else done
    return {name: [c.id for c in cases if c.tests[i]] for i, name in enumerate(COUNTS)}


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


def grouped(facts: Sequence[CaseFacts], by: str, done: Sequence[Counted] | None = None) -> list[dict[str, Any]]:
    """The figures of each group of ``facts`` by ``by`` (definitions.GROUPS), the keys sorted."""
    assert by in GROUPS
    cases = count_each(facts) if done is None else done
    groups: dict[str, tuple[str, list[CaseFacts], list[Counted]]] = {}
    for f, c in zip(facts, cases, strict=True):
        key, name = group_key(f, by)
        group = groups.setdefault(key, (name, [], []))
        group[1].append(f)
        group[2].append(c)
    order = ORDER.get(by, ())
    return [
        {"key": key, "name": name, **figures(members, tallied)}
        for key, (name, members, tallied) in sorted(
            groups.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[1][0], item[0])
        )
    ]
