"""Recording to an S3-compatible object store, watching, exporting a bundle and one video from it (issue #8).

The session is real, as in ``test_recording``: the mediator and two parties are aiortc peers on
loopback, through the real app. Only the settings differ: ``MEDIATE_S3_*`` point at moto's
S3-compatible server on this machine, and the tests look into the bucket with a client of their
own (``tests.recording.s3``).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path

import pytest

from recordings import crypto
from recordings.s3 import S3Storage
from recordings.storage import derived_name
from server.domain.exports import GRID, KIND, REVIEW_HEIGHT, REVIEW_WIDTH
from server.domain.review import derived
from server.evidence.verify import render, verify_bundle
from server.models import DEFAULT_RETENTION_DAYS, utcnow
from server.settings import Settings
from tests.recording.s3 import ACCESS_KEY, REGION, SECRET_KEY, Place, s3_endpoint, s3_place  # noqa: F401 - fixtures
from tests.recording.session import Recorded, decode, export, recordings_of, segments_of
from tests.recording.test_export_video import mp4_facts, poll

PREFIX = "mediate-e2e/"


@pytest.fixture
def settings(settings: Settings, s3_place: Place) -> Settings:  # noqa: F811
    """The suite's settings with the object store's, read from the environment as a deployment's would be."""
    env = Settings.from_env(
        {
            "MEDIATE_S3_BUCKET": s3_place.bucket,
            "MEDIATE_S3_ENDPOINT_URL": s3_place.endpoint,
            "MEDIATE_S3_REGION": REGION,
            "MEDIATE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MEDIATE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "MEDIATE_S3_PREFIX": PREFIX.rstrip("/"),
        }
    )
    return replace(settings, **{f.name: getattr(env, f.name) for f in fields(Settings) if f.name.startswith("s3_")})


def on_disk(settings: Settings) -> list[Path]:
    """Anything of a recording in the data directory: segments, derived files, half-written files."""
    return [p for p in settings.data_dir.rglob("*") if p.suffix in (".seg", ".sealed", ".partial")]


async def test_a_session_recorded_to_an_object_store_is_watched_and_exported_from_it(
    recorded: Recorded,
    s3_place: Place,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small chunks, so that the ranges below cross the sealed file's chunk boundaries.
    monkeypatch.setattr(derived, "CHUNK", 1024)
    monkeypatch.setattr(derived, "SEALED_CHUNK", derived.NONCE_BYTES + 1024 + derived.TAG_BYTES)
    s = await recorded.assemble()
    m, liu, services = s.meeting, s.meeting.liu, s.meeting.world.services
    assert isinstance(services.recordings.storage, S3Storage)
    for who in ("applicant", "respondent"):
        assert (await s.people[who].consent())["ok"]
    await asyncio.sleep(1.0)
    assert (await s.host.call("record_start", {}))["ok"]
    await asyncio.sleep(6.0)
    assert (await s.host.call("record_stop", {}))["ok"]

    [recording] = await recordings_of(m)
    assert recording.status == "stopped" and recording.end_reason == "stopped_by_mediator"
    segments = await segments_of(m, recording.id)
    everyone = {s.id("host"), s.id("applicant"), s.id("respondent")}
    assert {seg.participant_id for seg in segments} == everyone and len(segments) >= 2 * len(everyone)

    # Every segment is an object in the bucket under the prefix, beside each participant's file to
    # watch (made in the background right after the stop), and nothing is on the local disk.
    to_watch = {PREFIX + derived_name(recording.id, pid) for pid in everyone}
    for _ in range(300):
        if to_watch <= set(await s3_place.keys()):
            break
        await asyncio.sleep(0.1)
    assert await s3_place.keys() == sorted([PREFIX + seg.name for seg in segments] + list(to_watch))
    assert not services.settings.resolved_recordings_dir.exists() and on_disk(services.settings) == []
    # Sealed at rest; opened with the recording's key, each hashes to what the database holds.
    key = services.recordings.master.unwrap(recording.wrapped_key)
    stored = {}
    for seg in segments:
        sealed = await s3_place.read(PREFIX + seg.name)
        stored[seg.index] = crypto.open_sealed(key, recording.id, seg.index, sealed)
        assert stored[seg.index][:64] not in sealed
        assert hashlib.sha256(stored[seg.index]).hexdigest() == seg.sha256

    # The evidence bundle, exported from the bucket: its signed manifests name exactly these
    # hashes, it carries exactly these segments, and it verifies offline.
    bundle = await export(m)
    report = verify_bundle(io.BytesIO(bundle))
    assert report.ok, render(report, "en")
    [coverage] = report.recordings
    assert coverage["status"] == "complete" and set(coverage["participants"]) == everyone
    manifested: dict[int, str] = {}
    bundled: dict[int, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        for name in zf.namelist():
            if name.startswith("records/"):
                claim = json.loads(zf.read(name))["claim"]
                if claim["type"] == "segment_manifest" and claim["public"]["recording"] == recording.id:
                    manifested.update({entry["i"]: entry["sha256"] for entry in claim["public"]["segments"]})
            elif name.startswith(f"recordings/{recording.id}/") and name.endswith(".webm"):
                bundled[int(Path(name).stem)] = zf.read(name)
    assert manifested == {index: hashlib.sha256(data).hexdigest() for index, data in stored.items()}
    assert bundled == stored

    # Watching a participant: their file is made from the bucket's segments, kept in the bucket
    # beside them, and played by byte range from there.
    listing = await liu.call("GET", f"/api/v1/sessions/{m.session_id}/recordings")
    people = {p["id"]: p for p in listing["items"][0]["participants"]}
    url = people[s.id("applicant")]["video_url"]
    response = await liu.request("GET", url)
    assert response.status == 200, await response.text()
    whole = await response.read()
    assert len(whole) > 3 * 1024 and response.headers["ETag"] == f'"{hashlib.sha256(whole).hexdigest()}"'
    for asked, (start, end) in {
        "bytes=100-2500": (100, 2501),
        "bytes=1024-2047": (1024, 2048),
        "bytes=-700": (len(whole) - 700, len(whole)),
    }.items():
        response = await liu.request("GET", url, headers={"Range": asked})
        assert response.status == 206, asked
        assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/{len(whole)}"
        assert await response.read() == whole[start:end], asked
    got = decode(whole)
    assert got["video"] and got["audio"]
    remuxed = PREFIX + derived_name(recording.id, s.id("applicant"))
    assert remuxed in await s3_place.keys()
    assert whole[:1024] not in await s3_place.read(remuxed)
    assert on_disk(services.settings) == []

    # Exported as one video: composed from the participants' files in the bucket, the MP4 sealed
    # into the bucket beside them (nothing on the local disk), and downloaded whole.
    video = f"/api/v1/recordings/{recording.id}/export"
    await liu.call("POST", video, expect=202)
    done = (await poll(liu, video, ("done", "failed", "cancelled")))[-1]
    assert done["state"] == "done", done
    response = await liu.request("GET", video + "/file")
    assert response.status == 200, await response.text()
    mp4 = await response.read()
    assert (done["file"]["sha256"], done["file"]["bytes"]) == (hashlib.sha256(mp4).hexdigest(), len(mp4))
    facts = mp4_facts(mp4)
    assert facts["kinds"] == ["audio", "video"] and facts["size"] == (REVIEW_WIDTH, REVIEW_HEIGHT)
    duration = listing["items"][0]["duration"]
    # Never longer than the recording (shorter by the last packets' lag on a loaded machine: test_export_video).
    assert facts["video_end"] < duration + 0.3, (facts["video_end"], duration)
    grid = PREFIX + derived_name(recording.id, GRID, KIND)
    assert grid in await s3_place.keys() and mp4[:4096] not in await s3_place.read(grid)
    assert on_disk(services.settings) == []

    # Retention deletes every object of the recording; the bundle still verifies from the hashes.
    [purged] = await services.recordings.purge(utcnow() + timedelta(days=DEFAULT_RETENTION_DAYS + 1))
    assert purged.deleted and purged.recording_id == recording.id
    assert await s3_place.keys() == []
    after = verify_bundle(io.BytesIO(await export(m)))
    assert after.ok and [r["status"] for r in after.recordings] == ["deleted"], render(after, "en")
