"""The layers of the house, as written in pyproject.toml's ``[tool.importlinter]`` (issue #20).

Imports point one way: the domain knows no web, Socket.IO or WebRTC library and neither the
HTTP layer nor the live session; the evidence formats know no database; recordings/ is a leaf;
the live session does not reach into the HTTP layer; no package's modules import each other in
a circle. A change that breaks one of these fails here, with import-linter's account of which
import does it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout, run.stdout


#: Issue #20: a module that grows past this does more than one job; split it into a small package
#: named after what it holds (as server/domain/online_applications/ and server/evidence/verify/).
MAX_MODULE_LINES = 600


def test_no_python_module_is_over_600_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("server", "signaling", "recordings")
        for path in (ROOT / package).rglob("*.py")
    }
    assert len(sizes) > 100, "the packages were not found"
    over = {path: lines for path, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert over == {}, f"over {MAX_MODULE_LINES} lines (split each by what it holds): {over}"
