"""Links that work outside this machine: the address parties get, and the evidence log's name.

`mediate serve` runs as a subprocess, as an operator starts it. Listening beyond loopback with no
MEDIATE_PUBLIC_URL it warns (links would open only on the server itself); serving TLS itself it
builds https links; and the evidence log is never named after a loopback address.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.app import create_app
from server.services import SERVICES
from server.settings import Settings
from tests.browser.conftest import free_port, session_day
from tests.conftest import PASSWORD, Actor, World
from tests.static_cache import share_static_cache

REPO = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def mediate(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env or clean_env(),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def serving(
    data_dir: Path, port: int, *args: str, env: dict[str, str] | None = None, trust: ssl.SSLContext | None = None
) -> Iterator[list[str]]:
    """`mediate serve` on ``port`` until it answers /healthz; yields what it printed by then.

    Everything it says at start (the address, warnings) is printed before it listens.
    """
    share_static_cache(data_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--data-dir", str(data_dir), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env=env or clean_env(),
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    url = f"{'https' if trust else 'http'}://localhost:{port}/healthz"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "".join(lines)
            try:
                with urllib.request.urlopen(url, timeout=2, context=trust) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer at {url}:\n{''.join(lines)}"
            time.sleep(0.2)
        yield lines
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)


def keyring(data_dir: Path) -> dict[str, object]:
    return dict(json.loads((data_dir / "keys" / "keyring.json").read_text()))


def test_serving_every_address_without_a_public_url_says_links_will_not_open_elsewhere(tmp_path: Path) -> None:
    port = free_port()
    with serving(tmp_path, port, "--host", "0.0.0.0") as lines:
        output = "".join(lines)
    assert "MEDIATE_PUBLIC_URL" in output, output
    assert f"http://localhost:{port}" in output and "only on this machine" in output, output
    assert "只能在本机打开" in output, output
    # The evidence log is not named after localhost: it has a provisional, unique name.
    ring = keyring(tmp_path)
    assert ring["provisional"] is True
    assert str(ring["origin"]).endswith(".invalid/log") and "localhost" not in str(ring["origin"])


def test_serving_loopback_only_or_with_a_public_url_gives_no_warning(tmp_path: Path) -> None:
    with serving(tmp_path / "a", free_port()) as lines:
        assert "MEDIATE_PUBLIC_URL" not in "".join(lines) and "running at http://localhost:" in "".join(lines)
    env = clean_env(MEDIATE_PUBLIC_URL="https://tiaojie.example.cn")
    with serving(tmp_path / "b", free_port(), "--host", "0.0.0.0", env=env) as lines:
        output = "".join(lines)
    assert "MEDIATE_PUBLIC_URL" not in output and "https://tiaojie.example.cn/" in output, output
    assert keyring(tmp_path / "b")["origin"] == "tiaojie.example.cn/log"
    assert keyring(tmp_path / "b")["provisional"] is False


def test_a_provisional_log_name_takes_the_public_address_at_the_next_start_while_nothing_is_logged(tmp_path: Path) -> None:
    with serving(tmp_path, free_port()):
        pass
    assert keyring(tmp_path)["provisional"] is True
    env = clean_env(MEDIATE_PUBLIC_URL="https://tiaojie.example.cn:8443")
    with serving(tmp_path, free_port(), env=env) as lines:
        assert "now named tiaojie.example.cn:8443/log" in "".join(lines)
    assert keyring(tmp_path)["origin"] == "tiaojie.example.cn:8443/log"


async def test_a_log_with_records_keeps_its_name(world: World) -> None:
    ledger = world.services.ledger
    ledger.keyring.provisional = True  # as if made before the public address was known
    mediator = await world.staff("liu")
    case = await mediator.call(
        "POST",
        "/api/v1/cases",
        {
            "case_number": "（2026）京朝调字第77号",
            "dispute_type": "contract",
            "source": "party_application",
            "summary": "借款未还",
        },
        expect=201,
    )
    await mediator.call(
        "POST", f"/api/v1/cases/{case['id']}/parties", {"role": "applicant", "name": "王芳", "phone": "13900001111"}, expect=201
    )
    checkpoint = await ledger.settle()
    assert checkpoint is not None and checkpoint.size > 0, "opening the case was logged"
    before = ledger.origin
    assert await ledger.adopt_origin("tiaojie.example.cn/log") is False
    assert ledger.origin == before and ledger.keyring.provisional


def self_signed(tmp_path: Path) -> tuple[Path, Path, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    trust = ssl.create_default_context(cafile=str(cert_path))
    return cert_path, key_path, trust


async def test_serving_tls_itself_gives_parties_https_links(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    org = mediate("org", "add", "--name", "朝阳区人民调解委员会", "--kind", "committee", data_dir=data_dir).split()[-1]
    mediate(
        "user", "add", "--username", "liu", "--password", PASSWORD, "--role", "mediator", "--display-name", "刘调解员", "--org", org,
        data_dir=data_dir,
    )  # fmt: skip
    cert, key, trust = self_signed(tmp_path)
    port = free_port()
    with serving(data_dir, port, "--cert", str(cert), "--key", str(key), trust=trust) as lines:
        assert f"https://localhost:{port}/" in "".join(lines)
        base = f"https://localhost:{port}/api/v1"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust)) as http:
            async with http.post(f"{base}/auth/login", json={"username": "liu", "password": PASSWORD}) as res:
                assert res.status == 200, await res.text()
                headers = {"X-CSRF-Token": (await res.json())["csrf_token"]}
                assert "secure" in res.headers["Set-Cookie"].lower(), "a login cookie served over TLS is Secure"

            async def post(path: str, body: dict[str, object]) -> dict[str, object]:
                async with http.post(f"{base}{path}", json=body, headers=headers) as res:
                    assert res.status == 201, await res.text()
                    return dict(await res.json())

            case = await post(
                "/cases",
                {
                    "case_number": "（2026）京朝调字第88号",
                    "dispute_type": "contract",
                    "source": "party_application",
                    "summary": "借款未还",
                },
            )
            await post(f"/cases/{case['id']}/parties", {"role": "applicant", "name": "王芳", "phone": "13900001111"})
            starts = f"{session_day(later=7).isoformat()}T10:00:00+08:00"
            booked = await post(
                f"/cases/{case['id']}/sessions", {"starts_at": starts, "duration_minutes": 60, "timezone": "Asia/Shanghai"}
            )
    links = booked["links"]
    assert isinstance(links, list) and links
    for link in links:
        assert re.match(rf"https://localhost:{port}/j/\S+$", link["url"]), link


@pytest.mark.parametrize("public_url", [None, "https://tiaojie.example.cn"])
async def test_the_admin_page_shows_the_address_parties_get(
    public_url: str | None, tmp_path: Path, database_url: str, aiohttp_client: Any
) -> None:
    """GET /server/address, which the admin page shows (with a warning for a loopback one)."""
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, public_url=public_url, port=8080)
    app = create_app(settings, run_background=False)
    client = await aiohttp_client(app)
    password = await app[SERVICES].accounts.ensure_first_admin()
    admin = await Actor(client).login("admin", password or "")
    body = await admin.call("GET", "/api/v1/server/address")
    if public_url is None:
        assert body["public_url"] == "http://localhost:8080" and body["loopback"] is True and body["configured"] is False
        assert body["log_origin_provisional"] is True and "localhost" not in body["log_origin"]
    else:
        assert body == {
            "public_url": public_url,
            "configured": True,
            "loopback": False,
            "log_origin": "tiaojie.example.cn/log",
            "log_origin_provisional": False,
        }
