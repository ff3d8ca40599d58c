"""Joining by phone (#25): each session link has a six-digit PIN, stored only as a keyed hash, told
once when the link is issued (and in the notice carrying it when a number to dial is configured),
and it finds its party as long as the link lets them in, no longer."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from server.domain import notices, phone_pins
from server.domain.notifications import Outbox
from server.domain.principal import PartyPrincipal, Staff
from server.errors import Gone, InvalidInput, NotFound
from server.models import CaseEvent, OutboxMessage, PartyLink, utcnow
from server.notify import senders_from
from server.settings import Settings, SmsTemplate
from tests.api.agreement_helpers import mediation
from tests.api.helpers import book, next_weekday_at, open_case, same_server_with
from tests.api.sms_standins import AliyunStandIn, TencentStandIn
from tests.api.test_confirmation import submitted
from tests.conftest import World

NUMBER = "010-8888 6666"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A deployment whose telephone gateway answers NUMBER."""
    return replace(settings, phone_number=NUMBER)


def pins_of(booked: dict[str, Any]) -> dict[str, str]:
    return {link["party_id"]: link["phone"]["pin"] for link in booked["links"]}


async def links_of(world: World, session_id: str) -> list[PartyLink]:
    async with world.services.links._maker() as db:
        return list(await db.scalars(select(PartyLink).where(PartyLink.session_id == session_id)))


async def outbox(world: World, case_id: str, kind: str) -> list[OutboxMessage]:
    async with world.services.links._maker() as db:
        query = select(OutboxMessage).where(OutboxMessage.case_id == case_id, OutboxMessage.kind == kind)
        return list(await db.scalars(query.order_by(OutboxMessage.id)))


async def refusal(world: World, pin: str) -> tuple[type[Exception], str | None]:
    try:
        await world.services.links.by_pin(pin)
    except (InvalidInput, NotFound, Gone) as exc:
        return type(exc), exc.details.get("reason")
    raise AssertionError(f"PIN {pin} was accepted")


def mediator(world: World) -> Staff:
    return Staff(world.ids["liu"], world.org_a.id, "mediator", "刘调解员", "Asia/Shanghai")


async def test_each_link_gets_its_own_pin_told_once_and_stored_only_as_a_keyed_hash(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    pins = pins_of(booked)
    assert len(pins) == 2 and len(set(pins.values())) == 2
    assert all(len(pin) == 6 and pin.isascii() and pin.isdigit() for pin in pins.values())
    assert {link["phone"]["number"] for link in booked["links"]} == {NUMBER}
    # Only an HMAC under the server's key is kept: not the PIN, nor its plain SHA-256.
    key = phone_pins.key_of(world.services.settings)
    assert (world.services.settings.data_dir / phone_pins.KEY_FILE).read_text().strip() == key
    stored = {link.party_id: link.pin_hash for link in await links_of(world, booked["session"]["id"])}
    for party_id, pin in pins.items():
        assert stored[party_id] == hmac.new(key.encode(), pin.encode(), hashlib.sha256).hexdigest()
        assert stored[party_id] != hashlib.sha256(pin.encode()).hexdigest()
    # Told once: the session as the case page reads it later carries no PIN.
    later = await liu.call("GET", f"/api/v1/sessions/{booked['session']['id']}")
    assert all(pin not in str(later) for pin in pins.values())


async def test_a_pin_finds_its_party_as_opening_the_link_would_and_the_case_history_says_so(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    session_id = booked["session"]["id"]
    for link in booked["links"]:
        found = await world.services.links.by_pin(link["phone"]["pin"])
        assert found == PartyPrincipal(link["party_id"], case["id"], session_id, link["party_name"])
        # What a party who opened their link is: the live room (signaling/admission.py) takes it the same way.
        me, view, _ = await world.services.booking.for_party(found)
        assert me == found and view.session.id == session_id and view.session.status == "scheduled"
    async with world.services.links._maker() as db:
        opened = list(await db.scalars(select(CaseEvent).where(CaseEvent.kind == "link_opened").order_by(CaseEvent.id)))
    by_phone = [e for e in opened if e.data.get("method") == "phone_pin"]
    assert [e.data["party_id"] for e in by_phone] == [link["party_id"] for link in booked["links"]]
    assert all(e.case_id == case["id"] and e.data["session_id"] == session_id for e in by_phone)
    assert all(str(pin) not in str(e.data) for e in by_phone for pin in pins_of(booked).values())
    history = await liu.call("GET", f"/api/v1/cases/{case['id']}/history")
    assert sum(1 for e in history["items"] if e["kind"] == "link_opened" and e["data"].get("method") == "phone_pin") == 2


async def test_a_reissued_or_revoked_links_old_pin_no_longer_works(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    session_id, party_id = booked["session"]["id"], booked["links"][0]["party_id"]
    old = pins_of(booked)[party_id]
    fresh = await liu.call("POST", f"/api/v1/sessions/{session_id}/links/{party_id}", expect=201)
    assert fresh["phone"] == {"number": NUMBER, "pin": fresh["phone"]["pin"]} and fresh["phone"]["pin"] != old
    assert await refusal(world, old) == (NotFound, "pin_unknown")
    assert (await world.services.links.by_pin(fresh["phone"]["pin"])).party_id == party_id
    # The new notice carries the new PIN, the old one's no PIN but its own.
    [sms] = [m for m in await outbox(world, case["id"], "link_reissued") if m.channel == "sms"]
    assert sms.template_params is not None and sms.template_params["pin"] == fresh["phone"]["pin"]
    await liu.call("DELETE", f"/api/v1/sessions/{session_id}/links/{party_id}", expect=204)
    assert await refusal(world, fresh["phone"]["pin"]) == (NotFound, "pin_unknown")
    # The other party's PIN is untouched.
    other = booked["links"][1]
    assert (await world.services.links.by_pin(other["phone"]["pin"])).party_id == other["party_id"]


async def test_an_expired_links_pin_is_not_found(world: World) -> None:
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(PartyLink).values(expires_at=utcnow() - timedelta(minutes=1)))
    for pin in pins_of(booked).values():
        assert await refusal(world, pin) == (NotFound, "pin_unknown")


async def test_a_cancelled_or_ended_session_and_an_archived_case_are_gone(world: World) -> None:
    liu = await world.staff("liu")
    cancelled = await book(liu, (await open_case(liu, "P-1"))["id"], next_weekday_at(10))
    await liu.call("POST", f"/api/v1/sessions/{cancelled['session']['id']}/cancel", {"reason": "改期"})
    for pin in pins_of(cancelled).values():
        assert await refusal(world, pin) == (Gone, "session_cancelled")
    ended = await book(liu, (await open_case(liu, "P-2"))["id"], next_weekday_at(13))
    await world.services.booking.end(mediator(world), ended["session"]["id"])
    for pin in pins_of(ended).values():
        assert await refusal(world, pin) == (Gone, "session_ended")
    # A case closed and archived (归档) while its session's links still run.
    m = await mediation(world, "P-3", hour=15)
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/outcome", {"outcome": "failed", "reason": "divergence"})
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/close", {"reason": "other", "note": "调解不成"}, expect=201)
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/archive", expect=201)
    for pin in pins_of(m.session).values():
        assert await refusal(world, pin) == (Gone, "case_archived")


@pytest.mark.parametrize("typed", ["12345", "1234567", "12345a", "", " 123456", "123456#", "１２３４５６", "١٢٣٤٥٦"])
async def test_anything_but_six_ascii_digits_is_invalid_input(world: World, typed: str) -> None:
    assert await refusal(world, typed) == (InvalidInput, "pin_malformed")


async def test_a_pin_unknown_to_every_link_is_not_found(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = ["111111", "222222"]
    monkeypatch.setattr(phone_pins, "draw", lambda: draws.pop(0))
    liu = await world.staff("liu")
    await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    assert await refusal(world, "333333") == (NotFound, "pin_unknown")


async def test_two_live_links_never_share_a_pin_and_an_expired_ones_is_drawn_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The random draw replaced by one that repeats itself: the second link's first draws hit the first's PIN.
    draws = ["424242", "424242", "424242", "707070"]
    monkeypatch.setattr(phone_pins, "draw", lambda: draws.pop(0))
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    pins = [link["phone"]["pin"] for link in booked["links"]]
    assert pins == ["424242", "707070"] and draws == []
    stored = [link.pin_hash for link in await links_of(world, booked["session"]["id"])]
    assert len(set(stored)) == 2
    # Once the first link has expired, its PIN is free: the next link issued may draw it, and takes it over.
    first, second = booked["links"]
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(PartyLink).where(PartyLink.party_id == first["party_id"]).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    draws.append("424242")
    fresh = await liu.call("POST", f"/api/v1/sessions/{booked['session']['id']}/links/{second['party_id']}", expect=201)
    assert fresh["phone"]["pin"] == "424242"
    assert (await world.services.links.by_pin("424242")).party_id == second["party_id"]
    assert await refusal(world, "707070") == (NotFound, "pin_unknown")  # the re-issued link's old PIN


@pytest.mark.skipif(not os.environ.get("MEDIATE_TEST_DATABASE_URL"), reason="needs PostgreSQL (MEDIATE_TEST_DATABASE_URL)")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_pin_another_transaction_takes_meanwhile_is_drawn_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two links issued side by side may draw the same PIN, neither seeing the other's: the unique index
    makes the second wait for the first and refuse, and the second draws again (PostgreSQL runs
    transactions side by side; SQLite has one writer)."""
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(10))
    session_id = booked["session"]["id"]
    first, second = booked["links"]
    draws = ["535353", "646464"]
    monkeypatch.setattr(phone_pins, "draw", lambda: draws.pop(0))
    maker = world.services.links._maker
    async with maker() as other:
        await other.begin()
        # Another request issues the other party a link with 535353, and has not committed yet.
        other.add(
            PartyLink(
                party_id=second["party_id"], session_id=session_id, token_hash="f" * 64,
                pin_hash=phone_pins.pin_hash(world.services.settings, "535353"), expires_at=utcnow() + timedelta(days=3),
            )
        )  # fmt: skip
        await other.flush()
        mine = asyncio.create_task(liu.call("POST", f"/api/v1/sessions/{session_id}/links/{first['party_id']}", expect=201))
        # The re-issue draws 535353 too, finds no holder (not committed) and its insert waits for ours.
        deadline = asyncio.get_running_loop().time() + 20
        while not await waiting_on_a_lock(world):
            assert asyncio.get_running_loop().time() < deadline, "the re-issue never waited for the other transaction"
            await asyncio.sleep(0.01)
        await other.commit()
    fresh = await mine
    assert fresh["phone"]["pin"] == "646464" and draws == []
    assert (await world.services.links.by_pin("535353")).party_id == second["party_id"]
    assert (await world.services.links.by_pin("646464")).party_id == first["party_id"]


async def waiting_on_a_lock(world: World) -> bool:
    async with world.services.links._maker() as db:
        waiting = await db.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO party_links%'"
            )
        )
    return bool(waiting)


async def test_the_texts_carry_the_number_and_the_pin_only_with_a_number_to_dial(world: World, aiohttp_server: Any) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu, "T-1")
    booked = await book(liu, case["id"], next_weekday_at(10))
    pins = pins_of(booked)
    sent = await outbox(world, case["id"], "invitation")
    assert {m.channel for m in sent} == {"sms"} and len(sent) == 2
    for message in sent:
        assert message.party_id is not None and message.template_params is not None
        pin = pins[message.party_id]
        assert message.template_params["phone"] == NUMBER and message.template_params["pin"] == pin
        assert f"不便使用智能手机的，可拨打 {NUMBER} 并输入会议密码 {pin} 以电话参加。" in message.body
    # The same server without a number to dial: links still get PINs, but no text, page or answer tells one.
    plain = await same_server_with(world, aiohttp_server, phone_number=None)
    liu_plain = await plain.staff("liu")
    other = await open_case(liu_plain, "T-2")
    quiet = await book(liu_plain, other["id"], next_weekday_at(13))
    assert all("phone" not in link for link in quiet["links"])
    assert all(link.pin_hash for link in await links_of(world, quiet["session"]["id"]))
    reissued = await liu_plain.call(
        "POST", f"/api/v1/sessions/{quiet['session']['id']}/links/{quiet['links'][0]['party_id']}", expect=201
    )
    assert "phone" not in reissued
    for kind in ("invitation", "link_reissued"):
        for message in await outbox(world, other["id"], kind):
            assert "会议密码" not in message.body and "PIN" not in message.body
            assert message.template_params is not None and not {"phone", "pin"} & set(message.template_params)


async def test_a_court_hearings_notice_carries_the_pin_and_the_pin_finds_the_party_for_the_hearing(world: World) -> None:
    """The court's video hearing on an application for confirmation is a session to join like a mediation's."""
    m, _, _, application = await submitted(world)
    judge = await world.staff("judge1")
    app_path = f"/api/v1/court/applications/{application['id']}"
    await judge.call("POST", f"{app_path}/status", {"status": "accepted"})
    starts = (utcnow() + timedelta(days=1)).isoformat()
    scheduled = await judge.call("POST", f"{app_path}/hearing", {"starts_at": starts, "duration_minutes": 20}, expect=201)
    sent = [message for message in await outbox(world, m.case_id, "hearing") if message.channel == "sms"]
    assert len(sent) == 2
    for message in sent:
        assert message.template_params is not None
        pin = message.template_params["pin"]
        assert f"可拨打 {NUMBER} 并输入会议密码 {pin} 以电话参加。" in message.body
        found = await world.services.links.by_pin(pin)
        assert (found.party_id, found.session_id) == (message.party_id, scheduled["hearing"]["session_id"])
    # The judge is told each party's PIN in the answer, to tell a caller theirs (and only then).
    told = {(line["party_id"], line["number"], line["pin"]) for line in scheduled["hearing_phone"]}
    assert told == {(m.party_id, NUMBER, m.template_params["pin"]) for m in sent if m.template_params}
    assert {line["party_name"] for line in scheduled["hearing_phone"]} == {"张三", "李四"}
    again = await judge.call("GET", app_path)
    assert "hearing_phone" not in again and all(line["pin"] not in str(again) for line in scheduled["hearing_phone"])
    # The kinds that are not a session to join never mention it, whatever they are given.
    for kind, spec in notices.KINDS.items():
        if not spec.by_phone:
            assert notices.template_params(kind) == spec.params
            assert "会议密码" not in notices.compose(kind, {"phone": NUMBER, "pin": "012345"}, "en")[1]


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request: pytest.FixtureRequest) -> Iterator[str]:
    yield str(request.param)


async def test_providers_get_the_phone_and_pin_as_the_approved_templates_take_them(
    world: World, aiohttp_server: Any, provider: str
) -> None:
    """Alibaba by name, with the number and PIN as variables; Tencent by position, its template without
    the link (it takes none) and with the number written into its text: only the PIN travels."""
    if provider == "aliyun":
        standin: Any = AliyunStandIn(
            "LTAI5tStandInKeyId", "standInSecretOfThirtyCharacters", "朝阳区人民调解委员会",
            {"SMS_1": ["code"], "SMS_2": ["name", "org", "case", "time", "mediator", "link", "phone", "pin"]},
        )  # fmt: skip
        templates = {"otp": SmsTemplate("SMS_1"), "invitation": SmsTemplate("SMS_2")}
        extra: dict[str, Any] = {"sms_gateway": "aliyun"}
    else:
        standin = TencentStandIn(
            "AKIDStandInSecretId", "standInSecretKeyOfThirtyTwoChars", "朝阳区人民调解委员会",
            {"1": ["code"], "2": ["name", "org", "case", "time", "mediator", "pin"]},
        )  # fmt: skip
        templates = {"otp": SmsTemplate("1"), "invitation": SmsTemplate("2", ("name", "org", "case", "time", "mediator", "pin"))}
        extra = {"sms_gateway": "tencent", "sms_app_id": "1400006666"}
    server = await aiohttp_server(standin.app())
    settings = replace(
        world.services.settings, sms_access_key_id=standin.key_id, sms_access_key_secret=standin.secret,
        sms_sign_name="朝阳区人民调解委员会", sms_templates=templates, sms_endpoint=f"http://127.0.0.1:{server.port}", **extra,
    )  # fmt: skip
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    assert await Outbox(world.services.links._maker, settings, senders_from(settings)).deliver_pending() == 2
    assert standin.refused == []
    sent = {m.phone[-11:]: m.params for m in standin.accepted}
    pins = pins_of(booked)
    by_phone = {"13800000001": "applicant", "13900000002": "respondent"}
    roles = {p["role"]: p["id"] for p in case["parties"]}
    for phone, params in sent.items():
        pin = pins[roles[by_phone[phone]]]
        if provider == "aliyun":
            assert params["phone"] == NUMBER and params["pin"] == pin
        else:
            assert params[-1] == pin and NUMBER not in params


def test_the_templates_with_the_pin_are_in_the_configuration_reference() -> None:
    reference = (Path(__file__).parents[2] / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
    for kind, spec in notices.KINDS.items():
        if spec.by_phone:
            text = notices.sms_template_text(kind, by_phone=True)
            row = f"| `{kind}` | {', '.join(f'`{p}`' for p in notices.template_params(kind))} | {text} |"
            assert row in reference, f"docs/CONFIGURATION.md: no row with the PIN for {kind}: {row}"
            assert text.endswith("不便使用智能手机的，可拨打 ${phone} 并输入会议密码 ${pin} 以电话参加。")
