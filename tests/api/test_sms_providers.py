"""Alibaba Cloud SMS and Tencent Cloud SMS, each against a stand-in that checks what the provider checks.

The stand-ins (tests/api/sms_standins.py) recompute every request's signature from the secret,
hold the "approved" templates and answer as the providers document. The outbox is driven the way
the app drives it: the senders come from the settings (``server.notify.senders_from``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.domain import notices
from server.domain.notifications import Outbox
from server.evidence.records import DeviceKey, b64
from server.models import OutboxMessage, utcnow
from server.notify import aliyun, senders_from, tencent
from server.settings import Settings, SettingsError, SmsTemplate
from tests.api.helpers import book, next_weekday_at, open_case, same_server_with
from tests.api.sms_standins import Accepted, AliyunStandIn, Provider, TencentStandIn
from tests.api.test_online_applications import applied_and_confirmed
from tests.conftest import Actor, World

SIGN = "朝阳区人民调解委员会"


@dataclass
class Run:
    """A provider's stand-in on loopback, the outbox delivering through it, and a booked case."""

    name: str
    provider: Provider
    outbox: Outbox
    settings: Settings
    mediator: Actor
    case: dict[str, Any]
    booked: dict[str, Any]

    async def rows(self) -> list[OutboxMessage]:
        async with self.outbox._maker() as db:
            return list(
                await db.scalars(select(OutboxMessage).where(OutboxMessage.case_id == self.case["id"]).order_by(OutboxMessage.id))
            )

    async def sms(self, kind: str) -> list[OutboxMessage]:
        return [m for m in await self.rows() if m.kind == kind and m.channel == "sms"]


def aliyun_standin(secret: str) -> tuple[Provider, dict[str, SmsTemplate], dict[str, Any]]:
    standin = AliyunStandIn(
        "LTAI5tStandInKeyId", "standInSecretOfThirtyCharacters", SIGN,
        {
            "SMS_465300001": ["code"], "SMS_465300002": ["name", "org", "case", "time", "mediator", "link"],
            # The applicant's answer links to /apply/s/ (the template fixes it); the extension to j/.
            "SMS_465300004": ["name", "org", "case", "mediator", "link"], "SMS_465300005": ["name", "org", "reason", "link"],
            "SMS_465300006": ["name", "mediator", "case", "due", "link"],
        },
    )  # fmt: skip
    templates = {
        "otp": SmsTemplate("SMS_465300001"), "invitation": SmsTemplate("SMS_465300002"),
        "application_accepted": SmsTemplate("SMS_465300004"), "application_declined": SmsTemplate("SMS_465300005"),
        "extension_proposed": SmsTemplate("SMS_465300006"),
    }  # fmt: skip
    return standin, templates, {"sms_gateway": "aliyun", "sms_access_key_secret": secret}


def tencent_standin(secret: str) -> tuple[Provider, dict[str, SmsTemplate], dict[str, Any]]:
    # Tencent takes no link in a variable: its invitation template is approved without one.
    standin = TencentStandIn(
        "AKIDStandInSecretId", "standInSecretKeyOfThirtyTwoChars", SIGN,
        {
            "1400001": ["code"], "1400002": ["name", "org", "case", "time", "mediator"],
            "1400004": ["name", "org", "case", "mediator"], "1400005": ["name", "org", "reason"],
            "1400006": ["name", "mediator", "case", "due"],
        },
    )  # fmt: skip
    templates = {
        "otp": SmsTemplate("1400001"),
        "invitation": SmsTemplate("1400002", ("name", "org", "case", "time", "mediator")),
        "application_accepted": SmsTemplate("1400004", ("name", "org", "case", "mediator")),
        "application_declined": SmsTemplate("1400005", ("name", "org", "reason")),
        "extension_proposed": SmsTemplate("1400006", ("name", "mediator", "case", "due")),
    }
    return standin, templates, {"sms_gateway": "tencent", "sms_access_key_secret": secret, "sms_app_id": "1400006666"}


PROVIDERS: dict[str, Callable[[str], tuple[Provider, dict[str, SmsTemplate], dict[str, Any]]]] = {
    "aliyun": aliyun_standin,
    "tencent": tencent_standin,
}


async def through(world: World, aiohttp_server: Any, name: str, *, wrong_secret: bool = False) -> Run:
    """A case with two parties and a booked session; its invitations wait in the outbox."""
    standin, templates, extra = PROVIDERS[name]("not-the-secret" if wrong_secret else "")
    if not wrong_secret:
        extra["sms_access_key_secret"] = standin.secret
    server = await aiohttp_server(standin.app())
    settings = replace(
        world.services.settings,
        sms_access_key_id=standin.key_id,
        sms_sign_name=SIGN,
        sms_templates=templates,
        sms_endpoint=f"http://127.0.0.1:{server.port}",
        **extra,
    )
    outbox = Outbox(world.services.links._maker, settings, senders_from(settings))
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    return Run(name, standin, outbox, settings, liu, case, booked)


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_wrong_secret_is_refused_by_the_provider_and_reported(world: World, aiohttp_server: Any, provider: str) -> None:
    run = await through(world, aiohttp_server, provider, wrong_secret=True)
    await run.outbox.deliver_pending()
    refusal = {"aliyun": "SignatureDoesNotMatch", "tencent": "AuthFailure.SignatureFailure"}[provider]
    assert run.provider.refused == [refusal, refusal], "the stand-in recomputed the signature and refused both"
    assert run.provider.accepted == []
    for message in await run.sms("invitation"):
        assert message.status == "failed" and message.error_code == refusal, "not retried: the key is wrong"
        assert message.failure_reason is not None and "签名" in message.failure_reason
    # The mediator sees why, in Chinese.
    items = (await run.mediator.call("GET", f"/api/v1/cases/{run.case['id']}/outbox"))["items"]
    assert {m["failure_reason"] for m in items if m["channel"] == "sms"} == {(aliyun.ERRORS | tencent.ERRORS)[refusal][1]}


async def test_the_template_and_its_parameters_are_what_the_provider_approved(
    world: World, aiohttp_server: Any, provider: str
) -> None:
    run = await through(world, aiohttp_server, provider)
    assert await run.outbox.deliver_pending() == 2
    assert run.provider.refused == []
    accepted = sorted(run.provider.accepted, key=lambda m: m.phone)
    assert [m.sign_name for m in accepted] == [SIGN, SIGN]
    messages = sorted(await run.sms("invitation"), key=lambda m: m.recipient)
    for got, row in zip(accepted, messages, strict=True):
        assert row.status == "sent" and row.provider == provider and row.provider_message_id == got.id
        assert got.reference == str(row.id), "our id travels with it (OutId / SessionContext)"
        params = row.template_params or {}
        assert params["name"] in ("张三", "李四") and params["case"] == "（2026）朝调字第12号"
        assert params["mediator"] == "刘调解员" and "北京时间" in params["time"]
        assert all(1 <= len(value) <= 35 for value in params.values())
        if provider == "aliyun":
            # Named variables; the link after the address the template fixes, and it opens.
            assert got.params == params and got.phone == row.recipient
            visitor = await world.actor()
            opened = await visitor.client.get("/" + params["link"], allow_redirects=False)
            assert opened.status == 303
        else:
            # Positional variables in the template's order, no link; numbers in E.164.
            assert got.params == [params[n] for n in ("name", "org", "case", "time", "mediator")]
            assert got.phone == "+86" + row.recipient


async def test_a_code_goes_as_the_code_template_with_the_code_alone(world: World, aiohttp_server: Any, provider: str) -> None:
    run = await through(world, aiohttp_server, provider)
    party = await world.actor()
    await party.open_link(run.booked["links"][0]["url"])
    started = await party.call("POST", "/api/v1/party/keys/device", {"spki": _spki()}, expect=201)
    assert started["channel"] == "sms" and started["sent_to"] == "138****0001"
    await run.outbox.deliver_pending()
    [otp] = await run.sms("otp")
    code = (otp.template_params or {})["code"]
    assert code.isdigit() and len(code) == 6 and f"验证码是{code}" in otp.body
    got = next(m for m in run.provider.accepted if m.template in ("SMS_465300001", "1400001"))
    assert got.params == ({"code": code} if provider == "aliyun" else [code])
    status = await party.call("GET", f"/api/v1/party/messages/{started['message_id']}")
    assert status["status"] == "sent" and code not in str(status)


async def test_a_passing_failure_is_retried_and_then_sent(world: World, aiohttp_server: Any, provider: str) -> None:
    run = await through(world, aiohttp_server, provider)
    limit = {"aliyun": "isv.BUSINESS_LIMIT_CONTROL", "tencent": "LimitExceeded.PhoneNumberThirtySecondLimit"}[provider]
    run.provider.fail_next = [limit]
    await run.outbox.deliver_pending()
    rows = await run.sms("invitation")
    refused = next(m for m in rows if m.error_code == limit)
    assert refused.status == "pending" and refused.attempts == 1 and refused.next_attempt_at is not None
    assert refused.failure_reason is not None and "稍后会自动重试" in refused.failure_reason
    assert await run.outbox.deliver_pending() == 0, "not before its back-off"
    assert await run.outbox.deliver_pending(now=utcnow() + timedelta(minutes=5)) == 1
    [again] = [m for m in await run.sms("invitation") if m.id == refused.id]
    assert again.status == "sent" and again.attempts == 2 and again.provider_message_id
    assert len(run.provider.accepted) == 2


async def test_a_permanent_failure_is_reported_and_never_retried(world: World, aiohttp_server: Any, provider: str) -> None:
    run = await through(world, aiohttp_server, provider)
    # A number the carrier does not know: the provider refuses it, and sending again would not help.
    async with run.outbox._maker() as db, db.begin():
        row = (
            await db.scalars(select(OutboxMessage).where(OutboxMessage.case_id == run.case["id"], OutboxMessage.channel == "sms"))
        ).first()
        assert row is not None
        row.recipient = "1380000"
    await run.outbox.deliver_pending()
    wrong = {"aliyun": "isv.MOBILE_NUMBER_ILLEGAL", "tencent": "InvalidParameterValue.IncorrectPhoneNumber"}[provider]
    [failed] = [m for m in await run.sms("invitation") if m.error_code == wrong]
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.failure_reason == "手机号码无效，请核对当事人的手机号码"
    asked = run.provider.requests
    assert await run.outbox.deliver_pending(now=utcnow() + timedelta(hours=2)) == 0
    assert run.provider.requests == asked


async def test_a_kind_without_an_approved_template_is_recorded_and_says_so(
    world: World, aiohttp_server: Any, provider: str
) -> None:
    run = await through(world, aiohttp_server, provider)
    session = (await run.mediator.call("GET", f"/api/v1/cases/{run.case['id']}"))["sessions"][0]
    await run.mediator.call("POST", f"/api/v1/sessions/{session['id']}/cancel", {})
    await run.outbox.deliver_pending()
    [cancelled, _] = await run.sms("cancellation")
    assert cancelled.status == "recorded" and cancelled.failure_reason == "未配置此类短信的模板，短信未发出"
    assert all(m.template not in ("cancellation",) for m in run.provider.accepted)


async def test_a_receipt_from_the_handset_updates_the_message(world: World, aiohttp_server: Any, provider: str) -> None:
    run = await through(world, aiohttp_server, provider)
    await run.outbox.deliver_pending()
    first, second = sorted(run.provider.accepted, key=lambda m: m.phone)
    assert await run.outbox.fetch_receipts(now=utcnow() + timedelta(minutes=1)) == 0, "no receipt yet"
    ok, failed = {"aliyun": ("DELIVERED", "MK:0001"), "tencent": ("SUCCESS", "MK:0001")}[provider]
    run.provider.deliver(first.id, ok)
    run.provider.deliver(second.id, failed)
    assert await run.outbox.fetch_receipts(now=utcnow() + timedelta(minutes=5)) == 2
    rows = {m.provider_message_id: m for m in await run.sms("invitation")}
    assert rows[first.id].status == "delivered" and rows[first.id].delivered_at is not None
    assert rows[second.id].status == "failed" and rows[second.id].failure_reason is not None
    assert "运营商未能送达" in (rows[second.id].failure_reason or "")
    # Settled rows are not asked about again.
    asked = run.provider.requests
    assert await run.outbox.fetch_receipts(now=utcnow() + timedelta(minutes=10)) == 0
    assert run.provider.requests == asked


def test_a_half_configured_provider_does_not_start() -> None:
    base = {"MEDIATE_SMS_GATEWAY": "aliyun", "MEDIATE_SMS_ACCESS_KEY_ID": "LTAI5t", "MEDIATE_SMS_SIGN_NAME": SIGN}
    with pytest.raises(SettingsError, match="MEDIATE_SMS_ACCESS_KEY_SECRET, MEDIATE_SMS_TEMPLATES"):
        Settings.from_env(base)
    full = base | {"MEDIATE_SMS_ACCESS_KEY_SECRET": "s", "MEDIATE_SMS_TEMPLATES": '{"otp": "SMS_1"}'}
    assert Settings.from_env(full).sms_templates == {"otp": SmsTemplate("SMS_1")}
    with pytest.raises(SettingsError, match="MEDIATE_SMS_APP_ID"):
        Settings.from_env(full | {"MEDIATE_SMS_GATEWAY": "tencent"})
    with pytest.raises(SettingsError, match="no template for one-time codes"):
        Settings.from_env(full | {"MEDIATE_SMS_TEMPLATES": '{"invitation": "SMS_2"}'})
    with pytest.raises(SettingsError, match="not aliyun or tencent"):
        Settings.from_env({"MEDIATE_SMS_SIGN_NAME": SIGN})
    with pytest.raises(SettingsError, match="aliyun, tencent or spool"):
        Settings.from_env({"MEDIATE_SMS_GATEWAY": "twilio"})
    # A kind or parameter the catalogue does not have is refused when the senders are made.
    odd = Settings.from_env(full | {"MEDIATE_SMS_TEMPLATES": '{"otp": "SMS_1", "invite": "SMS_2"}'})
    with pytest.raises(SettingsError, match="no message kind 'invite'"):
        senders_from(odd)
    odd = Settings.from_env(full | {"MEDIATE_SMS_TEMPLATES": '{"otp": {"code": "SMS_1", "params": ["pin"]}}'})
    with pytest.raises(SettingsError, match="otp has no parameter pin"):
        senders_from(odd)


def _spki() -> str:
    return b64(DeviceKey.generate({"kind": "party", "id": "x"}).info.spki)


#: The settings that make a server send through a provider (``through`` sets them for its outbox).
SMS_FIELDS = ("sms_gateway", "sms_access_key_id", "sms_access_key_secret", "sms_sign_name", "sms_templates", "sms_endpoint", "sms_app_id")  # fmt: skip


async def served_through(world: World, aiohttp_server: Any, run: Run, **templates: SmsTemplate | None) -> World:
    """The same data served by a server configured with the stand-in, as an operator would run it;
    ``templates`` replace (None: remove) kinds of the approved templates."""
    approved = {k: v for k, v in (run.settings.sms_templates | templates).items() if v is not None}
    changes = {name: getattr(run.settings, name) for name in SMS_FIELDS} | {"sms_templates": approved}
    return await same_server_with(world, aiohttp_server, **changes)


async def test_the_applicants_answer_and_a_proposal_to_extend_go_as_their_approved_templates(
    world: World, aiohttp_server: Any, provider: str
) -> None:
    run = await through(world, aiohttp_server, provider)
    served = await served_through(world, aiohttp_server, run)
    _, yes = await applied_and_confirmed(world, world.org_a.id, "13700000301")
    _, no = await applied_and_confirmed(world, world.org_a.id, "13700000302")
    liu = await served.staff("liu")
    accepted = await liu.call("POST", f"/api/v1/applications/{yes['id']}/accept", {"case_number": "（2026）朝调字第50号", "dispute_type": "neighbours"})  # fmt: skip
    reason = "纠纷双方均不在本会辖区，依照《人民调解委员会组织条例》的规定，应向纠纷发生地的调解组织申请调解。"
    declined = await liu.call("POST", f"/api/v1/applications/{no['id']}/decline", {"reason": reason, "routes": ["other_organisation"]})  # fmt: skip
    assert [m["undelivered"] for m in accepted["notice"]["messages"] + declined["notice"]["messages"]] == [None, None]
    found = await liu.call("GET", f"/api/v1/cases/{run.case['id']}/extensions")
    day = date.fromisoformat(found["last_day"]) + timedelta(days=14)
    await liu.call("POST", f"/api/v1/cases/{run.case['id']}/extensions", {"to_date": day.isoformat(), "reason": "等待鉴定"}, expect=201)  # fmt: skip

    await served.services.outbox.deliver_pending()
    assert run.provider.refused == [], "every template, parameter and signature as the provider checks them"
    codes = {kind: t.code for kind, t in run.settings.sms_templates.items()}
    got = {kind: [m for m in run.provider.accepted if m.template == codes[kind]] for kind in codes}
    [yes_sms], [no_sms] = got["application_accepted"], got["application_declined"]
    assert len(got["extension_proposed"]) == 2, "one text to each party who must agree"
    assert [m.phone.removeprefix("+86") for m in (yes_sms, no_sms)] == ["13700000301", "13700000302"], "the confirmed phones"

    def names(m: Accepted) -> dict[str, str]:
        """The variables by name: Alibaba's as sent, Tencent's by position in the approved template."""
        return dict(m.params) if provider == "aliyun" else dict(zip(run.provider.templates[m.template], m.params, strict=True))

    yes_params, no_params = names(yes_sms), names(no_sms)
    assert {k: v for k, v in yes_params.items() if k != "link"} == {
        "name": "张三", "org": "朝阳区人民调解委员会", "case": "（2026）朝调字第50号", "mediator": "刘调解员",
    }  # fmt: skip
    assert no_params["reason"] == reason[:34] + "…"
    for answered, params in ((yes, yes_params), (no, no_params)):
        # The staff view of the application says the provider took it, with the provider's id.
        [told] = (await liu.call("GET", f"/api/v1/applications/{answered['id']}"))["notice"]["messages"]
        assert (told["status"], told["provider"]) == ("sent", provider) and told["provider_message_id"]
        if provider == "aliyun":
            # The status page's token, after the /apply/s/ the template fixes; it opens that page.
            status = await (await world.actor()).call("GET", f"/api/v1/apply/status/{params['link']}")
            assert status["id"] == answered["id"]
        else:
            assert "link" not in params, "Tencent takes no link in a variable"
    for m in got["extension_proposed"]:
        params = names(m)
        assert params["due"] == notices.day_text(day)[0] and params["mediator"] == "刘调解员"
        if provider == "aliyun":
            opened = await (await world.actor()).client.get("/" + params["link"], allow_redirects=False)
            assert opened.status == 303, "each party's own page"


async def test_an_answer_without_an_approved_template_is_recorded_and_the_staff_view_says_so(
    world: World, aiohttp_server: Any, provider: str
) -> None:
    run = await through(world, aiohttp_server, provider)
    served = await served_through(world, aiohttp_server, run, application_declined=None)
    _, no = await applied_and_confirmed(world, world.org_a.id, "13700000303")
    liu = await served.staff("liu")
    declined = await liu.call("POST", f"/api/v1/applications/{no['id']}/decline", {"reason": "不属本会受理范围", "routes": ["court"]})  # fmt: skip
    [told] = declined["notice"]["messages"]
    assert (told["status"], told["undelivered"]) == ("pending", "no_template")
    await served.services.outbox.deliver_pending()
    [kept] = (await liu.call("GET", f"/api/v1/applications/{no['id']}"))["notice"]["messages"]
    assert (kept["status"], kept["failure_reason"]) == ("recorded", "未配置此类短信的模板，短信未发出")
    assert [m.template for m in run.provider.accepted if m.phone.endswith("13700000303")] == [
        run.settings.sms_templates["otp"].code
    ], "the code that confirmed the phone, and nothing else"


def test_every_kind_has_its_suggested_template_in_the_configuration_reference() -> None:
    """Operators approve templates from docs/CONFIGURATION.md's table: it names every kind, its
    parameters in order, and the template text the kind's messages are composed from."""
    reference = (Path(__file__).parents[2] / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
    for kind, spec in notices.KINDS.items():
        row = f"| `{kind}` | {', '.join(f'`{p}`' for p in spec.params)} | {notices.sms_template_text(kind)} |"
        assert row in reference, f"docs/CONFIGURATION.md: no row, or another text, for {kind}: {row}"
        assert all("${" + p + "}" in notices.sms_template_text(kind) for p in spec.params), f"{kind} leaves a parameter out"
    # A link variable fits a template variable (35 characters): j/<token>, or the status token after apply/s/.
    assert notices.link_param("http://mediate.test/apply/s/" + "x" * 32, "application_accepted") == "x" * 32
    assert notices.link_param("http://mediate.test/j/" + "y" * 32) == "j/" + "y" * 32
