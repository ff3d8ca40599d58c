"""Registering with the trunk (#25): a carrier or PBX that sends the organisation's calls to a
registered contact. The registrar is Debian's Kamailio asking for a password (tests/telephony/kamailio.py);
`/readyz` says whether the registration holds, and what the trunk answered when it does not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings
from tests.conftest import World
from tests.signaling.live import PATIENCE
from tests.telephony.baresip import free_port
from tests.telephony.kamailio import registrar

PASSWORD = "carrier-given-secret"


@pytest.fixture
def registrar_port() -> int:
    return free_port()


@pytest.fixture
def kamailio(tmp_path: Path, registrar_port: int) -> Iterator[Path]:
    with registrar(tmp_path / "kamailio", registrar_port, PASSWORD) as log:
        yield log


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def settings(settings: Settings, kamailio: Path, registrar_port: int, password: str) -> Settings:
    return replace(settings, sip_trunk=("127.0.0.1", registrar_port), sip_trunk_user="01088886666", sip_trunk_password=password)


async def readyz_until(world: World, met: Callable[[dict[str, Any]], bool], within: float = PATIENCE) -> dict[str, Any]:
    """``/readyz`` asked again until its answer meets ``met``; that answer (the last one, in the failure)."""
    anyone = await world.actor()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        body: dict[str, Any] = await anyone.call("GET", "/readyz")
        if met(body):
            return body
        if loop.time() > deadline:
            raise AssertionError(f"/readyz never said so: {body}")
        await asyncio.sleep(0.05)


async def test_the_server_registers_with_the_trunk_and_readyz_says_so(world: World, registrar_port: int) -> None:
    """The registrar challenges, the server answers with the account's password, and the binding holds."""
    body = await readyz_until(world, lambda b: b["telephony"]["trunk"]["registered"] is True)
    assert body["telephony"]["trunk"] == {"registrar": f"127.0.0.1:{registrar_port}", "registered": True}


@pytest.mark.parametrize("password", ["a-wrong-password"])
async def test_a_refused_registration_is_said_in_readyz(world: World) -> None:
    body = await readyz_until(world, lambda b: str(b["telephony"]["trunk"].get("problem", "")).startswith("401"))
    assert body["telephony"]["trunk"]["registered"] is False
    assert body["status"] == "ready"  # calls by address still work; the operator reads what went wrong
