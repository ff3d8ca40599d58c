"""What a benchmark prints is its figures: the migrations of its throwaway databases say nothing (#24)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from server.bench.compare import Figures, print_table
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


def test_the_janus_comparison_ends_with_both_servers_cores_per_session(capsys: pytest.CaptureFixture[str]) -> None:
    mediate = Figures("mediate", [(n, 0.05 + 0.008 * n) for n in (0, 1, 2, 4, 8)], {"video": 0.006, "audio": 0.003})
    mediate.sessions = [(1, 0.07, 1.0), (2, 0.13, 0.99), (4, 0.30, 0.80)]
    janus = Figures("janus", [(n, 0.01 + 0.004 * n) for n in (0, 1, 2, 4, 8)], {"video": 0.003, "audio": 0.001})
    janus.sessions = [(1, 0.035, 1.0), (2, 0.064, 1.0), (4, 0.124, 1.0)]
    janus.others = 0.9
    print_table(mediate, janus)
    lines = capsys.readouterr().out.splitlines()
    # Read at the most sessions both delivered (2: mediate lost frames at 4): 0.13 / 2 and 0.064 / 2.
    assert lines[-1] == "cores per 3-person session: mediate 0.065, janus 0.032"
    assert "per extra subscriber (audio + video, slope 1-8)" in lines[1] and lines[1].split()[-1] == "2.0x"
    assert "the figures are noisy" in lines[-2]
