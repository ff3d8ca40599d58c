"""A mediator's availability: a weekly pattern in their own zone, and the days that differ from it.

Availability is written in the mediator's own zone so that "09:00 to 17:00" stays 09:00 to
17:00 across a DST change; a session may be booked only inside it (``sessions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.accounts import check_timezone, parse_minutes
from server.domain.principal import Principal, require_staff
from server.errors import FieldError, Forbidden, InvalidInput, NotFound
from server.models import AvailabilityException, AvailabilityRule, User


@dataclass(frozen=True)
class WeeklyWindow:
    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class Availability:
    timezone: str
    weekly: list[WeeklyWindow]
    exceptions: list[AvailabilityException]


def free_windows(availability: Availability, day: date) -> list[tuple[int, int]]:
    """The minutes of `day` (local) when the mediator can be booked, exceptions applied."""
    windows = [(w.start, w.end) for w in availability.weekly if w.weekday == day.weekday()]
    for exc in availability.exceptions:
        if exc.day != day:
            continue
        start = 0 if exc.start_minute is None else exc.start_minute
        end = 24 * 60 if exc.end_minute is None else exc.end_minute
        if exc.available:
            windows.append((start, end))
        else:
            cut: list[tuple[int, int]] = []
            for a, b in windows:
                if b <= start or a >= end:
                    cut.append((a, b))
                else:
                    if a < start:
                        cut.append((a, start))
                    if b > end:
                        cut.append((end, b))
            windows = cut
    return sorted(windows)


def within_availability(availability: Availability, starts: datetime, ends: datetime) -> bool:
    zone = ZoneInfo(availability.timezone)
    local_start, local_end = starts.astimezone(zone), ends.astimezone(zone)
    if local_end.date() != local_start.date() and local_end.timetz() != time(0, tzinfo=local_end.tzinfo):
        return False
    start_min = local_start.hour * 60 + local_start.minute
    end_min = start_min + int((ends - starts).total_seconds() // 60)
    # Merge touching windows so that 09:00-12:00 plus an extra 12:00-14:00 covers 11:00-13:00.
    merged: list[list[int]] = []
    for a, b in free_windows(availability, local_start.date()):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return any(a <= start_min and end_min <= b for a, b in merged)


class Availabilities:
    """The availability of each mediator: read by colleagues of their organisation, edited by themselves."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker

    async def of(self, db: AsyncSession, user: User) -> Availability:
        rules = await db.scalars(
            select(AvailabilityRule)
            .where(AvailabilityRule.user_id == user.id)
            .order_by(AvailabilityRule.weekday, AvailabilityRule.start_minute)
        )
        exceptions = await db.scalars(
            select(AvailabilityException).where(AvailabilityException.user_id == user.id).order_by(AvailabilityException.day)
        )
        weekly = [WeeklyWindow(r.weekday, r.start_minute, r.end_minute) for r in rules]
        return Availability(user.availability_timezone, weekly, list(exceptions))

    async def _colleague(self, db: AsyncSession, principal: Principal | None, user_id: str, *, write: bool) -> User:
        """Mediators of one organisation can see each other's availability; only the mediator edits it."""
        staff = require_staff(principal)
        user = await db.get(User, user_id)
        if user is None:
            raise NotFound("no such user", reason="no_such_user")
        if staff.user_id == user.id:
            return user
        if write or staff.role != "mediator" or user.organisation_id != staff.organisation_id:
            raise Forbidden("this is another person's availability", reason="not_your_availability")
        return user

    async def get(self, principal: Principal | None, user_id: str) -> Availability:
        async with self._maker() as db:
            user = await self._colleague(db, principal, user_id, write=False)
            return await self.of(db, user)

    async def set_weekly(
        self, principal: Principal | None, user_id: str, timezone: str, weekly: list[dict[str, object]]
    ) -> Availability:
        check_timezone(timezone)
        windows = []
        for i, item in enumerate(weekly):
            day = item.get("weekday")
            if not isinstance(day, int) or not 0 <= day <= 6:
                raise InvalidInput("bad weekday", [FieldError(f"weekly.{i}.weekday", "0 (Monday) to 6 (Sunday)", "choice")])
            start = parse_minutes(str(item.get("start")), f"weekly.{i}.start")
            end = parse_minutes(str(item.get("end")), f"weekly.{i}.end")
            if end <= start:
                raise InvalidInput(
                    "window ends before it starts", [FieldError(f"weekly.{i}.end", "must be after start", "end_after_start")]
                )
            windows.append(WeeklyWindow(day, start, end))
        async with self._maker() as db, db.begin():
            user = await self._colleague(db, principal, user_id, write=True)
            user.availability_timezone = timezone
            await db.execute(delete(AvailabilityRule).where(AvailabilityRule.user_id == user.id))
            db.add_all(
                AvailabilityRule(user_id=user.id, weekday=w.weekday, start_minute=w.start, end_minute=w.end) for w in windows
            )
        return await self.get(principal, user_id)

    async def add_exception(
        self,
        principal: Principal | None,
        user_id: str,
        *,
        day: date,
        start: str | None,
        end: str | None,
        available: bool,
        reason: str,
    ) -> AvailabilityException:
        if (start is None) != (end is None):
            raise InvalidInput(
                "give both start and end, or neither for the whole day", [FieldError("end", "missing", "both_or_neither")]
            )
        start_min = parse_minutes(start, "start") if start is not None else None
        end_min = parse_minutes(end, "end") if end is not None else None
        if start_min is not None and end_min is not None and end_min <= start_min:
            raise InvalidInput("ends before it starts", [FieldError("end", "must be after start", "end_after_start")])
        async with self._maker() as db, db.begin():
            user = await self._colleague(db, principal, user_id, write=True)
            exc = AvailabilityException(
                user_id=user.id, day=day, start_minute=start_min, end_minute=end_min, available=available, reason=reason
            )
            db.add(exc)
        return exc

    async def delete_exception(self, principal: Principal | None, user_id: str, exception_id: str) -> None:
        async with self._maker() as db, db.begin():
            user = await self._colleague(db, principal, user_id, write=True)
            exc = await db.get(AvailabilityException, exception_id)
            if exc is None or exc.user_id != user.id:
                raise NotFound("no such exception", reason="exception_gone")
            await db.delete(exc)
