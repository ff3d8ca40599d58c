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
from collections.abc import Awaitable, Callable
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

from server.domain import later, notices
from server.domain.reach import UNDELIVERED
from server.models import Case, MediationSession, Organisation, OutboxMessage, Party, User, utcnow
from server.settings import Settings, SmsTemplate

log = logging.getLogger(__name__)

WEEKDAYS_ZH = "一二三四五六日"
MAX_ATTEMPTS = 5
SENDING_TIMEOUT = timedelta(minutes=5)
#: When a provider's receipt is first asked for, and for how long (carriers report within minutes;
#: Alibaba keeps send details for 30 days, Tencent hands each status out once).
RECEIPT_FIRST = timedelta(seconds=20)
RECEIPT_WINDOW = timedelta(hours=72)


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


def session_values(ctx: Context, party: Party, url: str | None) -> dict[str, str]:
    """The template parameters of a session's notices (invitation, reminders, hearing, ...)."""
    values = {
        "name": party.name,
        "org": ctx.organisation.name,
        "case": ctx.case.case_number,
        "time": local_time_text(ctx.session.starts_at, ctx.session.timezone),
        "mediator": ctx.mediator.display_name,
    }
    if url:
        values["link"] = notices.link_param(url)
    return values


def enqueue(
    db: AsyncSession, kind: str, ctx: Context, party: Party, url: str | None, dedupe_key: str | None = None,
    phone: dict[str, str] | None = None, kept: bool = False,
) -> list[OutboxMessage]:  # fmt: skip
    """A session's notice to one party (see ``notify``); ``phone``: how to join by phone (phone_pins.notice_values);
    ``kept``: inserted at the end of a group commit's batch (later.py); the caller reads none of them back."""
    english = {"time_en": local_time_text_en(ctx.session.starts_at, ctx.session.timezone)}
    return notify(
        db, kind, party, session_values(ctx, party, url) | (phone or {}), url=url, case_id=ctx.case.id,
        session_id=ctx.session.id, dedupe_key=dedupe_key, english=english, kept=kept,
    )  # fmt: skip


def notify(
    db: AsyncSession,
    kind: str,
    party: Party,
    values: dict[str, str],
    *,
    url: str | None = None,
    case_id: str | None = None,
    session_id: str | None = None,
    dedupe_key: str | None = None,
    english: dict[str, str] | None = None,
    kept: bool = False,
) -> list[OutboxMessage]:
    """One message per channel the party can be reached on: SMS to their phone and e-mail, each if known.

    The SMS row keeps the template's parameters; both keep the composed body. Whether anything
    delivers them is the senders' business (``recorded`` when nothing does).
    """
    # An applicant online may not know the other side's phone (online_applications/): no SMS to nobody.
    return queue(
        db, kind, values, party.language, [("sms", party.phone), ("email", party.email)], url=url, english=english,
        dedupe_key=dedupe_key, case_id=case_id or party.case_id, session_id=session_id, party_id=party.id, kept=kept,
    )  # fmt: skip


def notify_phone(
    db: AsyncSession,
    kind: str,
    phone: str,
    values: dict[str, str],
    *,
    language: str = "zh",
    url: str | None = None,
    dedupe_key: str | None = None,
    english: dict[str, str] | None = None,
) -> OutboxMessage:
    """A text to a phone that belongs to no party (an online applicant whose application was
    declined: no case, so no party, exists), in the caller's transaction."""
    [message] = queue(db, kind, values, language, [("sms", phone)], url=url, english=english, dedupe_key=dedupe_key)
    return message


def queue(
    db: AsyncSession,
    kind: str,
    values: dict[str, str],
    language: str,
    recipients: list[tuple[str, str | None]],
    *,
    url: str | None = None,
    english: dict[str, str] | None = None,
    dedupe_key: str | None = None,
    case_id: str | None = None,
    session_id: str | None = None,
    party_id: str | None = None,
    kept: bool = False,
) -> list[OutboxMessage]:
    """The message composed once, queued once per ``(channel, recipient)`` that has a recipient, in the
    caller's transaction: what ``notify``, ``notify_phone`` and the staff's notices
    (server/domain/overdue.py) share. The SMS row keeps the template's parameters, each row the body;
    ``dedupe_key`` gets the channel appended, one message per channel."""
    params = notices.params_for(kind, values)
    subject, body = notices.compose(kind, params, language, url=url, english=english)
    messages = []
    for channel, recipient in recipients:
        if not recipient:
            continue
        message = OutboxMessage(
            case_id=case_id, session_id=session_id, party_id=party_id, kind=kind, channel=channel, recipient=recipient,
            subject=subject, body=body, template_params=params if channel == "sms" else None, status="pending",
            dedupe_key=f"{dedupe_key}:{channel}" if dedupe_key else None, created_at=utcnow(),
        )  # fmt: skip
        later.stage(db, message) if kept else db.add(message)
        messages.append(message)
    return messages


@dataclass(frozen=True)
class Notice:
    """What a staff page reports of one person's notice (#18: what became of it, never more): the
    messages queued for it, one per channel, each with its outbox status; or, when there are none,
    why (``missing``: ``no_contact``, the person has no phone or e-mail; ``no_session``, no session
    is booked, so there is no page of theirs to link to yet)."""

    messages: tuple[OutboxMessage, ...]
    missing: str | None = None


async def queued_under(db: AsyncSession, keys: list[str]) -> dict[str, list[OutboxMessage]]:
    """The messages queued under each ``dedupe_key`` given to ``notify`` (one per channel), by key."""
    wanted = {f"{key}:{channel}": key for key in keys for channel in ("sms", "email")}
    found: dict[str, list[OutboxMessage]] = {key: [] for key in keys}
    if not keys:
        return found
    rows = await db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.in_(wanted)).order_by(OutboxMessage.id))
    for message in rows:
        found[wanted[message.dedupe_key or ""]].append(message)
    return found


# -- senders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handed:
    """What a sender did with a message: ``sent`` (a provider or mail server took it),
    ``recorded`` (nothing delivers it; ``note`` says why) or ``delivered``."""

    status: str
    provider: str | None = None
    message_id: str | None = None
    note: str | None = None


class DeliveryError(Exception):
    """A sender could not deliver. Transient errors are retried with back-off; permanent ones
    (a number that does not exist, a template not approved) fail the message at once.

    ``code`` is the provider's own error code and ``reason`` says it in plain Chinese for the
    mediator and the party.
    """

    def __init__(self, message: str, *, code: str | None = None, permanent: bool = False, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.reason = reason


class Sender(Protocol):
    """Delivers one outbox message."""

    async def send(self, message: OutboxMessage) -> Handed: ...


class RecordOnlySender:
    """Keeps the message in the outbox for the mediator to pass on; delivers nothing, and says why."""

    async def send(self, message: OutboxMessage) -> Handed:
        return Handed("recorded", note=UNDELIVERED["no_sms_service" if message.channel == "sms" else "no_email_service"])


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, message: OutboxMessage) -> Handed:
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
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"SMTP: {exc}", code="smtp_recipient_refused", permanent=True,
                                reason="邮件服务器拒收此邮箱地址，请核对地址") from exc  # fmt: skip
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}", code="smtp_unavailable", reason="邮件服务器暂时无法连接") from exc
        return Handed("sent", "smtp")


@dataclass(frozen=True)
class Sms:
    """One text message as providers take it: the approved template and its parameters.

    ``params`` are in the template's order (Tencent fills {1}, {2}… by position); ``text`` is
    the composed body (a spool's forwarder may send it as it is); ``reference`` is our id for
    it (Alibaba's OutId, Tencent's SessionContext).
    """

    phone: str
    kind: str
    template: str
    params: dict[str, str]
    text: str
    reference: str


@dataclass(frozen=True)
class SentSms:
    provider_message_id: str
    phone: str
    sent_at: datetime


@dataclass(frozen=True)
class Receipt:
    """A handset's delivery receipt: delivered, or failed with the carrier's code and why."""

    provider_message_id: str
    delivered: bool
    code: str | None = None
    reason: str | None = None
    at: datetime | None = None


class SmsProvider(Protocol):
    """A text-message provider (server/notify: Alibaba Cloud, Tencent Cloud) or the spool.

    ``send`` returns the provider's id for the message (BizId, SerialNo) or raises
    ``DeliveryError``; ``receipts`` answers what is known of messages sent earlier.
    """

    name: str

    async def send(self, sms: Sms) -> str | None: ...

    async def receipts(self, sent: list[SentSms]) -> list[Receipt]: ...


class SpoolSmsGateway:
    """Appends each SMS as a JSON line (kind, template, parameters and text) for a forwarder to pick up."""

    name = "spool"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = asyncio.Lock()

    async def send(self, sms: Sms) -> str | None:
        line = json.dumps(
            {"phone": sms.phone, "kind": sms.kind, "template": sms.template, "params": sms.params, "text": sms.text,
             "reference": sms.reference, "at": utcnow().isoformat()},
            ensure_ascii=False,
        )  # fmt: skip
        async with self._lock:
            try:
                await asyncio.to_thread(_append_line, self._path, line)
            except OSError as exc:
                raise DeliveryError(f"SMS spool: {exc}", code="spool_unwritable", reason="短信转发文件无法写入") from exc
        return None

    async def receipts(self, sent: list[SentSms]) -> list[Receipt]:
        return []


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


class SmsSender:
    """Fills the approved template of the message's kind and hands it to the provider.

    A kind without a template (``MEDIATE_SMS_TEMPLATES``) is only recorded, and says so; the
    spool takes every kind, named by itself.
    """

    def __init__(self, provider: SmsProvider, templates: dict[str, SmsTemplate] | None = None) -> None:
        self.provider = provider
        self._templates = templates

    async def send(self, message: OutboxMessage) -> Handed:
        if self._templates is None:
            template = SmsTemplate(message.kind)
        elif (found := self._templates.get(message.kind)) is not None:
            template = found
        else:
            return Handed("recorded", note=UNDELIVERED["no_template"])
        values = message.template_params or {}
        names = template.params if template.params is not None else notices.template_params(message.kind, values)
        missing = [n for n in names if not values.get(n)]
        if self._templates is None:  # the spool: its forwarder has the text as well
            names, missing = tuple(n for n in names if n not in missing), []
        if missing:
            raise DeliveryError(
                f"no value for template parameters {missing}", code="template_params", permanent=True,
                reason="短信模板所需的内容缺失：" + "、".join(missing),
            )  # fmt: skip
        sms = Sms(message.recipient, message.kind, template.code, {n: values[n] for n in names}, message.body, str(message.id))
        provider_id = await self.provider.send(sms)
        return Handed("sent", self.provider.name, provider_id)

    async def receipts(self, sent: list[SentSms]) -> list[Receipt]:
        return await self.provider.receipts(sent)


# -- the dispatcher and the reminder scheduler --------------------------------------------


class Outbox:
    """Delivers the outbox: hands pending messages to their senders, retries what failed for a
    passing reason, fetches providers' delivery receipts, and runs the rounds that queue reminders.

    ``rounds`` are further jobs of each round (``server/domain/turns.py``: deadlines near).
    """

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        settings: Settings,
        senders: dict[str, Sender],
        rounds: list[Callable[[datetime], Awaitable[int]]] | None = None,
    ) -> None:
        self._maker = maker
        self._settings = settings
        self._senders = senders
        self._rounds = list(rounds or [])

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
        """Claim, send outside any transaction (a slow provider must not hold the database), record."""
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
        handed: Handed | None = None
        failure: DeliveryError | None = None
        try:
            handed = await sender.send(message)
        except DeliveryError as exc:
            failure = exc
            log.warning("notification %s not delivered (%s): %s", message_id, exc.code or "error", exc)
        async with self._maker() as db, db.begin():
            stored = await db.get(OutboxMessage, message_id)
            assert stored is not None
            if handed is not None:
                stored.status, stored.sent_at, stored.last_error = handed.status, utcnow(), None
                stored.provider, stored.provider_message_id = handed.provider, handed.message_id
                stored.failure_reason = handed.note
                # A provider's id: its receipt is asked for from the next round on.
                stored.next_attempt_at = now + RECEIPT_FIRST if handed.message_id else None
                return
            assert failure is not None
            stored.last_error, stored.error_code = str(failure)[:500], failure.code
            stored.failure_reason = (failure.reason or "发送失败")[:300]
            if failure.permanent:
                stored.status, stored.next_attempt_at = "failed", None
            elif stored.attempts >= MAX_ATTEMPTS:
                stored.status, stored.next_attempt_at = "failed", None
                stored.failure_reason = f"{stored.failure_reason}（已尝试{stored.attempts}次）"[:300]
            else:
                stored.status = "pending"
                stored.next_attempt_at = now + timedelta(seconds=30 * 2**stored.attempts)

    async def fetch_receipts(self, now: datetime | None = None, limit: int = 100) -> int:
        """Ask the SMS provider what became of messages it took; record delivered or failed.

        Polled (Alibaba QuerySendDetails, Tencent PullSmsSendStatus) rather than pushed, so no
        public callback address is needed. A message is asked about soon after it was taken, then
        less often (a quarter of its age), for ``RECEIPT_WINDOW``; carriers report within minutes,
        and one never reported stays "sent to the provider". Returns how many rows changed.
        """
        now = now or utcnow()
        sender = self._senders.get("sms")
        if not isinstance(sender, SmsSender):
            return 0
        async with self._maker() as db:
            rows = list(
                await db.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.channel == "sms",
                        OutboxMessage.status == "sent",
                        OutboxMessage.provider == sender.provider.name,
                        OutboxMessage.provider_message_id.is_not(None),
                        OutboxMessage.sent_at > now - RECEIPT_WINDOW,
                        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            )
        if not rows:
            return 0
        asked = [SentSms(m.provider_message_id or "", m.recipient, m.sent_at or now) for m in rows]
        try:
            receipts = {r.provider_message_id: r for r in await sender.receipts(asked)}
        except DeliveryError as exc:
            log.warning("delivery receipts not fetched (%s): %s", exc.code or "error", exc)
            receipts = {}
        changed = 0
        async with self._maker() as db, db.begin():
            asked_ids = {row.id for row in rows}
            # A provider that hands out every status at once (Tencent) may answer for messages of
            # other rounds too: those are matched by its id.
            others = [key for key in receipts if key not in {row.provider_message_id for row in rows}]
            if others:
                asked_ids |= set(
                    await db.scalars(
                        select(OutboxMessage.id).where(
                            OutboxMessage.provider == sender.provider.name, OutboxMessage.provider_message_id.in_(others)
                        )
                    )
                )
            for message_id in sorted(asked_ids):
                stored = await db.get(OutboxMessage, message_id, with_for_update=True)
                if stored is None or stored.status != "sent":
                    continue
                receipt = receipts.get(stored.provider_message_id or "")
                if receipt is None:
                    age = now - (stored.sent_at or now)
                    stored.next_attempt_at = now + min(max(age / 4, RECEIPT_FIRST), timedelta(hours=1))
                    continue
                changed += 1
                stored.next_attempt_at = None
                if receipt.delivered:
                    stored.status, stored.delivered_at = "delivered", receipt.at or now
                else:
                    stored.status, stored.error_code = "failed", receipt.code
                    stored.failure_reason = (receipt.reason or "运营商未能送达")[:300]
        return changed

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
                now = utcnow()
                await self.release_stuck(now)
                await self.queue_reminders(now)
                for queue in self._rounds:
                    await queue(now)
                await self.deliver_pending()
                await self.fetch_receipts()
            except Exception:
                log.exception("outbox round failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._settings.outbox_poll_seconds)
            except TimeoutError:
                pass
