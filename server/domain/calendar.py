"""iCalendar invitations (RFC 5545) for parties.

The event keeps one UID for the life of a session; each reschedule raises SEQUENCE so a
calendar updates the event (§3.8.7.4), and a cancellation is METHOD:CANCEL with
STATUS:CANCELLED (RFC 5546 §3.2.5). Times carry a TZID with its VTIMEZONE so the event
shows at the right wall time in the booking's zone, DST included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from server.models import MediationSession, utcnow

PRODID = "-//mediate//Online mediation//ZH"


@dataclass(frozen=True)
class Invitation:
    session: MediationSession
    case_number: str
    organisation: str
    mediator: str
    attendee_name: str
    attendee_email: str | None
    join_hint: str


def build_ics(invitation: Invitation, now: datetime | None = None) -> bytes:
    session = invitation.session
    zone = ZoneInfo(session.timezone)
    cancelled = session.status == "cancelled"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", session.ical_uid)
    event.add("sequence", session.sequence)
    event.add("dtstamp", now or utcnow())
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", f"视频调解 Online mediation {invitation.case_number}")
    event.add(
        "description",
        "\n".join(
            [
                f"案号 Case: {invitation.case_number}",
                f"调解组织 Organisation: {invitation.organisation}",
                f"调解员 Mediator: {invitation.mediator}",
                invitation.join_hint,
            ]
        ),
    )
    event.add("location", vText(invitation.organisation + " (video)"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if invitation.attendee_email:
        attendee = vCalAddress(f"mailto:{invitation.attendee_email}")
        attendee.params["cn"] = vText(invitation.attendee_name)
        event.add("attendee", attendee)
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "调解即将开始 Mediation starts soon")
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    cal.add_component(event)
    cal.add_missing_timezones()
    ical: bytes = cal.to_ical()
    return ical
