"""``MEDIATE_SMS_*``: text messages through a provider's API, its credentials and approved templates."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.settings.errors import SettingsError


@dataclass(frozen=True)
class SmsTemplate:
    """A provider's approved template for one kind of message: its code (Alibaba ``SMS_…``,
    Tencent's numeric TemplateId) and which of the kind's parameters it takes, in order (Tencent
    fills {1}, {2}… by position; Alibaba ${name} by name). ``params`` None: all of the kind's."""

    code: str
    params: tuple[str, ...] | None = None


SMS_PROVIDERS = ("aliyun", "tencent")


def sms_settings(text: Callable[[str], str | None]) -> dict[str, Any]:
    """``MEDIATE_SMS_*``, checked together: a provider half configured does not start.

    ``MEDIATE_SMS_GATEWAY`` is ``aliyun`` or ``tencent`` (a provider's signed HTTP API),
    ``spool:/path`` (JSON lines for a forwarder) or unset (messages stay in the outbox).
    """
    gateway = text("MEDIATE_SMS_GATEWAY") or "spool"
    given = {
        "MEDIATE_SMS_ACCESS_KEY_ID": text("MEDIATE_SMS_ACCESS_KEY_ID"),
        "MEDIATE_SMS_ACCESS_KEY_SECRET": text("MEDIATE_SMS_ACCESS_KEY_SECRET"),
        "MEDIATE_SMS_SIGN_NAME": text("MEDIATE_SMS_SIGN_NAME"),
        "MEDIATE_SMS_TEMPLATES": text("MEDIATE_SMS_TEMPLATES"),
        "MEDIATE_SMS_APP_ID": text("MEDIATE_SMS_APP_ID"),
        "MEDIATE_SMS_ENDPOINT": text("MEDIATE_SMS_ENDPOINT"),
        "MEDIATE_SMS_REGION": text("MEDIATE_SMS_REGION"),
    }
    if gateway not in SMS_PROVIDERS:
        if not (gateway == "spool" or gateway.startswith("spool:")):
            raise SettingsError(f"MEDIATE_SMS_GATEWAY must be aliyun, tencent or spool:/path, not {gateway!r}")
        if any(given.values()):
            names = ", ".join(name for name, value in given.items() if value)
            raise SettingsError(f"{names} set but MEDIATE_SMS_GATEWAY is not aliyun or tencent: say which provider sends")
        return {"sms_gateway": gateway}
    needed = ["MEDIATE_SMS_ACCESS_KEY_ID", "MEDIATE_SMS_ACCESS_KEY_SECRET", "MEDIATE_SMS_SIGN_NAME", "MEDIATE_SMS_TEMPLATES"]
    if gateway == "tencent":
        needed.append("MEDIATE_SMS_APP_ID")
    missing = [name for name in needed if not given[name]]
    if missing:
        raise SettingsError(
            f"MEDIATE_SMS_GATEWAY={gateway} needs {', '.join(missing)} as well (the provider's console shows them)"
        )
    templates = sms_templates(given["MEDIATE_SMS_TEMPLATES"] or "")
    endpoint = given["MEDIATE_SMS_ENDPOINT"]
    if endpoint is not None and not re.match(r"^https?://[^/\s]+/?$", endpoint):
        raise SettingsError(f"MEDIATE_SMS_ENDPOINT must be an http:// or https:// address, not {endpoint!r}")
    return {
        "sms_gateway": gateway,
        "sms_access_key_id": given["MEDIATE_SMS_ACCESS_KEY_ID"],
        "sms_access_key_secret": given["MEDIATE_SMS_ACCESS_KEY_SECRET"],
        "sms_sign_name": given["MEDIATE_SMS_SIGN_NAME"],
        "sms_templates": templates,
        "sms_app_id": given["MEDIATE_SMS_APP_ID"],
        "sms_endpoint": endpoint.rstrip("/") if endpoint else None,
        "sms_region": given["MEDIATE_SMS_REGION"],
    }


def sms_templates(raw: str) -> dict[str, SmsTemplate]:
    """``MEDIATE_SMS_TEMPLATES``: a JSON object, kind -> template code, or kind -> {"code", "params"}.

    ``{"otp": "SMS_465300001", "invitation": {"code": "SMS_465300002", "params": ["name", "case", "time", "link"]}}``.
    The kinds and their parameters are checked against the catalogue when the server starts.
    """
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"MEDIATE_SMS_TEMPLATES is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise SettingsError('MEDIATE_SMS_TEMPLATES must be a JSON object: {"otp": "SMS_123", ...}')
    templates: dict[str, SmsTemplate] = {}
    for kind, entry in parsed.items():
        if isinstance(entry, str | int) and str(entry).strip():
            templates[kind] = SmsTemplate(str(entry).strip())
        elif isinstance(entry, dict) and str(entry.get("code", "")).strip():
            params = entry.get("params")
            if params is not None and not (isinstance(params, list) and all(isinstance(p, str) for p in params)):
                raise SettingsError(f'MEDIATE_SMS_TEMPLATES: {kind}: "params" must be a list of parameter names')
            templates[kind] = SmsTemplate(str(entry["code"]).strip(), tuple(params) if params is not None else None)
        else:
            raise SettingsError(f'MEDIATE_SMS_TEMPLATES: {kind}: give the template code, or {{"code": ..., "params": [...]}}')
    if "otp" not in templates:
        raise SettingsError("MEDIATE_SMS_TEMPLATES has no template for one-time codes (otp): parties could not bind keys or sign")
    return templates
