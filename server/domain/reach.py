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
