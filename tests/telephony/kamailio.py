"""A real SIP registrar for the telephony tests: Debian's Kamailio, on loopback, asking for a password.

Its configuration (written per test) answers a REGISTER without credentials with a digest challenge
(auth module, ``pv_auth_check`` against one fixed password), keeps the binding in memory (usrloc,
registrar), and refuses everything else with 404: a carrier's registrar as far as our trunk
registration goes.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
INSTALL = "Debian's kamailio is missing: run the README's test command, `bash scripts/test`, which installs it."

CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:127.0.0.1:{port}
mpath="{modules}/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
request_route {{
    if ($rm == "REGISTER") {{
        if (!pv_auth_check("$fd", "{password}", "0", "0")) {{
            auth_challenge("$fd", "0");
            exit;
        }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    sl_send_reply("404", "Not here");
}}
"""


@contextlib.contextmanager
def registrar(workdir: Path, port: int, password: str, within: float = 30.0) -> Iterator[Path]:
    """Kamailio registering on 127.0.0.1:``port`` with ``password``; yields its log (which shows each REGISTER)."""
    binary = shutil.which("kamailio")
    if binary is None or not MODULES.is_dir():
        raise AssertionError(INSTALL)
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "kamailio.cfg"
    config.write_text(CONFIG.format(port=port, modules=MODULES, password=password))
    log = workdir / "kamailio.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-f", str(config), "-DD", "-E", "-Y", str(workdir), "-P", str(workdir / "kamailio.pid")],
            stdout=out,
            stderr=out,
        )
    try:
        # It binds its socket before it forks its workers: once it says so, a REGISTER waits in the socket for them.
        deadline = time.monotonic() + within
        while b"Listening on" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"kamailio did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        yield log
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
