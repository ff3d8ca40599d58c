"""`mediate bench stats` runs end to end on a tiny generated database and prints every timing it promises
(the figures themselves depend on the machine and are not asserted; see server/bench/stats.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import PG_URL

#: Every read the benchmark times, as its table names them.
READS = (
    "ledger, first page, a committee",
    "ledger, first page, the whole tree",
    "ledger, filtered (type+stage+party), tree",
    "ledger, deep keyset page (middle), tree",
    "statistics, {year}, a county subtree",
    "statistics, {year}, the whole tree",
    "monthly snapshot, ",
    "deputies' report",
)


def test_the_benchmark_generates_a_database_and_prints_every_timing_on_each_database() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIATE_")}
    args = [sys.executable, "-m", "server.cli", "bench", "stats", "--cases", "300", "--organisations", "12", "--years", "1"]
    if PG_URL:
        args += ["--postgres", PG_URL]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "alembic" not in out + done.stderr, "the throwaway databases' migrations are not logged"
    databases = ["SQLite"] + (["PostgreSQL"] if PG_URL else [])
    tables = re.split(r"\n(?=SQLite:|PostgreSQL:)", out)[1:]
    assert [t.split(":")[0] for t in tables] == databases
    for table in tables:
        # The generation's time and rows: 300 cases in 12 organisations, with what facts.py reads.
        generated = re.match(r"\w+: generated in [\d.]+ s \(12 organisations, \d+ users, 300 cases, (\d[\d,]*) parties", table)
        assert generated and int(generated[1].replace(",", "")) >= 600, table
        year = re.search(r"statistics, (\d{4}), a county subtree", table)
        assert year, table
        lines = table.splitlines()
        for read in READS:
            [line] = [line for line in lines if line.startswith(read.format(year=year[1]))]
            # median and best milliseconds, the target, and what the read found
            assert re.search(r"\s[\d.]+\s+[\d.]+\s+(300|2000)\s+\d", line), line
