"""Telephony tests: the app answers SIP on a free loopback port; callers are Debian's baresip (tests/telephony/baresip.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from server.settings import Settings
from tests.conftest import sqlite_copy
from tests.signaling.conftest import meeting  # noqa: F401 - the booked session callers join
from tests.telephony.baresip import free_port


@pytest.fixture
def database_url(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    """Calls touch the database to find a PIN's party and to seat them: SQLite is enough here."""
    return sqlite_copy(tmp_path_factory, sqlite_template)


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
