"""The deployment examples in ``deploy/`` and the configuration reference stay true to the code.

An operator copies these files; a setting renamed in ``server/settings/environment.py`` but not in the
reference, or an nginx file that nginx refuses, would break their first install.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from server.settings import Settings
from server.settings.environment import Environment, variable
from tests.browser.conftest import REPO
from tests.nginx import check, configure, nginx_binary

REFERENCE = REPO / "docs" / "CONFIGURATION.md"


def read_by_server() -> set[str]:
    """Every ``MEDIATE_*`` name the server reads: the fields of server/settings/environment.py, the only reader."""
    return {variable(name) for name in Environment.model_fields}


def read_by_test_command() -> set[str]:
    return set(re.findall(r"\b(MEDIATE_[A-Z0-9_]+)", (REPO / "scripts" / "test").read_text(encoding="utf-8")))


def documented() -> set[str]:
    return set(re.findall(r"^### `(MEDIATE_[A-Z0-9_]+)`", REFERENCE.read_text(encoding="utf-8"), flags=re.M))


def test_every_setting_is_in_the_configuration_reference_and_nothing_else_is() -> None:
    code = read_by_server() | read_by_test_command()
    docs = documented()
    assert len(read_by_server()) > 40
    assert code - docs == set(), f"settings missing from docs/CONFIGURATION.md: {sorted(code - docs)}"
    assert docs - code == set(), f"docs/CONFIGURATION.md describes settings nothing reads: {sorted(docs - code)}"


def test_every_reference_entry_gives_a_default_an_example_and_when_to_change_it() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for entry in re.split(r"^### ", text, flags=re.M)[1:]:
        name = entry.split("`")[1]
        for part in ("- **Default:**", "- **Example:**", "- **Change it**"):
            assert part in entry, f"docs/CONFIGURATION.md, {name}: no {part!r} line"
        example = re.search(r"- \*\*Example:\*\* `([A-Z0-9_]+)=", entry)
        assert example and example.group(1) == name, f"docs/CONFIGURATION.md, {name}: the example sets another name"


def env_file(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value
    return env


def test_the_systemd_environment_example_is_read_as_intended() -> None:
    env = env_file(REPO / "deploy" / "systemd" / "mediate.env.example")
    assert set(env) <= read_by_server(), f"unknown settings in mediate.env.example: {sorted(set(env) - read_by_server())}"
    settings = Settings.from_env(env)
    assert settings.public_url == "https://tiaojie.example.cn"
    assert settings.cookie_secure is True and settings.log_format == "json"
    assert settings.database_url is not None and settings.database_url.startswith("postgresql")
    assert settings.redis_url == "redis://10.0.0.5:6379/0"
    assert any("turn:" in url for server in settings.ice_servers for url in server["urls"])


def test_the_systemd_unit_runs_commands_that_exist() -> None:
    unit = (REPO / "deploy" / "systemd" / "mediate@.service").read_text(encoding="utf-8")
    commands = re.findall(r"^Exec\w+=.*?/\.venv/bin/mediate (.+)$", unit, flags=re.M)
    assert len(commands) == 2, unit
    for command in commands:
        words = [w for w in command.replace("%i", "8081").split() if not w.startswith("-")][:2]
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", *words, "--help"], check=False, capture_output=True, text=True, timeout=60, cwd=REPO,
        )  # fmt: skip
        assert done.returncode == 0, f"mediate {' '.join(words)}: {done.stderr}"
    assert "EnvironmentFile=/etc/mediate/mediate.env" in unit and "KillSignal=SIGTERM" in unit


def test_nginx_accepts_the_example_configuration(tmp_path: Path) -> None:
    nginx = configure(tmp_path / "nginx", [8081, 8082])
    done = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True, check=False)
    assert "nginx/" in done.stderr
    result = check(nginx)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
