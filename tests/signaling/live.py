"""Test helpers for /live: a browser tab as a real Socket.IO client, and a booked meeting to join."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiohttp.test_utils import TestClient

from tests.conftest import Actor, World

NS = "/live"
EVENTS = (
    "participants",
    "admitted",
    "held",
    "removed",
    "chat",
    "caucus_notice",
    "replaced",
    "restarting",
    "muted",
    "ended",
    "quality",
    "media_failed",
    "recording_stopped",
    "revoked",
    "transcript",
    "phone_consent",
    "phone_dial",
)


#: How long a test waits for an acknowledgement, a connection or a condition before failing. Generous on
#: purpose: CI runs the suite on two shared, loaded cores, where one process holds the server and every
#: aiortc peer of a test, and a key generation or a renegotiation can keep its event loop busy for seconds.
#: A wait returns as soon as what it waits for happens, so only a failing test pays for the margin; a test
#: that asserts a bound on time ("within a second") passes its own ``within``.
PATIENCE = 20.0


def session_cookie(client: TestClient[Any, Any]) -> str:
    for morsel in client.session.cookie_jar:
        if morsel.key == "mediate_session":
            return morsel.value
    raise AssertionError("no mediate_session cookie")


async def eventually(check: Callable[[], bool], within: float = PATIENCE) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class Peer:
    """One browser tab on /live: a real Socket.IO client that records what it receives."""

    name: str
    sio: socketio.AsyncClient = field(default_factory=lambda: socketio.AsyncClient(reconnection=False))
    got: dict[str, list[Any]] = field(default_factory=dict)
    refusal: Any = None
    disconnected: bool = False

    def __post_init__(self) -> None:
        for event in EVENTS:
            self.sio.on(event, self._recorder(event), namespace=NS)
        self.sio.on("connect_error", self._refused, namespace=NS)
        self.sio.on("disconnect", self._gone, namespace=NS)

    def _recorder(self, event: str) -> Callable[[Any], None]:
        def record(data: Any) -> None:
            self.got.setdefault(event, []).append(data)

        return record

    def _refused(self, data: Any) -> None:
        self.refusal = data

    def _gone(self, *_: Any) -> None:
        self.disconnected = True

    def of(self, event: str) -> list[Any]:
        return self.got.get(event, [])

    @property
    def view(self) -> dict[str, Any]:
        views = self.of("participants")
        assert views, f"{self.name} has no participants view yet"
        # The newest, as the pages keep it: views can arrive out of order (PROTOCOL.md, `participants`).
        return max(views, key=lambda view: view["revision"])

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        ack = await self.sio.call(event, data, namespace=NS, timeout=PATIENCE)
        assert isinstance(ack, dict)
        return ack

    async def barrier(self) -> None:
        """A round trip: everything the server sent this peer before it is now received."""
        await self.call("ping", {})

    async def wait(self, event: str, count: int = 1) -> Any:
        await eventually(lambda: len(self.of(event)) >= count)
        return self.of(event)[count - 1]


@dataclass
class Meeting:
    world: World
    url: str
    session_id: str
    liu: Actor
    links: dict[str, dict[str, Any]]
    peers: list[Peer] = field(default_factory=list)

    async def browser_for(self, role: str) -> Actor:
        actor = await self.world.actor()
        response = await actor.open_link(self.links[role]["url"])
        assert response.status == 303
        return actor

    async def join(self, name: str, actor: Actor, auth: dict[str, Any] | None = None, *, origin: str | None = None) -> Peer:
        """Connect as ``actor``'s browser and wait for the welcome ``participants``."""
        peer = Peer(name)
        self.peers.append(peer)
        await peer.sio.connect(
            self.url,
            headers={"Cookie": f"mediate_session={session_cookie(actor.client)}", **({"Origin": origin} if origin else {})},
            auth=auth,
            namespaces=[NS],
            transports=["websocket"],
            wait_timeout=PATIENCE,
        )
        await peer.wait("participants")
        return peer

    async def refused(
        self, name: str, cookie: str | None, auth: dict[str, Any] | None = None, *, origin: str | None = None
    ) -> Any:
        """Try to connect with this cookie (or none); the connection must be refused. Returns the refusal."""
        peer = Peer(name)
        headers = {
            **({"Cookie": f"mediate_session={cookie}"} if cookie is not None else {}),
            **({"Origin": origin} if origin else {}),
        }
        try:
            await peer.sio.connect(
                self.url, headers=headers, auth=auth, namespaces=[NS], transports=["websocket"], wait_timeout=PATIENCE
            )
        except socketio.exceptions.ConnectionError:
            return peer.refusal
        raise AssertionError(f"{name} was let in")

    async def host(self) -> Peer:
        return await self.join("刘", self.liu, {"session_id": self.session_id})

    async def party(self, role: str) -> Peer:
        return await self.join(role, await self.browser_for(role))

    async def everyone_admitted(self) -> tuple[Peer, Peer, Peer]:
        host, applicant, respondent = await self.host(), await self.party("applicant"), await self.party("respondent")
        for role in ("applicant", "respondent"):
            assert (await host.call("admit", {"participant_id": self.links[role]["party_id"]})) == {"ok": True}
        await applicant.wait("admitted")
        await respondent.wait("admitted")
        return host, applicant, respondent

    async def assign(self, username: str) -> Actor:
        """Assign another mediator of the organisation to the case as a co-mediator (人民调解法 art. 19), logged in."""
        session = await self.liu.call("GET", f"/api/v1/sessions/{self.session_id}")
        body = {"mediator_id": self.world.ids[username], "role": "co"}
        await self.liu.call("POST", f"/api/v1/cases/{session['case_id']}/mediators", body, expect=201)
        return await self.world.staff(username)

    async def cohost(self, name: str, actor: Actor) -> Peer:
        return await self.join(name, actor, {"session_id": self.session_id})

    def id(self, role: str) -> str:
        return str(self.links[role]["party_id"])

    @property
    def host_id(self) -> str:
        return self.world.ids["liu"]
