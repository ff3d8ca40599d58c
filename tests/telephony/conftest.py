"""Telephony tests: the app answers SIP on a free loopback port; callers are Debian's baresip (tests/telephony/baresip.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from server.settings import Settings
from tests.signaling.conftest import meeting  # noqa: F401 - the booked session callers join
from tests.telephony.baresip import free_port


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: str) -> Iterator[str]:
    """Calls touch the database to find a PIN's party and to seat them: SQLite is enough here."""
    target = tmp_path / "mediate.sqlite3"
    shutil.copy(sqlite_template, target)
    yield f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def answering_port() -> int:
    """Where "the trunk" is: a baresip a test starts there answers the calls the server makes."""
    return free_port(tcp_also=1)


@pytest.fixture
def settings(settings: Settings, answering_port: int) -> Settings:
    return replace(
        settings,
        sip_trunk=("127.0.0.1", answering_port),
        media_loopback=True,
        reconnect_grace_seconds=30.0,
        ice_servers=({"urls": ["stun:stun.invalid:3478"]},),
        sip_listen=("127.0.0.1", free_port()),
        # The number parties dial: with it set, each link the booking issues comes with its PIN.
        phone_number="01012345678",
    )
