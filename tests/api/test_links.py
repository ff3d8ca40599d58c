"""Party links open only their own case, and stop working when they should."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from server.models import PartyLink, utcnow
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World


async def test_a_valid_link_opens_the_party_page_for_that_case_only(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    party = await world.actor()
    response = await party.open_link(booked["links"][0]["url"])
    assert response.status == 303 and response.headers["Location"] == "/party"
    cookie = response.cookies["mediate_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    me = await party.call("GET", "/api/v1/party/me")
    assert me["case"]["case_number"] == case["case_number"]
    assert me["party"]["name"] == booked["links"][0]["party_name"]
    assert me["mediator"]["display_name"] == "刘调解员"
    page = await party.client.get("/party")
    assert page.status == 200 and "text/html" in page.headers["Content-Type"]


async def test_links_are_random_and_stored_only_as_hashes(world: World) -> None:
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    tokens = [link["url"].rsplit("/", 1)[1] for link in booked["links"]]
    # 192 bits, base64url: far beyond guessing, and j/<token> fits an SMS template variable (35 characters).
    assert all(len(t) == 32 and len(f"j/{t}") <= 35 for t in tokens), tokens
    maker = world.services.links._maker
    async with maker() as db:
        stored = list(await db.scalars(select(PartyLink.token_hash)))
    for token in tokens:
        assert token not in stored and all(token not in h for h in stored)


async def test_tampered_unknown_and_truncated_tokens_are_refused(world: World) -> None:
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    token = booked["links"][0]["url"].rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token[:-5], "x" * 43, "short"):
        visitor = await world.actor()
        response = await visitor.client.get(f"/j/{bad}", allow_redirects=False)
        assert response.status == 404
        assert "链接无效" in await response.text()
        assert (await visitor.request("GET", "/api/v1/party/me")).status == 401


async def test_an_expired_link_is_refused(world: World) -> None:
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    party = await world.actor()
    assert (await party.open_link(booked["links"][0]["url"])).status == 303
    async with world.services.links._maker() as db, db.begin():
        # The session is over and the grace period has passed.
        await db.execute(update(PartyLink).values(expires_at=utcnow() - timedelta(minutes=1)))
    response = await (await world.actor()).client.get(booked["links"][0]["url"].split("mediate.test")[1], allow_redirects=False)
    page = await response.text()
    assert response.status == 410 and "链接已过期" in page
    # It says what to do and whom to ask.
    assert "最新收到的短信中的链接" in page and "您的调解员：刘调解员" in page
    assert (await party.request("GET", "/api/v1/party/me")).status == 401


async def test_revoked_and_reissued_links(world: World) -> None:
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    session_id, link = booked["session"]["id"], booked["links"][0]
    party = await world.actor()
    await party.open_link(link["url"])
    await liu.call("DELETE", f"/api/v1/sessions/{session_id}/links/{link['party_id']}", expect=204)
    assert (await party.request("GET", "/api/v1/party/me")).status == 401
    assert (await (await world.actor()).open_link(link["url"])).status == 410
    again = await liu.call("DELETE", f"/api/v1/sessions/{session_id}/links/{link['party_id']}", expect=409)
    assert again["error"]["code"] == "invalid_state"
    fresh = await liu.call("POST", f"/api/v1/sessions/{session_id}/links/{link['party_id']}", expect=201)
    assert fresh["url"] != link["url"]
    assert (await (await world.actor()).open_link(fresh["url"])).status == 303
    # Re-issuing again retires the previous fresh link.
    newer = await liu.call("POST", f"/api/v1/sessions/{session_id}/links/{link['party_id']}", expect=201)
    assert (await (await world.actor()).open_link(fresh["url"])).status == 410
    assert (await (await world.actor()).open_link(newer["url"])).status == 303
    outbox = (await liu.call("GET", f"/api/v1/cases/{booked['session']['case_id']}/outbox"))["items"]
    assert any(m["kind"] == "link_reissued" and newer["url"] in m["body"] for m in outbox)


async def test_a_party_cannot_read_another_case_or_staff_routes(world: World) -> None:
    liu = await world.staff("liu")
    mine = await open_case(liu, "P-1")
    other = await open_case(liu, "P-2")
    booked_mine = await book(liu, mine["id"], next_weekday_at(10))
    booked_other = await book(liu, other["id"], next_weekday_at(13))
    party = await world.actor()
    await party.open_link(booked_mine["links"][0]["url"])
    for path in (
        f"/api/v1/cases/{other['id']}",
        f"/api/v1/cases/{mine['id']}",
        "/api/v1/cases",
        f"/api/v1/sessions/{booked_other['session']['id']}",
        f"/api/v1/cases/{other['id']}/outbox",
        f"/api/v1/sessions/{booked_other['session']['id']}/parties/{booked_other['links'][0]['party_id']}/calendar.ics",
        f"/api/v1/sessions/{booked_mine['session']['id']}/parties/{booked_mine['links'][1]['party_id']}/calendar.ics",
    ):
        response = await party.request("GET", path)
        assert response.status == 403, path
    me = await party.call("GET", "/api/v1/party/me")
    assert me["case"]["case_number"] == "P-1"


async def test_one_browser_holds_one_party_at_a_time(world: World) -> None:
    """Opening a second link in the same browser replaces the first party's session."""
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    browser = await world.actor()
    await browser.open_link(booked["links"][0]["url"])
    await browser.open_link(booked["links"][1]["url"])
    assert (await browser.call("GET", "/api/v1/party/me"))["party"]["name"] == booked["links"][1]["party_name"]
