"""Each participant gets TURN credentials of their own, short-lived (issue #19, item 8).

The scheme is coturn's ``use-auth-secret`` ("TURN REST API", draft-uberti-behave-turn-rest-00):
username ``"<expiry unix time>:<participant id>"``, password ``base64(HMAC-SHA1(secret, username))``.
The password is checked here against coturn's documented shell recipe (openssl), not against our
own code, the server's offers are checked as the browser receives them, and Debian's coturn,
configured as deploy/coturn/turnserver.conf, relays for them and refuses expired or forged ones.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aioice.stun
import aioice.turn
import pytest

from server.settings import Settings, SettingsError
from signaling.media import MediaServer
from signaling.turn import turn_credentials
from tests.conftest import sqlite_copy
from tests.signaling.live import Meeting, eventually
from tests.signaling.media_client import MediaClient

SECRET = "a-secret-shared-with-coturn-0123456789"
TTL = 600
STUN = {"urls": ["stun:turn.invalid:3478"]}
TURN = {"urls": ["turn:turn.invalid:3478?transport=udp", "turns:turn.invalid:5349?transport=tcp"]}
FIXED = {"urls": ["turn:fixed.invalid:3478"], "username": "legacy", "credential": "written-out-on-purpose"}


@pytest.fixture
def database_url(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    """Credentials do not touch the database beyond joining: SQLite only."""
    return sqlite_copy(tmp_path_factory, sqlite_template)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, media_loopback=True, ice_servers=(STUN, TURN, FIXED), turn_secret=SECRET, turn_ttl_seconds=TTL)


def expected_password(username: str) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()).decode()


def check_turn_entry(entry: dict[str, Any], participant_id: str, issued_at: float) -> int:
    """The entry carries "<expiry>:<participant id>" and the password coturn would compute; returns the expiry."""
    expiry, _, name = entry["username"].partition(":")
    assert name == participant_id
    assert issued_at + TTL - 5 <= int(expiry) <= time.time() + TTL + 5  # valid for the TTL, then refused
    assert entry["credential"] == expected_password(entry["username"])
    return int(expiry)


async def test_each_participant_gets_turn_credentials_of_their_own_that_coturn_would_accept(meeting: Meeting) -> None:
    issued_at = time.time()
    host = await meeting.host()
    applicant = await meeting.party("applicant")
    assert (await host.call("admit", {"participant_id": meeting.id("applicant")}))["ok"] is True
    offers: dict[str, list[dict[str, Any]]] = {}
    clients = [MediaClient(host), MediaClient(applicant)]
    try:
        for who, client in zip((meeting.host_id, meeting.id("applicant")), clients, strict=True):
            assert (await client.start())["ok"] is True
            await eventually(lambda c=client: bool(c.offers), within=30)  # type: ignore[misc]
            offers[who] = client.offers[0]["ice_servers"]
    finally:
        for client in clients:
            await client.close()
    for who, servers in offers.items():
        stun, turn, fixed = servers
        assert stun == STUN and fixed == FIXED  # STUN needs none; a fixed account is passed as written
        assert turn["urls"] == TURN["urls"]
        check_turn_entry(turn, who, issued_at)
    assert offers[meeting.host_id][1]["username"] != offers[meeting.id("applicant")][1]["username"]
    assert offers[meeting.host_id][1]["credential"] != offers[meeting.id("applicant")][1]["credential"]


def test_the_servers_own_peers_get_credentials_of_their_own_too() -> None:
    issued_at = time.time()
    media = MediaServer([STUN, TURN], turn_secret=SECRET, turn_ttl_seconds=TTL)
    ice = media.configuration("p1").iceServers
    assert ice is not None and len(ice) == 2 and ice[1].username is not None
    check_turn_entry({"username": ice[1].username, "credential": ice[1].credential}, "server-p1", issued_at)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_password_is_coturns_documented_recipe() -> None:
    """coturn's README.turnserver: ``echo -n $user | openssl dgst -binary -sha1 -hmac $secret | openssl base64``."""
    username, password = turn_credentials(SECRET, "party-1", TTL, now=1_700_000_000)
    assert username == f"{1_700_000_000 + TTL}:party-1"
    digest = subprocess.run(
        ["openssl", "dgst", "-binary", "-sha1", "-hmac", SECRET], input=username.encode(), capture_output=True, check=True
    ).stdout
    assert password == base64.b64encode(digest).decode()


def test_turn_servers_need_a_secret_or_a_fixed_account() -> None:
    turn = '[{"urls": "turn:turn.example.cn:3478"}]'
    with pytest.raises(SettingsError, match="MEDIATE_TURN_SECRET"):
        Settings.from_env({"MEDIATE_ICE_SERVERS": turn})
    settings = Settings.from_env({"MEDIATE_ICE_SERVERS": turn, "MEDIATE_TURN_SECRET": SECRET, "MEDIATE_TURN_TTL_SECONDS": "3600"})
    assert settings.turn_secret == SECRET and settings.turn_ttl_seconds == 3600 and SECRET not in repr(settings)
    fixed = '[{"urls": "turn:turn.example.cn:3478", "username": "u", "credential": "p"}]'
    assert Settings.from_env({"MEDIATE_ICE_SERVERS": fixed}).turn_secret is None  # a fixed account, said explicitly
    with pytest.raises(SettingsError, match="too short"):
        Settings.from_env({"MEDIATE_ICE_SERVERS": turn, "MEDIATE_TURN_SECRET": "short"})


# -- against a real coturn (Debian's coturn package, installed by scripts/test) ------------------------


def free_port() -> int:
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", 0))
        port = int(tcp.getsockname()[1])
        udp.bind(("127.0.0.1", port))
        return port


@pytest.fixture
async def coturn(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    """coturn on loopback, configured as deploy/coturn/turnserver.conf says: use-auth-secret."""
    binary = shutil.which("turnserver")
    assert binary, "coturn is missing: scripts/test installs Debian's coturn"
    port = free_port()
    args = [
        binary, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={port}",
        "--use-auth-secret", f"--static-auth-secret={SECRET}", "--realm=mediate.test", "--fingerprint",
        "--no-tls", "--no-dtls", "--no-cli", "--no-software-attribute", f"--userdb={tmp_path / 'turndb'}",
        f"--pidfile={tmp_path / 'turnserver.pid'}", "--log-file=stdout", "--simple-log",
        "--min-port=40000", "--max-port=40999",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                assert process.returncode is None, f"turnserver exited with {process.returncode}"
                assert time.monotonic() < deadline, "turnserver did not listen within 60 s"
                await asyncio.sleep(0.1)
                continue
            writer.close()
            break
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        await process.wait()


async def allocate(server: tuple[str, int], username: str, password: str) -> tuple[str, int]:
    """A TURN allocation (RFC 8656) over TCP, as a browser makes one; the relayed address."""
    transport, _ = await aioice.turn.create_turn_endpoint(
        asyncio.DatagramProtocol, server_addr=server, username=username, password=password, transport="tcp"
    )
    try:
        return tuple(transport.get_extra_info("sockname"))
    finally:
        transport.close()


async def test_coturn_relays_for_the_credentials_a_participant_gets_and_refuses_expired_or_forged_ones(
    coturn: tuple[str, int],
) -> None:
    media = MediaServer([{"urls": [f"turn:127.0.0.1:{coturn[1]}?transport=tcp"]}], turn_secret=SECRET, turn_ttl_seconds=TTL)
    [entry] = media.ice_servers_for("party-1")
    relayed = await allocate(coturn, entry["username"], entry["credential"])
    assert relayed[0] == "127.0.0.1" and 40000 <= relayed[1] <= 40999
    expired = turn_credentials(SECRET, "party-1", -60)  # its expiry has passed
    forged = turn_credentials("not-the-secret-shared-with-coturn", "party-1", TTL)
    for username, password in (expired, forged):
        with pytest.raises(aioice.stun.TransactionFailed) as refused:
            await allocate(coturn, username, password)
        assert refused.value.response.attributes["ERROR-CODE"][0] == 401
