"""One outbox for every notification, and the senders that deliver it.

Every message is written to the outbox in the same transaction as the change that caused it,
so nothing is lost if a sender is down; the dispatcher delivers later. The default sender
only records the message, and the mediator sees it on the case page so that links can be
passed on by phone or WeChat, which is how most parties are reached in practice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import aiosmtplib
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.models import Case, MediationSession, Organisation, OutboxMessage, Party, User, utcnow
from server.settings import Settings

log = logging.getLogger(__name__)

WEEKDAYS_ZH = "一二三四五六日"
MAX_ATTEMPTS = 5
SENDING_TIMEOUT = timedelta(minutes=5)


def local_time_text(when: datetime, zone_name: str) -> str:
    local = when.astimezone(ZoneInfo(zone_name))
    zone_label = "北京时间" if zone_name in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else zone_name
    return f"{local.year}年{local.month}月{local.day}日（星期{WEEKDAYS_ZH[local.weekday()]}）{local:%H:%M}（{zone_label}）"


def local_time_text_en(when: datetime, zone_name: str) -> str:
    local = when.astimezone(ZoneInfo(zone_name))
    return f"{local:%A %d %B %Y, %H:%M} ({zone_name})"


@dataclass(frozen=True)
class Context:
    case: Case
    session: MediationSession
    organisation: Organisation
    mediator: User


def compose(kind: str, ctx: Context, party: Party, url: str | None) -> tuple[str, str]:
    """(subject, body) in Chinese, with English below for parties who asked for it."""
    when = local_time_text(ctx.session.starts_at, ctx.session.timezone)
    when_en = local_time_text_en(ctx.session.starts_at, ctx.session.timezone)
    org, number, mediator = ctx.organisation.name, ctx.case.case_number, ctx.mediator.display_name
    link_zh = f"请在开始前用手机或电脑浏览器打开您的专属链接进入：{url}" if url else "请使用之前收到的专属链接进入。"
    link_en = (
        f"Open your personal link in a phone or computer browser: {url}" if url else "Use the personal link you received earlier."
    )
    texts = {
        "invitation": (
            f"视频调解通知：{number}",
            f"{party.name}您好：{org}定于{when}通过视频调解案件{number}，调解员{mediator}。{link_zh} 此链接仅供您本人使用，请勿转发。",
            f"Dear {party.name}, {org} has scheduled an online mediation of case {number} on {when_en} with mediator {mediator}. {link_en} This link is for you only.",
        ),
        # A court's short video hearing on an application for confirmation: ctx.organisation is the
        # court and ctx.mediator the judge who hosts it.
        "hearing": (
            f"司法确认询问通知：{number}",
            f"{party.name}您好：{org}定于{when}通过视频就您的司法确认申请（{number}）询问双方当事人，承办法官{mediator}。{link_zh} 此链接仅供您本人使用，请勿转发。",
            f"Dear {party.name}, {org} will question both parties by video about your application for judicial confirmation ({number}) on {when_en}; judge {mediator}. {link_en} This link is for you only.",
        ),
        "reschedule": (
            f"调解时间变更：{number}",
            f"{party.name}您好：案件{number}的视频调解时间已改为{when}。{link_zh}",
            f"Dear {party.name}, the mediation of case {number} has moved to {when_en}. {link_en}",
        ),
        "cancellation": (
            f"调解取消：{number}",
            f"{party.name}您好：原定于{when}的案件{number}视频调解已取消，原链接失效。如有疑问请联系{org}。",
            f"Dear {party.name}, the mediation of case {number} on {when_en} is cancelled and its link no longer works.",
        ),
        "link_reissued": (
            f"新的调解链接：{number}",
            f"{party.name}您好：您参加案件{number}视频调解（{when}）的链接已更新，旧链接失效。{link_zh}",
            f"Dear {party.name}, your link for the mediation of case {number} ({when_en}) was renewed; the old one no longer works. {link_en}",
        ),
        "reminder_24h": (
            f"调解提醒：{number}",
            f"{party.name}您好：案件{number}的视频调解将于{when}开始。请准备好身份证和相关材料，找一个安静、网络良好的地方。{link_zh}",
            f"Reminder: the mediation of case {number} starts on {when_en}. Have your ID card and documents ready. {link_en}",
        ),
        "reminder_15m": (
            f"调解即将开始：{number}",
            f"{party.name}您好：案件{number}的视频调解将在15分钟后（{when}）开始。{link_zh}",
            f"The mediation of case {number} starts in 15 minutes ({when_en}). {link_en}",
        ),
    }
    subject, zh, en = texts[kind]
    body = zh if party.language == "zh" else f"{zh}\n\n{en}"
    return subject, body


def enqueue(
    db: AsyncSession, kind: str, ctx: Context, party: Party, url: str | None, dedupe_key: str | None = None
) -> list[OutboxMessage]:
    """One message per channel the party can be reached on: SMS always (phone is required), e-mail if given."""
    subject, body = compose(kind, ctx, party, url)
    messages = []
    channels = [("sms", party.phone)] + ([("email", party.email)] if party.email else [])
    for channel, recipient in channels:
        message = OutboxMessage(
            case_id=ctx.case.id,
            session_id=ctx.session.id,
            party_id=party.id,
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            status="pending",
            dedupe_key=f"{dedupe_key}:{channel}" if dedupe_key else None,
            created_at=utcnow(),
        )
        db.add(message)
        messages.append(message)
    return messages


# -- senders ------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A sender could not deliver; the dispatcher retries with back-off."""


class Sender(Protocol):
    """Delivers one outbox message. Returns the status to keep: "sent" or "recorded"."""

    async def send(self, message: OutboxMessage) -> str: ...


class RecordOnlySender:
    """Keeps the message in the outbox for the mediator to pass on; delivers nothing."""

    async def send(self, message: OutboxMessage) -> str:
        return "recorded"


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, message: OutboxMessage) -> str:
        email = EmailMessage()
        email["From"] = self._settings.smtp_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email,
                hostname=self._settings.smtp_host,
                port=self._settings.smtp_port,
                username=self._settings.smtp_username,
                password=self._settings.smtp_password,
                start_tls=self._settings.smtp_starttls,
                timeout=20,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}") from exc
        return "sent"


class SmsGateway(Protocol):
    """A text-message provider. Real providers (Aliyun, Tencent Cloud) sit behind this."""

    async def send_sms(self, phone: str, text: str) -> None: ...


class SpoolSmsGateway:
    """Appends each SMS as a JSON line to a file, for a forwarder (or a test) to pick up."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = asyncio.Lock()

    async def send_sms(self, phone: str, text: str) -> None:
        line = json.dumps({"phone": phone, "text": text, "at": utcnow().isoformat()}, ensure_ascii=False)
        async with self._lock:
            try:
                await asyncio.to_thread(_append_line, self._path, line)
            except OSError as exc:
                raise DeliveryError(f"SMS spool: {exc}") from exc


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


class SmsSender:
    def __init__(self, gateway: SmsGateway) -> None:
        self._gateway = gateway

    async def send(self, message: OutboxMessage) -> str:
        await self._gateway.send_sms(message.recipient, message.body)
        return "sent"


def senders_from(settings: Settings) -> dict[str, Sender]:
    senders: dict[str, Sender] = {"email": RecordOnlySender(), "sms": RecordOnlySender()}
    if settings.smtp_host:
        senders["email"] = SmtpSender(settings)
    if settings.sms_gateway.startswith("spool"):
        _, _, path = settings.sms_gateway.partition(":")
        if path:
            senders["sms"] = SmsSender(SpoolSmsGateway(Path(path)))
    return senders


# -- the dispatcher and the reminder scheduler --------------------------------------------


class Outbox:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings, senders: dict[str, Sender]) -> None:
        self._maker = maker
        self._settings = settings
        self._senders = senders

    async def deliver_pending(self, now: datetime | None = None, limit: int = 50) -> int:
        """Hand pending messages to their senders. Returns how many were handled."""
        now = now or utcnow()
        async with self._maker() as db:
            ids = list(
                await db.scalars(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.status == "pending",
                        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            )
        for message_id in ids:
            await self._deliver_one(message_id, now)
        return len(ids)

    async def _deliver_one(self, message_id: int, now: datetime) -> None:
        """Claim, send outside any transaction (a slow SMTP server must not hold the database), record."""
        async with self._maker() as db, db.begin():
            claimed = await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
                .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now + SENDING_TIMEOUT)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return  # another process took it
            message = await db.get(OutboxMessage, message_id)
            assert message is not None
        sender = self._senders.get(message.channel, RecordOnlySender())
        try:
            status, error = await sender.send(message), None
        except DeliveryError as exc:
            status, error = "pending", str(exc)[:500]
            log.warning("notification %s not delivered: %s", message_id, exc)
        async with self._maker() as db, db.begin():
            stored = await db.get(OutboxMessage, message_id)
            assert stored is not None
            stored.last_error = error
            if error is None:
                stored.status, stored.sent_at, stored.next_attempt_at = status, utcnow(), None
            elif stored.attempts >= MAX_ATTEMPTS:
                stored.status = "failed"
            else:
                stored.status = "pending"
                stored.next_attempt_at = now + timedelta(seconds=30 * 2**stored.attempts)

    async def release_stuck(self, now: datetime | None = None) -> int:
        """Messages left "sending" by a crash go back to the queue once their claim runs out."""
        now = now or utcnow()
        async with self._maker() as db, db.begin():
            result = await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now)
                .values(status="pending")
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def queue_reminders(self, now: datetime | None = None) -> int:
        """Queue the 24-hour and 15-minute reminders that are due. Safe to run often.

        A reminder is keyed by session and start time, so a rescheduled session is reminded
        again for its new time but never twice for the same one. The 24-hour reminder is
        skipped when the booking itself was made less than a day ahead (the invitation is fresh).
        """
        now = now or utcnow()
        queued = 0
        async with self._maker() as db:
            rows = (
                await db.execute(
                    select(MediationSession, Case, Organisation, User)
                    .join(Case, Case.id == MediationSession.case_id)
                    .join(Organisation, Organisation.id == Case.organisation_id)
                    .join(User, User.id == MediationSession.mediator_id)
                    .where(
                        MediationSession.status == "scheduled",
                        MediationSession.starts_at > now,
                        MediationSession.starts_at <= now + timedelta(hours=24),
                    )
                )
            ).all()
        for session, case, organisation, mediator in rows:
            lead = session.starts_at - now
            if lead <= timedelta(minutes=15):
                kind = "reminder_15m"
            elif session.updated_at <= session.starts_at - timedelta(hours=24):
                kind = "reminder_24h"
            else:
                continue
            ctx = Context(case, session, organisation, mediator)
            key = f"{kind}:{session.id}:{session.starts_at.isoformat()}"
            async with self._maker() as db:
                parties = list(await db.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.created_at)))
            for party in parties:
                try:
                    async with self._maker() as db, db.begin():
                        enqueue(db, kind, ctx, party, None, dedupe_key=f"{key}:{party.id}")
                    queued += 1
                except IntegrityError:
                    pass  # queued already, by this or another process
        return queued

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop started by the app."""
        while not stop.is_set():
            try:
                await self.release_stuck()
                await self.queue_reminders()
                await self.deliver_pending()
            except Exception:
                log.exception("outbox round failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._settings.outbox_poll_seconds)
            except TimeoutError:
                pass
