"""Janus (Debian's ``janus``, its VideoRoom plugin) as the C SFU `mediate bench media --compare janus` measures against.

The benchmark starts its own Janus on loopback, with its own configuration in a temporary
folder: only the VideoRoom plugin and the HTTP transport are loaded (symlinks to the
package's libraries), ICE limited to ``lo``. The peers are the benchmark's own
(``server.bench.peers``: pre-encoded :class:`~server.bench.peers.Replay` tracks, frames counted
at the receiver's tap without decoding); only the signaling is Janus's HTTP API
(https://janus.conf.meetecho.com/docs/rest.html): create a session, attach
``janus.plugin.videoroom``, create a room, join as a publisher with an offer, join as a
subscriber and answer Janus's offer. A long poll per session carries the events and keeps
the session alive.

Janus 1.1.2 leaves interfaces flagged ``IFF_LOOPBACK`` out of its ICE candidates, even with
``ice_enforce_list = "lo"``: the benchmark compiles :data:`LOOPBACK_SHIM` (a ``getifaddrs``
that clears the flag on ``lo``) with the machine's C compiler and preloads it into the Janus
process alone. Nothing else of the machine changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import secrets
import shutil
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import MediaStreamTrack, RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from server.bench.api import free_port
from server.bench.peers import Replay
from signaling import aiortc_hooks

PLUGIN = "janus.plugin.videoroom"
#: The mids of a publisher's offer (:meth:`JanusPeer.publish` adds audio, then video): a subscriber picks streams by them.
PUBLISHED_MIDS = {"audio": "0", "video": "1"}

#: Preloaded into Janus only: its ICE gathering (and libnice's) skip interfaces flagged IFF_LOOPBACK.
LOOPBACK_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

int getifaddrs(struct ifaddrs **ifap) {
    int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int rc = real(ifap);
    if (rc == 0)
        for (struct ifaddrs *i = *ifap; i != NULL; i = i->ifa_next)
            if (i->ifa_name != NULL && strcmp(i->ifa_name, "lo") == 0)
                i->ifa_flags &= ~IFF_LOOPBACK;
    return rc;
}
"""

#: Where Debian (any architecture) and a source build put Janus's plugins and transports.
LIBRARY_DIRS = ("/usr/lib/*/janus", "/usr/lib/janus", "/usr/local/lib/janus", "/opt/janus/lib/janus")


class JanusUnavailable(RuntimeError):
    """Janus or a C compiler is missing and could not be installed here; the message says how to install them."""


class JanusError(RuntimeError):
    """Janus answered a request with an error."""


# -- the process ----------------------------------------------------------------------------------


def ensure_installed(say: Callable[[str], None] = print) -> None:
    """Install Debian's ``janus`` (and gcc for the shim) with apt-get when missing, as scripts/test installs its packages."""
    missing = [pkg for pkg, command in (("janus", "janus"), ("gcc", "gcc")) if shutil.which(command) is None]
    if not missing:
        return
    root = os.geteuid() == 0
    if shutil.which("apt-get") is None or not (root or shutil.which("sudo")):
        raise JanusUnavailable(f"missing {', '.join(missing)}: install with `sudo apt-get install {' '.join(missing)}`")
    sudo = [] if root else ["sudo"]
    say(f"installing {' '.join(missing)} (Debian's packages, apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        done = subprocess.run(
            [*sudo, *command], check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        if done.returncode != 0:
            raise JanusUnavailable(f"`{' '.join(command)}` failed: {done.stderr.strip()[-500:]}")


def library_dir() -> Path:
    for pattern in LIBRARY_DIRS:
        for found in sorted(glob.glob(pattern)):
            if Path(found, "plugins", "libjanus_videoroom.so").exists():
                return Path(found)
    raise JanusUnavailable("Janus's VideoRoom plugin (libjanus_videoroom.so) was not found: `sudo apt-get install janus`")


def compile_shim(folder: Path) -> Path:
    source, library = folder / "loopback.c", folder / "loopback.so"
    source.write_text(LOOPBACK_SHIM)
    done = subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O2", "-o", str(library), str(source), "-ldl"], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise JanusUnavailable(f"compiling the loopback shim failed: {done.stderr.strip()[-500:]}")
    return library


def write_config(folder: Path, port: int) -> Path:
    """Janus's configuration in ``folder``: the VideoRoom plugin and the HTTP API on 127.0.0.1:``port`` only."""
    libraries = library_dir()
    for kind, name in (("plugins", "libjanus_videoroom.so"), ("transports", "libjanus_http.so")):
        (folder / kind).mkdir()
        (folder / kind / name).symlink_to(libraries / kind / name)
    for kind in ("events", "loggers"):
        (folder / kind).mkdir()
    (folder / "janus.jcfg").write_text(
        f"""general: {{
  configs_folder = "{folder}"
  plugins_folder = "{folder}/plugins"
  transports_folder = "{folder}/transports"
  events_folder = "{folder}/events"
  loggers_folder = "{folder}/loggers"
  debug_level = 3
  server_name = "mediate-bench"
}}
media: {{
  ipv6 = false
}}
nat: {{
  ice_enforce_list = "lo"
  ignore_mdns = true
}}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
  base_path = "/janus"
  http = true
  port = {port}
  ip = "127.0.0.1"
  https = false
}}
admin: {{
  admin_http = false
}}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    return folder / "janus.jcfg"


@contextlib.asynccontextmanager
async def running(folder: Path) -> AsyncIterator[tuple[str, int]]:
    """A Janus of its own, configured in ``folder`` (empty); yields (HTTP API base URL, pid) once it answers."""
    ensure_installed()
    port = free_port()
    config = write_config(folder, port)
    env = dict(os.environ, LD_PRELOAD=str(compile_shim(folder)))
    log = (folder / "janus.log").open("wb")
    janus = await asyncio.create_subprocess_exec(
        "janus", "-C", str(config), "-F", str(folder), "-o", env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}/janus"
    try:
        async with aiohttp.ClientSession() as probe:
            for _ in range(300):
                if janus.returncode is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError):
                    async with probe.get(f"{base}/info") as r:
                        if r.status == 200:
                            break
                await asyncio.sleep(0.1)
            else:
                raise JanusUnavailable(f"Janus did not answer on {base}: {(folder / 'janus.log').read_text()[-2000:]}")
        if janus.returncode is not None:
            raise JanusUnavailable(f"Janus exited ({janus.returncode}): {(folder / 'janus.log').read_text()[-2000:]}")
        yield base, janus.pid
    finally:
        if janus.returncode is None:
            janus.terminate()
            try:
                await asyncio.wait_for(janus.wait(), timeout=15)
            except TimeoutError:
                janus.kill()
                await janus.wait()
        log.close()


# -- the HTTP API ---------------------------------------------------------------------------------


@dataclass
class Session:
    """One Janus session (a participant's, as janus.js keeps one per page), its handles and its long poll."""

    http: aiohttp.ClientSession
    base: str
    id: int = 0
    waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    #: Per handle, set when Janus says it receives that handle's video (the ``media`` event).
    receiving_video: dict[int, asyncio.Event] = field(default_factory=dict)
    poll: asyncio.Task[None] | None = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(f"{self.base}{path}", json=body) as r:
            answer: dict[str, Any] = await r.json(content_type=None)
        if answer.get("janus") == "error":
            raise JanusError(f"{body.get('janus')}: {answer.get('error')}")
        return answer

    async def create(self) -> None:
        answer = await self._post("", {"janus": "create", "transaction": secrets.token_hex(6)})
        self.id = int(answer["data"]["id"])
        self.poll = asyncio.ensure_future(self._poll())

    async def attach(self) -> int:
        answer = await self._post(f"/{self.id}", {"janus": "attach", "plugin": PLUGIN, "transaction": secrets.token_hex(6)})
        handle = int(answer["data"]["id"])
        self.receiving_video[handle] = asyncio.Event()
        return handle

    async def request(self, handle: int, body: dict[str, Any]) -> dict[str, Any]:
        """A request the plugin answers at once (``create``, ``list``...): its ``plugindata.data``."""
        answer = await self._post(f"/{self.id}/{handle}", {"janus": "message", "body": body, "transaction": secrets.token_hex(6)})
        data: dict[str, Any] = answer["plugindata"]["data"]
        if "error" in data:
            raise JanusError(f"{body['request']}: {data['error']}")
        return data

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], dict[str, str] | None]:
        """A request the plugin answers with an event (``join``, ``publish``, ``start``): its data and JSEP."""
        transaction = secrets.token_hex(6)
        answered = self.waiting[transaction] = asyncio.get_running_loop().create_future()
        message: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            message["jsep"] = jsep
        await self._post(f"/{self.id}/{handle}", message)
        event = await asyncio.wait_for(answered, timeout=20)
        data: dict[str, Any] = event["plugindata"]["data"]
        if "error" in data:
            raise JanusError(f"{body['request']}: {data['error']}")
        return data, event.get("jsep")

    async def _poll(self) -> None:
        """Janus's events for this session; each poll also tells Janus the session is alive."""
        while True:
            try:
                async with self.http.get(f"{self.base}/{self.id}", params={"maxev": "10"}) as r:
                    events = await r.json(content_type=None)
            except aiohttp.ClientError:
                await asyncio.sleep(0.5)
                continue
            if isinstance(events, dict) and events.get("janus") == "error":
                for pending in self.waiting.values():
                    if not pending.done():
                        pending.set_exception(JanusError(f"session {self.id}: {events.get('error')}"))
                return  # the session is gone (timed out or destroyed): nothing more will come
            for event in events if isinstance(events, list) else [events]:
                waiting = self.waiting.pop(str(event.get("transaction")), None)
                if waiting is not None and not waiting.done() and event.get("janus") == "event":
                    waiting.set_result(event)
                if event.get("janus") == "media" and event.get("type") == "video" and event.get("receiving"):
                    self.receiving_video.get(int(event.get("sender", 0)), asyncio.Event()).set()

    async def destroy(self) -> None:
        if self.poll is not None:
            self.poll.cancel()
        with contextlib.suppress(aiohttp.ClientError, JanusError):
            await self._post(f"/{self.id}", {"janus": "destroy", "transaction": secrets.token_hex(6)})


async def create_room(http: aiohttp.ClientSession, base: str, publishers: int) -> int:
    """A VideoRoom of VP8 + Opus, as mediate's rooms carry; bitrate 0 (no cap), no periodic keyframe requests.

    Its number is Janus's choice (a random one), returned.
    """
    admin = Session(http, base)
    await admin.create()
    try:
        handle = await admin.attach()
        created = await admin.request(
            handle,
            {
                "request": "create",
                "publishers": publishers,
                "videocodec": "vp8",
                "audiocodec": "opus",
                "bitrate": 0,
                "fir_freq": 0,
                "notify_joining": False,
            },
        )
    finally:
        await admin.destroy()
    return int(created["room"])


# -- a participant ----------------------------------------------------------------------------------


def peer_connection() -> RTCPeerConnection:
    """One transport for every stream, as Janus bundles them; no STUN server (aiortc's default would ask Google's)."""
    return RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE, iceServers=[]))


@dataclass
class JanusPeer:
    """A benchmark participant through Janus: a publisher handle and, to receive, a subscriber handle.

    VideoRoom keeps them apart (two peer connections, as janus.js has); the tracks sent and the
    counting of what arrives are :class:`server.bench.peers.LoadPeer`'s.
    """

    http: aiohttp.ClientSession
    base: str
    room: int
    video: list[bytes]
    audio: list[bytes]
    session: Session = field(init=False)
    feed: int = 0
    publisher: RTCPeerConnection | None = None
    subscriber: RTCPeerConnection | None = None
    replays: dict[str, Replay] = field(default_factory=dict)
    #: Frames received, by (feed, kind), as :class:`server.bench.peers.LoadPeer` counts them by (participant, kind).
    frames: Counter[tuple[int, str]] = field(default_factory=Counter)
    #: The subscription's mids: (feed, kind) of each, from Janus's ``attached`` event.
    mids: dict[str, tuple[int, str]] = field(default_factory=dict)
    first_video: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.session = Session(self.http, self.base)

    async def connect(self) -> None:
        await self.session.create()

    async def publish(self) -> int:
        """Join the room as a publisher of audio and video; the feed id subscribers ask for."""
        handle = await self.session.attach()
        joined, _ = await self.session.message(handle, {"request": "join", "ptype": "publisher", "room": self.room})
        self.feed = int(joined["id"])
        pc = self.publisher = peer_connection()
        for kind in ("audio", "video"):
            replay = self.replays[kind] = Replay(kind, self.audio if kind == "audio" else self.video)
            sender = pc.addTransceiver(replay, direction="sendonly").sender
            if kind == "video":
                aiortc_hooks.on_keyframe_request(sender, replay.keyframe)
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        _, answer = await self.session.message(handle, {"request": "publish", "audio": True, "video": True}, offer)
        if answer is None:
            raise JanusError("publish: no answer")
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        # A subscriber may join a feed only once its media flows ("No such feed" before).
        await asyncio.wait_for(self.session.receiving_video[handle].wait(), timeout=20)
        return self.feed

    async def subscribe(self, feeds: list[int], kinds: tuple[str, ...] = ("audio", "video")) -> None:
        """Receive ``kinds`` of each feed in ``feeds`` over one peer connection; frames are counted, not decoded."""
        handle = await self.session.attach()
        streams: list[dict[str, Any]] = [{"feed": feed, "mid": PUBLISHED_MIDS[kind]} for feed in feeds for kind in kinds]
        attached, offer = await self.session.message(
            handle, {"request": "join", "ptype": "subscriber", "room": self.room, "streams": streams}
        )
        self.mids.update({s["mid"]: (int(s["feed_id"]), s["type"]) for s in attached.get("streams", []) if "feed_id" in s})
        if offer is None:
            raise JanusError("join as subscriber: no offer")
        pc = self.subscriber = peer_connection()
        pc.on("track", self._on_track)
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.session.message(handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp})

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.subscriber is not None
        transceiver = next(t for t in self.subscriber.getTransceivers() if t.receiver.track is track)
        key = self.mids.get(transceiver.mid or "", (0, track.kind))

        def count(codec: Any, frame: Any) -> None:
            self.frames[key] += 1
            if key[1] == "video":
                self.first_video.set()

        aiortc_hooks.tap_receiver(transceiver.receiver, count)

    def video_frames(self) -> int:
        return sum(n for (_, kind), n in self.frames.items() if kind == "video")

    async def close(self) -> None:
        for pc in (self.subscriber, self.publisher):
            if pc is not None:
                await pc.close()
        await self.session.destroy()
