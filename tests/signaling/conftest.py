"""The ``meeting`` fixture: a session booked by mediator 刘 with an applicant and a respondent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World
from tests.signaling.live import Meeting


@pytest.fixture
async def meeting(world: World) -> AsyncIterator[Meeting]:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    links = {link["role"]: link for link in booked["links"]}
    m = Meeting(world, str(world.server.make_url("")), booked["session"]["id"], liu, links)
    yield m
    for peer in m.peers:
        if peer.sio.connected:
            await peer.sio.disconnect()
