"""``MEDIATE_HOLIDAYS_FILE``: the official holidays and make-up workdays of years the calendar package does not know yet.

China's working days are set each year by the General Office of the State Council (国务院办公厅关于
某年部分节假日安排的通知, usually published in November for the next year): which days are public
holidays, and which Saturdays or Sundays are worked instead (调休). ``chinese-calendar`` carries the
published years; for a year it does not carry yet, an operator writes the notice's days in a small
file (TOML or JSON, by its suffix), and the server reads it at start::

    # /etc/mediate/holidays.toml: the notice for 2027, as published
    [2027]
    holidays = [2027-01-01, 2027-02-05, 2027-02-06]   # every day off, weekends inside a holiday too
    workdays = [2027-02-14]                          # Saturdays or Sundays worked instead

(JSON: ``{"2027": {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-14"]}}``.) A year in the
file replaces the package's arrangement for that whole year, so the file can also correct it. A
file that cannot be read, or whose days contradict themselves, stops the start with a message
naming the variable, never halfway through computing a deadline.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from server.settings.errors import SettingsError

VARIABLE = "MEDIATE_HOLIDAYS_FILE"


@dataclass(frozen=True)
class YearSchedule:
    """One year's arrangement: the days off that would otherwise be worked, and the weekend days worked."""

    holidays: frozenset[date]
    workdays: frozenset[date]


def load_schedule(path: Path | None) -> dict[int, YearSchedule]:
    """The years the file sets out (none without a file); raises :class:`SettingsError`."""
    if path is None:
        return {}
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"{VARIABLE}: cannot read {path} ({exc.strerror or exc})") from None
    try:
        if path.suffix.lower() == ".json":
            data: Any = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"{VARIABLE}: {path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'} ({exc})"
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{VARIABLE}: {path} must map each year to its holidays and workdays")
    return {_year(key): _year_schedule(_year(key), value) for key, value in data.items()}


def _year(key: object) -> int:
    text = str(key)
    if not (text.isdigit() and len(text) == 4):
        raise SettingsError(f"{VARIABLE}: {key!r} is not a year (write it as [2027])")
    return int(text)


def _year_schedule(year: int, value: object) -> YearSchedule:
    if not isinstance(value, dict):
        raise SettingsError(f"{VARIABLE}: [{year}] must have holidays = [...] and workdays = [...]")
    unknown = set(value) - {"holidays", "workdays"}
    if unknown:
        raise SettingsError(f"{VARIABLE}: [{year}] has {', '.join(sorted(unknown))}; only holidays and workdays are read")
    holidays = _days(year, "holidays", value.get("holidays", []))
    workdays = _days(year, "workdays", value.get("workdays", []))
    both = holidays & workdays
    if both:
        raise SettingsError(f"{VARIABLE}: [{year}] lists {min(both).isoformat()} both as a holiday and as a workday")
    weekday = sorted(day for day in workdays if day.weekday() < 5)
    if weekday:
        raise SettingsError(
            f"{VARIABLE}: [{year}] workday {weekday[0].isoformat()} is a weekday; list only the Saturdays and Sundays "
            "that are worked (调休), every other weekday is a workday already"
        )
    return YearSchedule(frozenset(holidays), frozenset(workdays))


def _days(year: int, name: str, values: object) -> frozenset[date]:
    if not isinstance(values, list):
        raise SettingsError(f"{VARIABLE}: [{year}] {name} must be a list of dates")
    days = set()
    for value in values:
        day = value if isinstance(value, date) and not isinstance(value, datetime) else _parse(year, name, value)
        if day.year != year:
            raise SettingsError(f"{VARIABLE}: [{year}] {name} has {day.isoformat()}, which is not in {year}")
        days.add(day)
    return frozenset(days)


def _parse(year: int, name: str, value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SettingsError(f"{VARIABLE}: [{year}] {name} has {value!r}, not a date like {year}-10-01") from None
