"""Who is asking. Every service takes a principal and decides for itself what it may see.

Authorisation lives here and in the services, not in the HTTP handlers, so that the
Socket.IO edge (and any later edge) gets the same rules for free.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain import archived
from server.errors import Forbidden, NotAuthenticated


@dataclass(frozen=True)
class Staff:
    user_id: str
    organisation_id: str | None
    role: str  # mediator | judge | admin
    display_name: str
    timezone: str


@dataclass(frozen=True)
class PartyPrincipal:
    """A party (or agent, interpreter) who opened their personal link: one case, one session."""

    party_id: str
    case_id: str
    session_id: str
    name: str
    #: Whether their case was archived when the request came: then it reads only (``require_party``).
    archived: bool = False


@dataclass(frozen=True)
class CaseParty:
    """A party who opened a link that belongs to no session: one case, asked something before any
    session is booked (whether they agree to mediation, server/domain/willingness.py).

    Everything made for a session's party (the live room, the agreement, the files) refuses it:
    those take a ``PartyPrincipal``.
    """

    party_id: str
    case_id: str
    name: str
    archived: bool = False


@dataclass(frozen=True)
class System:
    """The command line, run by whoever runs the server: trusted like an administrator.

    Only the CLI constructs it; an HTTP request without a session has principal None.
    """

    name: str = "command line"


SYSTEM = System()

Principal = Staff | PartyPrincipal | CaseParty | System


def require_staff(principal: Principal | None, *roles: str) -> Staff:
    if principal is None:
        raise NotAuthenticated("please log in", reason="log_in")
    if not isinstance(principal, Staff):
        raise Forbidden("this is for mediation staff only", reason="staff_only")
    if roles and principal.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}", reason="role_needed", roles=list(roles))
    return principal


def require_admin(principal: Principal | None) -> Staff | System:
    if isinstance(principal, System):
        return principal
    return require_staff(principal, "admin")


def require_party(principal: Principal | None, *, changes: bool = False) -> PartyPrincipal:
    """A party who opened their link; ``changes``: who means to change their case, which an archived one
    refuses (server/domain/archived.py), before anything else is looked at."""
    if principal is None:
        raise NotAuthenticated("open the link you were sent to continue", reason="open_link")
    if not isinstance(principal, PartyPrincipal):
        raise Forbidden("this is for parties who opened their link", reason="parties_only")
    if changes:
        refuse_if_archived_party(principal)
    return principal


def refuse_if_archived_party(principal: PartyPrincipal | CaseParty) -> None:
    if principal.archived:
        raise archived.refusal()


def actor_of(principal: Principal | None) -> tuple[str, str | None, str]:
    """(kind, id, name) as written into the case history."""
    if isinstance(principal, Staff):
        return "staff", principal.user_id, principal.display_name
    if isinstance(principal, PartyPrincipal | CaseParty):
        return "party", principal.party_id, principal.name
    return "system", None, principal.name if isinstance(principal, System) else "system"
