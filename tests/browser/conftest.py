"""Fixtures for the browser tests: the real server in a subprocess and Debian's chromium.

The server is started with the `mediate` console script on a free port with a fresh data
directory; an organisation and a mediator are created beforehand with the CLI. Chromium is
driven through Playwright's Python package, using the system browser (never a download).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import run_day
from tests.static_cache import share_static_cache

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"

ORG_NAME = "朝阳区人民调解委员会"
MEDIATOR_USERNAME = "liu"
MEDIATOR_PASSWORD = "Correct-Horse-9"
MEDIATOR_NAME = "刘调解员"
SHANGHAI = ZoneInfo("Asia/Shanghai")

#: The features Playwright itself turns off when it launches Chromium (its chromiumSwitches.ts).
#: Chromium keeps only the last ``--disable-features`` of its command line, so ours must repeat
#: them; tests/browser/test_chromium_switches.py checks that they still match the installed Playwright.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AimEnabled",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsFirstBalancedModeAutoEnable",
    "HttpsUpgrades",
    "LensOverlay",
    "MediaRouter",
    "NetworkTimeServiceQuerying",
    "OptimizationHints",
    "PaintHolding",
    "PreconnectToSearch",
    "TcpPortRandomizationWin",
    "ThirdPartyStoragePartitioning",
    "msEdgeUpdateLaunchServicesPreferredVersion",
    "msForceBrowserSignIn",
)
#: Chromium's own omnibox popup, drawn as a web page: headless Chromium builds it, in a renderer
#: of its own, for every window, and each Playwright context opens a window. It cost about 1.2 CPU s
#: per context and its window half as much again, three quarters of what Chromium spent on a
#: context with a simple page of ours (measured with /proc over twelve contexts: 26.7 CPU s with
#: it, 7.1 without). Nothing of ours shows an address bar.
OMNIBOX_POPUP_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
DISABLE_FEATURES = "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + OMNIBOX_POPUP_FEATURES)
CHROMIUM_ARGS = [
    DISABLE_FEATURES,
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # The live-session tests reach the server's media peer on 127.0.0.1 (MEASUREMENTS.md).
    "--allow-loopback-in-peer-connection",
]

NO_BROWSER = (
    "Debian's chromium is needed for the browser tests but was not found (looked for `chromium` "
    "on PATH and /usr/bin/chromium). Run the README's test command, `bash scripts/test`, which "
    "installs chromium and a Chinese font if missing and then runs pytest."
)


@dataclass(frozen=True)
class Server:
    base_url: str
    data_dir: Path
    organisation_id: str
    mediator_id: str
    organisation_name: str = ORG_NAME
    username: str = MEDIATOR_USERNAME
    password: str = MEDIATOR_PASSWORD
    mediator_name: str = MEDIATOR_NAME


def mediate_command() -> list[str]:
    """The `mediate` script of the interpreter running the tests, else the one on PATH."""
    beside = Path(sys.executable).with_name("mediate")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("mediate")
    if found:
        return [found]
    return [sys.executable, "-m", "server.cli"]


def keep_screenshot(target: Any, path: Path) -> None:
    """A picture of what a person sees, kept in test-artifacts/ for people to look at.

    A page is taken whole, an element as laid out. JPEG, not PNG: Chromium's PNG encoder made a
    whole-page shot cost 0.8 CPU s (1.3 at twice the pixels), and the suite keeps over two hundred;
    as JPEG, 0.5 (measured with /proc, five shots each of one tall page). Nothing reads these back:
    a test that decodes its picture (the QR code of tests/browser/test_apply_online.py) takes a
    lossless one itself.
    """
    assert path.suffix == ".jpg", f"{path.name}: kept screenshots are JPEG"
    whole = {"full_page": True} if hasattr(target, "goto") else {}
    target.screenshot(path=str(path), type="jpeg", quality=85, **whole)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def codes_by_spool(data_dir: Path) -> dict[str, str]:
    """One-time codes leave through a spool (a code can be asked for), back to back as tests ask."""
    return {
        "MEDIATE_SMS_GATEWAY": f"spool:{data_dir / 'sms.jsonl'}",
        "MEDIATE_CODE_INTERVAL_SECONDS": "0",
        "MEDIATE_CODES_PER_HOUR": "1000",
        "MEDIATE_CODES_PER_DAY": "1000",
    }


def texted_link(
    server: Any, kind: str, *, recipient: str | None = None, party_id: str | None = None, timeout_s: float = 10.0
) -> str:
    """The path of the link in the newest text of ``kind`` to a phone or a party, read from the
    server's outbox (what the spool hands its forwarder): ``/j/<token>`` or ``/apply/s/<token>``."""
    db = server.data_dir / "mediate.sqlite3"
    column, value = ("recipient", recipient) if recipient is not None else ("party_id", party_id)
    deadline = time.monotonic() + timeout_s
    while True:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute(
                f"SELECT body FROM outbox WHERE kind = ? AND channel = 'sms' AND {column} = ? ORDER BY id DESC LIMIT 1",
                (kind, value),
            ).fetchone()
        finally:
            con.close()
        if row is not None:
            found = re.search(r"https?://[^/\s]+(/(?:j|apply/s)/[\w-]+)", str(row[0]))
            assert found, row[0]
            return found.group(1)
        if time.monotonic() > deadline:
            pytest.fail(f"no {kind} text to {value} in the outbox")
        time.sleep(0.2)


def server_env(data_dir: Path, base_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    env["PYTHONUNBUFFERED"] = "1"
    if base_url:
        # Party links are built from the public URL; keep them on the address the browser uses.
        env["MEDIATE_PUBLIC_URL"] = base_url
    return env


def cli(*args: str, data_dir: Path) -> str:
    """What ``mediate ARGS --data-dir DATA_DIR`` prints, run in this process.

    The browser tests call the CLI only to set up (organisations, users, seals), 45 times; a
    ``mediate`` process of its own cost each call about 1.5 CPU s of imports, which this process
    pays once. Run as the program runs it (``server.commands.run``): without the ``MEDIATE_``
    variables of the tests' environment, with the program's umask, in a thread of its own (its
    ``asyncio.run`` must not meet Playwright's loop). tests/test_cli.py runs the real program.
    """
    from server import commands

    out, err = io.StringIO(), io.StringIO()

    def call() -> int:
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                return commands.run([*args, "--data-dir", str(data_dir)])
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 1

    kept = {k: os.environ.pop(k) for k in [k for k in os.environ if k.startswith("MEDIATE_")]}
    umask = os.umask(0o077)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            code = pool.submit(call).result(timeout=120)
    finally:
        os.umask(umask)
        os.environ.update(kept)
    assert code == 0, f"mediate {' '.join(args)} failed:\n{out.getvalue()}\n{err.getvalue()}"
    return out.getvalue()


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1].strip()


@contextmanager
def serving(data_dir: Path, port: int, env: dict[str, str]) -> Iterator[None]:
    """`mediate serve` on 127.0.0.1:``port`` (its log in ``data_dir``/server.log) until the block ends.

    Fails the test, with the server's log, if it exits or does not answer /healthz within 60 s.
    """
    share_static_cache(data_dir)
    log_path = data_dir / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*mediate_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the server exited early (code {proc.returncode}):\n{log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as res:
                        if res.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer /healthz within 60 s:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@contextlib.contextmanager
def own_server(data_dir: Path, extra_env: dict[str, str]) -> Iterator[Server]:
    """A server of a module's own (the test server's organisation and mediator), with ``extra_env``
    beside the usual settings: texts to a spool, media on loopback."""
    org_id = last_line(cli("org", "add", "--name", ORG_NAME, "--kind", "committee", data_dir=data_dir))
    user = ["--username", MEDIATOR_USERNAME, "--password", MEDIATOR_PASSWORD, "--display-name", MEDIATOR_NAME]
    mediator_id = last_line(cli("user", "add", *user, "--role", "mediator", "--org", org_id, data_dir=data_dir))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**server_env(data_dir, base_url), "MEDIATE_MEDIA_LOOPBACK": "1", **codes_by_spool(data_dir), **extra_env}
    with serving(data_dir, port, env):
        yield Server(base_url=base_url, data_dir=data_dir, organisation_id=org_id, mediator_id=mediator_id)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("mediate-data")
    org_id = last_line(cli("org", "add", "--name", ORG_NAME, "--kind", "committee", data_dir=data_dir))
    mediator_id = last_line(
        cli(
            "user",
            "add",
            "--username",
            MEDIATOR_USERNAME,
            "--password",
            MEDIATOR_PASSWORD,
            "--role",
            "mediator",
            "--display-name",
            MEDIATOR_NAME,
            "--org",
            org_id,
            data_dir=data_dir,
        )
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # The server's media peer offers 127.0.0.1 as a candidate, so browsers here can reach it.
    env = {**server_env(data_dir, base_url), "MEDIATE_MEDIA_LOOPBACK": "1", **codes_by_spool(data_dir)}
    # The chat limit keeps its burst of 10 but refills slowly: a loaded machine's browser may take
    # over a second a line, and at the default 1 a second the flood test could never reach the limit.
    env["MEDIATE_CHAT_PER_SECOND"] = "0.05"
    with serving(data_dir, port, env):
        yield Server(base_url=base_url, data_dir=data_dir, organisation_id=org_id, mediator_id=mediator_id)


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


class MissingBrowser:
    """Stands in for the browser when it cannot be started: the first use fails the test.

    (Failing inside the test, not in the fixture, reports a FAILED test rather than a
    setup error, and never a skip.)
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __getattr__(self, name: str) -> Any:
        pytest.fail(self.reason, pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium per test process, for all its browser test files.

    Launching Playwright's driver and Chromium once per file cost about 2.5 CPU s each time, over
    a hundred seconds of a run on two cores (#20). Each file still starts clean: what a file
    leaves open is closed when it ends (``_close_what_the_file_left_open``).
    """
    executable = chromium_path()
    if executable is None:
        yield MissingBrowser(NO_BROWSER)
        return
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        yield MissingBrowser(
            "Playwright's Python package is missing. Run the README's test command, "
            "`bash scripts/test`, which installs the test dependencies."
        )
        return
    # Assertions retry for 20 s (Playwright's default is 5 s): CI runs the browser on two loaded cores.
    expect.set_options(timeout=20_000)
    _poll_every_tenth_of_a_second()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        # The sync API's loop, which it registers as this thread's running loop between calls;
        # tests of other files run without it (tests/conftest.py) and may end with none set.
        loop = asyncio._get_running_loop()
        harness = HarnessBrowser(b, loop)
        LAUNCHED.append(harness)
        try:
            yield harness
        finally:
            LAUNCHED.remove(harness)
            asyncio._set_running_loop(loop)
            b.close()
    asyncio._set_running_loop(None)


#: How often a test's ``wait_for_function`` checks its condition, in milliseconds.
POLLING_MS = 100


def _poll_every_tenth_of_a_second() -> None:
    """The tests' ``wait_for_function`` checks its condition every 100 ms, not on every frame.

    Playwright's default (``polling="raf"``) runs the check on each of Chromium's animation frames,
    which keeps the page drawing frames for the whole wait: 8 s of such a wait on a trivial page
    cost Chromium 0.57 CPU s, against 0.03 s when checking every 100 ms (measured with /proc, #20).
    The suite waits this way about fifty times, often for seconds of media. A test that passes its
    own ``polling`` keeps it.
    """
    from playwright.sync_api import Frame, Page

    for cls in (Page, Frame):
        if getattr(cls.wait_for_function, "_polls_every", None):
            continue
        original = cls.wait_for_function

        def wait_for_function(self: Any, expression: str, *, _original: Any = original, **kwargs: Any) -> Any:
            kwargs.setdefault("polling", POLLING_MS)
            return _original(self, expression, **kwargs)

        wait_for_function._polls_every = POLLING_MS  # type: ignore[attr-defined]
        cls.wait_for_function = wait_for_function  # type: ignore[method-assign]


#: The process's browser once a test file asked for it (``browser``).
LAUNCHED: list[HarnessBrowser] = []


@pytest.fixture(scope="module", autouse=True)
def _close_what_the_file_left_open() -> Iterator[None]:
    """Contexts a test file left open are closed when it ends, as when each file had its own browser.

    (A live page left open would go on sending its fake camera's video into the next files' time.)
    """
    yield
    for harness in LAUNCHED:
        harness.close_contexts()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed browser test reports what each open page showed and what the server last logged.

    CI keeps only the run's output: without this, a page that waited in vain (for the live room,
    say) leaves no trace of where it was instead, nor of what the server made of it."""
    report = yield
    if report.when != "call" or not report.failed or not LAUNCHED:
        return report
    report.sections.append(("open pages when the test failed", "\n\n".join(LAUNCHED[-1].describe_pages())))
    server = getattr(item, "funcargs", {}).get("server")
    log = server.data_dir / "server.log" if isinstance(server, Server) else None
    if log is not None and log.exists():
        report.sections.append(
            ("the server's log, its last lines", "".join(log.read_text(errors="replace").splitlines(True)[-40:]))
        )
    return report


class HarnessBrowser:
    """The browser, whose contexts let the test harness's own scripts past the pages' CSP.

    Playwright's ``wait_for_function`` evaluates its expression with ``eval`` inside the page,
    which the pages' Content-Security-Policy rightly refuses (no ``'unsafe-eval'``). So contexts
    bypass the policy unless a test asks otherwise: tests/browser/test_csp.py opens every page
    with ``bypass_csp=False`` and fails on any violation.
    """

    def __init__(self, browser: Any, loop: asyncio.AbstractEventLoop | None) -> None:
        self._browser = browser
        self._loop = loop

    def close_contexts(self) -> None:
        """Close every context left open; Playwright's loop is registered for the calls (the test
        that ends the file may have run without it: tests/conftest.py)."""
        before = asyncio._get_running_loop()
        asyncio._set_running_loop(self._loop)
        try:
            for context in list(self._browser.contexts):
                context.close()
        finally:
            asyncio._set_running_loop(before)

    def describe_pages(self, chars: int = 1500) -> list[str]:
        """Each open page: its address and the start of its visible text (or why it has none)."""
        from playwright.sync_api import Error as PlaywrightError

        before = asyncio._get_running_loop()
        asyncio._set_running_loop(self._loop)
        described = []
        try:
            for n, context in enumerate(self._browser.contexts):
                for page in context.pages:
                    try:
                        text = page.inner_text("body", timeout=2000)
                    except PlaywrightError as exc:  # a closed or crashed page still gets its line
                        text = f"(no text: {type(exc).__name__})"
                    described.append(f"context {n}, {page.url}\n{text[:chars]}")
        finally:
            asyncio._set_running_loop(before)
        return described or ["(no page open)"]

    def new_context(self, **kwargs: Any) -> Any:
        kwargs.setdefault("bypass_csp", True)
        return self._browser.new_context(**kwargs)

    def new_page(self, **kwargs: Any) -> Any:
        kwargs.setdefault("bypass_csp", True)
        return self._browser.new_page(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def session_day(later: int = 0) -> date:
    """The next weekday at least two days ahead, in Shanghai (inside default availability).

    ``later`` moves it that many *weekdays* on, so that each test module books on a day of its
    own and no session clashes with another module's (counting calendar days, two modules could
    land on the same Monday after a weekend). It counts from the day the run started
    (:func:`tests.conftest.run_day`), not from now: a run that crosses midnight in Shanghai
    would otherwise move a later module's day one weekday on, onto the next module's.
    """
    day = run_day() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for _ in range(later):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


_counter = iter(range(1, 10_000))


def unique_case_number(prefix: str) -> str:
    return f"（2026）京朝调字第{prefix}{os.getpid() % 1000:03d}{next(_counter):03d}号"


@dataclass(frozen=True)
class Booked:
    case_id: str
    case_number: str
    session_id: str
    links: list[dict[str, Any]]


NEIGHBOURS = ("neighbours", "楼上漏水，协商赔偿。", (("王阿姨", "13800000011"), ("赵先生", "13800000012")))


def book_through_api(
    browser: Any,
    server: Server,
    prefix: str,
    hour: int,
    *,
    day: date | None = None,
    dispute: tuple[str, str, tuple[tuple[str, str], tuple[str, str]]] = NEIGHBOURS,
) -> Booked:
    """Create a case with an applicant and a respondent and book a session, through the JSON API (not the UI).

    ``dispute`` is (dispute type, summary, ((applicant name, phone), (respondent name, phone))).
    """
    dispute_type, summary, ((applicant, a_phone), (respondent, r_phone)) = dispute
    context = browser.new_context(base_url=server.base_url)
    try:
        req = context.request
        res = req.post("/api/v1/auth/login", data={"username": MEDIATOR_USERNAME, "password": MEDIATOR_PASSWORD})
        assert res.status == 200, res.text()
        headers = {"X-CSRF-Token": res.json()["csrf_token"]}

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            r = req.post(f"/api/v1{path}", data=body, headers=headers)
            assert r.status == 201, f"POST {path}: {r.status} {r.text()}"
            return dict(r.json())

        number = unique_case_number(prefix)
        case = post(
            "/cases", {"case_number": number, "dispute_type": dispute_type, "source": "party_application", "summary": summary}
        )
        post(f"/cases/{case['id']}/parties", {"role": "applicant", "name": applicant, "phone": a_phone})
        post(f"/cases/{case['id']}/parties", {"role": "respondent", "name": respondent, "phone": r_phone})
        starts = f"{(day or session_day()).isoformat()}T{hour:02d}:00:00+08:00"
        booked = post(
            f"/cases/{case['id']}/sessions",
            {"starts_at": starts, "duration_minutes": 60, "timezone": "Asia/Shanghai"},
        )
        return Booked(case_id=case["id"], case_number=number, session_id=booked["session"]["id"], links=booked["links"])
    finally:
        context.close()


@pytest.fixture
def booking_day() -> date:
    return session_day()


@pytest.fixture
def new_case_number() -> Any:
    return unique_case_number


@pytest.fixture
def book_via_api(browser: Any, server: Server) -> Any:
    """Book a session for a new two-party case through the API; returns a `Booked`."""

    def book(prefix: str, hour: int) -> Booked:
        return book_through_api(browser, server, prefix, hour)

    return book
