"""Booking: a mediator's availability, and the life of a session (book, reschedule, cancel, end).

``availability``: the weekly pattern and its exceptions (:class:`Availabilities`, reached as
``Booking.availability``); ``sessions``: :class:`Booking`, which books a session inside its
mediator's availability without double-booking them, and carries it through its life.
"""

from __future__ import annotations

from server.domain.accounts import minutes_text
from server.domain.booking.availability import (
    Availabilities,
    Availability,
    WeeklyWindow,
    free_windows,
    within_availability,
)
from server.domain.booking.sessions import Booked, Booking, SessionView, iso, parse_start

__all__ = [
    "Availabilities",
    "Availability",
    "Booked",
    "Booking",
    "SessionView",
    "WeeklyWindow",
    "free_windows",
    "iso",
    "minutes_text",
    "parse_start",
    "within_availability",
]
