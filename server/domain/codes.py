"""One-time codes: the channel that carries them, how often they may be asked for, and the truth
about their message.

A code goes by SMS to the phone on file when a provider (or a forwarder's spool) is configured,
else by e-mail when SMTP is configured and the party gave an address (``reach.code_channels``);
with neither, asking for one is refused (``no_code_channel``) rather than pretending: the
mediator checks the party on video instead.

How often: per party (their personal link) and per phone number or address, counted in the
outbox so every process sees the same numbers: at most one code per ``code_interval_seconds``
(60), ``codes_per_hour`` (5) and ``codes_per_day`` (10). These are the providers' own default
limits for verification codes to one number (Alibaba: 1 a minute, 5 an hour, 10 a day; Tencent:
1 per 30 s, 5 an hour, 10 a day), so the party hears "wait N seconds" from us instead of a
message the provider silently refuses, and one link cannot run up the committee's SMS bill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import notices, reach
from server.domain.principal import Principal, require_party
from server.errors import Conflict, NotFound, TooManyAttempts
from server.models import OutboxMessage, Party, utcnow
from server.settings import Settings


@dataclass(frozen=True)
class CodeSent:
    """Where a code went: ``channel`` sms | email, ``sent_to`` masked, the outbox message's id."""

    channel: str
    sent_to: str
    message_id: int

    def to_json(self) -> dict[str, object]:
        return {"channel": self.channel, "sent_to": self.sent_to, "message_id": self.message_id}


def otp_method(settings: Settings, party: Party) -> str:
    """How a code reaches this party, as the signed records name it: ``sms_otp`` or ``email_otp``.

    The statement a party signs (a key binding, a signature) says how they were confirmed, so it
    must name the channel ``send_code`` will take (the first of ``reach.code_channels``).
    """
    channels = reach.code_channels(settings, party)
    return "email_otp" if channels and channels[0] == "email" else "sms_otp"


def mask_phone(phone: str) -> str:
    digits = phone.replace(" ", "").replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


async def _check_rate(db: AsyncSession, settings: Settings, party: Party | None, recipient: str, now: datetime) -> None:
    """Refuse (429, with how long to wait) a code beyond the limits for this party or this recipient.

    Without a party (an online application's phone, server/domain/applications.py) the limits
    are the recipient's alone: the provider counts per number, whoever asks."""
    limits = (
        (timedelta(seconds=settings.code_interval_seconds), 1, "code_interval"),
        (timedelta(hours=1), settings.codes_per_hour, "codes_per_hour"),
        (timedelta(days=1), settings.codes_per_day, "codes_per_day"),
    )
    waits: list[tuple[int, str]] = []
    counted: list[tuple[Any, str]] = [(OutboxMessage.recipient, recipient)]
    if party is not None:
        counted.insert(0, (OutboxMessage.party_id, party.id))
    for column, value in counted:
        times = list(
            await db.scalars(
                select(OutboxMessage.created_at)
                .where(OutboxMessage.kind == "otp", column == value, OutboxMessage.created_at > now - timedelta(days=1))
                .order_by(OutboxMessage.created_at.desc())
            )
        )
        for window, most, reason in limits:
            recent = [t for t in times if t > now - window]
            if window and len(recent) >= most:
                waits.append((max(1, math.ceil((recent[most - 1] + window - now).total_seconds())), reason))
    if waits:  # the longest wait is the true one
        wait, reason = max(waits)
        raise TooManyAttempts(_wait_text(reason, wait), retry_after=wait, reason=reason)


def _wait_text(reason: str, wait: int) -> str:
    when_zh = f"{wait}秒" if wait < 120 else f"{math.ceil(wait / 60)}分钟"
    when_en = f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"
    why = {
        "code_interval": ("验证码刚刚发出", "a code was sent just now"),
        "codes_per_hour": ("一小时内获取验证码次数已达上限", "too many codes were asked for this hour"),
        "codes_per_day": ("今天获取验证码次数已达上限", "too many codes were asked for today"),
    }[reason]
    return f"{why[0]}，请{when_zh}后再获取。/ {why[1].capitalize()}; ask again in {when_en}."


async def send_code(
    db: AsyncSession, settings: Settings, party: Party, code: str, *, use: str, session_id: str | None = None
) -> CodeSent:
    """Queue the code's message in the caller's transaction, on the first channel that reaches the party."""
    channels = reach.code_channels(settings, party)
    if not channels:
        raise Conflict(
            "本平台未开通短信，也没有您的电子邮箱，无法发送验证码。请联系调解员在视频中核验您的身份。"
            " / No code can be sent to you (no SMS service, no e-mail address): ask your mediator to check your identity on video.",
            reason="no_code_channel",
        )
    channel = channels[0]
    recipient = party.phone if channel == "sms" else (party.email or "")
    # One request at a time per party, in every process (PostgreSQL; SQLite has one writer anyway).
    await db.execute(select(Party.id).where(Party.id == party.id).with_for_update())
    await _check_rate(db, settings, party, recipient, utcnow())
    params = notices.params_for("otp", {"code": code})
    subject, body = notices.compose("otp", params, party.language, use=use)
    message = OutboxMessage(
        case_id=party.case_id,
        session_id=session_id,
        party_id=party.id,
        kind="otp",
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        template_params=params if channel == "sms" else None,
        status="pending",
        created_at=utcnow(),
    )
    db.add(message)
    await db.flush()
    sent_to = mask_phone(recipient) if channel == "sms" else mask_email(recipient)
    return CodeSent(channel, sent_to, message.id)


async def send_phone_code(db: AsyncSession, settings: Settings, phone: str, code: str, *, use: str) -> CodeSent:
    """Queue a code by SMS to a phone number that belongs to no party yet (an applicant's, before
    their application counts), in the caller's transaction; refused when no SMS leaves this server.

    The same limits per number as a party's codes (``_check_rate``), so that a public form cannot be
    used to send a stranger's phone a stream of messages on the committee's bill.
    """
    if not reach.sms_configured(settings):
        raise Conflict(
            "本平台未开通短信，无法确认您的手机号码，在线申请暂不能提交。请到调解组织的窗口申请，或打电话申请。"
            " / No SMS service here, so your phone number cannot be confirmed: apply at the organisation's window or by phone.",
            reason="no_sms_service",
        )
    await _check_rate(db, settings, None, phone, utcnow())
    params = notices.params_for("otp", {"code": code})
    subject, body = notices.compose("otp", params, "zh", use=use)
    message = OutboxMessage(
        kind="otp",
        channel="sms",
        recipient=phone,
        subject=subject,
        body=body,
        template_params=params,
        status="pending",
        created_at=utcnow(),
    )
    db.add(message)
    await db.flush()
    return CodeSent("sms", mask_phone(phone), message.id)


# -- what became of a message -----------------------------------------------------------------

#: outbox status -> what the party is told (web/js/signing/code-input.js translates it).
PARTY_STATUS = {
    "pending": "sending",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "failed": "failed",
    "recorded": "not_sent",
}
#: Provider codes that mean the number or address is wrong or refuses messages.
WRONG_ADDRESS = {"isv.MOBILE_NUMBER_ILLEGAL", "InvalidParameterValue.IncorrectPhoneNumber", "smtp_recipient_refused"}
BLOCKED = {"FailedOperation.PhoneNumberInBlacklist"}


@dataclass(frozen=True)
class MessageStatus:
    id: int
    kind: str
    channel: str
    sent_to: str
    status: str  # sending | sent | delivered | failed | not_sent
    reason: str | None  # wrong_address | blocked | not_delivered | service, when failed
    reason_text: str | None  # the plain Chinese explanation recorded with the failure
    updated_at: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "channel": self.channel,
            "sent_to": self.sent_to,
            "status": self.status,
            "reason": self.reason,
            "reason_text": self.reason_text,
            "updated_at": self.updated_at.isoformat(),
        }


def failure_category(message: OutboxMessage) -> str | None:
    if message.status != "failed":
        return None
    if message.error_code in WRONG_ADDRESS:
        return "wrong_address"
    if message.error_code in BLOCKED:
        return "blocked"
    if message.delivered_at is None and message.sent_at is not None and message.provider_message_id:
        return "not_delivered"  # taken by the provider, then the carrier's receipt said failed
    return "service"


class PartyMessages:
    """A party asks what became of a message to them (the one with their code): never its text."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker

    async def status(self, principal: Principal | None, message_id: int) -> MessageStatus:
        me = require_party(principal)
        async with self._maker() as db:
            message = await db.get(OutboxMessage, message_id)
            if message is None or message.party_id != me.party_id:
                raise NotFound("no such message")
        masked = mask_phone(message.recipient) if message.channel == "sms" else mask_email(message.recipient)
        updated = message.delivered_at or message.sent_at or message.created_at
        return MessageStatus(
            message.id,
            message.kind,
            message.channel,
            masked,
            PARTY_STATUS.get(message.status, "sending"),
            failure_category(message),
            message.failure_reason if message.status in ("failed", "recorded") else None,
            updated,
        )
