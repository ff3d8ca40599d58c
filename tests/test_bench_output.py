"""What a benchmark prints is its figures: the migrations of its throwaway databases say nothing (#24)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.test_cli import mediate


def test_the_ledger_benchmark_prints_its_table_and_no_migration_log(tmp_path: Path) -> None:
    out = mediate("bench", "ledger", "--records", "20", data_dir=tmp_path)
    printed = out.stdout + out.stderr
    assert "alembic" not in printed and "Running upgrade" not in printed, printed[:2000]
    assert "SQLite, request path" in out.stdout and "SQLite, grouped" in out.stdout and "appends/s" in out.stdout


def test_the_long_session_benchmark_exports_a_bundle_that_verifies_and_ends_with_its_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "bench", "long", "--minutes", "0.5", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    printed = out.stdout + out.stderr
    assert out.returncode == 0, printed[-3000:]  # every step ran, and `mediate verify` found the bundle sound
    assert "alembic" not in printed and "Running upgrade" not in printed, printed[:2000]
    for step in ("remux", "export", "verify", "compose"):
        assert re.search(rf"^  {step}: [0-9.]+ s, peak RSS [0-9]+ MB, .*; ok: ", out.stdout, re.M), out.stdout
    assert re.search(r"^long session: verify [0-9]+\.[0-9] s, peak RSS [0-9]+ MB$", out.stdout, re.M), out.stdout
