"""A party applies online (issue #21): the code that makes the application count, the limits of the open
door, expiry, the organisation's queue, acceptance (the case, registered as at the window) and refusal
(kept on record, shown on the applicant's status link)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from server.domain.principal import SYSTEM
from server.domain.workdays import Workdays
from server.evidence.verify import render, verify_bundle
from server.models import LogEntry, MediationApplication, OutboxMessage, utcnow
from server.settings import Settings
from tests.api.helpers import same_server_with
from tests.conftest import CHEAP_PASSWORD_HASH, PASSWORD, Actor, World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def form(phone: str = "13812345678", **more: Any) -> dict[str, Any]:
    return {
        "applicant": {"name": "张三", "phone": phone, "sex": "male", "age": 67, "address": "朝阳区十八里店乡周庄村"},
        "respondents": [{"name": "李四", "phone": "13900000002", "address": "周庄村三组"}, {"name": "王五"}],
        "facts": "李四家的树根拱坏了我家院墙，协商多次未果。",
        "requests": "请求李四修复院墙，赔偿损失2000元。",
        **more,
    }


async def latest_code(world: World, phone: str) -> str:
    """What the applicant's phone would receive: the outbox keeps the message for the SMS sender."""
    async with world.services.links._maker() as db:
        body = (
            await db.scalars(
                select(OutboxMessage.body)
                .where(OutboxMessage.kind == "otp", OutboxMessage.recipient == phone)
                .order_by(OutboxMessage.id.desc())
            )
        ).first()
    assert body is not None
    return next(word for word in body.replace("，", " ").replace("是", " ").split() if word.isdigit() and len(word) == 6)


async def apply(
    world: World, who: Actor, org_id: str, body: dict[str, Any] | None = None, expect: int = 201, address: str = "203.0.113.7"
) -> Any:
    response = await who.request(
        "POST", f"/api/v1/apply/organisations/{org_id}/applications", body or form(), headers={"X-Forwarded-For": address}
    )
    answer = await response.json()
    assert response.status == expect, answer
    if expect == 429:
        assert int(response.headers["Retry-After"]) == answer["error"]["retry_after"] > 0
    return answer


async def applied_and_confirmed(world: World, org_id: str, phone: str = "13812345678", **more: Any) -> tuple[Actor, Any]:
    public = await world.actor()
    made = await apply(world, public, org_id, form(phone, **more))
    code = await latest_code(world, phone)
    done = await public.call("POST", f"/api/v1/apply/applications/{made['id']}/confirm", {"code": code})
    return public, done


def token_of(done: Any) -> str:
    return str(done["status_url"]).rsplit("/", 1)[1]


async def test_an_application_counts_only_once_the_phone_is_confirmed_with_its_code(world: World) -> None:
    public, liu = await world.actor(), await world.staff("liu")
    # The page lists the organisations that take applications (not the court) and says a code can be sent.
    doors = await public.call("GET", "/api/v1/apply/organisations")
    assert {o["name"] for o in doors["items"]} == {"朝阳区人民调解委员会", "海淀区矛盾纠纷多元化解中心"}
    assert doors["phone_confirmation"] is True
    await public.call("GET", f"/api/v1/apply/organisations/{world.court.id}", expect=404)
    page = await public.call("GET", f"/api/v1/apply/organisations/{world.org_a.id}")
    assert [m["display_name"] for m in page["choices"][0]["mediators"]] == ["刘调解员", "王调解员"]

    made = await apply(world, public, world.org_a.id, form(preferred_mediator_id=world.ids["wang"]))
    assert made["code"] == {"channel": "sms", "sent_to": "138****5678", "message_id": made["code"]["message_id"]}
    # Unconfirmed: staff see nothing of it, not even by its id.
    assert (await liu.call("GET", "/api/v1/applications"))["items"] == []
    refused = await liu.call("POST", f"/api/v1/applications/{made['id']}/accept", {"case_number": "X1", "dispute_type": "neighbours"}, expect=404)  # fmt: skip
    assert refused["error"]["reason"] == "no_such_application"

    code = await latest_code(world, "13812345678")
    wrong = "000000" if code != "000000" else "111111"
    bad = await public.call("POST", f"/api/v1/apply/applications/{made['id']}/confirm", {"code": wrong}, expect=422)
    assert [(f["field"], f["code"], f["params"]) for f in bad["error"]["fields"]] == [("code", "wrong_code", {"tries_left": 4})]
    done = await public.call("POST", f"/api/v1/apply/applications/{made['id']}/confirm", {"code": code})
    assert done["status"] == "waiting" and done["status_url"].startswith("http://mediate.test/apply/s/")
    # The code worked once: replayed, it is refused.
    again = await public.call("POST", f"/api/v1/apply/applications/{made['id']}/confirm", {"code": code}, expect=409)
    assert again["error"]["reason"] == "already_confirmed"

    # Three working days to answer, counted from the confirmation (在线调解规则 art. 12).
    due = Workdays().add_workdays(datetime.now(SHANGHAI).date(), 3)
    status = await (await world.actor()).call("GET", f"/api/v1/apply/status/{token_of(done)}")
    assert (status["status"], status["answer_due_date"], status["organisation"]["name"]) == ("waiting", due.isoformat(), "朝阳区人民调解委员会")  # fmt: skip
    assert status["preferred_mediator"]["display_name"] == "王调解员" and "applicant" not in status
    [queued] = (await liu.call("GET", "/api/v1/applications"))["items"]
    assert (queued["id"], queued["applicant"]["name"], queued["answer_due_date"]) == (made["id"], "张三", due.isoformat())
    assert [r["name"] for r in queued["respondents"]] == ["李四", "王五"] and queued["requests"].startswith("请求李四")
    await public.call("GET", "/api/v1/apply/status/not-a-token", expect=404)


async def test_too_many_wrong_codes_need_a_new_code_and_the_old_code_dies_with_it(world: World) -> None:
    public = await world.actor()
    made = await apply(world, public, world.org_a.id)
    first = await latest_code(world, "13812345678")
    wrong = "000000" if first != "000000" else "111111"
    path = f"/api/v1/apply/applications/{made['id']}"
    for _ in range(5):
        await public.call("POST", f"{path}/confirm", {"code": wrong}, expect=422)
    locked = await public.call("POST", f"{path}/confirm", {"code": first}, expect=429)
    assert locked["error"]["reason"] == "too_many_wrong_codes"
    resent = await public.call("POST", f"{path}/code")
    assert resent["code"]["sent_to"] == "138****5678"
    second = await latest_code(world, "13812345678")
    if second != first:
        stale = await public.call("POST", f"{path}/confirm", {"code": first}, expect=422)
        assert stale["error"]["fields"][0]["code"] == "wrong_code"
    assert (await public.call("POST", f"{path}/confirm", {"code": second}))["status"] == "waiting"


async def test_submissions_are_limited_per_phone_and_per_address_with_the_reason_and_the_wait(world: World) -> None:
    public = await world.actor()
    for _ in range(3):
        await apply(world, public, world.org_a.id, address="203.0.113.1")
    per_phone = await apply(world, public, world.org_a.id, expect=429, address="203.0.113.2")
    assert per_phone["error"]["reason"] == "applications_per_phone" and per_phone["error"]["retry_after"] > 3600
    assert "这个手机号码今天提交的申请已达上限" in per_phone["error"]["message"]
    for n in range(2):
        await apply(world, public, world.org_a.id, form(f"1370000000{n}"), address="203.0.113.1")
    per_address = await apply(world, public, world.org_a.id, form("13700000009"), expect=429, address="203.0.113.1")
    assert per_address["error"]["reason"] == "applications_per_address" and 0 < per_address["error"]["retry_after"] <= 3600
    # Another address, another phone: the door is open.
    await apply(world, public, world.org_a.id, form("13700000009"), address="198.51.100.4")


async def test_an_application_never_confirmed_expires_without_becoming_a_case(world: World) -> None:
    public, liu = await world.actor(), await world.staff("liu")
    made = await apply(world, public, world.org_a.id)
    code = await latest_code(world, "13812345678")
    async with world.services.links._maker() as db, db.begin():
        past = utcnow() - timedelta(seconds=1)
        await db.execute(update(MediationApplication).where(MediationApplication.id == made["id"]).values(expires_at=past))
    gone = await public.call("POST", f"/api/v1/apply/applications/{made['id']}/confirm", {"code": code}, expect=410)
    assert gone["error"]["reason"] == "application_expired"
    assert (await public.call("POST", f"/api/v1/apply/applications/{made['id']}/code", expect=410))["error"]["reason"] == "application_expired"  # fmt: skip
    assert (await liu.call("GET", "/api/v1/applications"))["items"] == []
    assert (await liu.call("GET", "/api/v1/cases"))["items"] == []
    # The next submission clears it away, particulars and all.
    await apply(world, public, world.org_a.id, form("13700000001"), address="198.51.100.9")
    async with world.services.links._maker() as db:
        assert await db.get(MediationApplication, made["id"]) is None


async def test_the_queue_is_the_organisations_own_and_only_its_mediators_answer(world: World) -> None:
    _, done = await applied_and_confirmed(world, world.org_a.id)
    zhao, judge, admin = await world.staff("zhao"), await world.staff("judge1"), await world.staff("admin1")
    assert (await zhao.call("GET", "/api/v1/applications"))["items"] == []
    await judge.call("GET", "/api/v1/applications", expect=403)
    await admin.call("GET", "/api/v1/applications", expect=403)
    await (await world.actor()).call("GET", "/api/v1/applications", expect=401)
    path = f"/api/v1/applications/{done['id']}"
    refused = await zhao.call("POST", f"{path}/accept", {"case_number": "X1", "dispute_type": "neighbours"}, expect=403)
    assert refused["error"]["reason"] == "another_organisation"
    refused = await zhao.call("POST", f"{path}/decline", {"reason": "不属本会", "routes": ["court"]}, expect=403)
    assert refused["error"]["reason"] == "another_organisation"
    await judge.call("POST", f"{path}/decline", {"reason": "x", "routes": ["court"]}, expect=403)
    await (await world.actor()).call("POST", f"{path}/decline", {"reason": "x", "routes": ["court"]}, expect=401)


async def test_accepting_registers_the_case_with_its_parties_and_the_mediator_asked_for(world: World, settings: Settings) -> None:
    public, done = await applied_and_confirmed(world, world.org_a.id, preferred_mediator_id=world.ids["wang"])
    liu = await world.staff("liu")
    path = f"/api/v1/applications/{done['id']}"
    accepted = await liu.call("POST", f"{path}/accept", {"case_number": "（2026）朝调字第31号", "dispute_type": "neighbours"})
    assert accepted["status"] == "accepted" and accepted["case"]["mediator"] == "王调解员"
    case = await liu.call("GET", f"/api/v1/cases/{accepted['case']['id']}")
    assert (case["case_number"], case["source"], case["mediator"]["display_name"]) == ("（2026）朝调字第31号", "party_application", "王调解员")  # fmt: skip
    assert [(p["role"], p["name"], p["phone"]) for p in case["parties"]] == [
        ("applicant", "张三", "13812345678"), ("respondent", "李四", "13900000002"), ("respondent", "王五", ""),
    ]  # fmt: skip
    again = await liu.call("POST", f"{path}/decline", {"reason": "x", "routes": ["court"]}, expect=409)
    assert again["error"]["reason"] == "application_accepted"
    assert (await liu.call("GET", "/api/v1/applications"))["items"] == []

    status = await public.call("GET", f"/api/v1/apply/status/{token_of(done)}")
    assert (status["status"], status["case"]) == ("accepted", {"case_number": "（2026）朝调字第31号", "mediator": "王调解员"})

    # The case's log: registered as at the window, then the application's acceptance; the bundle verifies.
    await world.services.ledger.settle()
    records = (await liu.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    assert [r["type"] for r in records][:2] == ["case_registered", "case_accepted"]
    response = await liu.request("POST", f"/api/v1/cases/{case['id']}/evidence/bundle")
    assert response.status == 200, await response.text()
    bundle = Path(settings.data_dir) / "applied.zip"
    bundle.write_bytes(await response.read())
    report = verify_bundle(bundle)
    assert report.ok, render(report, "en")


async def test_a_case_number_taken_refuses_the_acceptance_and_the_application_still_waits(world: World) -> None:
    _, done = await applied_and_confirmed(world, world.org_a.id)
    liu = await world.staff("liu")
    first = await liu.call(
        "POST", "/api/v1/cases",
        {"case_number": "（2026）朝调字第7号", "dispute_type": "wages", "source": "own_initiative", "summary": "欠薪"}, expect=201,
    )  # fmt: skip
    taken = await liu.call(
        "POST", f"/api/v1/applications/{done['id']}/accept", {"case_number": first["case_number"], "dispute_type": "neighbours"}, expect=409
    )  # fmt: skip
    assert taken["error"]["reason"] == "case_number_taken"
    [still] = (await liu.call("GET", "/api/v1/applications"))["items"]
    assert still["status"] == "waiting"


async def test_declining_keeps_the_reason_and_the_routes_on_record_and_tells_the_applicant(world: World) -> None:
    public, done = await applied_and_confirmed(world, world.org_a.id)
    liu = await world.staff("liu")
    path = f"/api/v1/applications/{done['id']}/decline"
    empty = await liu.call("POST", path, {"reason": "", "routes": []}, expect=422)
    assert {(f["field"], f["code"]) for f in empty["error"]["fields"]} == {("reason", "required"), ("routes", "required")}
    declined = await liu.call(
        "POST", path, {"reason": "纠纷已由法院立案受理（《人民调解法》第十八条）", "routes": ["court", "other_organisation"]}
    )
    assert declined["status"] == "declined" and declined["decided_by"] == "刘调解员"
    status = await public.call("GET", f"/api/v1/apply/status/{token_of(done)}")
    assert (status["status"], status["decline_reason"], status["decline_routes"]) == (
        "declined", "纠纷已由法院立案受理（《人民调解法》第十八条）", ["court", "other_organisation"],
    )  # fmt: skip
    assert status["case"] is None
    # The refusal is a signed record of the chain under the application's own id: no case exists.
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        [record] = list(await db.scalars(select(LogEntry).where(LogEntry.case_id == done["id"])))
    assert record.type == "case_declined" and record.seq == 1
    assert (await liu.call("GET", "/api/v1/cases"))["items"] == []


@pytest.fixture
def no_sms(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, public_url="http://mediate.test",
        sms_gateway="spool", password_hash=CHEAP_PASSWORD_HASH,
    )  # fmt: skip


async def test_with_no_sms_service_nothing_is_kept_and_the_page_is_told_so(no_sms: Settings, aiohttp_server: Any, aiohttp_client: Any) -> None:  # fmt: skip
    from server.app import create_app
    from server.services import SERVICES

    app = create_app(no_sms, migrate=False, run_background=False)
    server = await aiohttp_server(app)
    org = await app[SERVICES].accounts.create_organisation(SYSTEM, "周庄村人民调解委员会", "committee")
    await app[SERVICES].accounts.create_user(
        SYSTEM, username="m", display_name="周调解员", password=PASSWORD, role="mediator", organisation_id=org.id
    )
    public = Actor(await aiohttp_client(server))
    page = await public.call("GET", f"/api/v1/apply/organisations/{org.id}")
    assert page["phone_confirmation"] is False
    refused = await public.call("POST", f"/api/v1/apply/organisations/{org.id}/applications", form(), expect=409)
    assert refused["error"]["reason"] == "no_sms_service"
    async with app[SERVICES].links._maker() as db:
        assert list(await db.scalars(select(MediationApplication))) == []
        assert list(await db.scalars(select(OutboxMessage))) == []


async def test_on_a_centres_page_the_applicant_lets_the_centre_decide_or_chooses_a_committee_below_it(world: World) -> None:
    acc = world.services.accounts
    below = await acc.create_organisation(SYSTEM, "海淀区学院路街道人民调解委员会", "committee", parent_id=world.org_b.id)
    elsewhere = await acc.create_organisation(SYSTEM, "昌平区回龙观人民调解委员会", "committee")
    sun_id = (
        await acc.create_user(
            SYSTEM, username="sun", display_name="孙调解员", password=PASSWORD, role="mediator", organisation_id=below.id
        )
    ).id
    public = await world.actor()
    page = await public.call("GET", f"/api/v1/apply/organisations/{world.org_b.id}")
    assert page["centre"] is True
    assert [c["name"] for c in page["choices"]] == ["海淀区矛盾纠纷多元化解中心", "海淀区学院路街道人民调解委员会"]
    # 让中心分派: the application lands in the centre's own queue, marked so.
    _, left = await applied_and_confirmed(world, world.org_b.id, "13700000101", organisation_id=None)
    zhao = await world.staff("zhao")
    [queued] = (await zhao.call("GET", "/api/v1/applications"))["items"]
    assert (queued["id"], queued["centre_assigns"]) == (left["id"], True)
    # A committee below the centre, with the mediator asked for; one outside the page's tree is refused.
    _, chosen = await applied_and_confirmed(
        world, world.org_b.id, "13700000102", organisation_id=below.id, preferred_mediator_id=sun_id
    )
    sun = await world.staff("sun")
    [mine] = (await sun.call("GET", "/api/v1/applications"))["items"]
    assert (mine["id"], mine["centre_assigns"], mine["preferred_mediator"]["display_name"]) == (chosen["id"], False, "孙调解员")
    outside = await apply(world, public, world.org_b.id, form("13700000103", organisation_id=elsewhere.id), expect=422)
    assert [(f["field"], f["code"]) for f in outside["error"]["fields"]] == [("organisation_id", "choice")]
    wrong = await apply(world, public, world.org_b.id, form("13700000104", organisation_id=below.id, preferred_mediator_id=world.ids["zhao"]), expect=422)  # fmt: skip
    assert [(f["field"], f["code"]) for f in wrong["error"]["fields"]] == [("preferred_mediator_id", "mediator_of_org")]


async def test_the_poster_is_for_staff_and_its_code_names_the_page(world: World) -> None:
    anonymous = await world.actor()
    response = await anonymous.client.get(f"/apply/{world.org_a.id}/poster", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"].startswith("/login?next=")
    liu = await world.staff("liu")
    response = await liu.client.get(f"/apply/{world.org_a.id}/poster")
    text = await response.text()
    assert response.status == 200 and "朝阳区人民调解委员会" in text and "扫码申请调解" in text
    assert f"http://mediate.test/apply/{world.org_a.id}" in text and "<svg" in text and "style=" not in text.split("<svg", 1)[1]
    # The public pages open without an account.
    for path in ("/apply", f"/apply/{world.org_a.id}", "/apply/s/whatever"):
        assert (await anonymous.client.get(path)).status == 200


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_files_attached_by_the_status_link_join_the_case_file_as_the_applicants(world: World) -> None:
    public, done = await applied_and_confirmed(world, world.org_a.id)
    token = token_of(done)

    async def attach(name: str, data: bytes, kind: str, expect: int) -> Any:
        response = await public.request(
            "POST", f"/api/v1/apply/status/{token}/files?name={name}", data=data, headers={"Content-Type": kind}
        )
        answer = await response.json()
        assert response.status == expect, answer
        return answer

    # The case file's rules: its types, checked by their bytes.
    refused = await attach("wall.gif", b"GIF89a", "image/gif", 415)
    assert refused["error"]["fields"][0]["code"] == "file_type"
    lying = await attach("wall.png", b"%PDF-1.4", "image/png", 415)
    assert lying["error"]["fields"][0]["code"] == "file_content"
    for n in range(5):
        await attach(f"wall-{n}.png", PNG, "image/png", 201)
    too_many = await attach("more.png", PNG, "image/png", 409)
    assert (too_many["error"]["reason"], too_many["error"]["max"]) == ("too_many_files", 5)
    await public.call("POST", "/api/v1/apply/status/not-a-token/files?name=x.png", expect=404)

    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    [queued] = (await liu.call("GET", "/api/v1/applications"))["items"]
    assert [f["name"] for f in queued["files"]] == [f"wall-{n}.png" for n in range(5)]
    first = queued["files"][0]["url"]
    got = await liu.request("GET", first)
    assert got.status == 200 and await got.read() == PNG
    assert (await zhao.request("GET", first)).status == 403

    accepted = await liu.call("POST", f"/api/v1/applications/{done['id']}/accept", {"case_number": "（2026）朝调字第40号", "dispute_type": "neighbours"})  # fmt: skip
    docs = (await liu.call("GET", f"/api/v1/cases/{accepted['case']['id']}/documents"))["items"]
    assert [(d["name"], d["uploaded_by"]["name"], d["bytes"]) for d in docs] == [
        (f"wall-{n}.png", "张三", len(PNG)) for n in range(5)
    ]
    applicant = next(
        p for p in (await liu.call("GET", f"/api/v1/cases/{accepted['case']['id']}"))["parties"] if p["role"] == "applicant"
    )
    assert all(d["visible_to"] == [applicant["id"]] for d in docs)
    # Accepted, the application takes no more files: the case file does.
    late = await attach("late.png", PNG, "image/png", 409)
    assert late["error"]["reason"] == "application_accepted"


def _public(entry: bytes) -> dict[str, Any]:
    """The public part of a logged record (FORMAT.md: the entry is the record's JSON)."""
    found = json.loads(entry)
    claim = found.get("claim", found)
    return dict(claim["public"])


async def test_an_answer_after_the_third_working_day_shows_overdue_and_the_record_says_late(world: World) -> None:
    _, done = await applied_and_confirmed(world, world.org_a.id)
    async with world.services.links._maker() as db, db.begin():
        long_ago = utcnow() - timedelta(days=14)
        await db.execute(update(MediationApplication).where(MediationApplication.id == done["id"]).values(confirmed_at=long_ago))
    liu = await world.staff("liu")
    [queued] = (await liu.call("GET", "/api/v1/applications"))["items"]
    due = Workdays().add_workdays(long_ago.astimezone(SHANGHAI).date(), 3)
    assert (queued["acceptance_state"], queued["answer_due_date"]) == ("overdue", due.isoformat())
    await liu.call(
        "POST", f"/api/v1/applications/{done['id']}/decline", {"reason": "超出本会受理范围", "routes": ["administrative"]}
    )
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        [entry] = list(await db.scalars(select(LogEntry.entry).where(LogEntry.case_id == done["id"])))
    assert _public(entry) == {
        "application": done["id"],
        "routes": ["administrative"],
        "due_date": due.isoformat(),
        "on_time": False,
    }


async def texts_to(world: World, phone: str, kind: str) -> list[OutboxMessage]:
    async with world.services.links._maker() as db:
        return list(
            await db.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == kind, OutboxMessage.recipient == phone, OutboxMessage.channel == "sms")
                .order_by(OutboxMessage.id)
            )
        )


def spooled(settings: Settings) -> list[dict[str, Any]]:
    """The lines the SMS spool (``spool:/path``) handed to its forwarder."""
    path = Path(settings.sms_gateway.partition(":")[2])
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def texted_token(message: OutboxMessage) -> str:
    """The status link's token in the text: the template's variable, and the end of the link in the body."""
    token = str((message.template_params or {})["link"])
    assert len(token) == 32 and f"http://mediate.test/apply/s/{token}" in message.body
    return token


async def test_accepting_texts_the_applicant_once_on_the_phone_they_confirmed_with_their_status_link(world: World) -> None:
    _, done = await applied_and_confirmed(world, world.org_a.id)
    liu = await world.staff("liu")
    path = f"/api/v1/applications/{done['id']}"
    accepted = await liu.call("POST", f"{path}/accept", {"case_number": "（2026）朝调字第31号", "dispute_type": "neighbours"})
    # The answer says what became of the text: queued, and a sender (here the spool) will hand it on.
    [told] = accepted["notice"]["messages"]
    assert (told["kind"], told["channel"], told["recipient"], told["status"], told["undelivered"]) == (
        "application_accepted", "sms", "13812345678", "pending", None,
    )  # fmt: skip
    assert accepted["notice"]["missing"] is None
    # Answered again, or the other way: refused, and no second text.
    await liu.call("POST", f"{path}/accept", {"case_number": "（2026）朝调字第32号", "dispute_type": "neighbours"}, expect=409)
    await liu.call("POST", f"{path}/decline", {"reason": "x", "routes": ["court"]}, expect=409)
    [text] = await texts_to(world, "13812345678", "application_accepted")
    assert await texts_to(world, "13812345678", "application_declined") == []
    assert text.body.startswith(
        "张三您好：朝阳区人民调解委员会已受理您的调解申请，案件编号（2026）朝调字第31号，调解员刘调解员。"
    )
    assert "\n\n" not in text.body, "Chinese only: the applicant read the page in Chinese"
    # The applicant's party on the new case, so the case page's list of messages shows it too.
    case = await liu.call("GET", f"/api/v1/cases/{accepted['case']['id']}")
    applicant = next(p for p in case["parties"] if p["role"] == "applicant")
    assert (text.party_id, text.case_id) == (applicant["id"], accepted["case"]["id"])
    listed = (await liu.call("GET", f"/api/v1/cases/{accepted['case']['id']}/outbox"))["items"]
    assert [m["id"] for m in listed if m["kind"] == "application_accepted"] == [text.id]
    # The texted link opens the status page; the one shown on confirming still does.
    token = texted_token(text)
    stranger = await world.actor()
    for link in (token, token_of(done)):
        status = await stranger.call("GET", f"/api/v1/apply/status/{link}")
        assert (status["status"], status["case"]["case_number"]) == ("accepted", "（2026）朝调字第31号")
    assert (await stranger.client.get(f"/apply/s/{token}")).status == 200

    # Handed to the spool by the outbox's round: the staff view of the application says so.
    await world.services.outbox.deliver_pending()
    [sent] = (await liu.call("GET", path))["notice"]["messages"]
    assert (sent["status"], sent["provider"], sent["undelivered"]) == ("sent", "spool", None)
    [line] = [s for s in spooled(world.services.settings) if s["kind"] == "application_accepted"]
    assert line["phone"] == "13812345678" and line["params"]["link"] == token


async def test_declining_texts_the_reasons_gist_and_that_the_status_page_lists_the_routes(world: World) -> None:
    _, done = await applied_and_confirmed(world, world.org_a.id, "13700000201", language="en")
    liu = await world.staff("liu")
    reason = "本纠纷已由人民法院立案受理，依照《中华人民共和国人民调解法》第十八条，本会不再受理调解申请。"
    declined = await liu.call(
        "POST", f"/api/v1/applications/{done['id']}/decline", {"reason": reason, "routes": ["court", "other_organisation"]}
    )
    [told] = declined["notice"]["messages"]
    assert (told["kind"], told["recipient"], told["status"]) == ("application_declined", "13700000201", "pending")
    [text] = await texts_to(world, "13700000201", "application_declined")
    assert (text.case_id, text.party_id) == (None, None), "no case, no party: the phone they confirmed"
    params = text.template_params or {}
    assert list(params) == ["name", "org", "reason", "link"]
    assert params["reason"] == reason[:34] + "…" and len(params["reason"]) == 35, "the gist: a variable holds 35 characters"
    assert f"原因：{params['reason']}。您还可以通过其他途径解决纠纷，请打开 http://mediate.test/apply/s/" in text.body
    # They applied reading English: the English follows the Chinese.
    assert "has declined your application for mediation" in text.body and "lists where else you can go" in text.body
    status = await (await world.actor()).call("GET", f"/api/v1/apply/status/{texted_token(text)}")
    assert (status["status"], status["decline_reason"], status["decline_routes"]) == ("declined", reason, ["court", "other_organisation"])  # fmt: skip
    await liu.call("POST", f"/api/v1/applications/{done['id']}/decline", {"reason": reason, "routes": ["court"]}, expect=409)
    assert len(await texts_to(world, "13700000201", "application_declined")) == 1
    # Only the organisation's mediators read it.
    await (await world.staff("zhao")).call("GET", f"/api/v1/applications/{done['id']}", expect=403)
    await (await world.staff("judge1")).call("GET", f"/api/v1/applications/{done['id']}", expect=403)


async def test_with_the_sms_service_switched_off_the_answer_says_the_text_is_only_recorded(
    world: World, aiohttp_server: Any
) -> None:
    _, done = await applied_and_confirmed(world, world.org_a.id)
    # The applicant confirmed while texts went out; the server now runs without any SMS service.
    off = await same_server_with(world, aiohttp_server, sms_gateway="spool")
    liu = await off.staff("liu")
    declined = await liu.call(
        "POST", f"/api/v1/applications/{done['id']}/decline", {"reason": "不属本会受理范围", "routes": ["court"]}
    )
    [told] = declined["notice"]["messages"]
    assert (told["status"], told["undelivered"]) == ("pending", "no_sms_service"), "never 'sending' for a text nothing sends"
    await off.services.outbox.deliver_pending()
    [kept] = (await liu.call("GET", f"/api/v1/applications/{done['id']}"))["notice"]["messages"]
    assert (kept["status"], kept["provider"], kept["failure_reason"]) == ("recorded", None, "未开通短信服务，短信未发出")
    assert kept["undelivered"] is None and kept["delivered_at"] is None
