"""The mediators of a case in the browser (issue #21): a party on a phone reads their organisation's
directory of mediators in Chinese (photo, languages, specialities) and asks for one, which the
mediator grants on the case page; an assigned mediator is reminded of, and signs with their own key,
the conflict-of-interest disclosure (在线调解规则 arts. 5, 13, 14).

Run with: python -m pytest tests/browser/test_mediators.py -q
"""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import Server, book_through_api, cli, session_day
from tests.browser.test_booking_flow import PHONE, PageErrors, log_in, new_context, open_party_page
from tests.browser.test_live_session import WAGES

pytestmark = pytest.mark.browser


def colleague_with_an_entry(browser: Any, server: Server) -> tuple[str, str]:
    """A second mediator of the organisation who wrote their directory entry and uploaded a photo: (id, name)."""
    suffix = f"{os.getpid() % 10000}"
    # A name no other module of the worker's shared server gives a mediator (test_cohost.py adds a 王调解员):
    # the directory lists every mediator of the organisation, and the test picks this one by name.
    username, name = f"wulan{suffix}", "乌兰调解员"
    cli(
        "user", "add", "--username", username, "--password", server.password, "--role", "mediator",
        "--display-name", name, "--org", server.organisation_id, data_dir=server.data_dir,
    )  # fmt: skip
    context = browser.new_context(base_url=server.base_url)
    try:
        res = context.request.post("/api/v1/auth/login", data={"username": username, "password": server.password})
        assert res.status == 200, res.text()
        me = res.json()
        headers = {"X-CSRF-Token": me["csrf_token"]}
        user_id = me["user"]["id"]
        entry = {
            "profile": "从事人民调解工作十二年，熟悉草原承包纠纷",
            "languages": ["zh", "mn"],
            "specialities": ["wages", "land_contracting"],
        }
        put = context.request.put(f"/api/v1/mediators/{user_id}/profile", data=entry, headers=headers)
        assert put.status == 200, put.text()
        picture = io.BytesIO()
        Image.new("RGB", (640, 800), (30, 90, 160)).save(picture, format="PNG")
        photo = context.request.put(
            f"/api/v1/mediators/{user_id}/photo",
            data=picture.getvalue(),
            headers={**headers, "Content-Type": "image/png"},
        )
        assert photo.status == 200, photo.text()
    finally:
        context.close()
    return user_id, name


def test_a_party_on_a_phone_chooses_a_mediator_from_the_directory_and_the_mediator_grants_it(
    browser: Any, server: Server
) -> None:
    wang_id, wang = colleague_with_an_entry(browser, server)
    booked = book_through_api(browser, server, "MD", 9, day=session_day(later=26), dispute=WAGES)

    context, party, errors = open_party_page(browser, server, booked.links[0]["url"], viewport=PHONE)
    card = party.get_by_test_id("mediators-card")
    card.get_by_role("heading", name="调解员", exact=True).wait_for()
    assert server.mediator_name in card.get_by_test_id("party-mediators").inner_text()
    entry = card.get_by_test_id("directory-entry").filter(has_text=wang)
    said = entry.inner_text()
    assert "调解语言：普通话、蒙古语" in said and "擅长：山林土地承包经营纠纷（含草原）、拖欠工资纠纷" in said, said
    photo = entry.get_by_role("img", name=f"{wang}的照片")
    photo.scroll_into_view_if_needed()  # loaded lazily, as the party scrolls down to it
    party.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert party.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling on a phone"
    # The mediator already mediating is not offered again.
    mine = card.get_by_test_id("directory-entry").filter(has_text=server.mediator_name)
    assert mine.get_by_test_id("choose-mediator").count() == 0

    entry.get_by_test_id("choose-mediator").click()
    form = card.get_by_test_id("change-form")
    assert form.get_by_label("希望由哪位调解员调解").input_value() == wang_id
    assert party.evaluate("document.activeElement.id") == "change-reason"
    form.get_by_test_id("change-submit").click()
    form.get_by_text("此项必填").first.wait_for()  # the reason is required, said in Chinese
    form.get_by_label("理由").fill("我们说蒙古语，希望由懂蒙古语的乌兰调解员调解")
    form.get_by_test_id("change-submit").click()
    card.get_by_test_id("change-pending").wait_for()
    request = card.get_by_test_id("party-requests").get_by_test_id("mediator-request")
    assert "待决定" in request.inner_text() and wang in request.inner_text()

    # The mediator grants it on the case page, with the party's choice already chosen.
    staff = new_context(browser, server)
    page = staff.new_page()
    staff_errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    section = page.locator("#mediators")
    asked = section.get_by_test_id("mediator-request").filter(has_text="蒙古语")
    asked.wait_for()
    grant = section.get_by_test_id("grant-form")
    from playwright.sync_api import expect  # (imported where the harness has started Playwright, as conftest does)

    # Chosen once the directory (loaded beside the requests) has drawn its options.
    expect(grant.get_by_label("改由哪位调解员调解")).to_have_value(wang_id)
    grant.get_by_test_id("grant-change").click()
    section.get_by_test_id("case-mediator").filter(has_text=wang).wait_for()
    assert "共同调解" in section.get_by_test_id("case-mediator").filter(has_text=wang).inner_text()

    # The party reads the decision.
    party.reload()
    decided = party.get_by_test_id("party-requests").get_by_test_id("mediator-decision")
    decided.wait_for()
    assert f"改由{wang}调解" in decided.inner_text()
    assert wang in party.get_by_test_id("party-mediators").inner_text()
    errors.check()
    staff_errors.check()
    context.close()
    staff.close()


def test_an_assigned_mediator_is_reminded_and_signs_the_disclosure_with_their_own_key(browser: Any, server: Server) -> None:
    booked = book_through_api(browser, server, "DS", 11, day=session_day(later=26), dispute=WAGES)
    # A key made in another browser first (the office computer): it cannot sign in this one.
    office = new_context(browser, server)
    office_page = office.new_page()
    log_in(office_page, server)
    office_page.goto(f"/cases/{booked.case_id}")
    office_page.get_by_test_id("disclosure-make-key").click()
    office_page.get_by_test_id("disclosure-form").locator("[data-testid=disclosure-key]:checked").wait_for()
    office.close()
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, server)
    page.goto(f"/cases/{booked.case_id}")
    reminder = page.get_by_test_id("disclosure-reminder")
    reminder.wait_for()
    assert "利益冲突披露声明" in reminder.inner_text() and server.mediator_name in reminder.inner_text()
    form = page.get_by_test_id("disclosure-form")
    # This browser holds none of the account's keys: the form says so and offers to make one here.
    form.get_by_text("您的签名密钥都不在本浏览器中").wait_for()
    form.get_by_test_id("disclosure-make-key").click()
    chosen = form.locator("label", has=page.locator("[data-testid=disclosure-key]:checked"))
    chosen.filter(has_text="本浏览器的设备密钥").wait_for()
    form.get_by_test_id("disclosure-sign").click()
    form.get_by_text("此项必填").first.wait_for()  # neither answer chosen: said, nothing signed
    form.get_by_test_id("disclosure-no").check()
    form.get_by_test_id("disclosure-sign").click()
    reminder.wait_for(state="detached")
    state = page.get_by_test_id("case-mediator").filter(has_text=server.mediator_name).get_by_test_id("disclosure-state")
    assert state.get_attribute("data-state") == "none"
    assert "无可能影响公正调解的事由" in state.inner_text()
    page.get_by_test_id("evidence-record").filter(has_text="调解员披露声明").wait_for()
    errors.check()
    context.close()


def test_a_mediator_writes_their_directory_entry_and_uploads_a_photo_on_the_dashboard(browser: Any, server: Server) -> None:
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    # As on a loaded server: the dashboard's first reading of the directory answers only after the
    # photo was uploaded. That old answer must not take the new photo away (it did, now and then).
    held: list[Any] = []

    def hold_first(route: Any) -> None:
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))  # read now (no photo yet), given to the page later
        else:
            route.continue_()

    page.route("**/api/v1/mediator-directory*", hold_first)
    log_in(page, server)
    entry = page.get_by_test_id("my-entry")
    entry.locator("summary").click()
    picture = io.BytesIO()
    Image.new("RGB", (1200, 900), (160, 90, 30)).save(picture, format="JPEG")
    entry.get_by_label("照片").set_input_files({"name": "me.jpg", "mimeType": "image/jpeg", "buffer": picture.getvalue()})
    entry.get_by_test_id("my-entry-message").filter(has_text="照片已更新").wait_for()
    assert held, "the dashboard read the directory"
    route, answer = held[0]
    with page.expect_request_finished(lambda r: r is route.request):
        route.fulfill(response=answer)
    # Two frames after the old answer was read: it has been handled (before the fix, drawn without the photo).
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.unroute("**/api/v1/mediator-directory*")
    photo = entry.get_by_role("img", name=f"{server.mediator_name}的照片")
    page.wait_for_function("img => img.complete && img.naturalWidth === 480", arg=photo.element_handle())
    # Not an image: refused, saying what to upload instead.
    entry.get_by_label("照片").set_input_files({"name": "me.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture"})
    entry.get_by_test_id("my-entry-message").filter(has_text="不是可以读取的图片").wait_for()
    entry.get_by_label("个人简介").fill("熟悉劳动争议")
    entry.get_by_label("蒙古语").check()
    entry.get_by_label("劳动争议纠纷").check()
    entry.get_by_test_id("my-entry-save").click()
    entry.get_by_test_id("my-entry-message").filter(has_text="名册资料已保存").wait_for()
    page.reload()
    page.get_by_test_id("my-entry").locator("summary").click()
    from playwright.sync_api import expect  # (imported where the harness has started Playwright, as conftest does)

    expect(page.get_by_test_id("my-entry").get_by_label("个人简介")).to_have_value("熟悉劳动争议")
    expect(page.get_by_test_id("my-entry").get_by_label("蒙古语")).to_be_checked()
    errors.check()
    context.close()
