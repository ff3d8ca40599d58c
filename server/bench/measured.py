"""Run ``python -m MODULE ARGS...`` in this process and write down its peak RSS and CPU time.

``python -m server.bench.measured REPORT.json -m MODULE [ARGS...]``: ``mediate bench long`` runs
each of its steps so. The peak is this process's ``VmHWM`` (the high-water mark of its address
space, which starts afresh at ``exec``) or that of a process it started and waited for, whichever
is larger. Only the standard library is imported here, so the figure is the step's own.
"""

from __future__ import annotations

import json
import resource
import runpy
import sys
from pathlib import Path


def measured(report: str, argv: list[str]) -> int:
    """Run ``-m MODULE ARGS...`` in this process, then write its peak RSS and CPU time to ``report``."""
    if argv[:1] != ["-m"] or len(argv) < 2:
        print("measure REPORT -m MODULE [ARGS...]", file=sys.stderr)
        return 2
    sys.argv = [argv[1], *argv[2:]]
    code: int = 0
    try:
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = max(_vm_hwm_kb(), children.ru_maxrss)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    Path(report).write_text(json.dumps({"peak_kb": peak_kb, "cpu_seconds": cpu}))
    return code


def _vm_hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


if __name__ == "__main__":
    sys.exit(measured(sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else 2)
