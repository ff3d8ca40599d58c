"""Adapters that deliver the outbox: SMS providers' HTTP APIs, chosen from the settings.

The domain (``server/domain/notifications.py``) defines what a sender and an SMS provider are;
these modules speak the providers' signed HTTP APIs with aiohttp. The official SDKs
(alibabacloud-dysmsapi20170525, tencentcloud-sdk-python) call the network with blocking
``requests``/``urllib3`` clients and pull in a tree of dependencies; two signed requests each,
written to the providers' documented algorithms and checked by a stand-in that recomputes the
signature (tests/api/test_sms_providers.py), keep the event loop free and the install small.
"""

from __future__ import annotations

from pathlib import Path

from server.domain import notices
from server.domain.notifications import RecordOnlySender, Sender, SmsProvider, SmsSender, SmtpSender, SpoolSmsGateway
from server.notify.aliyun import AliyunSms
from server.notify.tencent import TencentSms
from server.settings import Settings, SettingsError, SmsTemplate


def check_templates(templates: dict[str, SmsTemplate]) -> None:
    """Every configured kind exists and takes the parameters its template lists."""
    for kind, template in templates.items():
        if kind not in notices.KINDS:
            raise SettingsError(f"MEDIATE_SMS_TEMPLATES: no message kind {kind!r} (kinds: {', '.join(notices.KINDS)})")
        known = notices.template_params(kind)
        unknown = [p for p in template.params or () if p not in known]
        if unknown:
            raise SettingsError(
                f"MEDIATE_SMS_TEMPLATES: {kind} has no parameter {', '.join(unknown)} (it has {', '.join(known)})"
            )


def sms_provider(settings: Settings) -> SmsProvider | None:
    """The configured provider, or the spool, or None (messages stay in the outbox)."""
    if settings.sms_gateway == "aliyun":
        assert settings.sms_access_key_id and settings.sms_access_key_secret and settings.sms_sign_name
        return AliyunSms(
            settings.sms_access_key_id, settings.sms_access_key_secret, settings.sms_sign_name, endpoint=settings.sms_endpoint
        )
    if settings.sms_gateway == "tencent":
        assert settings.sms_access_key_id and settings.sms_access_key_secret and settings.sms_sign_name
        assert settings.sms_app_id
        return TencentSms(
            settings.sms_access_key_id,
            settings.sms_access_key_secret,
            settings.sms_sign_name,
            settings.sms_app_id,
            endpoint=settings.sms_endpoint,
            region=settings.sms_region,
        )
    kind, _, path = settings.sms_gateway.partition(":")
    if kind == "spool" and path:
        return SpoolSmsGateway(Path(path))
    return None


def senders_from(settings: Settings) -> dict[str, Sender]:
    """Who delivers each channel: SMTP for e-mail, the SMS provider or spool; else only recorded."""
    senders: dict[str, Sender] = {"email": RecordOnlySender(), "sms": RecordOnlySender()}
    if settings.smtp_host:
        senders["email"] = SmtpSender(settings)
    provider = sms_provider(settings)
    if provider is not None:
        if provider.name == "spool":
            senders["sms"] = SmsSender(provider)
        else:
            check_templates(settings.sms_templates)
            senders["sms"] = SmsSender(provider, settings.sms_templates)
    return senders
