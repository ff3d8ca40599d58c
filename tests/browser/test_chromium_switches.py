"""The tests' Chromium keeps Playwright's own switches and leaves out the omnibox popup.

Chromium keeps only the last ``--disable-features`` of its command line. Ours (``CHROMIUM_ARGS``, built from ``PLAYWRIGHT_DISABLED_FEATURES``)
comes after Playwright's, so it repeats Playwright's list: if an upgrade of Playwright adds a
feature to its list, the first test names it. The second checks what the list is for: no window
of the tests' browser builds Chromium's omnibox popup, a web page of its own per window that cost
the suite more CPU than our pages did (tests/browser/conftest.py, ``OMNIBOX_POPUP_FEATURES``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PLAYWRIGHT_DISABLED_FEATURES, chromium_path

pytestmark = pytest.mark.browser


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # it ended meanwhile
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += [int(child), *_descendants(int(child))]
    return found


def _browser_processes() -> set[int]:
    """This process's Chromium browser processes (Playwright's driver starts them, as its children).

    A browser process forks its helpers; until a fork has exec'd it looks just like its parent
    (same program, same command line), so a process whose parent is Chromium is not a browser
    (a CI run found one such in the instant between launching and looking). One that ends while
    being looked at is left out."""
    found = set()
    for pid in _descendants(os.getpid()):
        try:
            if _is_chromium(pid) and not _switch(pid, "--type") and not _is_chromium(_parent(pid)):
                found.add(pid)
        except OSError:
            continue
    return found


def _is_chromium(pid: int) -> bool:
    return Path(f"/proc/{pid}/exe").resolve().name.startswith("chromium")


def _parent(pid: int) -> int:
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _switch(pid: int, name: str) -> list[str]:
    """Every value of one switch on a process's command line (Chromium rewrites it space-separated)."""
    words = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").split()
    return [word.split("=", 1)[1] for word in words if word.startswith(f"{name}=")]


def test_the_tests_repeat_every_feature_playwright_turns_off() -> None:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    assert executable, "Debian's chromium is needed: run the README's test command, `bash scripts/test`"
    before = _browser_processes()
    with sync_playwright() as p:
        # Launched with no switches of ours: what remains on its command line is Playwright's.
        plain = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            # (This process may already run the browser of the other browser tests.)
            browsers = sorted(_browser_processes() - before)
            assert len(browsers) == 1, f"expected one new Chromium browser process, found {browsers}"
            (playwrights,) = _switch(browsers[0], "--disable-features")
        finally:
            plain.close()
    missing = sorted(set(playwrights.split(",")) - set(PLAYWRIGHT_DISABLED_FEATURES))
    assert not missing, (
        f"Playwright now also turns off {missing}: add them to PLAYWRIGHT_DISABLED_FEATURES in "
        "tests/browser/conftest.py (our --disable-features replaces Playwright's)"
    )


def test_no_window_of_the_tests_browser_builds_the_omnibox_popup(browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<p>一页</p>")
    session = browser.new_browser_cdp_session()
    targets = session.send("Target.getTargets", {"filter": [{}]})["targetInfos"]
    urls = [target["url"] for target in targets]
    assert urls, "Chromium listed no targets at all"
    assert not [url for url in urls if "omnibox" in url], urls
    context.close()
