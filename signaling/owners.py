"""Which process carries a live session's media, and how the other processes reach it.

A session's WebRTC peers, forwarding and recorder live in one process, its *owner* (they hold
sockets and decoder state that cannot be shared). With one process that is always this one
(:class:`LocalOwners`). With several (``MEDIATE_REDIS_URL``), :class:`RedisOwners` keeps the
owner in Redis: the first process to start a session's media claims it (``SET NX`` with a
time-to-live it keeps renewing), and a participant whose Socket.IO connection landed on another
process has their events carried to the owner and answered from there (a request on the owner's
own channel, the answer on the asker's). The owner's replies to the browser (offers, acks) go
through Socket.IO's Redis manager like any other emit; the browser's audio and video then flow
straight to the owner over UDP.

Room changes made elsewhere (a connection dropped on another process) are announced on a shared
channel, so the owner re-reads the room and lets the media follow.

Every process says it is alive (a key renewed every second, gone three seconds after it stops).
When a session's owner dies (SIGKILL, a lost machine), the processes that carried events to it
notice within a few seconds and tell their participants ``media_failed``; their browsers start
media again, the first ``media_start`` claims the session for its process (``on_claimed``: that
process marks the dead owner's recording interrupted and resumes recording), and everyone's
media flows through the new owner. A call the owner does not answer drops its claim too.

An owner that stops in good order (SIGTERM) finishes its recordings, then *hands over* each
session: it leaves a note that the session was being recorded, drops its claim and says so on
the shared channel; the other processes tell their participants ``media_failed`` at once, and
the process that claims the session next finds the note and records again.

A caller's phone line cannot be carried to another process (its RTP ends where the SIP call was
answered), so the process that answers a call of a session whose media is elsewhere asks the
owner to *hand it over to it* (:meth:`RedisOwners.take_over`): the owner gives up that one session
as a drain gives up all (recording finished, the note left), but passes its claim straight to the
asker instead of dropping it, so that the browsers' restarted media cannot claim it back for the
old owner first. An owner with a caller of its own in that session keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any, Protocol

from redis.asyncio import Redis

from server.domain.principal import PartyPrincipal, Staff
from server.errors import DomainError
from signaling.rooms import Seat

log = logging.getLogger(__name__)

#: A claim lives this long without renewal (milliseconds).
OWNER_TTL_MS = 10_000
#: A process says it is alive this often (seconds); silent for ``ALIVE_TTL_MS`` it is taken for dead.
HEARTBEAT = 1.0
ALIVE_TTL_MS = 3_000
#: How long a process waits for the owner to answer before giving up on it.
CALL_TIMEOUT = 8.0
#: How long a process answering a call waits for the owner to hand the session over: the owner
#: finishes its recording first (the last segments written, the manifest signed).
HAND_OVER_TIMEOUT = 15.0
#: A session whose owner stopped (SIGTERM) while recording it is recorded again by the next owner
#: if its media starts again within this long (milliseconds); later, the mediator decides again.
RESUME_TTL_MS = 120_000

#: Runs a request carried to the owner and returns its answer (the event's ack).
OnCall = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
#: Told the id of a session (whose room another process changed; whose media process died; that
#: this process has just claimed).
OnSession = Callable[[str], Awaitable[None]]


#: Events that start a session's media in the process that handles them when no process has it yet.
CLAIMING = frozenset({"media_start", "record_start"})

#: Who sent an event carried from another process (the connection's principal lives there).
carried_principal: ContextVar[Staff | PartyPrincipal | None] = ContextVar("carried_principal", default=None)


def carried(event: str, sid: str, seat: Seat, principal: Staff | PartyPrincipal | None, payload: Any) -> dict[str, Any]:
    """An event as it is carried to the owner: JSON, with who sent it."""
    return {
        "op": "event",
        "event": event,
        "sid": sid,
        "session_id": seat.session_id,
        "participant_id": seat.participant_id,
        "principal": principal_json(principal),
        "payload": payload,
    }


def principal_json(principal: Staff | PartyPrincipal | None) -> dict[str, Any] | None:
    if principal is None:
        return None
    return {"kind": "staff" if isinstance(principal, Staff) else "party", **asdict(principal)}


def principal_from_json(raw: Any) -> Staff | PartyPrincipal | None:
    if not isinstance(raw, dict):
        return None
    fields = {k: v for k, v in raw.items() if k != "kind"}
    return Staff(**fields) if raw.get("kind") == "staff" else PartyPrincipal(**fields)


class OwnerUnavailable(DomainError):
    """The session's media process did not answer in time; its claim was dropped (try again)."""

    code = "media_unavailable"


class MediaOwners(Protocol):
    process_id: str

    async def owner(self, session_id: str, *, claim: bool) -> str | None:
        """The owner's process id (claiming the session for this process if ``claim`` and none)."""

    def is_here(self, owner: str | None) -> bool: ...

    def holds(self, session_id: str) -> bool:
        """Whether this process holds the session's claim as far as it knows (no round trip: a check
        that nothing can come between and the media room it guards)."""

    async def call(self, owner: str, request: dict[str, Any], *, within: float = CALL_TIMEOUT) -> dict[str, Any]: ...

    async def changed(self, session_id: str) -> None:
        """Tell the other processes that this session's room changed."""

    async def hand_over(self, session_id: str, *, resume_recording: bool, to: str | None = None) -> bool:
        """Give up the session's media and have it started elsewhere: on process ``to`` (the claim passes
        to it) or, None, wherever it starts next. Whether the claim was still this process's."""

    async def take_over(self, session_id: str, owner: str) -> bool:
        """Ask ``owner`` to hand the session's media to this process; whether it is here now."""

    async def take_resume(self, session_id: str) -> bool:
        """Whether the session's last owner stopped while recording it (answered once)."""

    async def release(self, session_id: str) -> None:
        """This process no longer carries the session's media."""

    async def owned_elsewhere(self, session_id: str) -> bool:
        """Whether a live process other than this one carries the session's media."""

    async def start(self, on_call: OnCall, on_changed: OnSession, on_lost: OnSession, on_claimed: OnSession) -> None: ...

    async def close(self) -> None: ...


class LocalOwners:
    """One process: every session's media is here, and there is no one to tell."""

    def __init__(self) -> None:
        self.process_id = f"{os.getpid()}"

    async def owner(self, session_id: str, *, claim: bool) -> str | None:
        return None

    def is_here(self, owner: str | None) -> bool:
        return True

    def holds(self, session_id: str) -> bool:
        return True

    async def call(self, owner: str, request: dict[str, Any], *, within: float = CALL_TIMEOUT) -> dict[str, Any]:
        raise OwnerUnavailable("one process has no other to call")

    async def changed(self, session_id: str) -> None:
        return None

    async def release(self, session_id: str) -> None:
        return None

    async def hand_over(self, session_id: str, *, resume_recording: bool, to: str | None = None) -> bool:
        return False  # the rooms stop with the process: there is no one to hand them to

    async def take_over(self, session_id: str, owner: str) -> bool:
        return True  # every session's media is here already

    async def take_resume(self, session_id: str) -> bool:
        return False

    async def owned_elsewhere(self, session_id: str) -> bool:
        return False

    async def start(self, on_call: OnCall, on_changed: OnSession, on_lost: OnSession, on_claimed: OnSession) -> None:
        return None

    async def close(self) -> None:
        return None


#: Renew a claim only if it is still ours (another process may have taken it after we stalled).
RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
#: Drop a claim only if it is still the given process's.
DROP = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
#: Pass a claim to another process (ARGV[2]) only if it is still ours (ARGV[1]), with a fresh time-to-live.
PASS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return 0 end"


class RedisOwners:
    def __init__(self, redis: Redis, prefix: str = "mediate") -> None:
        self.redis = redis
        self.prefix = prefix
        self.process_id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._owned: set[str] = set()
        #: Sessions whose events this process carried elsewhere, and where: watched for that process's death.
        self._watched: dict[str, str] = {}
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._heart: asyncio.Task[None] | None = None
        self._on_call: OnCall | None = None
        self._on_changed: OnSession | None = None
        self._on_lost: OnSession | None = None
        self._on_claimed: OnSession | None = None

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}:media-owner:{session_id}"

    def _inbox(self, process_id: str) -> str:
        return f"{self.prefix}:media-process:{process_id}"

    def _alive(self, process_id: str) -> str:
        return f"{self.prefix}:media-alive:{process_id}"

    def _resume(self, session_id: str) -> str:
        return f"{self.prefix}:media-resume:{session_id}"

    @property
    def _changes(self) -> str:
        return f"{self.prefix}:room-changed"

    async def _current(self, session_id: str) -> str | None:
        raw = await self.redis.get(self._key(session_id))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def owner(self, session_id: str, *, claim: bool) -> str | None:
        found = await self._current(session_id)
        if found is not None and found != self.process_id and not await self.redis.exists(self._alive(found)):
            # Its process stopped saying it is alive (killed): its claim goes now, not when it expires.
            await self.redis.eval(DROP, 1, self._key(session_id), found)
            log.warning("session %s: media process %s is gone; its claim is dropped", session_id, found)
            found = None
        if found is None and claim:
            if await self.redis.set(self._key(session_id), self.process_id, nx=True, px=OWNER_TTL_MS):
                self._owned.add(session_id)
                self._watched.pop(session_id, None)
                log.info("session %s: this process now carries its media", session_id)
                if self._on_claimed is not None:
                    await self._on_claimed(session_id)
                return self.process_id
            found = await self._current(session_id)
        if found == self.process_id:
            self._owned.add(session_id)
        else:
            self._owned.discard(session_id)  # lost while stalled, if it was ours: someone else carries it now
        return found

    def is_here(self, owner: str | None) -> bool:
        return owner is None or owner == self.process_id

    def holds(self, session_id: str) -> bool:
        return session_id in self._owned

    async def owned_elsewhere(self, session_id: str) -> bool:
        found = await self._current(session_id)
        return found is not None and found != self.process_id and bool(await self.redis.exists(self._alive(found)))

    async def call(self, owner: str, request: dict[str, Any], *, within: float = CALL_TIMEOUT) -> dict[str, Any]:
        request_id = uuid.uuid4().hex
        session_id = str(request.get("session_id", ""))
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        try:
            message = {"id": request_id, "reply_to": self.process_id, **request}
            heard = await self.redis.publish(self._inbox(owner), json.dumps(message))
            if heard:
                with contextlib.suppress(TimeoutError):
                    got = await asyncio.wait_for(answer, within)
                    self._watched[session_id] = owner
                    return got
            # Nobody listens (the process is gone) or it did not answer: it no longer carries the session.
            await self.redis.eval(DROP, 1, self._key(session_id), owner)
            log.warning("session %s: media process %s did not answer; its claim is dropped", session_id, owner)
            raise OwnerUnavailable("the session's media server did not answer; try again")
        finally:
            self._waiting.pop(request_id, None)

    async def changed(self, session_id: str) -> None:
        await self.redis.publish(self._changes, json.dumps({"session_id": session_id, "from": self.process_id}))

    async def release(self, session_id: str) -> None:
        self._owned.discard(session_id)
        await self.redis.eval(DROP, 1, self._key(session_id), self.process_id)

    async def hand_over(self, session_id: str, *, resume_recording: bool, to: str | None = None) -> bool:
        if resume_recording:
            await self.redis.set(self._resume(session_id), self.process_id, px=RESUME_TTL_MS)
        # The claim goes before the word: a participant told to start again must not reach us.
        if to is None:
            ours = bool(await self.redis.eval(DROP, 1, self._key(session_id), self.process_id))
        else:
            ours = bool(await self.redis.eval(PASS, 1, self._key(session_id), self.process_id, to, OWNER_TTL_MS))
        self._owned.discard(session_id)
        message = {"session_id": session_id, "from": self.process_id, "handed_over": True}
        await self.redis.publish(self._changes, json.dumps(message))
        log.info(
            "session %s: media handed over to %s (recording to resume: %s)",
            session_id,
            to or "whoever starts it",
            resume_recording,
        )
        return ours

    async def take_over(self, session_id: str, owner: str) -> bool:
        """Ask ``owner`` to hand the session's media to this process (a caller of it is on this process's line).

        The owner's answer is not what decides: the claim is. An owner that refuses (a caller of
        its own is in the session) keeps it; one that does not answer in time loses it (:meth:`call`)
        and the session is left to whoever starts its media next. Handed over, the claim is this
        process's already, and this process takes the session over as after any claim (``on_claimed``:
        the recording resumes, by the note the owner left).
        """
        request = {"op": "hand_over", "session_id": session_id, "to": self.process_id}
        with contextlib.suppress(OwnerUnavailable):
            await self.call(owner, request, within=HAND_OVER_TIMEOUT)
        if await self._current(session_id) != self.process_id:
            log.info("session %s: media process %s kept the session's media", session_id, owner)
            return False
        self._owned.add(session_id)
        self._watched.pop(session_id, None)
        log.info("session %s: media process %s handed the session's media to this one", session_id, owner)
        if self._on_claimed is not None:
            await self._on_claimed(session_id)
        return True

    async def take_resume(self, session_id: str) -> bool:
        return await self.redis.getdel(self._resume(session_id)) is not None

    async def start(self, on_call: OnCall, on_changed: OnSession, on_lost: OnSession, on_claimed: OnSession) -> None:
        self._on_call, self._on_changed, self._on_lost, self._on_claimed = on_call, on_changed, on_lost, on_claimed
        await self.redis.set(self._alive(self.process_id), "1", px=ALIVE_TTL_MS)
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._inbox(self.process_id), self._changes)
        self._listener = asyncio.create_task(self._listen(pubsub))
        self._heart = asyncio.create_task(self._beat())

    async def _listen(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                try:
                    self._received(message)
                except Exception:
                    log.exception("a media message from another process could not be read")
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _received(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
        data = json.loads(message["data"])
        if channel == self._changes:
            session_id = str(data.get("session_id"))
            if data.get("from") == self.process_id:
                return
            if data.get("handed_over"):
                # Its owner is stopping: whoever here gets media from it starts again (and claims it).
                self._watched.pop(session_id, None)
                if self._on_lost is not None:
                    self._spawn(self._on_lost(session_id))
            elif session_id in self._owned and self._on_changed:
                self._spawn(self._on_changed(session_id))
        elif "answer" in data:
            waiting = self._waiting.get(str(data.get("id")))
            if waiting is not None and not waiting.done():
                waiting.set_result(data["answer"])
        elif self._on_call is not None:
            self._spawn(self._answer(data))

    async def _answer(self, request: dict[str, Any]) -> None:
        assert self._on_call is not None
        answer = await self._on_call(request)
        await self.redis.publish(self._inbox(str(request["reply_to"])), json.dumps({"id": request["id"], "answer": answer}))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("media work for another process failed", exc_info=task.exception())

    async def _beat(self) -> None:
        """Say this process is alive, keep its claims, and watch the processes it carries events to."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await self.redis.set(self._alive(self.process_id), "1", px=ALIVE_TTL_MS)
                for session_id in list(self._owned):
                    if not await self.redis.eval(RENEW, 1, self._key(session_id), self.process_id, OWNER_TTL_MS):
                        self._owned.discard(session_id)
                        log.warning("session %s: the media claim was lost to another process", session_id)
                for session_id, owner in list(self._watched.items()):
                    if await self.redis.exists(self._alive(owner)):
                        if await self._current(session_id) != owner:
                            del self._watched[session_id]  # released or moved by a living process: nothing lost
                        continue
                    # The process carrying this session's media is gone: the participants here start again.
                    del self._watched[session_id]
                    await self.redis.eval(DROP, 1, self._key(session_id), owner)
                    log.warning("session %s: media process %s is gone", session_id, owner)
                    if self._on_lost is not None:
                        self._spawn(self._on_lost(session_id))
            except Exception:
                log.exception("the media heartbeat failed; trying again")

    async def close(self) -> None:
        for task in (self._listener, self._heart, *self._tasks):
            if task is not None:
                task.cancel()
        for session_id in list(self._owned):
            with contextlib.suppress(Exception):
                await self.release(session_id)
        with contextlib.suppress(Exception):
            await self.redis.delete(self._alive(self.process_id))
