"""Building a case to the point of signing: parties with bound keys, a mediator with a bound key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import select

from server.evidence.records import DeviceKey, b64, unb64, unb64url
from server.models import OutboxMessage, utcnow
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import Actor, World
from tests.evidence.test_webauthn import SoftAuthenticator


async def latest_code(world: World, party_id: str) -> str:
    """What the SMS gateway would deliver to this party: the outbox keeps the message for the sender."""
    async with world.services.links._maker() as db:
        body = (
            await db.scalars(
                select(OutboxMessage.body)
                .where(OutboxMessage.kind == "otp", OutboxMessage.party_id == party_id)
                .order_by(OutboxMessage.id.desc())
            )
        ).first()
    assert body is not None
    return next(word for word in body.replace("，", " ").replace("是", " ").split() if word.isdigit() and len(word) == 6)


@dataclass
class Signer:
    actor: Actor
    party_id: str
    device: DeviceKey | None = None
    passkey: SoftAuthenticator | None = None


async def bind_device_key(world: World, actor: Actor, party_id: str) -> Signer:
    key = DeviceKey.generate({"kind": "party", "id": party_id})
    started = await actor.call("POST", "/api/v1/party/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    await actor.call(
        "POST",
        f"/api/v1/party/keys/device/{started['challenge']}",
        {"code": await latest_code(world, party_id), "signature": key.sign(unb64(started["statement"]))["sig"]},
        expect=201,
    )
    return Signer(actor, party_id, device=key)


async def bind_passkey(world: World, actor: Actor, party_id: str) -> Signer:
    settings = world.services.settings
    passkey = SoftAuthenticator("es256")
    started = await actor.call("POST", "/api/v1/party/keys/passkey", expect=201)
    path = f"/api/v1/party/keys/passkey/{started['challenge']}"
    credential = passkey.register(
        unb64url(started["options"]["challenge"]), rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin
    )
    signing = await actor.call("POST", f"{path}/register", {"code": await latest_code(world, party_id), "credential": credential})
    digest = sha256(unb64(signing["statement"])).digest()
    assertion = passkey.sign(digest, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)
    await actor.call("POST", f"{path}/bind", {"credential": assertion}, expect=201)
    return Signer(actor, party_id, passkey=passkey)


async def mediator_key(liu: Actor, case_id: str) -> DeviceKey:
    """The mediator's own device key, registered on the account and bound to the case."""
    key = DeviceKey.generate({"kind": "staff", "id": "liu"})
    await liu.call("POST", "/api/v1/me/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    binding = await liu.call("POST", f"/api/v1/cases/{case_id}/keys/{key.info.id}/bind", expect=201)
    await liu.call(
        "POST",
        f"/api/v1/signatures/{binding['challenge']}",
        {"signature": key.sign(unb64(binding["statement"]))["sig"]},
        expect=201,
    )
    return key


@dataclass
class Mediation:
    liu: Actor
    case: dict[str, Any]
    session: dict[str, Any]
    applicant: Actor
    respondent: Actor

    @property
    def case_id(self) -> str:
        return str(self.case["id"])

    def party_id(self, role: str) -> str:
        return str(next(p["id"] for p in self.case["parties"] if p["role"] == role))


async def mediation(world: World, number: str = "（2026）朝调字第12号", mediator: str = "liu", hour: int = 10) -> Mediation:
    liu = await world.staff(mediator)
    case = await open_case(liu, number)
    booked = await book(liu, case["id"], next_weekday_at(hour))
    actors = {}
    for link in booked["links"]:
        actor = await world.actor()
        await actor.open_link(link["url"])
        actors[link["party_id"]] = actor
    roles = {p["role"]: p["id"] for p in case["parties"]}
    return Mediation(liu, case, booked, actors[roles["applicant"]], actors[roles["respondent"]])


TERMS: dict[str, Any] = {
    "facts": "申请人张三在被申请人处工作，被申请人拖欠申请人2026年8月至10月工资共计人民币12000元。",
    "terms": [
        {
            "text": "被申请人于2026年12月31日前向申请人支付拖欠工资人民币12000元。",
            "performance": "银行转账至申请人账户",
            "due": "2026年12月31日前",
        },
        {"text": "申请人放弃其他请求。", "performance": "", "due": ""},
    ],
    "effect": "本协议经双方当事人签名、调解员签名并加盖调解组织印章后生效。",
    "copies": 3,
    "other": "",
}


def deadline(days: float = 2) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


async def draft_and_finalise(m: Mediation) -> dict[str, Any]:
    base = f"/api/v1/cases/{m.case_id}/agreement"
    await m.liu.call("POST", base, {"session_id": m.session["session"]["id"]}, expect=201)
    await m.liu.call("POST", f"{base}/versions", {"content": TERMS, "based_on": 1}, expect=201)
    return await m.liu.call("POST", f"{base}/final", {"version": 2, "deadline": deadline()})  # type: ignore[no-any-return]


async def party_signs(world: World, signer: Signer, version: int = 2, handwriting: str | None = None) -> int:
    settings = world.services.settings
    prepared = await signer.actor.call("POST", "/api/v1/party/agreement/sign", {"version": version}, expect=201)
    statement = unb64(prepared["statement"])
    body: dict[str, Any]
    if signer.device is not None:
        assert prepared["otp"]["sent_to"].startswith("13")
        body = {"code": await latest_code(world, signer.party_id), "signature": signer.device.sign(statement)["sig"]}
    else:
        assert signer.passkey is not None and prepared["otp"] is None
        digest = sha256(statement).digest()
        body = {"credential": signer.passkey.sign(digest, rp_id=settings.webauthn_rp_id, origin=settings.webauthn_origin)}
    if handwriting:
        body["handwriting"] = handwriting
    signed = await signer.actor.call("POST", f"/api/v1/party/agreement/sign/{prepared['challenge']}", body, expect=201)
    return int(signed["seq"])


async def sealed_agreement(world: World, m: Mediation) -> tuple[Signer, Signer]:
    """The case's agreement signed by both parties (a device key, a passkey) and the mediator, and sealed."""
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    b = await bind_passkey(world, m.respondent, m.party_id("respondent"))
    await draft_and_finalise(m)
    await party_signs(world, a)
    await party_signs(world, b)
    key = await mediator_key(m.liu, m.case_id)
    prepared = await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/agreement/sign", {"key_id": key.info.id}, expect=201)
    await m.liu.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )
    return a, b
