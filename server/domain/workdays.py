"""Working days in China: official holidays and make-up workdays (调休), year by year.

Which days are worked is not Monday to Friday: every year the General Office of the State Council
publishes the next year's arrangement (国务院办公厅关于某年部分节假日安排的通知), moving days off
next to the holidays and making some Saturdays and Sundays workdays instead. Deadlines counted in
working days (在线调解规则 art. 12: three working days to accept a referral or an application)
follow that arrangement:

1. the years ``MEDIATE_HOLIDAYS_FILE`` sets out (server/settings/holidays.py), which an operator
   writes when a notice is published before the package carries it, or to correct it;
2. otherwise the ``chinese-calendar`` package, which carries every published year from 2004 on
   (a new release follows each notice: ``bash scripts/lock --upgrade-package chinese-calendar``);
3. otherwise Monday to Friday, *estimated*: whoever reads a deadline computed so is told
   (``Workdays.estimated``, shown as "按周一至周五估算（该年节假日安排未载入）").

See CONTRIBUTING.md, "When next year's holidays are published".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Literal

import chinese_calendar

from server.settings.holidays import YearSchedule

#: Where a year's arrangement comes from.
Source = Literal["file", "package", "weekdays"]


def package_knows(year: int) -> bool:
    """Whether the installed ``chinese-calendar`` carries the State Council's arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def package_years() -> range:
    """The years the installed ``chinese-calendar`` carries (it raises for any other)."""
    known = [year for year in range(1990, 2200) if package_knows(year)]
    return range(known[0], known[-1] + 1) if known else range(0)


class Workdays:
    """The working-day calendar: the operator's schedule first, then the package, then Monday to Friday."""

    def __init__(self, schedule: Mapping[int, YearSchedule] | None = None) -> None:
        self._schedule = dict(schedule or {})
        self._package: dict[int, bool] = {}

    def source(self, year: int) -> Source:
        """Where ``year``'s arrangement comes from; ``"weekdays"`` means it is not known and is estimated."""
        if year in self._schedule:
            return "file"
        if year not in self._package:
            self._package[year] = package_knows(year)
        return "package" if self._package[year] else "weekdays"

    def knows(self, year: int) -> bool:
        return self.source(year) != "weekdays"

    def estimated(self, days: Iterable[date]) -> bool:
        """Whether any of ``days`` falls in a year whose arrangement is not known (counted Monday to Friday)."""
        return any(not self.knows(year) for year in {day.year for day in days})

    def is_workday(self, day: date) -> bool:
        """A day people work: Monday to Friday unless a holiday, or a Saturday or Sunday made a workday."""
        source = self.source(day.year)
        if source == "file":
            year = self._schedule[day.year]
            return day in year.workdays or (day.weekday() < 5 and day not in year.holidays)
        if source == "package":
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted, as the law counts
        periods: 民事诉讼法 art. 85 para. 2). ``n = 0`` is ``start`` when it is worked, else the next
        working day."""
        if n < 0:
            raise ValueError("n must be zero or more")
        if n == 0:
            return self.next_workday(start)
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b`` (negative when ``b`` is before ``a``), so that
        ``workdays_between(a, add_workdays(a, n)) == n``."""
        if b < a:
            return -self.workdays_between(b, a)
        return sum(1 for k in range(1, (b - a).days + 1) if self.is_workday(a + timedelta(days=k)))
