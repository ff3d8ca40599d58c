# Sourced by scripts/serve, scripts/test and scripts/lock: the project's .venv and the installer.
# Packages are installed by uv (pinned below), not pip: from the same hashed lock files, it installs
# the test environment into a new .venv in about 5 seconds where pip took about 40 (measured on this
# 2-core machine), which is most of what the README's test command spent before its first test.

uv_version=0.13.9

# Creates .venv with the machine's Python (or $PYTHON) if missing, and puts uv $uv_version in it.
ensure_venv() {
  local python=${PYTHON:-python3}
  if [[ ! -x .venv/bin/python ]]; then
    echo "==> creating .venv"
    "$python" -m venv .venv
  fi
  if [[ $(.venv/bin/uv --version 2>/dev/null) != "uv $uv_version"* ]]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
  fi
}

# Installs exactly what a lock file lists (every package pinned with its hashes), then mediate itself
# (editable: code changes need no reinstall).
install_locked() {
  local lock=$1
  .venv/bin/uv pip install --quiet --python .venv/bin/python --require-hashes -r "$lock"
  .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
}
