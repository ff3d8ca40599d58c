"""The static checks are part of the suite: lint, format and strict typing, each failing on any finding.

They run as tests, not as steps in scripts/test, so that one run of the README's test command shows every
finding of every tool at once (each tool is its own test, and one failing does not hide the others),
named in pytest's summary beside the other failures, with the tool's own output as the message; and so
that `bash scripts/test tests/api/test_booking.py` while working does not wait for mypy. The tools come
from the test extras (pyproject.toml) and run from this virtual environment, with the configuration in
pyproject.toml (`[tool.ruff]`, `[tool.mypy]`: strict).

The pages' ES modules are checked by TypeScript's `tsc --noEmit` (web/package.json's dev dependency,
installed by scripts/test's `npm ci` in web/) with web/jsconfig.json: their JSDoc types, strictly, null
included. tsc checks a module that starts with `// @ts-check`, so every module the configuration names
must start with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The Python packages of the project and their tests; web/ is checked by tsc, the layers by import-linter.
SOURCES = ["server", "signaling", "recordings", "tests"]
WEB = ROOT / "web"
TSC = WEB / "node_modules" / ".bin" / "tsc"
# mypy's incremental cache lives outside the checkout, so a fresh clone (CI's, a second worktree)
# reuses what an earlier run on this machine already analysed: a cold --strict run took 34 s of
# CPU here, a warm one 0.7 s. mypy checks every module's hash against the cache, so a module that
# changed, or one whose dependencies changed, is analysed again; the cache only skips unchanged work.
MYPY_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mediate" / "mypy"

# name -> (command, what to do about a finding)
CHECKS = {
    "ruff check": (["ruff", "check", "--no-fix", "--output-format=concise", "."], "fix them (`.venv/bin/ruff check --fix .`)"),
    "ruff format --check": (["ruff", "format", "--check", "--diff", "."], "run `.venv/bin/ruff format .`"),
    "mypy --strict": (
        ["mypy", "--cache-dir", str(MYPY_CACHE), *SOURCES],
        "fix the types (`.venv/bin/mypy server signaling recordings tests`)",
    ),
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_static_check_finds_nothing(name: str) -> None:
    command, remedy = CHECKS[name]
    run = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    if run.returncode != 0:
        # Only the tool's own findings: no Python traceback around them.
        pytest.fail(f"{name} reports findings; {remedy}:\n{(run.stdout + run.stderr).strip()}", pytrace=False)


def _tsc(*args: str) -> subprocess.CompletedProcess[str]:
    if not TSC.exists():
        pytest.fail(f"{TSC.relative_to(ROOT)} is missing: run `npm ci` in web/ (scripts/test does)", pytrace=False)
    return subprocess.run(
        [str(TSC), *args, "-p", str(WEB / "jsconfig.json")], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )


def test_tsc_finds_nothing_in_the_pages_modules() -> None:
    run = _tsc("--noEmit", "--pretty", "false")
    if run.returncode != 0:
        pytest.fail(
            f"tsc --noEmit -p web/jsconfig.json reports findings; fix the types (JSDoc):\n{(run.stdout + run.stderr).strip()}",
            pytrace=False,
        )


def test_every_module_tsc_is_given_asks_to_be_checked() -> None:
    # `--showConfig` lists the files that jsconfig.json's include and exclude leave.
    run = _tsc("--showConfig")
    assert run.returncode == 0, run.stdout + run.stderr
    modules = [WEB / name for name in json.loads(run.stdout)["files"] if name.endswith(".js")]
    assert modules, "web/jsconfig.json names no module"
    unchecked = [
        str(m.relative_to(ROOT)) for m in modules if m.read_text(encoding="utf-8").partition("\n")[0].strip() != "// @ts-check"
    ]
    assert not unchecked, (
        f"these modules do not start with `// @ts-check` (or belong in web/jsconfig.json's exclude): {unchecked}"
    )
