"""Debian's nginx running ``deploy/nginx/mediate.conf`` as shipped, on free ports of this machine.

Only what cannot be the same on a test machine is changed: the listening ports, the certificate
(a throwaway self-signed one), the ``upstream`` servers (the test's own ``mediate serve``
processes), and the paths nginx writes to. Everything else (the sticky hash, the WebSocket
upgrade, the ``/metrics`` rule, the body limits) is the file an operator copies.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser.conftest import REPO, free_port

CONF = REPO / "deploy" / "nginx" / "mediate.conf"
HOST = "tiaojie.example.cn"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    assert found, "nginx is missing: scripts/test installs Debian's nginx-light"
    return found


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Nginx:
    directory: Path
    http_port: int
    https_port: int

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def configure(directory: Path, upstreams: list[int]) -> Nginx:
    """Write a main ``nginx.conf`` in ``directory`` that includes the adapted site file."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(directory)
    nginx = Nginx(directory, free_port(), free_port())
    site = CONF.read_text(encoding="utf-8")
    site = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", site, flags=re.M)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx.http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{nginx.https_port} ssl http2;")
    site = site.replace(f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert))
    site = site.replace(f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in upstreams)
    site, count = re.subn(r"(upstream mediate \{\n(?:.*\n)*?)(?:    server .*\n|    # server .*\n)+", r"\g<1>" + servers, site)
    assert count == 1, "deploy/nginx/mediate.conf: no `server` lines in `upstream mediate`"
    for fixed in ("listen 127.0.0.1", str(cert)):
        assert fixed in site, f"deploy/nginx/mediate.conf changed shape: {fixed!r} not substituted"
    (directory / "site.conf").write_text(site, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"    {kind}_temp_path {directory / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (directory / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'} info;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log {directory / 'access.log'};\n{temp}    include {directory / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    return nginx


def check(nginx: Nginx) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(nginx.directory), "-c", str(nginx.directory / "nginx.conf")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


@contextmanager
def running(nginx: Nginx) -> Iterator[Nginx]:
    proc = subprocess.Popen(
        [nginx_binary(), "-p", str(nginx.directory), "-c", str(nginx.directory / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not (nginx.directory / "nginx.pid").exists():
            assert proc.poll() is None, (nginx.directory / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not start within 10 s"
            time.sleep(0.05)
        yield nginx
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
