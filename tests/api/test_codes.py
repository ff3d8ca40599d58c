"""One-time codes: how often they may be asked for, the channel they take, and the truth about their message."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from server.app import create_app
from server.domain.notifications import Outbox
from server.evidence.records import DeviceKey, b64, unb64
from server.models import OutboxMessage, utcnow
from server.notify import senders_from
from server.settings import Settings, SettingsError
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import Actor, World


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shipped limits: one code a minute, five an hour, ten a day (tests/conftest.py relaxes them)."""
    return replace(settings, code_interval_seconds=60, codes_per_hour=5, codes_per_day=10)


def spki() -> str:
    return b64(DeviceKey.generate({"kind": "party", "id": "x"}).info.spki)


async def party_of(
    world: World, number: str = "（2026）朝调字第12号", hour: int = 10
) -> tuple[Actor, dict[str, Any], dict[str, Any]]:
    liu = await world.staff("liu")
    case = await open_case(liu, number)
    booked = await book(liu, case["id"], next_weekday_at(hour))
    party = await world.actor()
    await party.open_link(booked["links"][0]["url"])
    return party, case, booked


async def ask(party: Actor, expect: int = 201) -> Any:
    return await party.call("POST", "/api/v1/party/keys/device", {"spki": spki()}, expect=expect)


async def backdate(world: World, minutes: int) -> None:
    """Time passes for the codes asked so far (they are counted by when they were asked)."""
    async with world.services.links._maker() as db, db.begin():
        for message in await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "otp")):
            message.created_at -= timedelta(minutes=minutes)


async def test_a_second_code_within_a_minute_is_refused_with_how_long_to_wait(world: World) -> None:
    party, _, _ = await party_of(world)
    first = await ask(party)
    assert first["channel"] == "sms" and first["sent_to"] == "138****0001" and first["message_id"]
    response = await party.request("POST", "/api/v1/party/keys/device", json={"spki": spki()})
    body = await response.json()
    assert response.status == 429
    error = body["error"]
    assert error["code"] == "too_many_attempts" and error["reason"] == "code_interval"
    assert 50 <= error["retry_after"] <= 60 and response.headers["Retry-After"] == str(error["retry_after"])
    assert "秒后再获取" in error["message"] and "ask again in" in error["message"]
    await backdate(world, 2)
    await ask(party)


async def test_at_most_five_codes_an_hour_and_ten_a_day(world: World) -> None:
    party, _, _ = await party_of(world)
    for _ in range(5):
        await ask(party)
        await backdate(world, 2)
    refused = (await ask(party, expect=429))["error"]
    assert refused["reason"] == "codes_per_hour" and "一小时内" in refused["message"]
    assert 60 * 49 <= refused["retry_after"] <= 60 * 51, "the oldest of the hour's five leaves it in about 50 minutes"
    await backdate(world, 60)
    for _ in range(5):
        await ask(party)
        await backdate(world, 2)
    assert (await ask(party, expect=429))["error"]["reason"] == "codes_per_day"


async def test_the_limit_holds_per_phone_number_across_cases(world: World) -> None:
    party, _, _ = await party_of(world)
    await ask(party)
    # The same person (same number) is a party in another case: their number just got a code.
    other, _, _ = await party_of(world, "（2026）朝调字第13号", hour=14)
    assert (await ask(other, expect=429))["error"]["reason"] == "code_interval"


async def test_the_limit_holds_across_server_processes(world: World, aiohttp_server: Any, aiohttp_client: Any) -> None:
    party, _, booked = await party_of(world)
    await ask(party)
    # A second server on the same database (another process behind the same load balancer).
    second = await aiohttp_server(create_app(world.services.settings, migrate=False, run_background=False))
    elsewhere = Actor(await aiohttp_client(second))
    await elsewhere.open_link(booked["links"][0]["url"])
    assert (await ask(elsewhere, expect=429))["error"]["reason"] == "code_interval"


async def test_with_no_channel_a_code_is_refused_rather_than_pretended(
    world: World, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    _, _, booked = await party_of(world)
    silent = replace(world.services.settings, sms_gateway="spool")  # no SMS, no SMTP
    server = await aiohttp_server(create_app(silent, migrate=False, run_background=False))
    party = Actor(await aiohttp_client(server))
    await party.open_link(booked["links"][0]["url"])
    refused = (await ask(party, expect=409))["error"]
    assert refused["reason"] == "no_code_channel" and "调解员" in refused["message"]
    async with world.services.links._maker() as db:
        assert list(await db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "otp"))) == []


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp_server(unused_tcp_port: int) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    yield inbox, unused_tcp_port
    controller.stop()


async def test_without_sms_the_code_goes_by_email_where_the_party_gave_one(
    world: World, aiohttp_server: Any, aiohttp_client: Any, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    liu = await world.staff("liu")
    case = await liu.call(
        "POST",
        "/api/v1/cases",
        {"case_number": "MAIL-2", "dispute_type": "contract", "source": "party_application", "summary": "借款"},
        expect=201,
    )
    await liu.call(
        "POST", f"/api/v1/cases/{case['id']}/parties",
        {"role": "applicant", "name": "王五", "phone": "13700000003", "email": "wangwu@example.cn"}, expect=201,
    )  # fmt: skip
    booked = await book(liu, case["id"], next_weekday_at(11))
    mail_only = replace(world.services.settings, sms_gateway="spool", smtp_host="127.0.0.1", smtp_port=port)
    server = await aiohttp_server(create_app(mail_only, migrate=False, run_background=False))
    party = Actor(await aiohttp_client(server))
    await party.open_link(booked["links"][0]["url"])
    key = DeviceKey.generate({"kind": "party", "id": "x"})
    started = await party.call("POST", "/api/v1/party/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    assert started["channel"] == "email" and started["sent_to"] == "w***@example.cn"
    # The statement the party signs says truly how they were confirmed: a code by e-mail.
    assert started["claim"]["public"]["method"] == "email_otp"
    status = await party.call("GET", f"/api/v1/party/messages/{started['message_id']}")
    assert status["status"] == "sending" and status["channel"] == "email"
    outbox = Outbox(world.services.links._maker, mail_only, senders_from(mail_only))
    await outbox.deliver_pending()
    [mail] = [m for m in inbox.messages if m["Subject"] == "验证码"]
    assert mail["To"] == "wangwu@example.cn" and "验证码是" in mail.get_content()
    status = await party.call("GET", f"/api/v1/party/messages/{started['message_id']}")
    assert status["status"] == "sent" and status["sent_to"] == "w***@example.cn"
    assert "body" not in status and not any(ch.isdigit() and len(ch) == 6 for ch in str(status.values()).split())
    code = mail.get_content().split("验证码是", 1)[1][:6]
    signature = key.sign(unb64(started["statement"]))["sig"]
    path = f"/api/v1/party/keys/device/{started['challenge']}"
    await party.call("POST", path, {"code": code, "signature": signature}, expect=201)


async def test_a_party_sees_only_their_own_messages_and_never_their_text(world: World) -> None:
    party, case, booked = await party_of(world)
    started = await ask(party)
    other = await world.actor()
    await other.open_link(booked["links"][1]["url"])
    assert (await other.call("GET", f"/api/v1/party/messages/{started['message_id']}", expect=404))["error"][
        "code"
    ] == "not_found"
    liu = await world.staff("liu")
    await liu.call("GET", f"/api/v1/party/messages/{started['message_id']}", expect=403)
    status = await party.call("GET", f"/api/v1/party/messages/{started['message_id']}")
    assert status == status | {"id": started["message_id"], "kind": "otp", "status": "sending", "reason": None}
    await world.services.outbox.deliver_pending()
    assert (await party.call("GET", f"/api/v1/party/messages/{started['message_id']}"))["status"] == "sent"
    # A failure reaches the party as a reason the page can say, and the mediator sees the provider's words.
    async with world.services.links._maker() as db, db.begin():
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == started["message_id"])
            .values(
                status="failed", error_code="isv.MOBILE_NUMBER_ILLEGAL", failure_reason="手机号码无效，请核对当事人的手机号码"
            )
        )
    failed = await party.call("GET", f"/api/v1/party/messages/{started['message_id']}")
    assert failed["status"] == "failed" and failed["reason"] == "wrong_address"
    assert failed["reason_text"] == "手机号码无效，请核对当事人的手机号码"
    outbox = (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]
    otp = next(m for m in outbox if m["kind"] == "otp")
    assert otp["status"] == "failed" and otp["error_code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    assert "验证码是" not in otp["body"]


async def test_codes_asked_long_ago_do_not_count(world: World) -> None:
    party, _, _ = await party_of(world)
    for _ in range(5):
        await ask(party)
        await backdate(world, 2)
    await backdate(world, 60 * 24)
    async with world.services.links._maker() as db:
        times = list(await db.scalars(select(OutboxMessage.created_at).where(OutboxMessage.kind == "otp")))
    assert all(t < utcnow() - timedelta(days=1) for t in times)
    await ask(party)


def test_the_limits_are_read_from_the_environment_and_checked() -> None:
    env = {"MEDIATE_CODE_INTERVAL_SECONDS": "30", "MEDIATE_CODES_PER_HOUR": "8", "MEDIATE_CODES_PER_DAY": "15"}
    read = Settings.from_env(env)
    assert (read.code_interval_seconds, read.codes_per_hour, read.codes_per_day) == (30, 8, 15)
    defaults = Settings.from_env({})
    assert (defaults.code_interval_seconds, defaults.codes_per_hour, defaults.codes_per_day) == (60, 5, 10)
    with pytest.raises(SettingsError, match="MEDIATE_CODES_PER_HOUR must be at least 1"):
        Settings.from_env({"MEDIATE_CODES_PER_HOUR": "0"})
