"""Two mediators host one video session (人民调解法 art. 19; #21), in real browsers.

刘 leads (the session was booked for him); 王, of the same committee, is assigned to the case too.
The applicant sees each of them by name and role; 王 admits her; 刘 takes her aside while 王 stays in
the joint room, sees who is in the private talk and ends it. 周, a colleague not assigned to the
case, is told why he cannot come in and whom to ask. Screenshots go to test-artifacts/cohost-*.jpg.

Run with: python -m pytest tests/browser/test_cohost.py -q
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import MEDIATOR_PASSWORD, Booked, Server, book_through_api, cli, last_line, session_day
from tests.browser.test_booking_flow import DESKTOP, PageErrors, log_in, new_context
from tests.browser.test_live_session import WAGES, assert_not_shown, assert_playing, join_as_party, shot

pytestmark = pytest.mark.browser

DAY = session_day(later=27)


def add_mediator(server: Server, username: str, name: str) -> str:
    return last_line(
        cli(
            "user", "add", "--username", username, "--password", MEDIATOR_PASSWORD, "--role", "mediator",
            "--display-name", name, "--org", server.organisation_id, data_dir=server.data_dir,
        )
    )  # fmt: skip


def assign(browser: Any, server: Server, booked: Booked, mediator_id: str) -> None:
    """Assign a second mediator to the case as a co-mediator, as the lead mediator (人民调解法 art. 19)."""
    context = browser.new_context(base_url=server.base_url)
    try:
        res = context.request.post("/api/v1/auth/login", data={"username": server.username, "password": server.password})
        headers = {"X-CSRF-Token": res.json()["csrf_token"]}
        made = context.request.post(
            f"/api/v1/cases/{booked.case_id}/mediators", data={"mediator_id": mediator_id, "role": "co"}, headers=headers
        )
        assert made.status == 201, made.text()
    finally:
        context.close()


def open_live(browser: Any, server: Server, username: str, session_id: str) -> tuple[Any, Any, PageErrors]:
    context = new_context(browser, server)
    page = context.new_page()
    errors = PageErrors(page)
    log_in(page, replace(server, username=username))
    page.goto(f"/live/{session_id}")
    return context, page, errors


def test_two_mediators_host_one_session_and_either_runs_the_private_talk(browser: Any, server: Server, artifacts: Path) -> None:
    booked = book_through_api(browser, server, "CH", 10, day=DAY, dispute=WAGES)
    links = {link["role"]: link for link in booked.links}
    applicant_id, liu_id = links["applicant"]["party_id"], server.mediator_id
    wang_id = add_mediator(server, "cohost-wang", "王调解员")
    add_mediator(server, "cohost-zhou", "周调解员")

    # A colleague not assigned to the case is told why, and whom to ask.
    z_context, zhou, _ = open_live(browser, server, "cohost-zhou", booked.session_id)
    refused = zhou.get_by_test_id("live-refused")
    refused.filter(has_text="您没有被指派调解这个案件").wait_for()
    assert "刘调解员" in refused.inner_text()
    z_context.close()

    assign(browser, server, booked, wang_id)
    l_context, liu, l_errors = open_live(browser, server, server.username, booked.session_id)
    liu.get_by_test_id("live-room").wait_for()
    w_context, wang, w_errors = open_live(browser, server, "cohost-wang", booked.session_id)
    wang.get_by_test_id("live-room").wait_for()
    # Each host sees the other in the room, by name and role, with no button to act on them.
    for page, other, role in ((liu, wang_id, "调解员"), (wang, liu_id, "主持调解员")):
        person = page.locator(f'.people [data-participant-id="{other}"]')
        person.get_by_test_id("person-role").filter(has_text=re.compile(rf"^{role}$")).wait_for()
        assert person.get_by_test_id("remove").count() == 0 and person.get_by_test_id("mute-audio").count() == 0

    # 刘 starts recording: his start is his own consent, not his colleague's. 王 is told he is not
    # recorded yet, and agrees for himself; 刘 sees it.
    liu.get_by_test_id("recording-panel").get_by_test_id("record-start").click()
    liu.get_by_test_id("recording-panel").get_by_test_id("record-stop").wait_for()
    w_panel = wang.get_by_test_id("recording-panel")
    w_panel.get_by_test_id("record-self-missing").filter(has_text="还没有录您本人").wait_for()
    wang_consent = liu.get_by_test_id("consent-list").locator(f'[data-participant-id="{wang_id}"] [data-testid="consent-state"]')
    assert wang_consent.get_attribute("data-consented") == "false"
    shot(wang, artifacts, "cohost-co-mediator-recording.jpg")
    w_panel.get_by_test_id("record-join").click()
    w_panel.get_by_test_id("record-self-missing").wait_for(state="detached")
    liu.locator(f'[data-testid="consent-list"] [data-participant-id="{wang_id}"] [data-consented="true"]').wait_for()
    w_panel.get_by_test_id("record-stop").click()
    liu.get_by_test_id("recording-panel").get_by_test_id("record-start").wait_for()

    # The applicant waits, told both hosts' names; the co-mediator lets her in.
    a_context, applicant, a_errors = join_as_party(browser, server, links["applicant"]["url"], DESKTOP)
    applicant.get_by_test_id("waiting-room").filter(has_text="刘调解员、王调解员").wait_for()
    waiting = wang.get_by_test_id("waiting-list").locator(f'[data-participant-id="{applicant_id}"]')
    waiting.get_by_test_id("admit").click()
    applicant.get_by_test_id("live-room").wait_for()
    for pid in (liu_id, wang_id):
        assert_playing(applicant, pid, "applicant")
    captions = {
        pid: applicant.locator(f'[data-testid="tile"][data-participant-id="{pid}"] figcaption').inner_text()
        for pid in (liu_id, wang_id)
    }
    assert captions == {liu_id: "刘调解员 · 主持调解员", wang_id: "王调解员 · 调解员"}, captions
    assert_playing(wang, applicant_id, "co-mediator")
    shot(applicant, artifacts, "cohost-applicant-joint.jpg")

    # 刘 takes the applicant aside; 王, left in the joint room, sees who is in it and hears neither.
    liu.locator(f'[data-testid="caucus-pick"][data-participant-id="{applicant_id}"]').check()
    liu.get_by_test_id("caucus-start").click()
    liu.get_by_test_id("caucus-active").wait_for()
    wang.get_by_test_id("caucus-active").filter(has_text="刘调解员正在与 张三 单独谈话").wait_for()
    wang.get_by_test_id("private-talk").filter(has_text="另一位调解员正在单独谈话").wait_for()
    for pid in (liu_id, applicant_id):
        assert_not_shown(wang, pid, "co-mediator outside the private talk")
    assert wang.get_by_test_id("caucus-start").count() == 0, "one private talk at a time"
    shot(wang, artifacts, "cohost-co-mediator-outside-caucus.jpg")

    # 王 ends it: everyone is back in the joint room.
    wang.get_by_test_id("caucus-end").click()
    applicant.get_by_test_id("in-caucus").wait_for(state="detached")
    wang.get_by_test_id("private-talk").wait_for(state="detached")
    liu.get_by_test_id("caucus-start").wait_for()
    assert_playing(wang, applicant_id, "co-mediator after the private talk")
    assert_playing(wang, liu_id, "co-mediator after the private talk")

    # The co-mediator ends the session for everyone, the lead included.
    wang.get_by_test_id("end-session").click()
    wang.locator("dialog").get_by_role("button", name="结束调解").click()
    liu.get_by_test_id("live-ended").wait_for()
    applicant.get_by_test_id("live-ended").wait_for()
    for errors in (l_errors, w_errors, a_errors):
        errors.check()
    for context in (l_context, w_context, a_context):
        context.close()


def test_a_waiting_party_is_told_of_a_co_mediator_who_arrives_after_them(browser: Any, server: Server) -> None:
    """The waiting card names every mediator there, also one who comes in while the party waits (it kept
    the first names it was drawn with, and the party waited for someone they were never told was there)."""
    booked = book_through_api(browser, server, "CW", 14, day=DAY, dispute=WAGES)
    links = {link["role"]: link for link in booked.links}
    gao_id = add_mediator(server, "cohost-gao", "高调解员")
    assign(browser, server, booked, gao_id)
    l_context, liu, l_errors = open_live(browser, server, server.username, booked.session_id)
    liu.get_by_test_id("live-room").wait_for()

    a_context, applicant, a_errors = join_as_party(browser, server, links["applicant"]["url"], DESKTOP)
    card = applicant.get_by_test_id("waiting-room")
    card.filter(has_text="刘调解员").wait_for()
    assert "高调解员" not in card.inner_text()

    g_context, gao, g_errors = open_live(browser, server, "cohost-gao", booked.session_id)
    gao.get_by_test_id("live-room").wait_for()
    card.filter(has_text="刘调解员、高调解员").wait_for()
    for errors in (l_errors, a_errors, g_errors):
        errors.check()
    for context in (g_context, a_context, l_context):
        context.close()
