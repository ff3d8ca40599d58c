"""`mediate demo`: one complete sample case, through the same services the server uses.

A newcomer sees the product's evidence in one command: a mediator opens a case with two
parties, books a session, each party opens their link and binds a signing key generated the
way a browser generates it (a P-256 key, proven with a one-time code), the three meet in a short
recorded joint session, the mediator records identity checks, and the case's evidence bundle is
exported and verified offline. The mediator writes the mediation record (调解笔录) of the session and both
parties sign it with their keys; the agreement is signed by both parties and the mediator and sealed, jointly
applied for judicial confirmation, and confirmed by a judge's signed ruling. Then it is performed: the one who
owes reports the payment with a transfer screenshot, the one owed confirms it with their own key, the mediator
records a follow-up visit and closes the case, which makes the case-closing report and the case file
(人民调解卷宗). The bundle exported at the end holds all of it, the case file and the signed record included.

The joint session is real, not staged in the database: the server runs in this process on a
free port of 127.0.0.1 (its settings, and so the log's origin and the links, stay those given),
and the mediator and both parties join ``/live`` as the light aiortc participants of the
benchmarks (``server.bench.peers``: pre-encoded synthetic video, one tint each, and silence).
The parties consent by signing the server's consent statement with the keys they bound, the
mediator starts and stops the recording, and the recorder's sealed, chained segments and
manifests go into the bundle like any other recording's. Media stays on loopback, so the demo
needs no network, camera or TURN server.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select

from server.app import create_app
from server.bench.peers import LoadPeer, encode_audio, encode_video
from server.cli_common import written_whole
from server.domain.evidence import Exported
from server.domain.online_applications import ApplicationForm
from server.domain.party_signing import Proof
from server.domain.principal import SYSTEM, PartyPrincipal, Principal, Staff
from server.domain.registration import Registrant
from server.evidence.records import DeviceKey, b64
from server.models import OutboxMessage, RecordingSegment, utcnow
from server.services import SERVICES, Services
from server.settings import Settings
from signaling import aiortc_hooks

#: How long the demo's joint session is recorded: a few segments per participant, quickly.
RECORD_SECONDS = 10.0
#: Video bitrate of the synthetic participants: enough for a picture, small for the bundle.
DEMO_KBPS = 400
#: U and V of each participant's picture (mediator, applicant, respondent), to tell them apart on playback.
TINTS = ((128, 128), (90, 200), (200, 90))


async def _principal(services: Services, cookie: str) -> Principal:
    session = await services.accounts.resolve(cookie)
    assert session is not None
    return session.principal


async def _latest_code(services: Services, party_id: str | None = None, *, phone: str | None = None) -> str:
    """The one-time code last sent to a party, or to a phone not yet a party's (an online applicant's)."""
    sent_to = OutboxMessage.party_id == party_id if party_id is not None else OutboxMessage.recipient == phone
    async with services.links._maker() as session:
        body = (
            await session.scalars(
                select(OutboxMessage.body).where(OutboxMessage.kind == "otp", sent_to).order_by(OutboxMessage.id.desc())
            )
        ).first()
    assert body is not None
    return body.split("验证码是", 1)[1][:6]


async def _respondent_link(services: Services, party_id: str) -> str:
    """The link sent to the other side with the question whether they agree to mediation."""
    async with services.links._maker() as session:
        body = (
            await session.scalars(
                select(OutboxMessage.body)
                .where(OutboxMessage.kind == "willingness_asked", OutboxMessage.party_id == party_id)
                .order_by(OutboxMessage.id.desc())
            )
        ).first()
    assert body is not None
    return body.split("专属链接：", 1)[1].split()[0]


def _next_weekday_10am(zone: ZoneInfo) -> datetime:
    day = datetime.now(zone) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


@dataclass
class Joiner:
    """Someone who joins the demo's session: their browser cookie, and their bound key (parties)."""

    name: str
    cookie: str
    key: DeviceKey | None = None


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Services, str]]:
    """The whole app (HTTP, ``/live``, media, ledger) on a free loopback port; yields its services and base URL."""
    # The sample parties' codes go to a spool in the data directory, never to a provider (their
    # numbers are made up), and they sign one step after another without waiting between codes.
    demo = replace(
        settings,
        media_loopback=True,
        sms_gateway=f"spool:{settings.data_dir / 'demo-sms.jsonl'}",
        code_interval_seconds=0,
        codes_per_hour=100,
        codes_per_day=100,
    )
    app = create_app(demo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()  # the system picks the port: no race for a free one
        _, port = runner.addresses[0][:2]
        yield app[SERVICES], f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def recorded_session(services: Services, base: str, session_id: str, mediator: Joiner, parties: list[Joiner]) -> str:
    """The mediator and both parties meet on ``/live``; the parties consent and the mediator records.

    Returns the line the demo prints about it.
    """
    aiortc_hooks.allow_loopback_ice()
    audio = encode_audio()
    peers: list[LoadPeer] = []
    try:
        for i, who in enumerate([mediator, *parties]):
            video = await asyncio.to_thread(encode_video, DEMO_KBPS, 1, TINTS[i])
            peer = LoadPeer(base, who.cookie, {"session_id": session_id} if who is mediator else None, video, audio)
            peers.append(peer)
            await peer.connect()
            if who is mediator:
                await peer.call("admit_automatically", {"on": True})
            await peer.start_media()
            if who.key is not None:
                await peer.consent(who.key)
        async with asyncio.timeout(30):
            await asyncio.gather(*(p.publishing() for p in peers))
        await asyncio.sleep(1.0)  # pictures settle, as they do while a mediator greets everyone
        started = await peers[0].call("record_start", {})
        if not started.get("ok"):
            raise RuntimeError(f"the recording did not start: {started}")
        began = time.monotonic()
        await asyncio.sleep(RECORD_SECONDS)
        stopped = await peers[0].call("record_stop", {})
        if not stopped.get("ok"):
            raise RuntimeError(f"the recording did not stop: {stopped}")
        lasted = time.monotonic() - began
    finally:
        for peer in peers:
            await peer.close()
    recording = str(started["recording"])
    async with services.recordings.maker() as db:
        segments = await db.scalar(select(func.count()).where(RecordingSegment.recording_id == recording))
    return (
        f"{mediator.name} and both parties met in the joint session (live media through this machine's own server); "
        f"{' and '.join(p.name for p in parties)} consented to recording with their keys, and {mediator.name} "
        f"recorded {lasted:.0f} s: recording {recording[:12]}…, {segments} sealed segments, chained and logged"
    )


#: Where the demo's committee and court are: the court may confirm on the ground of the committee's place.
DEMO_REGION = "示例市示例区"
DEMO_TERMS = {
    "facts": "申请人张三于2026年8月至10月在被申请人李四经营的餐馆工作，被申请人拖欠申请人工资共计人民币12000元。",
    "terms": [
        {
            "text": "被申请人李四向申请人张三支付拖欠工资人民币12000元。",
            "performance": "银行转账至申请人账户",
            "due": "",
        },
        {"text": "申请人张三放弃其他请求，双方就本纠纷再无争议。", "performance": "", "due": ""},
    ],
    "effect": "本协议经双方当事人签名、调解员签名并加盖调解组织印章后生效，当事人应当按照约定履行。",
    "copies": 3,
}
#: The mediation record the mediator writes beside the video (调解笔录, server/domain/transcripts.py).
DEMO_RECORD = {
    "statements": "调解员：请申请人陈述请求。\n张三：我在李四的餐馆工作了三个月，工资一直没发，共一万二千元。\n"
    "李四：工资确实欠着，餐馆生意不好，我愿意一个月内一次付清。",
    "facts": "张三于2026年8月至10月在李四经营的餐馆工作。\n李四尚欠张三工资共计人民币12000元。",
    "proposals": "调解员建议李四在三十日内一次性转账付清，张三放弃其他请求。双方同意。",
    "agreement": "李四于三十日内向张三转账支付工资人民币12000元；张三放弃其他请求。",
}


def demo_terms(debtor: str, creditor: str) -> dict[str, object]:
    """The agreement's terms, the payment as an obligation the platform follows (one instalment, 30 days)."""
    due = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=30)).isoformat()
    pay = {**DEMO_TERMS["terms"][0], "obligation": {  # type: ignore[index]
        "debtor": debtor, "creditor": creditor, "kind": "pay", "what": "拖欠工资", "amount_fen": 1_200_000,
        "instalments": [{"due": due, "amount_fen": 1_200_000}],
    }}  # fmt: skip
    return {**DEMO_TERMS, "terms": [pay, DEMO_TERMS["terms"][1]]}  # type: ignore[index]


async def signed_record(services: Services, mediator: Principal, session_id: str, parties: list[Joiner]) -> list[str]:
    """The mediator writes the session's record and closes it; each party signs it with a code and their key."""
    transcripts = services.transcripts
    started = await transcripts.of_session(mediator, session_id)
    await transcripts.save(mediator, session_id, started.content | DEMO_RECORD)
    version = (await transcripts.close(mediator, session_id)).version
    assert version is not None
    for joiner in parties:
        assert joiner.key is not None
        party = await _principal(services, joiner.cookie)
        assert isinstance(party, PartyPrincipal)
        prepared = await transcripts.prepare(party, session_id, version.number, version.text_sha256)
        code = await _latest_code(services, party.party_id)
        await transcripts.sign(party, prepared.challenge, Proof(code, joiner.key.sign(prepared.statement)["sig"]))
    return [
        "周调解员 wrote the mediation record (调解笔录) beside the video and closed it (transcript_version)",
        "张三 and 李四 each read it and signed it with a one-time code and their own key (transcript_signed); "
        "its PDF went into the case files",
    ]


async def signed_agreement(
    services: Services, mediator: Principal, case_id: str, session_id: str, parties: list[Joiner], terms: dict[str, object]
) -> list[str]:
    """Draft, final version, both parties' signatures (code + device key), the mediator's, the seal."""
    agreements = services.agreements
    await agreements.drafting.create(mediator, case_id, session_id)
    await agreements.drafting.save(mediator, case_id, terms, based_on=1)
    final = await agreements.drafting.finalise(mediator, case_id, 2, utcnow() + timedelta(days=3))
    for joiner in parties:
        assert joiner.key is not None
        party = await _principal(services, joiner.cookie)
        assert isinstance(party, PartyPrincipal)
        prepared = await agreements.signing.prepare_party(party, 2, final.latest.text_sha256)
        code = await _latest_code(services, party.party_id)
        statement = prepared.statement
        await agreements.signing.sign_party(party, statement.challenge, Proof(code, joiner.key.sign(statement.statement)["sig"]))
    staff_key = DeviceKey.generate({"kind": "staff", "id": "demo"})
    info = await services.staff_keys.register_device_key(mediator, b64(staff_key.info.spki))
    binding = await services.staff_keys.prepare_binding(mediator, case_id, info.id)
    await services.staff_keys.complete(mediator, binding.challenge, signature=staff_key.sign(binding.statement)["sig"])
    prepared_staff = await agreements.signing.prepare_mediator(mediator, case_id, info.id)
    await services.staff_keys.complete(
        mediator, prepared_staff.challenge, signature=staff_key.sign(prepared_staff.statement)["sig"]
    )
    view = await agreements.drafting.view(mediator, case_id)
    assert view is not None and view.agreement.status == "effective"
    return [
        "the mediator drafted the agreement (2 versions) and declared version 2 final; its PDF was made",
        "张三 and 李四 each signed it with a one-time code and their own key, then 周调解员 with his own key",
        f"the organisation's seal (PAdES) made it effective; verification code {view.agreement.verify_code}",
    ]


async def confirmed_by_court(services: Services, case_id: str, parties: list[Joiner], tag: str) -> list[str]:
    """Both parties apply jointly to the court of the committee's district; a judge confirms it."""
    # A made-up court code (real ones are a province's character and digits, e.g. 蒙0105).
    code = f"演{int(tag, 16) % 10**6:06d}"
    court = await services.accounts.create_organisation(
        SYSTEM, f"示例区人民法院（演示 {tag}）", "court", region=DEMO_REGION, court_code=code
    )
    await services.sealer.seal_for(court.id, court.name)
    password = secrets.token_urlsafe(12)
    await services.accounts.create_user(
        SYSTEM, username=f"judge_{tag}", display_name="吴法官", password=password, role="judge", organisation_id=court.id
    )
    judge = await _principal(services, (await services.accounts.login(f"judge_{tag}", password, "demo")).token)
    confirmations = services.confirmations
    for n, joiner in enumerate(parties):
        assert joiner.key is not None
        party = await _principal(services, joiner.cookie)
        assert isinstance(party, PartyPrincipal)
        if n == 0:
            _, statement = await confirmations.applications.apply(party, court.id, "org_location")
        else:
            statement = await confirmations.applications.prepare_signature(party)
        code = await _latest_code(services, party.party_id)
        _, view = await confirmations.applications.sign(
            party, statement.challenge, Proof(code, joiner.key.sign(statement.statement)["sig"])
        )
    application_id = view.application.id
    await confirmations.court.set_status(judge, application_id, "accepted")
    judge_key = DeviceKey.generate({"kind": "staff", "id": "judge"})
    info = await services.staff_keys.register_device_key(judge, b64(judge_key.info.spki))
    binding = await services.staff_keys.prepare_binding(judge, case_id, info.id)
    await services.staff_keys.complete(judge, binding.challenge, signature=judge_key.sign(binding.statement)["sig"])
    prepared = await confirmations.decisions.prepare_decision(
        judge,
        application_id,
        decision="confirmed",
        grounds=[],
        reasons="协议系双方真实意思表示，内容合法、明确。",
        key_id=info.id,
    )
    await services.staff_keys.complete(judge, prepared.challenge, signature=judge_key.sign(prepared.statement)["sig"])
    return [
        f"张三 and 李四 jointly applied to {court.name} for judicial confirmation, each signing with their own key",
        "吴法官 accepted it and signed a ruling confirming the agreement with his own key; the court's sealed ruling was delivered",
    ]


def _screenshot() -> bytes:
    """A bank app's transfer screen, as a payer's phone would photograph it: drawn, with no text to read."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (360, 640), (245, 247, 250))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, 360, 90), fill=(200, 30, 40))
    draw.ellipse((140, 150, 220, 230), fill=(40, 170, 90))
    for y in range(280, 520, 48):
        draw.rectangle((30, y, 330, y + 22), fill=(220, 224, 230))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


async def performed_and_closed(services: Services, mediator: Principal, case_id: str, payer: Joiner, payee: Joiner) -> list[str]:
    """李四 reports the payment with a screenshot, 张三 confirms it with his key; a visit; the case is closed."""
    owes, owed = await _principal(services, payer.cookie), await _principal(services, payee.cookie)
    assert isinstance(owes, PartyPrincipal) and isinstance(owed, PartyPrincipal) and payee.key is not None
    proof = await services.case_files.upload(
        owes, None, name="转账截图.png", content_type="image/png", data=_screenshot(), visible_to=[owed.party_id]
    )
    for view in (await services.performance.for_party(owes))["owe"]:
        await services.performance.report(owes, view.row.id, note="已通过银行转账付清", proof_document_id=proof.id)
        prepared = await services.performance.prepare(owed, view.row.id, "confirm")
        code = await _latest_code(services, owed.party_id)
        await services.performance.sign(owed, prepared.challenge, Proof(code, payee.key.sign(prepared.statement)["sig"]))
    await services.closing.record_visit(
        mediator, case_id, plan="sealed_7", method="phone", performance="工资12000元已全部收到", satisfaction="satisfied",
    )  # fmt: skip
    closed = await services.closing.close(mediator, case_id, reason=None)
    assert closed.case_file is not None and closed.case.closing_reason == "performed"
    return [
        "李四 reported the payment with a transfer screenshot (performance_reported); 张三 confirmed receipt with his own key "
        "(performance_confirmed)",
        "周调解员 recorded the 7-day follow-up visit by phone (follow_up_recorded) and closed the case: every obligation "
        "performed (case_closed); the case-closing report (人民调解结案报告表) was made",
        f"the case file (人民调解卷宗) was bound in the Ministry's order, every part with the SHA-256 the log holds "
        f"(case_file_made): {closed.case_file.name}, {closed.case_file.size // 1024} KB",
    ]


def referral_mediator(principal: Principal) -> str:
    """The accepting mediator names themself as the one who handles the case."""
    assert isinstance(principal, Staff)
    return principal.user_id


async def build(settings: Settings, out_dir: Path) -> tuple[Path, list[str]]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    said: list[str] = []
    async with serving(settings) as (services, base):
        tag = secrets.token_hex(3)
        org = await services.accounts.create_organisation(
            SYSTEM, f"示例人民调解委员会（演示 {tag}）", "committee", region=DEMO_REGION
        )
        password = secrets.token_urlsafe(12)
        await services.accounts.create_user(
            SYSTEM, username=f"demo_{tag}", display_name="周调解员", password=password, role="mediator", organisation_id=org.id
        )
        login = await services.accounts.login(f"demo_{tag}", password, "demo")
        mediator = await _principal(services, login.token)
        said.append(f"organisation {org.name}, mediator 周调解员 (login demo_{tag} / {password})")
        # The dispute arrives at the county's one-stop centre (综治中心), which routes it (分流) to the
        # committee that can settle it: registered there, referred, accepted by the committee.
        centre = await services.accounts.create_organisation(SYSTEM, f"示例县矛盾纠纷调解中心（演示 {tag}）", "centre")
        await services.accounts.create_user(
            SYSTEM, username=f"demo_c_{tag}", display_name="吴接待员", password=password, role="mediator",
            organisation_id=centre.id,
        )  # fmt: skip
        clerk = await _principal(services, (await services.accounts.login(f"demo_c_{tag}", password, "demo")).token)

        # 张三 applies online from the centre's public page (a QR code on its poster): his phone is
        # confirmed with a code, the centre accepts (case_accepted), and 李四 is asked by his own link
        # whether he agrees to mediation (人民调解法 art. 17) and agrees (mediation_accepted).
        form = ApplicationForm(
            applicant=Registrant("applicant", "张三", "13800000001", sex="male", age=36),
            respondents=[Registrant("respondent", "李四", "13900000002")],
            facts="申请人在被申请人处工作三个月，被拖欠工资12000元。",
            requests="请求被申请人支付拖欠的工资12000元。",
        )
        submitted = await services.online_applications.submit(centre.id, form, "127.0.0.1")
        application_id = submitted.application.id
        await services.online_applications.confirm(application_id, await _latest_code(services, phone="13800000001"))
        said.append(f"张三 applied online to {centre.name} and confirmed his phone with a one-time code")
        _, view = await services.application_answers.accept(
            clerk, application_id, case_number=f"（2026）示调字第{tag}号", dispute_type="wages"
        )
        case_id = view.case.id
        applicant, respondent = view.parties
        # What the window adds to an application: the particulars a court's ruling names (art. 29).
        await services.cases.update_party(clerk, case_id, applicant.id, {"id_number": "110101199003071234", "ethnicity": "汉族"})
        await services.cases.update_party(clerk, case_id, respondent.id, {"occupation": "某建筑劳务公司负责人"})
        said.append(
            f"吴接待员 accepted it at {centre.name} (case_registered, case_accepted): case {view.case.case_number}, "
            "张三 (applicant) v 李四 (respondent), 12000.00 yuan of wages"
        )
        asked = await _respondent_link(services, respondent.id)
        opened = await services.links.open(asked.rsplit("/j/", 1)[1])
        await services.willingness.answer(await _principal(services, opened.cookie_token), "accepted")
        said.append("李四 opened the link he was sent and agreed to mediation (mediation_accepted)")
        referral = await services.referrals.refer(
            clerk, case_id, to_organisation_id=org.id, role="lead", reason="纠纷发生在该调委会辖区，由其主办调解"
        )
        await services.referrals.accept(mediator, referral.referral.id, mediator_id=referral_mediator(mediator))
        said.append(f"referred to {org.name} to lead (case_referred) and accepted there by 周调解员 (referral_accepted)")
        # Taking the lead, the committee names who mediates (人民调解法 art. 19): 周调解员 leads.
        said.append("周调解员 designated to lead the mediation on accepting (mediator_assigned)")

        zone = ZoneInfo("Asia/Shanghai")
        booked = await services.booking.book(
            mediator, case_id, starts_at=_next_weekday_10am(zone), duration_minutes=60, timezone="Asia/Shanghai"
        )
        said.append(
            f"session booked for {booked.view.session.starts_at.astimezone(zone):%Y-%m-%d %H:%M} Beijing time; a personal link for each party"
        )

        joiners: list[Joiner] = []
        for issued in booked.issued:
            opened = await services.links.open(issued.url.rsplit("/j/", 1)[1])
            party = await _principal(services, opened.cookie_token)
            key = DeviceKey.generate({"kind": "party", "id": issued.party.id})  # as a browser's WebCrypto would
            started = await services.keys.start_device_key(party, b64(key.info.spki))
            code = await _latest_code(services, issued.party.id)
            await services.keys.finish_device_key(party, started.challenge, code, key.sign(started.statement)["sig"])
            joiners.append(Joiner(issued.party.name, opened.cookie_token, key))
            said.append(
                f"{issued.party.name} opened their link, proved their phone with a one-time code and bound signing key {key.info.id[:12]}…"
            )

        said.append(await recorded_session(services, base, booked.view.session.id, Joiner("周调解员", login.token), joiners))

        for checked in (applicant, respondent):
            await services.evidence.check_identity(
                mediator, case_id, party_id=checked.id, method="id_card_on_video", result="confirmed"
            )
        said.append("the mediator recorded both identity checks (ID card shown on video)")
        said += await signed_record(services, mediator, booked.view.session.id, joiners)
        terms = demo_terms(respondent.id, applicant.id)
        said += await signed_agreement(services, mediator, case_id, booked.view.session.id, joiners, terms)
        said += await confirmed_by_court(services, case_id, joiners, tag)
        payer, payee = (next(j for j in joiners if j.name == p.name) for p in (respondent, applicant))
        said += await performed_and_closed(services, mediator, case_id, payer, payee)

        async def bundle(into: IO[bytes]) -> tuple[str, Exported]:
            done = await services.evidence.export(mediator, case_id, into=into)
            return done.filename, done

        path, exported = await written_whole(out_dir, bundle)
        said.append(f"exported {exported.records} records (log size {exported.size}) to {path}")
        # The committee's statistics for this month so far, signed (statistics_snapshot): interim, as the month
        # has not ended; exported with the bundle of the case it counts, for ``mediate verify-stats``.
        month = view.case.registered_on.strftime("%Y-%m")
        taken = await services.statistics_snapshots.take_snapshot(org.id, month)

        async def snapshot(into: IO[bytes]) -> tuple[str, None]:
            return (await services.statistics_snapshots.export(SYSTEM, taken.snapshot.id, into=into))[0], None

        name = (await written_whole(out_dir, snapshot))[0].name
        counts = taken.snapshot.counts
        said.append(
            f"signed {org.name}'s statistics snapshot for {month} (statistics_snapshot, interim): {counts['mediated']} case "
            f"mediated, {counts['successful']} successfully, {counts['closed']} closed; exported with its bundle to "
            f"{out_dir / name} (check it: mediate verify-stats {out_dir / name})"
        )
        return path, said


def run_demo(settings: Settings, out_dir: Path) -> int:
    # The demo tells its story on stdout; the in-process server's per-event INFO lines would bury it.
    for chatty in ("signaling", "server.domain"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    path, said = asyncio.run(build(settings, out_dir))
    print("mediate demo: a complete sample case in", settings.data_dir.resolve())
    for line in said:
        print("  -", line)
    from server.evidence import verify

    print(f"\nChecking it offline (mediate verify {path}):\n")
    return verify.main([str(path)])
