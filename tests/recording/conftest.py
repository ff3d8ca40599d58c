"""Recorded sessions run real aiortc peers on loopback against the real app (SQLite, like the media tests)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from server.settings import Settings
from tests.recording.session import Recorded
from tests.signaling.conftest import meeting  # noqa: F401 - the booked session fixture
from tests.signaling.live import Meeting


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: str) -> Iterator[str]:
    target = tmp_path / "mediate.sqlite3"
    shutil.copy(sqlite_template, target)
    yield f"sqlite+aiosqlite:///{target}"


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
