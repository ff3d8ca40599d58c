"""A full disk is seen: writes answer 507 with a reason the pages show, /readyz and /metrics say
which directory is full, and everything works again once space is freed, without a restart.

A real full disk, not a simulated one: the data directory (and the SQLite database in it) is on a
16 MiB tmpfs that the test fills with a file until the kernel answers ENOSPC. Mounting needs root
(CAP_SYS_ADMIN); elsewhere the test is skipped and says so. RLIMIT_FSIZE would be the unprivileged
alternative, but it gives EFBIG and a SIGXFSZ, not the ENOSPC a full disk gives.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.domain.principal import SYSTEM
from server.ops.storage import is_storage_full
from server.services import SERVICES
from server.settings import Settings
from signaling.messages import ack_error
from tests.browser.conftest import REPO
from tests.conftest import CHEAP_PASSWORD_HASH, PASSWORD

CASE = {"dispute_type": "wages", "source": "party_application", "summary": "拖欠工资"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MiB tmpfs, so the kernel itself answers ENOSPC. Mounting needs root (through sudo
    otherwise, as scripts/test installs packages); a machine that cannot mount fails this test
    rather than skipping it, since a skip would check nothing."""
    mount = tmp_path / "disk"
    mount.mkdir()
    root = [] if os.geteuid() == 0 else ["sudo", "-n"]
    command = [*root, "mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)]
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True)
    except FileNotFoundError as exc:
        pytest.fail(f"cannot make a small tmpfs to fill: {exc}")
    if done.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs to fill (needs root or sudo): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run([*root, "umount", "-l", str(mount)], check=False)


def fill(path: Path) -> OSError:
    """Write ``path`` until the disk is full; the kernel's own ENOSPC.

    Unbuffered: a buffered file would keep the tail of the write that failed and fail again when
    closed, outside this loop (whether it does depends on how much room the data left)."""
    with path.open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * (256 * 1024))
                filler.flush()
        except OSError as exc:
            return exc
    raise AssertionError("unreachable")


async def metrics(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = await (await client.get("/metrics")).text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


async def test_a_full_disk_answers_507_fails_readiness_and_recovers_when_space_is_freed(
    small_disk: Path, sqlite_template: Path, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    data = small_disk / "data"
    data.mkdir()
    shutil.copy(sqlite_template, data / "mediate.sqlite3")
    settings = Settings(data_dir=data, public_url="http://mediate.test", min_free_disk_mb=1, password_hash=CHEAP_PASSWORD_HASH)
    app = create_app(settings, migrate=False, run_background=False)
    client = await aiohttp_client(await aiohttp_server(app))
    accounts = app[SERVICES].accounts
    org = await accounts.create_organisation(SYSTEM, "朝阳区人民调解委员会", "committee")
    await accounts.create_user(
        SYSTEM, username="liu", display_name="刘调解员", password=PASSWORD, role="mediator", organisation_id=org.id
    )
    login = await (await client.post("/api/v1/auth/login", json={"username": "liu", "password": PASSWORD})).json()
    headers = {"X-CSRF-Token": login["csrf_token"]}
    assert (await client.post("/api/v1/cases", json={"case_number": "R-1", **CASE}, headers=headers)).status == 201
    assert (await client.get("/readyz")).status == 200

    refused = fill(small_disk / "filler")
    assert refused.errno == errno.ENOSPC and is_storage_full(refused)
    # The Socket.IO edge's one error helper says the same in its error ack.
    assert ack_error(refused)["error"] | {"message": ""} == {
        "code": "insufficient_storage",
        "reason": "storage_full",
        "message": "",
    }

    # A write: 507 with a reason the pages say in Chinese and English, not a 500 internal_error.
    full = await client.post("/api/v1/cases", json={"case_number": "R-2", **CASE}, headers=headers)
    error = (await full.json())["error"]
    assert full.status == 507, error
    assert (error["code"], error["reason"]) == ("insufficient_storage", "storage_full")
    pages = (REPO / "web" / "js" / "errors-i18n.js").read_text(encoding="utf-8")
    assert "'err.storage_full': '服务器存储空间已满" in pages and "'err.storage_full': 'The server’s storage is full" in pages
    # Readiness names the directory and why; liveness stays green (a restart frees no space).
    ready = await client.get("/readyz")
    body = await ready.json()
    assert ready.status == 503 and body["status"] == "unavailable", body
    assert any(f"data directory {data}" in problem and "MB free" in problem for problem in body["storage"]), body
    assert (await client.get("/healthz")).status == 200
    samples = await metrics(client)
    assert samples[("mediate_storage_full", ())] == 1
    assert samples[("mediate_disk_free_bytes", (("dir", "data"),))] < 1024 * 1024
    assert samples[("mediate_errors_total", (("kind", "insufficient_storage"), ("where", "http")))] >= 1

    # Space freed: the same write succeeds and readiness is green again, with no restart.
    (small_disk / "filler").unlink()
    again = await client.post("/api/v1/cases", json={"case_number": "R-2", **CASE}, headers=headers)
    assert again.status == 201, await again.text()
    ready = await client.get("/readyz")
    assert (ready.status, await ready.json()) == (200, {"status": "ready"})
    assert (await metrics(client))[("mediate_storage_full", ())] == 0
