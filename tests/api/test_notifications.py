"""Notifications go through one outbox; senders deliver them (a real SMTP server here)."""

from __future__ import annotations

import asyncio
import email
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from server.domain.notifications import DeliveryError, Handed, Outbox, SmsSender, SmtpSender, SpoolSmsGateway
from server.models import OutboxMessage
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World


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


async def outbox_with(world: World, **senders: Any) -> Outbox:
    return Outbox(world.services.links._maker, world.services.settings, senders)


async def test_invitations_are_emailed_through_smtp(world: World, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    liu = await world.staff("liu")
    case = await liu.call(
        "POST",
        "/api/v1/cases",
        {"case_number": "MAIL-1", "dispute_type": "contract", "source": "party_application", "summary": "借款"},
        expect=201,
    )
    await liu.call(
        "POST",
        f"/api/v1/cases/{case['id']}/parties",
        {"role": "applicant", "name": "张三", "phone": "13800000001", "email": "zhangsan@example.cn"},
        expect=201,
    )
    booked = await book(liu, case["id"], next_weekday_at(10))
    settings = world.services.settings.with_overrides(smtp_host="127.0.0.1", smtp_port=port)
    outbox = Outbox(world.services.links._maker, settings, {"email": SmtpSender(settings), "sms": _Recorder()})
    assert await outbox.deliver_pending() == 2
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "zhangsan@example.cn" and "MAIL-1" in mail["Subject"]
    assert booked["links"][0]["url"] in mail.get_content()
    statuses = {m["channel"]: m["status"] for m in (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]}
    assert statuses == {"email": "sent", "sms": "recorded"}


class _Recorder:
    async def send(self, message: OutboxMessage) -> Handed:
        return Handed("recorded")


class _Down:
    async def send(self, message: OutboxMessage) -> Handed:
        raise DeliveryError("gateway unreachable", code="unreachable", reason="无法连接短信服务商，稍后会自动重试")


async def test_a_failing_sender_keeps_the_message_and_retries_later(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu, parties=1)
    await book(liu, case["id"], next_weekday_at(10))
    outbox = await outbox_with(world, sms=_Down(), email=_Recorder())
    assert await outbox.deliver_pending() == 1
    items = (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]
    assert items[0]["status"] == "pending" and items[0]["attempts"] == 1
    assert "unreachable" in items[0]["last_error"] and items[0]["failure_reason"] == "无法连接短信服务商，稍后会自动重试"
    assert await outbox.deliver_pending() == 0, "not retried before its back-off"
    later = datetime.now().astimezone() + timedelta(minutes=5)
    assert await outbox.deliver_pending(now=later) == 1


async def test_sms_goes_to_the_gateway_spool(world: World, tmp_path: Any) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    spool = tmp_path / "sms.jsonl"
    outbox = await outbox_with(world, sms=SmsSender(SpoolSmsGateway(spool)), email=_Recorder())
    await outbox.deliver_pending()
    lines = [json.loads(line) for line in spool.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["phone"] for line in lines) == ["13800000001", "13900000002"]
    assert all("北京时间" in line["text"] for line in lines)
    # A forwarder gets the kind and the template's parameters too (server/domain/notices.py).
    assert {line["kind"] for line in lines} == {"invitation"}
    assert all(list(line["params"]) == ["name", "org", "case", "time", "mediator", "link"] for line in lines)
    assert all(line["params"]["link"].startswith("j/") and len(line["params"]["link"]) <= 35 for line in lines)
    for link in booked["links"]:
        assert sum(link["url"] in line["text"] for line in lines) == 1, "each party gets their own link"


async def test_reminders_24h_and_15min_before_are_queued_once(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    starts = next_weekday_at(10, days_ahead=3)
    session = (await book(liu, case["id"], starts))["session"]
    outbox = world.services.outbox
    assert await outbox.queue_reminders(now=starts - timedelta(hours=30)) == 0, "too early"
    assert await outbox.queue_reminders(now=starts - timedelta(hours=23)) == 2
    assert await outbox.queue_reminders(now=starts - timedelta(hours=22)) == 0, "not twice"
    assert await outbox.queue_reminders(now=starts - timedelta(minutes=14)) == 2
    kinds = [m["kind"] for m in (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]]
    assert kinds.count("reminder_24h") == 2 and kinds.count("reminder_15m") == 2
    # A rescheduled session is reminded again for its new time; a cancelled one never.
    new_start = next_weekday_at(15, days_ahead=5)
    await liu.call("POST", f"/api/v1/sessions/{session['id']}/reschedule", {"starts_at": new_start.isoformat()})
    assert await outbox.queue_reminders(now=new_start - timedelta(minutes=10)) == 2
    await liu.call("POST", f"/api/v1/sessions/{session['id']}/cancel", {})
    assert await outbox.queue_reminders(now=new_start - timedelta(minutes=5)) == 0


async def test_the_background_loop_delivers_without_being_asked(world: World, tmp_path: Any) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu, parties=1)
    await book(liu, case["id"], next_weekday_at(10))
    stop = asyncio.Event()
    task = asyncio.create_task(world.services.outbox.run(stop))
    try:
        for _ in range(300):  # 30 s and more: a loaded machine delays the outbox's rounds
            items = (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]
            if all(m["status"] == "sent" for m in items):
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    # The test settings spool text messages (tests/conftest.py): taken by the spool, not delivered.
    assert items and all(m["status"] == "sent" and m["provider"] == "spool" for m in items)


async def test_without_a_sender_a_message_is_recorded_only_and_says_so(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu, parties=1)
    await book(liu, case["id"], next_weekday_at(10))
    outbox = await outbox_with(world)  # no senders at all: nothing delivers
    await outbox.deliver_pending()
    items = (await liu.call("GET", f"/api/v1/cases/{case['id']}/outbox"))["items"]
    assert [(m["status"], m["provider"], m["sent_at"] is not None) for m in items] == [("recorded", None, True)]
