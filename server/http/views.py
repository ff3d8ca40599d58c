"""What the API answers: plain dicts shaped from domain objects, one function per shape."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.domain import particulars, reach
from server.domain.accounts import minutes_text
from server.domain.booking import Availability, SessionView, iso
from server.domain.case_values import format_amount, mask_id_number
from server.domain.cases import CaseView
from server.domain.clocks import Clock
from server.domain.links import IssuedLink
from server.domain.notifications import Notice
from server.domain.outcomes import ground_of
from server.models import CaseEvent, ChatLine, MediationSession, Organisation, OutboxMessage, Party, User, utcnow
from server.settings import Settings


def local(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).isoformat()


def organisation(org: Organisation | None) -> dict[str, Any] | None:
    if org is None:
        return None
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "timezone": org.timezone,
        "recording_retention_days": org.recording_retention_days,
        "case_file_retention_years": org.case_file_retention_years,
        "region": org.region,
        "court_code": org.court_code,
        "parent_id": org.parent_id,
    }


def user(u: User, org: Organisation | None = None) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "organisation": organisation(org) if org else ({"id": u.organisation_id} if u.organisation_id else None),
        "timezone": u.timezone,
        "email": u.email,
        "phone": u.phone,
        "active": u.is_active,
    }


def party(p: Party) -> dict[str, Any]:
    return {
        "id": p.id,
        "role": p.role,
        "name": p.name,
        "phone": p.phone,
        "email": p.email,
        "id_number_masked": mask_id_number(p.id_number),
        "represents_party_id": p.represents_party_id,
        "invited_as": p.invited_as,
        "residence_region": p.residence_region,
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat() if p.birth_date else None,
        "age": p.age,
        "ethnicity": p.ethnicity,
        "occupation": p.occupation,
        "address": p.address,
        "authority": p.authority,
        # What the agreement and a court's ruling need that is not recorded yet (Chinese labels).
        "missing_particulars": particulars.missing_fields(p) if p.role in ("applicant", "respondent") else [],
    }


def link_status(view: SessionView, party_id: str) -> tuple[str, str | None]:
    mine = [link for link in view.links if link.party_id == party_id]
    if not mine:
        return "none", None
    latest = mine[-1]
    if latest.revoked_at is not None:
        return "revoked", iso(latest.expires_at)
    if latest.expires_at <= utcnow():
        return "expired", iso(latest.expires_at)
    return "active", iso(latest.expires_at)


def session(view: SessionView, viewer_zone: str) -> dict[str, Any]:
    s = view.session
    parties = []
    for p in view.parties:
        status, expires = link_status(view, p.id)
        parties.append(
            {
                "party_id": p.id,
                "name": p.name,
                "role": p.role,
                "link_status": status,
                "link_expires_at": expires,
                # Whether a number is on file: the mediator may then call them from the live session (#25).
                "has_phone": bool(p.phone),
            }
        )
    return {
        "id": s.id,
        "case_id": s.case_id,
        "case_number": view.case.case_number,
        "mediator": {"id": view.mediator.id, "display_name": view.mediator.display_name},
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "timezone": s.timezone,
        "viewer_timezone": viewer_zone,
        "starts_at_local": local(s.starts_at, viewer_zone),
        "ends_at_local": local(s.ends_at, viewer_zone),
        "duration_minutes": int((s.ends_at - s.starts_at).total_seconds() // 60),
        "status": s.status,
        "sequence": s.sequence,
        "cancel_reason": s.cancel_reason,
        "parties": parties,
    }


def issued_link(link: IssuedLink, settings: Settings) -> dict[str, Any]:
    """A link just issued. With ``MEDIATE_PHONE_NUMBER`` set, ``phone`` says how to join by phone:
    the number and the link's PIN, which is in clear only now (#25)."""
    out: dict[str, Any] = {
        "party_id": link.party.id,
        "party_name": link.party.name,
        "role": link.party.role,
        "url": link.url,
        "expires_at": iso(link.link.expires_at),
    }
    if settings.phone_number and link.pin:
        out["phone"] = {"number": settings.phone_number, "pin": link.pin}
    return out


def session_brief(s: MediationSession, viewer_zone: str) -> dict[str, Any]:
    return {
        "id": s.id,
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "timezone": s.timezone,
        "starts_at_local": local(s.starts_at, viewer_zone),
        "ends_at_local": local(s.ends_at, viewer_zone),
        "status": s.status,
    }


def case_summary(view: CaseView, viewer_zone: str = "UTC") -> dict[str, Any]:
    c = view.case
    next_session = session_brief(view.next_session, viewer_zone) if view.next_session is not None else None
    return {
        "id": c.id,
        "case_number": c.case_number,
        "dispute_type": c.dispute_type,
        "summary": c.summary,
        "status": c.status,
        "amount_in_dispute": format_amount(c.amount_fen),
        "property_region": c.property_region,
        "invited_by_court_id": c.invited_by_court_id,
        # The registration (受理登记): where it came from, its reference there, the day, a collective case.
        "source": c.source,
        "source_reference": c.source_reference,
        "registered_on": c.registered_on.isoformat(),
        "collective": c.collective,
        "applicant_count": view.applicant_count,
        "mediator": {"id": view.mediator.id, "display_name": view.mediator.display_name},
        "created_at": iso(c.created_at),
        "next_session": next_session,
        "supervision_awaiting": view.supervision_awaiting,
        "overdue_obligations": view.overdue_obligations,
        "follow_ups_due": view.follow_ups_due,
        "case_closed_at": iso(c.case_closed_at) if c.case_closed_at else None,
        # Archived (归档, server/domain/archive.py): from then on the case reads only.
        "archived_at": iso(c.archived_at) if c.archived_at else None,
        # The case's first clock, the 30-day mediation period (the list marks a case past it).
        "mediation_clock": clock(view.clocks[0]) if view.clocks and view.clocks[0].rule.name == "mediation" else None,
    }


def case(view: CaseView, sessions: list[SessionView], viewer_zone: str) -> dict[str, Any]:
    org = view.organisation
    assert org is not None
    upcoming = [v.session for v in sessions if v.session.status == "scheduled" and v.session.ends_at > utcnow()]
    nearest = min(upcoming, key=lambda s: s.starts_at, default=None)
    return {
        **case_summary(replace(view, next_session=nearest), viewer_zone),
        "organisation": {"id": org.id, "name": org.name, "kind": org.kind},
        "parties": [party(p) for p in view.parties],
        "sessions": [session(s, viewer_zone) for s in sessions],
        # Submitted for judicial confirmation: nothing of it can be changed (writes answer 409 "submitted").
        "before_court": view.before_court,
        # Once archived: the retention that applies (years, 0 for good), its last day, and when the file was destroyed.
        "archive": {
            "retention_years": view.case.retention_years,
            "retained_until": view.case.retained_until.isoformat() if view.case.retained_until else None,
            "destroyed_at": iso(view.case.case_file_destroyed_at) if view.case.case_file_destroyed_at else None,
        }
        if view.case.archived_at
        else None,
        "clocks": [clock(c) for c in view.clocks],
        "outcome": outcome(view),
    }


def outcome(view: CaseView) -> dict[str, Any] | None:
    """How mediation ended without agreement: the ground of 在线调解规则 art. 25 (an older reason read as its
    ground), the mediator's note, when. None while the case is open or once an agreement settled it."""
    c = view.case
    if c.status != "failed":
        return None
    ground = ground_of(c.outcome_reason)
    return {
        "reason": c.outcome_reason,
        "ground_zh": ground.zh if ground else None,
        "ground_en": ground.en if ground else None,
        "source_zh": ground.source_zh if ground else None,
        "source_en": ground.source_en if ground else None,
        "note": c.outcome_note,
        "closed_at": iso(c.closed_at) if c.closed_at else None,
    }


def clock(c: Clock) -> dict[str, Any]:
    """A clock of the case (server/domain/clocks.py): its rule in both languages, its last day and its state."""
    return {
        "name": c.rule.name,
        "label_zh": c.rule.label[0],
        "label_en": c.rule.label[1],
        "source_zh": c.rule.source[0],
        "source_en": c.rule.source[1],
        "days": c.rule.days,
        "unit": c.rule.unit,
        "started_at": iso(c.started_at),
        # The last day (Beijing time) and the instant it passes.
        "due_date": c.due_date.isoformat(),
        "due_at": iso(c.due_at),
        "state": c.state,
        "met_at": iso(c.met_at) if c.met_at else None,
        "met_late": c.met_late,
        # Counted Monday to Friday: that year's holidays are not loaded (MEDIATE_HOLIDAYS_FILE).
        "estimated": c.estimated,
        "extended": c.extended,
    }


def event(e: CaseEvent) -> dict[str, Any]:
    return {"at": iso(e.at), "actor_kind": e.actor_kind, "actor_name": e.actor_name, "kind": e.kind, "data": e.data}


def chat_line(line: ChatLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "sender_id": line.sender_id,
        "sender_name": line.sender_name,
        "in_caucus": line.room != "main",
        "text": line.text,
        "sent_at": iso(line.sent_at),
        "recipients": list(line.recipients.get("ids", [])),
    }


def outbox(m: OutboxMessage, settings: Settings | None = None) -> dict[str, Any]:
    """One message and what became of it. With ``settings``, a message not yet handed on says whether
    anything will hand it on (``undelivered``: no_sms_service | no_template | no_email_service), so
    that a page never says "sending" for one that will only be recorded."""
    waiting = m.status in ("pending", "sending")
    return {
        "id": m.id,
        "kind": m.kind,
        "channel": m.channel,
        "recipient": m.recipient,
        "subject": m.subject,
        "body": m.body,
        "status": m.status,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "created_at": iso(m.created_at),
        "sent_at": iso(m.sent_at) if m.sent_at else None,
        "party_id": m.party_id,
        "session_id": m.session_id,
        # Who took it (aliyun | tencent | spool | smtp), its id there, the receipt, and why it failed.
        "provider": m.provider,
        "provider_message_id": m.provider_message_id,
        "delivered_at": iso(m.delivered_at) if m.delivered_at else None,
        "error_code": m.error_code,
        "failure_reason": m.failure_reason,
        "undelivered": reach.undelivered(settings, m.channel, m.kind) if settings is not None and waiting else None,
    }


def notice(n: Notice, settings: Settings) -> dict[str, Any]:
    """A person's notice as staff pages show it: its messages (``outbox``), or why none was queued."""
    return {"messages": [outbox(m, settings) for m in n.messages], "missing": n.missing}


def availability(a: Availability) -> dict[str, Any]:
    return {
        "timezone": a.timezone,
        "weekly": [{"weekday": w.weekday, "start": minutes_text(w.start), "end": minutes_text(w.end)} for w in a.weekly],
        "exceptions": [
            {
                "id": e.id,
                "date": e.day.isoformat(),
                "start": minutes_text(e.start_minute) if e.start_minute is not None else None,
                "end": minutes_text(e.end_minute) if e.end_minute is not None else None,
                "available": e.available,
                "reason": e.reason,
            }
            for e in a.exceptions
        ],
    }
