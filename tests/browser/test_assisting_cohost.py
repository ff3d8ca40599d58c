"""An assisting organisation's mediator hosts the case's video session, in Chromium (issue #21).

刘 (the committee's mediator) leads a wage case and asks a forestry bureau to assist (协办). On the
bureau's dashboard 孙 accepts it, choosing himself as the mediator who takes part; the case page
then lists him among who mediates and offers him the way into the session. On the live page he is
a host as a colleague of the committee would be: he lets the applicant in from the waiting room
and writes in the chat, which 刘 reads. 林, of the same bureau but not chosen, opening the same
live page, is told why he cannot come in. Screenshots go to test-artifacts/assisting-*.jpg.

The session is booked 31 weekdays on (`session_day(later=31)`), a day no other module uses.

Run with: python -m pytest -n0 tests/browser/test_assisting_cohost.py -q
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Server, book_through_api, cli, last_line, session_day
from tests.browser.test_booking_flow import DESKTOP, PageErrors, log_in, new_context
from tests.browser.test_cohost import open_live
from tests.browser.test_live_session import WAGES, assert_playing, join_as_party, shot
from tests.browser.test_referrals import api_as

pytestmark = pytest.mark.browser

DAY = session_day(later=31)


def test_the_assisting_bureaus_chosen_mediator_hosts_the_session_and_a_colleague_is_told_why_not(
    browser: Any, server: Server, artifacts: Path
) -> None:
    suffix = f"{os.getpid() % 10000}"
    bureau = f"县林业和草原局调解室{suffix}"
    bureau_id = last_line(cli("org", "add", "--name", bureau, "--kind", "bureau", data_dir=server.data_dir))
    sun, lin = f"asst-sun{suffix}", f"asst-lin{suffix}"
    ids = {}
    for username, name in ((sun, "孙调解员"), (lin, "林调解员")):
        ids[username] = last_line(
            cli(
                "user", "add", "--username", username, "--password", server.password, "--role", "mediator",
                "--display-name", name, "--org", bureau_id, data_dir=server.data_dir,
            )
        )  # fmt: skip
    booked = book_through_api(browser, server, "AS", 10, day=DAY, dispute=WAGES)
    applicant = next(link for link in booked.links if link["role"] == "applicant")

    # 刘 asks the bureau to assist (the referral form itself is clicked through in test_wage_journey.py).
    api, as_lead = api_as(browser, server, server.username)
    body = {"to_organisation_id": bureau_id, "role": "assisting", "reason": "工地在林区", "task": "核实工程款拨付情况"}
    as_lead(f"/cases/{booked.case_id}/referrals", body, 201)
    api.close()

    # 孙 accepts on his dashboard: nobody takes part unless chosen, and he chooses himself.
    s_context = new_context(browser, server)
    co = s_context.new_page()
    s_errors = PageErrors(co)
    log_in(co, replace(server, username=sun))
    incoming = co.get_by_test_id("incoming-referral").filter(has_text=booked.case_number)
    chosen = incoming.get_by_label("参加调解的调解员")
    assert chosen.input_value() == ""
    chosen.select_option(label="孙调解员")
    incoming.get_by_test_id("accept-referral").click()
    incoming.wait_for(state="detached")

    # The case page (read through the referral) lists him among who mediates and shows him the way in.
    co.goto(f"/cases/{booked.case_id}")
    co.get_by_test_id("case-mediator").filter(has_text="孙调解员").filter(has_text="共同调解").wait_for()
    co.get_by_test_id("referral-mediator").filter(has_text="参加调解的调解员：孙调解员").wait_for()
    card = co.locator(f'[data-testid="session-card"][data-session-id="{booked.session_id}"]')
    card.filter(has_text=server.mediator_name).wait_for()
    shot(co, artifacts, "assisting-case-page.jpg")
    card.get_by_test_id("join-live").click()
    co.wait_for_url(re.compile(rf"/live/{booked.session_id}$"))
    co.get_by_test_id("live-room").wait_for()

    l_context, liu, l_errors = open_live(browser, server, server.username, booked.session_id)
    liu.get_by_test_id("live-room").wait_for()
    # Each sees the other as a host: 刘 leads (主持调解员), 孙 co-mediates (调解员).
    for page, other, role in ((liu, ids[sun], "调解员"), (co, server.mediator_id, "主持调解员")):
        person = page.locator(f'.people [data-participant-id="{other}"]')
        person.get_by_test_id("person-role").filter(has_text=re.compile(rf"^{role}$")).wait_for()

    # The applicant waits, told both hosts' names; 孙 lets her in.
    a_context, party, a_errors = join_as_party(browser, server, applicant["url"], DESKTOP)
    party.get_by_test_id("waiting-room").filter(has_text=f"{server.mediator_name}、孙调解员").wait_for()
    waiting = co.get_by_test_id("waiting-list").locator(f'[data-participant-id="{applicant["party_id"]}"]')
    waiting.get_by_test_id("admit").click()
    party.get_by_test_id("live-room").wait_for()
    assert_playing(co, applicant["party_id"], "the assisting co-mediator")

    # 孙 writes to the room; 刘 and the applicant read it under his name.
    co.get_by_test_id("chat-input").fill("林区工程款已于上月拨付给总包单位。")
    co.get_by_test_id("chat-send").click()
    for page in (liu, party):
        said = page.locator('[data-testid="chat-msg"]').filter(has_text="林区工程款已于上月拨付给总包单位。")
        said.filter(has_text="孙调解员").wait_for()
    # The parties' identity panel is his too (the checks on video are a host's).
    co.get_by_test_id("identity-panel").filter(has_text="张三").wait_for()
    shot(co, artifacts, "assisting-co-mediator-live.jpg")

    # 林, of the bureau but not chosen: the same address tells him why he cannot come in, and what to do.
    n_context, colleague, n_errors = open_live(browser, server, lin, booked.session_id)
    refused = colleague.get_by_test_id("live-refused")
    refused.filter(has_text="您没有被指派调解这个案件").filter(has_text="接受协办时选定").wait_for()
    assert colleague.get_by_test_id("live-room").count() == 0

    for errors in (s_errors, l_errors, a_errors, n_errors):
        errors.check()
    for context in (n_context, a_context, l_context, s_context):
        context.close()
