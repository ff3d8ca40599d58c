"""What a benchmark prints is its figures: the migrations of its throwaway databases say nothing (#24)."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import mediate


def test_the_ledger_benchmark_prints_its_table_and_no_migration_log(tmp_path: Path) -> None:
    out = mediate("bench", "ledger", "--records", "20", data_dir=tmp_path)
    printed = out.stdout + out.stderr
    assert "alembic" not in printed and "Running upgrade" not in printed, printed[:2000]
    assert "SQLite, request path" in out.stdout and "SQLite, grouped" in out.stdout and "appends/s" in out.stdout
