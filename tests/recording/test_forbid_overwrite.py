"""Segments are never overwritten, on stores that ignore ``If-None-Match`` too (issue #19, item 9).

Alibaba OSS and Tencent COS document their own header for "refuse if the key exists"
(``x-oss-forbid-overwrite``, ``x-cos-forbid-overwrite``). The stand-in here
(``tests/recording/s3.py`` ForbidOverwriteOnly) behaves as they document: it drops
``If-None-Match`` and refuses a second write only when its header says so. A store that lets a
segment be replaced is reported at start, in /readyz and in /metrics.
"""

from __future__ import annotations

import asyncio
from dataclasses import fields, replace

import pytest

from recordings.s3 import Bucket, S3Config
from recordings.storage import StorageError
from server.settings import Settings
from tests.conftest import World
from tests.recording.s3 import (  # noqa: F401 - fixtures
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    Place,
    forbid_overwrite_endpoint,
    s3_endpoint,
    s3_place,
)
from tests.recording.test_store_check import scrape_store_up


def vendor_bucket(place: Place, endpoint: str, kind: str) -> Bucket:
    return Bucket(S3Config(place.bucket, endpoint, REGION, ACCESS_KEY, SECRET_KEY, kind=kind))


@pytest.mark.parametrize("kind", ["oss", "cos"])
async def test_a_segment_written_twice_to_oss_or_cos_keeps_the_first(
    kind: str,
    s3_place: Place,  # noqa: F811
    forbid_overwrite_endpoint: str,  # noqa: F811
) -> None:
    bucket = vendor_bucket(s3_place, forbid_overwrite_endpoint, kind)
    try:
        await asyncio.to_thread(bucket.put, "r1/0.seg", b"sealed segment", once=True)
        with pytest.raises(StorageError, match="exists already"):
            await asyncio.to_thread(bucket.put, "r1/0.seg", b"a forgery", once=True)
        assert await s3_place.read("r1/0.seg") == b"sealed segment"
        await asyncio.to_thread(bucket.check)  # the start-up check agrees
        assert bucket.refuses_overwrite and await s3_place.keys("store-check/") == []
    finally:
        await asyncio.to_thread(bucket.close)


def test_the_kind_of_store_is_taken_from_its_documented_host_names_or_said() -> None:
    def kind(env: dict[str, str]) -> str:
        return Settings.from_env({"MEDIATE_S3_BUCKET": "recordings", **env}).s3_kind

    assert kind({"MEDIATE_S3_ENDPOINT_URL": "https://oss-cn-hangzhou.aliyuncs.com"}) == "oss"
    assert kind({"MEDIATE_S3_ENDPOINT_URL": "https://cos.ap-guangzhou.myqcloud.com"}) == "cos"
    assert kind({"MEDIATE_S3_ENDPOINT_URL": "https://minio.example.cn:9000"}) == "s3"
    assert kind({"MEDIATE_S3_ENDPOINT_URL": "https://files.example.cn", "MEDIATE_S3_KIND": "OSS"}) == "oss"
    assert kind({}) == "s3"
    with pytest.raises(ValueError, match="MEDIATE_S3_KIND"):
        kind({"MEDIATE_S3_KIND": "gcs"})


@pytest.fixture
def settings(settings: Settings, s3_place: Place, forbid_overwrite_endpoint: str) -> Settings:  # noqa: F811
    """A deployment on an OSS-like store whose kind was not said (a custom domain): sent as plain S3."""
    env = Settings.from_env(
        {
            "MEDIATE_S3_BUCKET": s3_place.bucket,
            "MEDIATE_S3_ENDPOINT_URL": forbid_overwrite_endpoint,
            "MEDIATE_S3_REGION": REGION,
            "MEDIATE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MEDIATE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }
    )
    return replace(settings, **{f.name: getattr(env, f.name) for f in fields(Settings) if f.name.startswith("s3_")})


async def test_a_store_that_lets_a_segment_be_replaced_is_reported_at_start(world: World) -> None:
    problem = world.services.recordings.store_problem
    assert problem is not None and "overwrote" in problem and "MEDIATE_S3_KIND" in problem, problem
    actor = await world.actor()
    response = await actor.request("GET", "/readyz")
    body = await response.json()
    assert response.status == 200 and "overwrote" in body["recordings"], body
    assert await scrape_store_up(world) == 0
