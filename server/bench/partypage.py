"""`mediate bench party-page`: how soon a party on a weak rural network sees what to press.

A real `mediate serve` runs in its own process on a fresh SQLite database. A mediator books a
session for tomorrow through the JSON API, and the applicant's personal link (``/j/<token>``)
is opened in Debian's chromium, driven by Playwright, on a 390×844 phone screen with Chromium's
own network emulation (CDP ``Network.emulateNetworkConditions``): 400 kbit/s down and up and
400 ms added to every request (the issue's profile, a phone at the edge of coverage).

Figures, printed (never asserted), for a first visit (empty cache), a repeat visit (the same
browser profile, a new tab, the link opened again: its redirect to /party is one more round
trip) and a return to ``/party`` itself (a reload, a bookmark, the home screen):
  1. seconds from the start of the navigation until the main action (进入视频调解,
     ``data-testid="join-live"``) is visible above the fold: laid out, styled (stylesheets
     block painting) and wholly inside the 390×844 viewport; measured in the page by a
     ``requestAnimationFrame`` loop against the wall clock taken just before the navigation;
  2. the bytes the browser received (CDP ``encodedDataLength``: headers and compressed bodies)
     and the number of requests that went to the network (not those served from its cache),
     until that moment and until the page is quiet (no request for
     two seconds; the page's own polling every few minutes is not waited for).

The issue's targets: within 4 s on a first visit, within 1 s on a repeat visit.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from server.bench.api import SHANGHAI, open_bookable_case, prepare, serving
from server.settings import Settings

KBITS = 400
LATENCY_MS = 400
VIEWPORT: Any = {"width": 390, "height": 844}
MAIN_ACTION = '[data-testid="join-live"]'
QUIET_SECONDS = 2.0

# Records, in the page, the wall-clock time at which the main action is first laid out with a
# size (so painted with its stylesheet), where its bottom edge was then, and when it was first
# wholly inside the viewport.
WATCH_MAIN_ACTION = """
(() => {
  const look = () => {
    const el = document.querySelector(MAIN_ACTION);
    if (el) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden') {
        if (window.__mainActionShownAt === undefined) {
          window.__mainActionShownAt = Date.now();
          window.__mainActionBottom = r.bottom;
        }
        if (r.top >= 0 && r.bottom <= innerHeight) {
          window.__mainActionAt = Date.now();
          return;
        }
      }
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
""".replace("MAIN_ACTION", repr(MAIN_ACTION))


@dataclass
class Visit:
    seconds: float
    above_fold: bool
    bottom: float
    bytes_at_action: int
    requests_at_action: int
    bytes_total: int = 0
    requests_total: int = 0
    urls: list[str] = field(default_factory=list)


class Traffic:
    """Requests and received bytes of one page, from the DevTools protocol's network events."""

    def __init__(self) -> None:
        self.sent_ids: list[str] = []
        self.cached: set[str] = set()
        self.bytes = 0
        self.last = time.monotonic()
        self.urls: dict[str, str] = {}

    @property
    def requests(self) -> int:
        """Requests that went to the network (a redirect is a request of its own)."""
        return len([i for i in self.sent_ids if i not in self.cached])

    def sent(self, event: dict[str, Any]) -> None:
        # A redirect's next hop comes with the same requestId: count it apart.
        key = f"{event['requestId']}#{len([i for i in self.sent_ids if i.startswith(event['requestId'] + '#')])}"
        self.sent_ids.append(key)
        self.last = time.monotonic()
        self.urls[key] = str(event["request"]["url"])

    def from_cache(self, event: dict[str, Any]) -> None:
        self.cached.update(i for i in self.sent_ids if i.startswith(f"{event['requestId']}#"))

    def received(self, event: dict[str, Any]) -> None:
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            self.from_cache(event)

    def finished(self, event: dict[str, Any]) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))
        self.last = time.monotonic()


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        raise SystemExit("Debian's chromium is needed (apt-get install chromium, or bash scripts/test installs it)")
    return found


async def book(base: str, username: str) -> str:
    """A two-party case with a session tomorrow; returns the applicant's personal link."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        headers, case_id = await open_bookable_case(session, base, username, f"BENCH-PAGE-{time.time_ns()}")
        starts = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        body = {"starts_at": starts.isoformat(), "duration_minutes": 60, "timezone": "Asia/Shanghai"}
        async with session.post(f"{base}/api/v1/cases/{case_id}/sessions", json=body, headers=headers) as r:
            answer = await r.json()
            if r.status != 201:
                raise RuntimeError(f"booking failed: {r.status} {answer}")
        return str(answer["links"][0]["url"])


def visit(context: Any, url: str, timeout: float) -> Visit:
    """Open ``url`` in a new tab of ``context`` on the emulated network; measure until quiet."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    try:
        cdp = context.new_cdp_session(page)
        traffic = Traffic()
        cdp.on("Network.requestWillBeSent", traffic.sent)
        cdp.on("Network.loadingFinished", traffic.finished)
        cdp.on("Network.requestServedFromCache", traffic.from_cache)
        cdp.on("Network.responseReceived", traffic.received)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": LATENCY_MS,
                "downloadThroughput": KBITS * 1000 / 8,
                "uploadThroughput": KBITS * 1000 / 8,
            },
        )
        page.add_init_script(WATCH_MAIN_ACTION)
        started = time.time() * 1000
        page.goto(url, wait_until="commit", timeout=timeout * 1000)
        page.wait_for_function("window.__mainActionShownAt !== undefined", timeout=timeout * 1000, polling=50)
        try:
            # Shown below the fold, it never comes above it by itself; a second is enough to tell.
            page.wait_for_function("window.__mainActionAt !== undefined", timeout=1000, polling=50)
        except PlaywrightTimeout:
            pass
        shown = page.evaluate("[window.__mainActionShownAt, window.__mainActionAt ?? null, window.__mainActionBottom]")
        at = float(shown[1] if shown[1] is not None else shown[0])
        result = Visit(
            seconds=(at - started) / 1000,
            above_fold=shown[1] is not None,
            bottom=float(shown[2]),
            bytes_at_action=traffic.bytes,
            requests_at_action=traffic.requests,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() - traffic.last < QUIET_SECONDS and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        result.bytes_total, result.requests_total = traffic.bytes, traffic.requests
        result.urls = [url for key, url in traffic.urls.items() if key not in traffic.cached]
        return result
    finally:
        page.close()


def measure(link: str, runs: int, timeout: float) -> list[tuple[Visit, Visit, Visit]]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            for _ in range(runs):
                # A fresh profile each run: an empty cache for the first visit, kept for the repeat.
                # bypass_csp: Playwright's wait_for_function evaluates its condition in the page, which
                # the pages' policy (no 'unsafe-eval', server/http/headers.py) forbids; what is measured
                # is loading, which the policy does not change.
                context = browser.new_context(
                    viewport=VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=3, bypass_csp=True
                )
                try:
                    first = visit(context, link, timeout)
                    repeat = visit(context, link, timeout)
                    # Back on the page itself (a reload, a bookmark, the home screen): no redirect.
                    page = visit(context, link.split("/j/", 1)[0] + "/party", timeout)
                finally:
                    context.close()
                results.append((first, repeat, page))
        finally:
            browser.close()
    return results


def row(name: str, visits: list[Visit]) -> str:
    secs = [v.seconds for v in visits]
    where = (
        "above the fold"
        if all(v.above_fold for v in visits)
        else f"BELOW the fold (bottom at {max(v.bottom for v in visits):.0f} px of 844)"
    )
    return (
        f"{name:<14}{statistics.median(secs):>8.2f} s  ({', '.join(f'{s:.2f}' for s in secs)}) {where}"
        f"{statistics.median(v.bytes_at_action for v in visits) / 1000:>9.1f} KB{statistics.median(v.requests_at_action for v in visits):>6.0f}"
        f"{statistics.median(v.bytes_total for v in visits) / 1000:>10.1f} KB{statistics.median(v.requests_total for v in visits):>6.0f}"
    )


def main(settings: Settings, runs: int = 3, timeout: float = 60.0, show_requests: bool = False) -> int:
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("Playwright's Python package is needed: .venv/bin/pip install -e '.[test]' (the browser is Debian's chromium)")
        return 2
    with tempfile.TemporaryDirectory(prefix="mediate-bench-page-") as tmp:
        settings = settings.with_overrides(data_dir=Path(tmp))
        print(
            f"mediate bench party-page: chromium, {VIEWPORT['width']}x{VIEWPORT['height']}, "
            f"{KBITS} kbit/s both ways, {LATENCY_MS} ms per request, {runs} runs (first visit: empty cache; repeat: same profile, new tab)"
        )

        async def run() -> list[tuple[Visit, Visit, Visit]]:
            (username,) = await prepare(settings, 1)
            async with serving(settings) as (base, _):
                link = await book(base, username)
                return await asyncio.to_thread(measure, link, runs, timeout)

        results = asyncio.run(run())
    print(f"{'visit':<14}{'main action visible (median, runs)':<40}{'received, requests: until visible':>36}{'until quiet':>18}")
    print(row("first visit", [r[0] for r in results]))
    print(row("repeat visit", [r[1] for r in results]))
    print(row("repeat /party", [r[2] for r in results]))
    print("targets: first visit within 4 s, repeat visit within 1 s (the main action above the fold of 390x844)")
    if show_requests:
        for name, v in (("first visit", results[0][0]), ("repeat visit", results[0][1])):
            print(f"{name}: {v.requests_total} requests")
            for url in v.urls:
                print(f"  {url}")
    return 0
