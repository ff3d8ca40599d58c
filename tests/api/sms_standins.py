"""Stand-ins for Alibaba Cloud SMS and Tencent Cloud SMS, on loopback, checking what they check.

Their servers cannot be reached from here, so each stand-in is a small aiohttp app that does
what the provider documents: it recomputes the request's signature from the secret (written
here from the providers' documentation, apart from server/notify), refuses a wrong one with the
provider's own error, checks the sign name, the template and its parameters against the
"approved" templates it holds, answers as the provider does (including the failures a test
scripts), and keeps delivery receipts for the query or pull that asks for them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus

from aiohttp import web

CHINA = timezone(timedelta(hours=8))


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


@dataclass
class Accepted:
    """A message the stand-in took: what a handset would get, and its receipt when known."""

    id: str
    phone: str
    sign_name: str
    template: str
    params: Any
    reference: str
    at: datetime
    receipt: str | None = None  # None: waiting; "DELIVERED" / "SUCCESS"; else the failure code


@dataclass
class Provider:
    """What both stand-ins keep: the credentials, approved templates, scripted failures, traffic."""

    key_id: str
    secret: str
    sign_name: str
    templates: dict[str, list[str]]  # approved template code -> its variables, in order
    fail_next: list[str] = field(default_factory=list)  # business codes to answer the next sends with
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # every error code answered, in order
    requests: int = 0
    nonces: set[str] = field(default_factory=set)

    def deliver(self, message_id: str, receipt: str) -> None:
        next(m for m in self.accepted if m.id == message_id).receipt = receipt

    def app(self) -> web.Application:
        """The stand-in's API as an application to serve (each provider's own)."""
        raise NotImplementedError


# -- Alibaba Cloud: dysmsapi 2017-05-25, V3 signature (ACS3-HMAC-SHA256) ---------------------


def _acs_percent(value: str) -> str:
    # As Alibaba's own samples encode: URL-encode, then "+" -> "%20", "*" -> "%2A", "%7E" -> "~".
    return quote_plus(value, encoding="utf-8").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def acs3_signature(secret: str, request: web.Request, body: bytes, signed_headers: list[str]) -> str:
    """The signature Alibaba computes for this request (V3 request structure and signature)."""
    query = "&".join(f"{_acs_percent(k)}={_acs_percent(v)}" for k, v in sorted(request.rel_url.query.items()))
    headers = "".join(f"{name}:{request.headers.get(name, '').strip()}\n" for name in signed_headers)
    canonical = "\n".join(
        [request.method, request.rel_url.path, query, headers, ";".join(signed_headers), hashlib.sha256(body).hexdigest()]
    )
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class AliyunStandIn(Provider):
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self.handle)
        return app

    def _error(self, status: int, code: str, message: str) -> web.Response:
        self.refused.append(code)
        return web.json_response(
            {"RequestId": _request_id(), "HostId": "dysmsapi.aliyuncs.com", "Code": code, "Message": message}, status=status
        )

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        auth = request.headers.get("Authorization", "")
        found = re.fullmatch(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})", auth)
        if not found:
            return self._error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        key_id, signed, signature = found.groups()
        if key_id != self.key_id:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        names = signed.split(";")
        required = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
        if names != sorted(names) or not required <= set(names):
            return self._error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        if request.headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return self._error(400, "InvalidParameter.ContentSHA256", "The x-acs-content-sha256 is not the hash of the body.")
        when = datetime.strptime(request.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - when) > timedelta(minutes=15):
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if not hmac.compare_digest(signature, acs3_signature(self.secret, request, body, names)):
            return self._error(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        nonce = request.headers["x-acs-signature-nonce"]
        if nonce in self.nonces:
            return self._error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self.nonces.add(nonce)
        if request.headers.get("x-acs-version") != "2017-05-25":
            return self._error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        query = request.rel_url.query
        action = request.headers["x-acs-action"]
        if action == "SendSms":
            return self._send(query)
        if action == "QuerySendDetails":
            return self._details(query)
        return self._error(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")

    def _business(self, code: str, message: str) -> web.Response:
        self.refused.append(code)
        return web.json_response({"RequestId": _request_id(), "Code": code, "Message": message})

    def _send(self, query: Any) -> web.Response:
        phone, sign_name, template = query.get("PhoneNumbers", ""), query.get("SignName", ""), query.get("TemplateCode", "")
        if not re.fullmatch(r"(\+?86|0086)?1\d{10}", phone):
            return self._business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if sign_name != self.sign_name:
            return self._business("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        if template not in self.templates:
            return self._business("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            params = json.loads(query.get("TemplateParam", "{}"))
        except json.JSONDecodeError:
            return self._business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        variables = self.templates[template]
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return self._business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if set(params) != set(variables):
            return self._business("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        for name, value in params.items():
            limit = (4, 6) if name == "code" else (1, 35)
            if not limit[0] <= len(value) <= limit[1] or (name == "code" and not value.isdigit()):
                return self._business("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        if self.fail_next:
            code = self.fail_next.pop(0)
            return self._business(code, {"isv.BUSINESS_LIMIT_CONTROL": "触发分钟级流控Permits:1"}.get(code, code))
        biz_id = f"{len(self.accepted) + 900000}^0"
        self.accepted.append(Accepted(biz_id, phone, sign_name, template, params, query.get("OutId", ""), datetime.now(CHINA)))
        return web.json_response({"RequestId": _request_id(), "Code": "OK", "Message": "OK", "BizId": biz_id})

    def _details(self, query: Any) -> web.Response:
        for name in ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"):
            if not query.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory for this action.")
        rows = [
            m for m in self.accepted
            if m.phone == query["PhoneNumber"] and m.at.strftime("%Y%m%d") == query["SendDate"]
            and (not query.get("BizId") or m.id == query["BizId"])
        ]  # fmt: skip
        details = []
        for m in rows:
            status = 1 if m.receipt is None else 3 if m.receipt == "DELIVERED" else 2
            details.append(
                {
                    "ErrCode": m.receipt or "",
                    "TemplateCode": m.template,
                    "OutId": m.reference,
                    "ReceiveDate": m.at.strftime("%Y-%m-%d %H:%M:%S") if m.receipt else "",
                    "SendDate": m.at.strftime("%Y-%m-%d %H:%M:%S"),
                    "PhoneNum": m.phone,
                    "Content": f"【{m.sign_name}】{json.dumps(m.params, ensure_ascii=False)}",
                    "SendStatus": status,
                }
            )
        return web.json_response(
            {"RequestId": _request_id(), "Code": "OK", "Message": "OK", "TotalCount": len(details),
             "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}}
        )  # fmt: skip


# -- Tencent Cloud: sms 2021-01-11, TC3-HMAC-SHA256 ---------------------------------------------


def tc3_signature(secret: str, request: web.Request, body: bytes, signed_headers: list[str], timestamp: int) -> str:
    """The signature Tencent computes for this request (签名方法 v3)."""
    headers = "".join(f"{name}:{request.headers.get(name, '').strip().lower()}\n" for name in signed_headers)
    canonical = f"POST\n/\n\n{headers}\n{';'.join(signed_headers)}\n{hashlib.sha256(body).hexdigest()}"
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{day}/sms/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret).encode("utf-8"), day), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class TencentStandIn(Provider):
    app_id: str = "1400006666"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self.handle)
        return app

    def _error(self, code: str, message: str) -> web.Response:
        self.refused.append(code)
        return web.json_response({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": _request_id()}})

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        auth = request.headers.get("Authorization", "")
        found = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, SignedHeaders=([a-z0-9;-]+), "
            r"Signature=([0-9a-f]{64})",
            auth,
        )
        if not found:
            return self._error("AuthFailure.InvalidAuthorization", "Authorization in the request header is invalid.")
        secret_id, day, signed, signature = found.groups()
        if secret_id != self.key_id:
            return self._error(
                "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct."
            )
        timestamp = int(request.headers.get("X-TC-Timestamp", "0"))
        if abs(datetime.now(UTC).timestamp() - timestamp) > 300:
            return self._error(
                "AuthFailure.SignatureExpire",
                "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
            )
        names = signed.split(";")
        if not {"content-type", "host"} <= set(names) or day != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d"):
            return self._error("AuthFailure.InvalidAuthorization", "Authorization in the request header is invalid.")
        if not hmac.compare_digest(signature, tc3_signature(self.secret, request, body, names, timestamp)):
            return self._error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        if request.headers.get("X-TC-Version") != "2021-01-11":
            return self._error("NoSuchVersion", "The API version does not exist.")
        if not request.headers.get("X-TC-Region"):
            return self._error("MissingParameter", "The request is missing a required parameter `Region`.")
        payload = json.loads(body)
        if payload.get("SmsSdkAppId") != self.app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId不存在。")
        action = request.headers.get("X-TC-Action")
        if action == "SendSms":
            return self._send(payload)
        if action == "PullSmsSendStatus":
            return self._pull(payload)
        return self._error("InvalidAction", "The requested action does not exist.")

    def _send(self, payload: dict[str, Any]) -> web.Response:
        statuses = []
        for phone in payload.get("PhoneNumberSet") or []:
            code, serial = self._one(phone, payload)
            if code != "Ok":
                self.refused.append(code)
            statuses.append(
                {"SerialNo": serial, "PhoneNumber": phone, "Fee": 1 if serial else 0, "SessionContext": payload.get("SessionContext", ""),
                 "Code": code, "Message": "send success" if code == "Ok" else code, "IsoCode": "CN"}
            )  # fmt: skip
        return web.json_response({"Response": {"SendStatusSet": statuses, "RequestId": _request_id()}})

    def _one(self, phone: str, payload: dict[str, Any]) -> tuple[str, str]:
        if not re.fullmatch(r"\+861\d{10}", phone):
            return "InvalidParameterValue.IncorrectPhoneNumber", ""
        if payload.get("SignName") != self.sign_name:
            return "FailedOperation.SignatureIncorrectOrUnapproved", ""
        template = str(payload.get("TemplateId", ""))
        if template not in self.templates:
            return "FailedOperation.TemplateIncorrectOrUnapproved", ""
        params = payload.get("TemplateParamSet") or []
        variables = self.templates[template]
        if len(params) != len(variables) or not all(isinstance(p, str) and p for p in params):
            return "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", ""
        for name, value in zip(variables, params, strict=True):
            if name == "code" and not re.fullmatch(r"\d{1,6}", value):
                return "InvalidParameterValue.TemplateParameterFormatError", ""
            if re.search(r"https?://|www\.", value):
                return "InvalidParameterValue.TemplateParameterFormatError", ""  # no links in variables
        if self.fail_next:
            return self.fail_next.pop(0), ""
        serial = f"5000:{len(self.accepted) + 1045710669157053657849499619}"
        self.accepted.append(
            Accepted(serial, phone, str(payload.get("SignName")), template, params, str(payload.get("SessionContext", "")),
                     datetime.now(CHINA))
        )  # fmt: skip
        return "Ok", serial

    def _pull(self, payload: dict[str, Any]) -> web.Response:
        limit = int(payload.get("Limit") or 0)
        if not 1 <= limit <= 100:
            return self._error("InvalidParameterValue", "Limit must be 1 to 100.")
        out: list[dict[str, Any]] = []
        for m in self.accepted:
            if m.receipt is None or m.receipt == "pulled" or len(out) >= limit:
                continue
            ok = m.receipt == "SUCCESS"
            out.append(
                {"UserReceiveTime": m.at.strftime("%Y-%m-%d %H:%M:%S"), "UserReceiveUnixTime": int(m.at.timestamp()),
                 "CountryCode": "86", "SubscriberNumber": m.phone[3:], "PhoneNumber": m.phone, "SerialNo": m.id,
                 "ReportStatus": "SUCCESS" if ok else "FAIL",
                 "Description": "用户短信送达成功" if ok else "用户短信送达失败：" + m.receipt, "SessionContext": m.reference}
            )  # fmt: skip
            m.receipt = "pulled"  # each status is handed out once
        return web.json_response({"Response": {"PullSmsSendStatusSet": out, "RequestId": _request_id()}})


def base64_secret() -> str:
    """A secret shaped like the providers' (30 or 32 characters of letters and digits)."""
    return base64.b32encode(uuid.uuid4().bytes).decode().rstrip("=")[:30]
