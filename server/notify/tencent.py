"""Tencent Cloud SMS (短信, sms 2021-01-11): SendSms, and PullSmsSendStatus for receipts.

Requests are TencentCloud API 3.0 calls signed with TC3-HMAC-SHA256 ("签名方法 v3"): the
canonical request is ``POST``, ``/``, an empty query, the signed headers (``content-type``,
``host``, ``x-tc-action``; names and values lower-cased, each ``name:value\\n``), their names, and the hex
SHA-256 of the JSON body; the string to sign is ``TC3-HMAC-SHA256``, the timestamp, the
credential scope ``<UTC date>/sms/tc3_request`` and the canonical request's hex SHA-256; the key
is derived HMAC-SHA256("TC3" + SecretKey, date) → service → "tc3_request".

Every answer is HTTP 200 with ``{"Response": {...}}``: ``Error`` for a refused call (such as
``AuthFailure.SignatureFailure``), else SendSms's ``SendStatusSet`` with one ``Code`` per number:
``Ok``, or e.g. ``LimitExceeded.PhoneNumberThirtySecondLimit`` (retried later) or
``InvalidParameterValue.IncorrectPhoneNumber`` (never retried). Template parameters are a list,
in the order of the template's {1}, {2}, ...

Receipts: PullSmsSendStatus hands out each status once, for every message of the application
(the console's "拉取状态" must be on); the outbox matches them by SerialNo.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from server.domain.notifications import DeliveryError, Receipt, SentSms, Sms

ENDPOINT = "https://sms.tencentcloudapi.com"
VERSION = "2021-01-11"
REGION = "ap-guangzhou"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
TIMEOUT = aiohttp.ClientTimeout(total=15)
CHINA = timezone(timedelta(hours=8))

#: code -> (never retry?, what it means, in plain Chinese). Codes not listed are retried.
ERRORS: dict[str, tuple[bool, str]] = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": (False, "短信服务商限制了向此号码发送的频率（30秒），稍后会自动重试"),
    "LimitExceeded.PhoneNumberOneHourLimit": (False, "短信服务商限制了向此号码发送的频率（每小时），稍后会自动重试"),
    "LimitExceeded.PhoneNumberDailyLimit": (False, "已达到短信服务商对此号码的当日上限，稍后会自动重试"),
    "LimitExceeded.DeliveryFrequencyLimit": (False, "短信服务商限制了发送频率，稍后会自动重试"),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": (False, "已达到短信服务商对相同内容的当日上限"),
    "RequestLimitExceeded": (False, "短信服务商请求过于频繁，稍后会自动重试"),
    "FailedOperation.InsufficientBalanceInSmsPackage": (False, "短信套餐包余量不足，请管理员购买"),
    "InternalError.Timeout": (False, "短信服务商处理超时，稍后会自动重试"),
    "InternalError.SendAndRecvFail": (False, "短信服务商收发失败，稍后会自动重试"),
    "InternalError": (False, "短信服务商内部错误，稍后会自动重试"),
    "InvalidParameterValue.IncorrectPhoneNumber": (True, "手机号码无效，请核对当事人的手机号码"),
    "FailedOperation.PhoneNumberInBlacklist": (True, "此号码在运营商或服务商的免打扰名单中，短信无法送达，请电话联系当事人"),
    "FailedOperation.TemplateIncorrectOrUnapproved": (True, "短信模板未通过审核或内容不匹配，请管理员检查模板设置"),
    "FailedOperation.SignatureIncorrectOrUnapproved": (True, "短信签名未通过审核，请管理员检查签名设置"),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (
        True,
        "短信模板变量个数与审核通过的模板不符，请管理员核对模板参数",
    ),
    "InvalidParameterValue.TemplateParameterFormatError": (True, "短信模板变量格式不符合规范"),
    "InvalidParameterValue.TemplateParameterLengthLimit": (True, "短信模板变量超出长度限制"),
    "InvalidParameterValue.ContentLengthLimit": (True, "短信内容过长"),
    "FailedOperation.ContainSensitiveWord": (True, "短信内容含有敏感词"),
    "InvalidParameterValue.SdkAppIdNotExist": (True, "短信应用 SdkAppId 不存在，请管理员核对设置"),
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": (True, "短信应用 SdkAppId 校验失败，请管理员核对设置"),
    "AuthFailure.SignatureFailure": (True, "短信服务商拒绝了请求签名，请管理员核对 SecretKey"),
    "AuthFailure.SecretIdNotFound": (True, "短信服务商不认识此 SecretId，请管理员核对设置"),
    "AuthFailure.InvalidSecretId": (True, "SecretId 无效，请管理员核对设置"),
    "AuthFailure.UnauthorizedOperation": (True, "此密钥没有发送短信的权限，请管理员授权"),
    "AuthFailure.SignatureExpire": (False, "请求时间与服务商相差过大，稍后会自动重试（请检查服务器时钟）"),
}


def derive_key(secret: str, date: str) -> bytes:
    key = hmac.new(f"TC3{secret}".encode(), date.encode(), hashlib.sha256).digest()
    key = hmac.new(key, SERVICE.encode(), hashlib.sha256).digest()
    return hmac.new(key, b"tc3_request", hashlib.sha256).digest()


def sign(secret: str, headers: dict[str, str], signed: list[str], body: bytes, timestamp: int) -> str:
    """The hex signature of a POST to ``/`` with these headers (the ``signed`` names) and body."""
    lower = {k.lower(): v.strip().lower() for k, v in headers.items()}
    canonical_headers = "".join(f"{name}:{lower[name]}\n" for name in signed)
    canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(derive_key(secret, date), to_sign.encode(), hashlib.sha256).hexdigest()


def failure(code: str, message: str) -> DeliveryError:
    permanent, reason = (
        ERRORS.get(code) or ERRORS.get(code.split(".")[0]) or (False, f"短信服务商未接受（{code}），稍后会自动重试")
    )
    return DeliveryError(f"Tencent Cloud SMS: {code}: {message}", code=code, permanent=permanent, reason=reason)


def e164(phone: str) -> str:
    """A number as Tencent asks: +[country code][number]; a mainland number without one is +86."""
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("+"):
        return digits
    if digits.startswith("0086"):
        return "+" + digits[2:]
    return "+86" + digits if len(digits) == 11 else "+" + digits


class TencentSms:
    name = "tencent"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        sign_name: str,
        app_id: str,
        *,
        endpoint: str | None = None,
        region: str | None = None,
    ) -> None:
        self._id = secret_id
        self._secret = secret_key
        self._sign_name = sign_name
        self._app_id = app_id
        self._endpoint = (endpoint or ENDPOINT).rstrip("/")
        self._region = region or REGION

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One signed call; its ``Response``. Raises DeliveryError for an ``Error`` or no answer."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(datetime.now(UTC).timestamp())
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": urlsplit(self._endpoint).netloc,
            "X-TC-Action": action,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": VERSION,
            "X-TC-Region": self._region,
        }
        signed = ["content-type", "host", "x-tc-action"]
        signature = sign(self._secret, headers, signed, body, timestamp)
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        headers["Authorization"] = (
            f"{ALGORITHM} Credential={self._id}/{date}/{SERVICE}/tc3_request, "
            f"SignedHeaders={';'.join(signed)}, Signature={signature}"
        )
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as http,
                http.post(self._endpoint + "/", data=body, headers=headers) as response,
            ):
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryError(
                f"Tencent Cloud SMS unreachable: {exc!r}", code="unreachable", reason="无法连接短信服务商，稍后会自动重试"
            ) from exc
        result = answer.get("Response") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            raise DeliveryError("Tencent Cloud SMS: no Response", code="bad_answer", reason="短信服务商的回答无法识别")
        if isinstance(error := result.get("Error"), dict):
            raise failure(str(error.get("Code")), str(error.get("Message") or ""))
        return result

    async def send(self, sms: Sms) -> str | None:
        result = await self.call(
            "SendSms",
            {
                "PhoneNumberSet": [e164(sms.phone)],
                "SmsSdkAppId": self._app_id,
                "SignName": self._sign_name,
                "TemplateId": sms.template,
                "TemplateParamSet": list(sms.params.values()),
                "SessionContext": sms.reference,
            },
        )
        statuses = result.get("SendStatusSet") or []
        if not statuses:
            raise DeliveryError("Tencent Cloud SMS: no SendStatusSet", code="bad_answer", reason="短信服务商的回答无法识别")
        status = statuses[0]
        if status.get("Code") != "Ok":
            raise failure(str(status.get("Code")), str(status.get("Message") or ""))
        return str(status.get("SerialNo")) if status.get("SerialNo") else None

    async def receipts(self, sent: list[SentSms]) -> list[Receipt]:
        """The statuses not pulled before (of any message: the outbox matches them by SerialNo)."""
        result = await self.call("PullSmsSendStatus", {"Limit": 100, "SmsSdkAppId": self._app_id})
        found = []
        for status in result.get("PullSmsSendStatusSet") or []:
            serial = str(status.get("SerialNo") or "")
            at = _china_time(status.get("UserReceiveTime"))
            if status.get("ReportStatus") == "SUCCESS":
                found.append(Receipt(serial, True, "SUCCESS", None, at))
            else:
                described = str(status.get("Description") or "")
                found.append(Receipt(serial, False, "FAIL", f"运营商未能送达：{described or '失败'}。请电话联系当事人", at))
        return found


def _china_time(text: object) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None
