"""Export as one video in Chromium: the review page's button, its progress bar, and the download.

The recording is made for real as in test_review (aiortc participants against the browser
tests' server). The mediator opens the review page, starts the export from the keyboard,
watches the progress bar, and downloads the MP4, which decodes with a picture and a sound.
Screenshot: test-artifacts/review-export.jpg.

Run with: python -m pytest tests/browser/test_export_video.py -q
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import av
import pytest

from tests.browser.conftest import Booked, Server, book_through_api, keep_screenshot, session_day
from tests.browser.test_booking_flow import PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES
from tests.browser.test_review import make_recording

pytestmark = pytest.mark.browser


def book_export_case(browser: Any, server: Server) -> Booked:
    """A session on test_review's day, at an hour of its own."""
    return book_through_api(browser, server, "EX", 14, day=session_day(later=10), dispute=WAGES)


def test_the_review_page_exports_the_recording_as_one_video_with_progress_and_a_download(
    browser: Any, server: Server, artifacts: Path
) -> None:
    booked = book_export_case(browser, server)
    recording_id = make_recording(server, booked)

    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    # The page's first question about the export is answered late: a press made meanwhile is not lost.
    held: list[Any] = []

    def hold_first_look(route: Any) -> None:
        if route.request.method == "GET" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(f"**/recordings/{recording_id}/export", hold_first_look)
    page.goto(f"/review/{booked.session_id}")
    panel = page.get_by_test_id("review-export")
    start = panel.get_by_test_id("review-export-start")
    start.wait_for()
    assert start.inner_text() == "导出为一个视频"
    assert panel.get_attribute("data-state") == "none"

    # From the keyboard: the progress bar and the cancel button take the button's place.
    start.focus()
    while not held:
        page.wait_for_timeout(50)  # until the page has asked (the route above holds the answer)
    page.keyboard.press("Enter")
    held[0].continue_()
    bar = panel.get_by_test_id("review-export-progress")
    bar.wait_for(timeout=10_000)
    assert panel.get_by_test_id("review-export-cancel").is_visible()
    assert page.evaluate("document.activeElement.dataset.testid") == "review-export-cancel"  # focus kept in the panel
    percent = panel.get_by_test_id("review-export-percent").inner_text()
    assert re.fullmatch(r"(正在导出… \d{1,3}%|排队中，稍后开始导出…)", percent), percent
    keep_screenshot(page, artifacts / "review-export.jpg")

    # Polled to the end: a download link replaces the bar.
    page.wait_for_function(
        "document.querySelector('[data-testid=review-export]').dataset.state === 'done'", timeout=90_000, polling=200
    )
    link = panel.get_by_test_id("review-export-download")
    assert re.fullmatch(r"下载视频（MP4，\d+(\.\d)? [KM]B）", link.inner_text()), link.inner_text()
    job = context.request.get(f"/api/v1/recordings/{recording_id}/export").json()
    assert job["state"] == "done" and job["progress"] == 1

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.startswith("调解录像-") and download.suggested_filename.endswith(".mp4")
    data = Path(download.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == job["file"]["sha256"]
    with av.open(str(download.path())) as container:
        assert sorted(s.type for s in container.streams) == ["audio", "video"]
        assert container.duration is not None and container.duration / 1_000_000 > 4

    # In English, the panel speaks English.
    page.get_by_test_id("lang-switch").click()
    link.filter(has_text="Download the video").wait_for()
    history = context.request.get(f"/api/v1/cases/{booked.case_id}/history").json()["items"]
    kinds = [e["kind"] for e in history if e["kind"].startswith("recording_export")]
    assert sorted(kinds) == ["recording_export_downloaded", "recording_export_finished", "recording_export_started"], kinds
    errors.check()
    context.close()
