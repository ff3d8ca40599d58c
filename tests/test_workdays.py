"""The working-day calendar: China's holidays and make-up workdays, the operator's file, and the fallback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from server.domain.workdays import Workdays, package_years
from server.settings import Settings, SettingsError
from server.settings.holidays import YearSchedule, load_schedule

#: A year no release of chinese-calendar will carry while this code lives.
UNKNOWN_YEAR = 2099


def test_the_package_carries_the_years_deadlines_are_counted_in() -> None:
    years = package_years()
    assert 2004 in years and 2026 in years
    assert UNKNOWN_YEAR not in years


def test_national_day_2026_is_off_and_its_make_up_saturday_is_worked() -> None:
    calendar = Workdays()
    # 国务院办公厅关于2026年部分节假日安排的通知: 10月1日至7日放假调休, 9月20日（周日）、10月10日（周六）上班.
    assert [calendar.is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert calendar.is_workday(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5
    assert calendar.is_workday(date(2026, 9, 20)) and date(2026, 9, 20).weekday() == 6
    assert not calendar.is_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_three_working_days_step_over_national_day_onto_its_make_up_saturday() -> None:
    calendar = Workdays()
    # Received on Wednesday 30 September: 8 (Thu), 9 (Fri) and 10 October (Sat, worked).
    assert calendar.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert calendar.workdays_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    # Monday to Friday alone would have said Monday 5 October, a holiday.
    assert Workdays({2026: YearSchedule(frozenset(), frozenset())}).add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 5)


def test_three_working_days_over_the_spring_festival_count_its_make_up_saturday() -> None:
    calendar = Workdays()
    # 春节: 2月15日至23日放假, 2月14日（周六）、2月28日（周六）上班. Received Friday 13 February:
    # Saturday 14 (worked), then nothing until Tuesday 24 and Wednesday 25.
    assert calendar.add_workdays(date(2026, 2, 13), 3) == date(2026, 2, 25)
    assert calendar.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.next_workday(date(2026, 2, 15)) == date(2026, 2, 24)
    assert calendar.workdays_between(date(2026, 2, 25), date(2026, 2, 13)) == -3


def test_a_year_nobody_knows_is_counted_monday_to_friday_and_says_so() -> None:
    calendar = Workdays()
    assert calendar.source(UNKNOWN_YEAR) == "weekdays" and not calendar.knows(UNKNOWN_YEAR)
    friday = date(UNKNOWN_YEAR, 1, 2)
    assert friday.weekday() == 4
    assert calendar.add_workdays(friday, 1) == date(UNKNOWN_YEAR, 1, 5)  # the Monday
    assert calendar.is_workday(date(UNKNOWN_YEAR, 1, 1))  # New Year's Day, unknown: a Thursday is worked
    assert calendar.estimated([date(2026, 12, 31), date(UNKNOWN_YEAR, 1, 5)])
    assert not calendar.estimated([date(2026, 12, 31)])


def test_the_operators_file_sets_out_a_year_the_package_does_not_carry(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(
        f"# 国务院办公厅关于{UNKNOWN_YEAR}年部分节假日安排的通知\n"
        f"[{UNKNOWN_YEAR}]\n"
        f"holidays = [{UNKNOWN_YEAR}-01-01, {UNKNOWN_YEAR}-01-02]\n"
        f'workdays = ["{UNKNOWN_YEAR}-01-03"]\n',
        encoding="utf-8",
    )
    calendar = Workdays(load_schedule(path))
    assert calendar.source(UNKNOWN_YEAR) == "file" and not calendar.estimated([date(UNKNOWN_YEAR, 1, 5)])
    assert not calendar.is_workday(date(UNKNOWN_YEAR, 1, 1)) and not calendar.is_workday(date(UNKNOWN_YEAR, 1, 2))
    assert calendar.is_workday(date(UNKNOWN_YEAR, 1, 3))  # the Saturday worked instead
    json_path = tmp_path / "holidays.json"
    json_path.write_text(f'{{"{UNKNOWN_YEAR}": {{"holidays": ["{UNKNOWN_YEAR}-01-01"], "workdays": []}}}}', encoding="utf-8")
    assert load_schedule(json_path)[UNKNOWN_YEAR].holidays == {date(UNKNOWN_YEAR, 1, 1)}


def test_a_year_in_the_file_replaces_the_packages_days_for_that_year(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text("[2026]\nholidays = [2026-10-08]\n", encoding="utf-8")
    calendar = Workdays(load_schedule(path))
    assert calendar.source(2026) == "file" and calendar.source(2025) == "package"
    assert not calendar.is_workday(date(2026, 10, 8))
    assert calendar.is_workday(date(2026, 10, 1))  # the file, not the package, now says what 2026 is


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[2099]\nworkdays = [2099-01-05]\n", "is a weekday"),
        ("[2099]\nholidays = [2098-12-31]\n", "not in 2099"),
        ("[2099]\nholidays = [2099-01-01]\nworkdays = [2099-01-01]\n", "both as a holiday and as a workday"),
        ('[2099]\nholidays = ["1 January"]\n', "not a date"),
        ("[2099]\nholiday = [2099-01-01]\n", "only holidays and workdays"),
        ("[next]\nholidays = []\n", "is not a year"),
        ("[2099\n", "not valid TOML"),
    ],
)
def test_a_file_that_cannot_be_used_stops_the_start_naming_the_variable(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match="MEDIATE_HOLIDAYS_FILE") as refused:
        Settings.from_env({"MEDIATE_HOLIDAYS_FILE": str(path)})
    assert says in str(refused.value)


def test_a_missing_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MEDIATE_HOLIDAYS_FILE: cannot read"):
        Settings.from_env({"MEDIATE_HOLIDAYS_FILE": str(tmp_path / "nowhere.toml")})
    assert Settings.from_env({}).holidays_file is None
