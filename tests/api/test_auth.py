"""Staff log in with passwords; sessions are cookies; state changes need the CSRF token."""

from __future__ import annotations

from argon2 import extract_parameters
from sqlalchemy import select

from server.models import User
from tests.api.helpers import open_case
from tests.conftest import PASSWORD, World


async def test_login_me_and_logout(world: World) -> None:
    liu = await world.actor()
    assert (await liu.request("GET", "/api/v1/auth/me")).status == 401
    await liu.login("liu")
    me = await liu.call("GET", "/api/v1/auth/me")
    assert me["user"]["display_name"] == "刘调解员" and me["user"]["organisation"]["name"] == "朝阳区人民调解委员会"
    assert me["csrf_token"] == liu.csrf
    await liu.call("POST", "/api/v1/auth/logout", expect=204)
    assert (await liu.request("GET", "/api/v1/auth/me")).status == 401


async def test_passwords_are_hashed_with_argon2(world: World) -> None:
    async with world.services.links._maker() as db:
        hashes = list(await db.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    # At the cost the settings name (lowest in the suite, RFC 9106's in production: tests/test_settings.py).
    assert all(extract_parameters(h) == world.services.settings.password_hash for h in hashes)


async def test_wrong_password_and_unknown_user_get_the_same_answer(world: World) -> None:
    for username in ("liu", "nobody"):
        answer = await (await world.actor()).call(
            "POST", "/api/v1/auth/login", {"username": username, "password": "wrong-password"}, expect=401
        )
        assert answer["error"]["code"] == "invalid_credentials"


async def test_login_is_throttled_after_repeated_failures(world: World) -> None:
    browser = await world.actor()
    for _ in range(5):
        await browser.call("POST", "/api/v1/auth/login", {"username": "liu", "password": "guess-guess"}, expect=401)
    response = await browser.request("POST", "/api/v1/auth/login", {"username": "liu", "password": PASSWORD})
    assert response.status == 429, "even the right password waits once the limit is reached"
    assert int(response.headers["Retry-After"]) > 0
    assert (await response.json())["error"]["code"] == "too_many_attempts"
    # Other accounts are not affected.
    await (await world.actor()).login("wang")


async def test_state_changes_need_the_csrf_token(world: World) -> None:
    liu = await world.staff("liu")
    body = {"case_number": "X-1", "dispute_type": "contract", "source": "party_application", "summary": "借款纠纷"}
    no_token = await liu.client.post("/api/v1/cases", json=body)
    assert no_token.status == 403 and (await no_token.json())["error"]["code"] == "csrf_failed"
    wrong = await liu.client.post("/api/v1/cases", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status == 403
    cross_site = await liu.request("POST", "/api/v1/cases", body, headers={"Origin": "https://evil.example"})
    assert cross_site.status == 403
    await liu.call("POST", "/api/v1/cases", body, expect=201)
    # Nothing was created by the refused attempts.
    assert len((await liu.call("GET", "/api/v1/cases"))["items"]) == 1


async def test_cookies_are_httponly_and_samesite(world: World) -> None:
    browser = await world.actor()
    response = await browser.request("POST", "/api/v1/auth/login", {"username": "liu", "password": PASSWORD})
    cookie = response.cookies["mediate_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"


async def test_a_mediator_sees_only_cases_of_their_organisation(world: World) -> None:
    liu, wang, zhao = await world.staff("liu"), await world.staff("wang"), await world.staff("zhao")
    case = await open_case(liu)
    assert [c["id"] for c in (await wang.call("GET", "/api/v1/cases"))["items"]] == [case["id"]], "same committee"
    assert (await zhao.call("GET", "/api/v1/cases"))["items"] == []
    assert (await zhao.request("GET", f"/api/v1/cases/{case['id']}")).status == 403
