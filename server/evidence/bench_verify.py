"""How long `verify_bundle` takes for a large case (target: under 2 s for 1,000 records).

Run ``python -m server.evidence.bench_verify [RECORDS]``. The case is built with
`server.evidence.sample` (device-key-signed agreement versions between the usual opening
records, other cases' entries interleaved in the log), exported to a temporary file and
verified with the log key pinned, as a court would.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from server.evidence.sample import Platform, export, filler, open_case
from server.evidence.verify import verify_bundle


def run(records: int = 1000, seed: int = 1) -> dict[str, float]:
    """Build a case of `records` records (export record included) and time its verification."""
    platform = Platform(seed=seed)
    case, people = open_case(platform)
    filler(case, people, max(0, records - len(case.records) - 1))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.zip"
        start = time.perf_counter()
        export(case, path, exporter=people.mediator)
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        report = verify_bundle(path, trusted_log_keys=[platform.vkey()])
        verify_s = time.perf_counter() - start
        if not report.ok:
            raise AssertionError(f"the benchmark bundle does not verify: {[f.code for f in report.problems]}")
        return {
            "records": float(len(report.records)),
            "log_size": float(platform.tree.size),
            "bundle_bytes": float(path.stat().st_size),
            "export_s": build_s,
            "verify_s": verify_s,
            "verify_ms_per_record": verify_s / len(report.records) * 1e3,
        }


if __name__ == "__main__":
    for name, value in run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000).items():
        print(f"{name:>22}: {value:,.4f}")
