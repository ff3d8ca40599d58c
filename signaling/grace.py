"""The grace period: a participant whose connection dropped keeps their place for a while.

An admitted participant whose connection drops is *reconnecting* (signaling/commands.py,
``leave``); if they are not back within ``reconnect_grace_seconds`` they go back to the waiting
room (``expire``) and those left in the main room learn when a private talk ended with it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from signaling import commands
from signaling.background import Background
from signaling.commands import Outcome
from signaling.live_rooms import LiveRooms
from signaling.rooms import Room

log = logging.getLogger(__name__)


class GracePeriod:
    def __init__(self, live: LiveRooms, background: Background, seconds: float) -> None:
        self.live = live
        self.seconds = seconds
        self._background = background
        self._expiries: dict[tuple[str, str], asyncio.TimerHandle] = {}

    def schedule(self, session_id: str, participant_id: str) -> None:
        self.cancel(session_id, participant_id)
        loop = asyncio.get_running_loop()
        self._expiries[(session_id, participant_id)] = loop.call_later(
            self.seconds, lambda: self._background.spawn(self._expire(session_id, participant_id))
        )

    def cancel(self, session_id: str, participant_id: str) -> None:
        handle = self._expiries.pop((session_id, participant_id), None)
        if handle is not None:
            handle.cancel()

    async def _expire(self, session_id: str, participant_id: str) -> None:
        """Grace period over: a participant still away goes back to the waiting room."""
        self._expiries.pop((session_id, participant_id), None)
        expired: Outcome | None = None

        def expire(room: Room) -> Room:
            nonlocal expired
            expired = commands.expire(room, participant_id)
            return room if expired is None else expired.room

        if await self.live.get(session_id) is None:
            return
        _, after = await self.live.update(session_id, expire)
        if expired is not None:
            expired = replace(expired, room=after)  # numbered as stored (``Room.revision``)
            log.info("session %s: %s did not come back within %ss", session_id, participant_id, self.seconds)
            await self.live.tell(expired.notices)
            await self.live.broadcast(expired.room)
