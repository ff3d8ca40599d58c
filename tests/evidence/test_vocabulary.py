"""Record kinds and methods have one name each, in Chinese and English; unknown ones say so."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from server.domain.codes import otp_method
from server.domain.evidence import IDENTITY_METHODS
from server.domain.party_signing import body_method
from server.evidence.records import RECORD_TYPES, DeviceKey
from server.evidence.vocabulary import METHOD_WORDS, RECORD_WORDS, method_words, record_words, signature_words
from server.models import Party
from server.settings import Settings

SERVER = Path(__file__).resolve().parents[2] / "server"


def test_every_record_type_has_a_chinese_and_an_english_name() -> None:
    for kind in RECORD_TYPES | {"mediation_accepted"}:
        zh, en = RECORD_WORDS[kind]
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]", zh), kind
        assert en and not re.search(r"[\u4e00-\u9fff]", en), kind
    # The recording consent is a consent to recording, not to mediation.
    assert record_words("consent") == "同意录音录像" and record_words("mediation_accepted") == "同意调解"
    assert len({zh for zh, _ in RECORD_WORDS.values()}) == len(RECORD_WORDS), "two kinds share a name"


def test_a_signature_line_says_how_the_signer_was_confirmed_and_how_the_key_was_bound() -> None:
    assert signature_words("sms_otp+device_key", "sms_otp") == "设备密钥（短信验证码确认）\n密钥经短信验证码核验本人手机后绑定"
    assert (
        signature_words("email_otp+device_key", "email_otp") == "设备密钥（电子邮件验证码确认）\n密钥经电子邮件验证码核验后绑定"
    )
    assert signature_words("device_key", "video_witnessed") == "设备密钥（签署时未发送验证码）\n密钥经调解员视频核验绑定"
    assert signature_words("passkey_uv", "sms_otp+passkey").startswith("通行密钥（本人生物识别/PIN 验证）\n")
    assert signature_words("staff_key", "staff_login") == "工作人员本人密钥（登录本人工作账户后签署）\n密钥登录本人工作账户后绑定"
    assert signature_words("passkey_uv", "video_witnessed+passkey", "en") == (
        "passkey, verified by the signer's biometrics or PIN\nKey registered under the mediator's video identity check"
    )


def test_an_unknown_or_missing_method_is_said_to_be_unknown_never_guessed() -> None:
    assert method_words("carrier_pigeon") == "未知方式（记录中的方式代码：carrier_pigeon）"
    assert method_words(None) == "记录中未载明方式" and method_words("", "en") == "the record names no method"
    assert signature_words("sms_otp+device_key", None) == "设备密钥（短信验证码确认）\n密钥绑定方式：记录中未载明方式"
    assert record_words("teleport") == "未知记录类型（teleport）"


def test_every_method_the_server_writes_has_words() -> None:
    """Signing methods for both kinds of key, binding methods, identity checks, the mediator's consent."""
    device = DeviceKey.generate({"kind": "party", "id": "p"}).info
    passkey = replace(device, alg="webauthn")
    party = Party(id="p", case_id="c", role="applicant", name="张三", phone="13800000001", email="z@example.cn")
    sms, email, none = (
        Settings(sms_gateway="spool:/dev/null"),
        Settings(sms_gateway="", smtp_host="mail.example.cn"),
        Settings(sms_gateway=""),
    )
    written = {body_method(settings, party, key) for settings in (sms, email, none) for key in (device, passkey)}
    assert written == {"sms_otp+device_key", "email_otp+device_key", "device_key", "passkey_uv"}
    # A party's key bound with a code: the code's channel, then with a passkey (keybinding.py).
    bound = {otp_method(settings, party) for settings in (sms, email)}
    assert bound == {"sms_otp", "email_otp"}
    written |= bound | {f"{m}+passkey" for m in bound} | set(IDENTITY_METHODS)
    for path in set(SERVER.rglob("*.py")) - {SERVER / "evidence" / "sample.py"}:  # sample bundles are made-up data
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'"method": "([a-z_+]+)"', text))  # key_bound, consent records
        written |= set(re.findall(r'_binding_claim\([^)]*"([a-z_+]+)"\)', text))  # a party's key_bound
        written |= set(re.findall(r'_signature_claim\([^)]*"([a-z_+]+)"\)', text))  # the mediator's signature
    written -= {"bench"}  # the ledger benchmark's own records
    assert {"sms_otp", "sms_otp+passkey", "staff_login", "staff_key", "sms_otp+device_key", "passkey_uv"} <= written
    assert written <= set(METHOD_WORDS), written - set(METHOD_WORDS)
