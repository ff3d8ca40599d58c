"""Which channels can really carry a message (a one-time code, a notice) to a person.

The outbox records every message whether or not anything delivers it, so "a message was
written" never means "a message was sent". Pages and services ask here before they tell a
party that a code is on its way, and offer another path (a check by the mediator on video,
a passkey) when no channel reaches them.
"""

from __future__ import annotations

from server.models import Party
from server.settings import SMS_PROVIDERS, Settings


def sms_configured(settings: Settings) -> bool:
    """True when text messages leave this server: a provider, or a spool file read by a forwarder.

    A provider is configured only with a template for one-time codes (``server/settings/sms.py``
    refuses to start otherwise), so "configured" means a code can really be sent.
    """
    if settings.sms_gateway in SMS_PROVIDERS:
        return True
    kind, _, path = settings.sms_gateway.partition(":")
    return kind == "spool" and bool(path)


def email_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def code_channels(settings: Settings, party: Party) -> tuple[str, ...]:
    """The channels a one-time code can reach this party on, in the order to try them."""
    channels: list[str] = []
    if sms_configured(settings) and party.phone:
        channels.append("sms")
    if email_configured(settings) and party.email:
        channels.append("email")
    return tuple(channels)


#: Why a message will only be recorded, not sent (``undelivered``), as the senders record it
#: (server/domain/notifications.py): shown to staff beside the message, in plain Chinese.
UNDELIVERED = {
    "no_sms_service": "未开通短信服务，短信未发出",
    "no_template": "未配置此类短信的模板，短信未发出",
    "no_email_service": "未配置邮件服务器，邮件未发出",
}


def undelivered(settings: Settings, channel: str, kind: str) -> str | None:
    """Why a message of ``kind`` on ``channel`` will only be recorded in the outbox, or None when a
    sender will hand it on (the choice ``server.notify.senders_from`` makes from the same settings).

    A page reports a message just queued by this, so that it never says "sending" for one that
    nothing will send: no SMS provider or spool; a provider with no approved template for the kind;
    no mail server.
    """
    if channel == "sms":
        if not sms_configured(settings):
            return "no_sms_service"
        if settings.sms_gateway in SMS_PROVIDERS and kind not in settings.sms_templates:
            return "no_template"
        return None
    if channel == "email":
        return None if email_configured(settings) else "no_email_service"
    return None
