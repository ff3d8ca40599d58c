"""Alibaba Cloud SMS (短信服务, dysmsapi 2017-05-25): SendSms, and QuerySendDetails for receipts.

Requests are signed with Alibaba Cloud's V3 algorithm, ACS3-HMAC-SHA256 ("V3版本请求体&签名
机制"): the canonical request is the method, the path ``/``, the sorted and percent-encoded
query, the signed headers (``host`` and every ``x-acs-*``) with their names, and the hex
SHA-256 of the body; the string to sign is ``ACS3-HMAC-SHA256\\n`` + its hex SHA-256; the
signature is the hex HMAC-SHA256 of that under the AccessKey secret. The API's parameters go in
the query (an RPC-style API), the body is empty.

Errors: a request the gateway refuses answers 4xx with ``{"Code": "SignatureDoesNotMatch", ...}``;
SendSms itself answers ``{"Code": "OK", "BizId": ...}`` or a business code such as
``isv.BUSINESS_LIMIT_CONTROL`` (too many messages to this number now: retried later) or
``isv.MOBILE_NUMBER_ILLEGAL`` (never retried). QuerySendDetails gives ``SendStatus`` 1 (waiting
for the receipt), 2 (failed, with the carrier's ``ErrCode``) or 3 (delivered).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from server.domain.notifications import DeliveryError, Receipt, SentSms, Sms

ENDPOINT = "https://dysmsapi.aliyuncs.com"
VERSION = "2017-05-25"
ALGORITHM = "ACS3-HMAC-SHA256"
log = logging.getLogger(__name__)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TIMEOUT = aiohttp.ClientTimeout(total=15)
#: China Standard Time: QuerySendDetails takes the send date, and reports times, in it.
CHINA = timezone(timedelta(hours=8))

#: code -> (never retry?, what it means, in plain Chinese). Codes not listed are retried.
ERRORS: dict[str, tuple[bool, str]] = {
    "isv.BUSINESS_LIMIT_CONTROL": (False, "短信服务商限制了向此号码发送的频率，稍后会自动重试"),
    "isv.DAY_LIMIT_CONTROL": (False, "已达到短信服务商的当日发送上限，稍后会自动重试"),
    "isv.AMOUNT_NOT_ENOUGH": (False, "短信账户余额不足，请管理员充值"),
    "isv.OUT_OF_SERVICE": (False, "短信账户已停机，请管理员处理"),
    "isp.SYSTEM_ERROR": (False, "短信服务商系统繁忙，稍后会自动重试"),
    "Throttling": (False, "短信服务商请求过于频繁，稍后会自动重试"),
    "Throttling.User": (False, "短信服务商请求过于频繁，稍后会自动重试"),
    "ServiceUnavailable": (False, "短信服务商暂时不可用，稍后会自动重试"),
    "isv.MOBILE_NUMBER_ILLEGAL": (True, "手机号码无效，请核对当事人的手机号码"),
    "isv.MOBILE_COUNT_OVER_LIMIT": (True, "手机号码数量超过限制"),
    "isv.SMS_TEMPLATE_ILLEGAL": (True, "短信模板不存在或未通过审核，请管理员检查模板设置"),
    "isv.SMS_SIGNATURE_ILLEGAL": (True, "短信签名不存在或未通过审核，请管理员检查签名设置"),
    "isv.SMS_SIGN_ILLEGAL": (True, "短信签名不存在或未通过审核，请管理员检查签名设置"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (True, "短信模板缺少变量，请管理员核对模板参数"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (True, "短信模板变量不符合规范，请管理员核对模板参数"),
    "isv.INVALID_JSON_PARAM": (True, "短信模板变量格式错误"),
    "isv.INVALID_PARAMETERS": (True, "短信请求参数错误"),
    "isv.PARAM_LENGTH_LIMIT": (True, "短信模板变量超出长度限制"),
    "isv.BLACK_KEY_CONTROL_LIMIT": (True, "短信内容含有服务商禁止的词语"),
    "isv.SMS_CONTENT_ILLEGAL": (True, "短信内容不符合服务商规范"),
    "isv.ACCOUNT_NOT_EXISTS": (True, "短信账户不存在，请管理员检查设置"),
    "isv.ACCOUNT_ABNORMAL": (True, "短信账户异常，请管理员联系服务商"),
    "isv.PRODUCT_UN_SUBSCRIPT": (True, "此阿里云账户未开通短信服务"),
    "isv.PRODUCT_UNSUBSCRIBE": (True, "此阿里云账户未开通短信服务"),
    "isp.RAM_PERMISSION_DENY": (True, "AccessKey 没有发送短信的权限，请管理员授权"),
    "SignatureDoesNotMatch": (True, "短信服务商拒绝了请求签名，请管理员核对 AccessKey 密钥"),
    "InvalidAccessKeyId.NotFound": (True, "短信服务商不认识此 AccessKey，请管理员核对设置"),
    "InvalidAccessKeyId.Inactive": (True, "此 AccessKey 已停用，请管理员核对设置"),
}


def percent(value: str) -> str:
    """RFC 3986 percent-encoding, as Alibaba's signature asks (space as %20, ``~`` kept)."""
    return quote(value, safe="-_.~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))


def sign(secret: str, method: str, query: dict[str, str], headers: dict[str, str], body: bytes = b"") -> tuple[str, str]:
    """(signed header names, signature) of a request under the AccessKey secret (ACS3-HMAC-SHA256)."""
    signed = {k.lower(): v.strip() for k, v in headers.items() if k.lower() == "host" or k.lower().startswith("x-acs-")}
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
    signed_names = ";".join(names)
    canonical = "\n".join(
        [method, "/", canonical_query(query), canonical_headers, signed_names, hashlib.sha256(body).hexdigest()]
    )
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return signed_names, hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def failure(code: str, message: str) -> DeliveryError:
    permanent, reason = ERRORS.get(code, (False, f"短信服务商未接受（{code}），稍后会自动重试"))
    return DeliveryError(f"Alibaba Cloud SMS: {code}: {message}", code=code, permanent=permanent, reason=reason)


def carrier_reason(code: str) -> str:
    """A failed receipt's ErrCode (the carrier's: MK:0001, IC:0001, ...) in plain words."""
    return f"运营商未能送达（{code}）：号码可能停机、关机、欠费或拒收短信，请电话联系当事人"


class AliyunSms:
    name = "aliyun"

    def __init__(self, access_key_id: str, secret: str, sign_name: str, *, endpoint: str | None = None) -> None:
        self._id = access_key_id
        self._secret = secret
        self._sign_name = sign_name
        self._endpoint = (endpoint or ENDPOINT).rstrip("/")

    async def call(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        """One signed request; the answer's JSON. Raises DeliveryError for a refusal or no answer."""
        headers = {
            "host": urlsplit(self._endpoint).netloc,
            "x-acs-action": action,
            "x-acs-version": VERSION,
            "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": secrets.token_hex(16),
            "x-acs-content-sha256": EMPTY_SHA256,
        }
        names, signature = sign(self._secret, "POST", params, headers)
        headers["Authorization"] = f"{ALGORITHM} Credential={self._id},SignedHeaders={names},Signature={signature}"
        url = f"{self._endpoint}/?{canonical_query(params)}"
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as http, http.post(url, headers=headers) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryError(
                f"Alibaba Cloud SMS unreachable: {exc!r}", code="unreachable", reason="无法连接短信服务商，稍后会自动重试"
            ) from exc
        if not isinstance(answer, dict):
            raise DeliveryError("Alibaba Cloud SMS: not a JSON object", code="bad_answer", reason="短信服务商的回答无法识别")
        if response.status >= 400 or answer.get("Code") not in (None, "OK"):
            raise failure(str(answer.get("Code") or f"HTTP {response.status}"), str(answer.get("Message") or ""))
        return answer

    async def send(self, sms: Sms) -> str | None:
        answer = await self.call(
            "SendSms",
            {
                "PhoneNumbers": sms.phone,
                "SignName": self._sign_name,
                "TemplateCode": sms.template,
                "TemplateParam": json.dumps(sms.params, ensure_ascii=False, separators=(",", ":")),
                "OutId": sms.reference,
            },
        )
        return str(answer["BizId"]) if answer.get("BizId") else None

    async def receipts(self, sent: list[SentSms]) -> list[Receipt]:
        """QuerySendDetails for each message (by number, BizId and the day it was sent, China time)."""
        found: list[Receipt] = []
        for message in sent:
            query = {
                "PhoneNumber": message.phone,
                "BizId": message.provider_message_id,
                "SendDate": message.sent_at.astimezone(CHINA).strftime("%Y%m%d"),
                "PageSize": "10",
                "CurrentPage": "1",
            }
            try:
                answer = await self.call("QuerySendDetails", query)
            except DeliveryError as exc:  # asked again in a later round
                log.warning("receipt of %s not fetched: %s", message.provider_message_id, exc)
                continue
            details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            for detail in details:
                status = int(detail.get("SendStatus") or 1)
                if status == 1:
                    continue  # waiting for the carrier's receipt
                at = _china_time(detail.get("ReceiveDate"))
                code = str(detail.get("ErrCode") or "")
                if status == 3:
                    found.append(Receipt(message.provider_message_id, True, code or "DELIVERED", None, at))
                else:
                    found.append(Receipt(message.provider_message_id, False, code, carrier_reason(code), at))
                break
        return found


def _china_time(text: object) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None
