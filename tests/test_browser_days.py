"""Each browser test module books its sessions on a day of its own (tests/browser/conftest.py).

The mediator of every browser test is the same person, and the server refuses a second session
at the same hour (double booking, 409): two modules booking on one day fail each other, and
only when both run in one suite. So each ``session_day(later=N)`` is used by one module only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from tests.browser.conftest import session_day
from tests.conftest import RUN_DAY

BROWSER_TESTS = Path(__file__).parent / "browser"


def test_no_two_browser_test_modules_book_on_the_same_day() -> None:
    users: dict[int, set[str]] = defaultdict(set)
    for module in sorted(BROWSER_TESTS.glob("test_*.py")):
        for later in re.findall(r"session_day\(later=(\d+)\)", module.read_text()):
            users[int(later)].add(module.name)
    shared = {later: sorted(names) for later, names in users.items() if len(names) > 1}
    free = next(n for n in range(1, 100) if n not in users)
    assert not shared, f"modules booking on the same day (session_day(later=N)): {shared}; the next free N is {free}"


def test_booking_days_count_from_the_day_the_run_started_not_from_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that crosses midnight in Shanghai keeps every module on its own day.

    CI once started just before midnight in Shanghai: one module took its day when it was imported,
    another when its test ran after midnight, one weekday later: the first one's day. The mediator was
    double-booked (409). Every worker counts from the day in the environment the run began with.
    """
    monkeypatch.setenv(RUN_DAY, "2027-01-13")  # a Wednesday
    assert session_day() == date(2027, 1, 15)  # two days on: Friday
    assert session_day(later=1) == date(2027, 1, 18)  # the next weekday: Monday
    monkeypatch.setenv(RUN_DAY, "2027-01-14")
    assert session_day() == date(2027, 1, 18)  # Saturday is not a day to book: Monday
