"""Who may join a session's live room, and as whom (PROTOCOL.md, "Connecting").

A party's link is for one session and names one party of its case; staff name the session,
and only the mediators assigned to its case may join it, each as a host (the one it was booked
for leads it; server/domain/assignment.py). Another mediator of the organisation is refused
(``forbidden``, reason ``not_assigned``): a host sees and hears everything, caucuses included, so
being of the same committee is not enough. Nobody joins a cancelled or ended session. A connection let
in belongs to one Socket.IO room per credential whose withdrawal must end it.
"""

from __future__ import annotations

from typing import cast

from server.domain.archived import refuse_if_archived
from server.domain.booking import SessionView
from server.domain.principal import PartyPrincipal, Principal, Staff
from server.errors import Forbidden, Gone, InvalidInput
from server.live import login_room, party_room, session_room, user_room
from server.services import Services
from signaling.messages import ConnectAuth
from signaling.rooms import Member
from signaling.routing import ROLES, Role


async def member_for(
    services: Services, principal: Principal, wanted: ConnectAuth
) -> tuple[SessionView, Member, Staff | PartyPrincipal]:
    """The session ``principal`` may join, and who they are in its room."""
    if isinstance(principal, PartyPrincipal):
        if wanted.session_id is not None and wanted.session_id != principal.session_id:
            raise Forbidden("your link is for another session")
        _, view, _ = await services.booking.for_party(principal)
        party = next((p for p in view.parties if p.id == principal.party_id), None)
        if party is None or party.role not in ROLES:
            raise Forbidden("your link does not name a party of this case")
        member = Member(party.id, party.name, cast(Role, party.role), "party", party.invited_as)
        who: Staff | PartyPrincipal = principal
    elif isinstance(principal, Staff):
        if wanted.session_id is None:
            raise InvalidInput("staff must name the session: auth={session_id}")
        view, _ = await services.booking.for_host(principal, wanted.session_id)
        member = Member(principal.user_id, principal.display_name, "mediator", "staff", host=True)
        who = principal
    else:
        raise Forbidden("this is for the session's mediator and parties")
    # An archived case reads only (server/domain/archived.py): nobody meets in its sessions any more.
    refuse_if_archived(view.case)
    if view.session.status == "cancelled":
        raise Gone("this session was cancelled")
    if view.session.status == "ended":
        raise Gone("the mediator has ended this session")
    return view, member, who


def credential_rooms(token: str | None, principal: Staff | PartyPrincipal, session_id: str) -> list[str]:
    """One Socket.IO room per thing whose withdrawal must end the connection (signaling/revocations.py)."""
    rooms = [session_room(session_id)]
    if token is not None:
        rooms.append(login_room(token))
    if isinstance(principal, Staff):
        rooms.append(user_room(principal.user_id))
    else:
        rooms.append(party_room(principal.session_id, principal.party_id))
    return rooms
