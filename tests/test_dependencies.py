"""Every package the code imports is declared in pyproject.toml, not merely installed because
something else pulls it in (a dependency's dependency may go away or change under us with
that dependency's next release). Tests' own imports belong to the test extra, the bench
commands' to the bench extra."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"server", "signaling", "recordings", "tests"}


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]).lower()


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name not in OURS and name != "__future__"}


def test_every_imported_package_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    extras = {extra: {_name(r) for r in reqs} for extra, reqs in project["optional-dependencies"].items()}
    distributions = packages_distributions()
    undeclared = []
    for tree in sorted(OURS):
        for path in sorted((ROOT / tree).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            allowed = runtime | (extras.get("test", set()) if tree == "tests" else set())
            allowed |= extras.get("bench", set()) if relative.startswith("server/bench/") else set()
            for module in sorted(_imports(path)):
                names = {_name(d) for d in distributions.get(module, [module])}
                if not names & allowed:
                    undeclared.append(f"{relative}: {module} ({', '.join(sorted(names))})")
    assert not undeclared, "imported but not declared in pyproject.toml:\n" + "\n".join(undeclared)


def _locked(name: str) -> set[str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {_name(line) for line in text.splitlines() if line[:1].isalnum()}


def test_the_lock_files_pin_every_declared_package() -> None:
    """The README's commands install requirements.txt (serve) and requirements-test.txt (test): a
    dependency added to pyproject.toml without `bash scripts/lock` would be missing there."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test = {_name(r) for r in project["optional-dependencies"]["test"]}
    app, tests = _locked("requirements.txt"), _locked("requirements-test.txt")
    assert runtime - app == set(), f"not in requirements.txt (run `bash scripts/lock`): {sorted(runtime - app)}"
    assert (runtime | test) - tests == set(), (
        f"not in requirements-test.txt (run `bash scripts/lock`): {sorted((runtime | test) - tests)}"
    )
    assert app <= tests, "requirements-test.txt lacks packages of requirements.txt: run `bash scripts/lock`"
