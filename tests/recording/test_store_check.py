"""A recordings bucket that cannot be used is reported when the server starts, not when a mediator
presses record: in the log, in /readyz (the process still takes sessions) and in /metrics.

The object store is moto's S3-compatible server on this machine; the bucket named in the
settings does not exist at first, as after a typo in ``MEDIATE_S3_BUCKET``.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.settings import Settings
from tests.conftest import World
from tests.ops.test_readiness_and_metrics import value
from tests.recording.s3 import ACCESS_KEY, REGION, SECRET_KEY, Place, s3_endpoint, s3_place  # noqa: F401 - fixtures


@pytest.fixture
def settings(settings: Settings, s3_place: Place) -> Settings:  # noqa: F811
    env = Settings.from_env(
        {
            "MEDIATE_S3_BUCKET": s3_place.bucket + "-typo",
            "MEDIATE_S3_ENDPOINT_URL": s3_place.endpoint,
            "MEDIATE_S3_REGION": REGION,
            "MEDIATE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MEDIATE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }
    )
    return replace(settings, **{f.name: getattr(env, f.name) for f in fields(Settings) if f.name.startswith("s3_")})


async def scrape_store_up(world: World) -> float:
    actor = await world.actor()
    response = await actor.request("GET", "/metrics")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {
        (sample.name, ()): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
        if not sample.labels
    }
    return value(samples, "mediate_recordings_store_up")


async def test_a_missing_bucket_is_reported_at_start_and_cleared_once_it_exists(
    world: World,
    s3_place: Place,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = world.services
    missing = s3_place.bucket + "-typo"
    problem = services.recordings.store_problem
    assert problem is not None and missing in problem and "404" in problem, problem

    actor = await world.actor()
    response = await actor.request("GET", "/readyz")
    body = await response.json()
    assert response.status == 200 and body["status"] == "ready", body  # live sessions still work
    assert missing in body["recordings"], body
    assert await scrape_store_up(world) == 0

    # The operator creates the bucket; the next check (every minute) finds it.
    async with s3_place.client() as s3:
        await s3.create_bucket(Bucket=missing)
    with caplog.at_level(logging.INFO, logger="server.domain.recordings"):
        assert await services.recordings.check_store() is None
    assert "recordings can be stored again" in caplog.text
    response = await actor.request("GET", "/readyz")
    assert (response.status, await response.json()) == (200, {"status": "ready"})
    assert await scrape_store_up(world) == 1
