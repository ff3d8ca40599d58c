"""Recorded sessions run real aiortc peers on loopback against the real app (SQLite, like the media tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from server.settings import Settings
from tests.conftest import sqlite_copy
from tests.recording.session import Recorded
from tests.signaling.conftest import meeting  # noqa: F401 - the booked session fixture
from tests.signaling.live import Meeting


@pytest.fixture
def database_url(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    return sqlite_copy(tmp_path_factory, sqlite_template)


@pytest.fixture
def segment_seconds() -> float:
    """The product's segment length; a test that must see what a stop keeps makes it longer than itself."""
    return Settings.segment_seconds


@pytest.fixture
def settings(settings: Settings, segment_seconds: float) -> Settings:
    return replace(settings, media_loopback=True, reconnect_grace_seconds=2.0, segment_seconds=segment_seconds)


@pytest.fixture
async def recorded(meeting: Meeting) -> AsyncIterator[Recorded]:  # noqa: F811
    session = Recorded(meeting)
    yield session
    await session.close()
