"""Requests committed together (server/domain/group_commit.py) are each answered as if alone.

Many requests at once share one transaction; each must still get its own answer only once its
change and its evidence record are saved, a refused one must not take the others down with it,
and the log must verify afterwards.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import history
from server.domain.ledger_shapes import Appended
from server.domain.principal import SYSTEM
from server.errors import Conflict, InvalidInput
from server.evidence.records import Claim, body_hash, make_body
from server.models import CaseEvent, EvidencePending, LogEntry
from tests.api.helpers import next_weekday_at, open_case
from tests.conftest import PASSWORD, World


async def verified_bundle(world: World, staff: Any, case_id: str, name: str) -> None:
    from server.evidence.verify import render, verify_bundle

    await world.services.ledger.settle()
    response = await staff.request("POST", f"/api/v1/cases/{case_id}/evidence/bundle")
    assert response.status == 200
    path = world.services.settings.data_dir / f"{name}.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")


async def test_fifty_cases_registered_at_once_each_have_their_first_record_and_verify(world: World) -> None:
    liu = await world.staff("liu")
    body = {"dispute_type": "wages", "source": "party_application", "summary": "拖欠工资"}
    answers = await asyncio.gather(
        *(liu.call("POST", "/api/v1/cases", {**body, "case_number": f"（2026）朝调字第{n}号"}, expect=201) for n in range(50))
    )
    assert len({a["id"] for a in answers}) == 50
    assert world.services.group_commit.batches >= 1, "the registrations were committed together"
    await world.services.ledger.settle()
    for answer in answers[::10]:
        records = (await liu.call("GET", f"/api/v1/cases/{answer['id']}/evidence"))["items"]
        assert [r["type"] for r in records] == ["case_registered"]
    await verified_bundle(world, liu, answers[0]["id"], "first")
    await verified_bundle(world, liu, answers[-1]["id"], "last")


async def test_fifty_sessions_booked_at_once_all_succeed_and_their_links_open(world: World) -> None:
    mediators = []
    for i in range(10):
        await world.services.accounts.create_user(
            SYSTEM, username=f"m{i}", display_name=f"调解员{i}", password=PASSWORD, role="mediator",
            organisation_id=world.org_a.id,
        )  # fmt: skip
        mediator = await world.staff(f"m{i}")
        assert mediator.user is not None
        every_day = {"timezone": "Asia/Shanghai", "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]}
        await mediator.call("PUT", f"/api/v1/users/{mediator.user['id']}/availability", every_day)
        mediators.append(mediator)
    cases = [await open_case(m, f"（2026）朝调字第{i}号") for i, m in enumerate(mediators)]
    starts = next_weekday_at(8)

    async def book(i: int) -> Any:
        m, case = mediators[i % 10], cases[i % 10]
        slot = starts + timedelta(hours=i // 10)
        body = {"starts_at": slot.isoformat(), "duration_minutes": 30, "timezone": "Asia/Shanghai"}
        return await m.call("POST", f"/api/v1/cases/{case['id']}/sessions", body, expect=201)

    booked = await asyncio.gather(*(book(i) for i in range(50)))
    assert len({b["session"]["id"] for b in booked}) == 50
    urls = [link["url"] for b in booked for link in b["links"]]
    assert len(urls) == 100
    # Every party opens their link at once: each gets into their session.
    parties = [await world.actor() for _ in urls]
    opened = await asyncio.gather(*(p.open_link(url) for p, url in zip(parties, urls, strict=True)))
    assert [r.status for r in opened] == [303] * 100
    me = await asyncio.gather(*(p.call("GET", "/api/v1/party/me") for p in parties[:10]))
    assert {m["session"]["id"] for m in me} <= {b["session"]["id"] for b in booked}
    async with world.services.ledger._maker() as db:
        lines = await db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "link_opened"))
    assert lines == 100, "each opening is in its case's history"
    # The slot of a session booked in the same batch is taken for the next booking.
    again = {"starts_at": starts.isoformat(), "duration_minutes": 30, "timezone": "Asia/Shanghai"}
    await mediators[0].call("POST", f"/api/v1/cases/{cases[0]['id']}/sessions", again, expect=409)


async def test_a_refused_record_in_a_batch_neither_loses_nor_falsely_confirms_the_others(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    ledger, group = world.services.ledger, world.services.group_commit
    platform = ledger.keyring.signer("platform")

    def claim(n: int, log: str | None = None) -> tuple[Claim, list[dict[str, str]], dict[str, object]]:
        body = make_body({"n": n})
        made = Claim(
            log or ledger.origin,
            "identity_checked",
            case["id"],
            {"kind": "platform", "id": "test"},
            body_hash(body),
            {"method": "test"},
        )
        return made, [platform.sign(made.statement)], body  # fmt: skip

    replayed = claim(-1)
    async with ledger._maker() as db, db.begin():
        await ledger.append(db, *replayed)

    def unit(n: int) -> Any:
        async def work(db: AsyncSession) -> Appended:
            history.record(db, case["id"], None, "test_unit", n=n)
            if n == 3:  # refused before anything of it is written: another log's claim
                return await ledger.append(db, *claim(n, log="elsewhere.example/log"))
            if n == 7:  # refused after its history line was flushed
                await db.flush()
                return await ledger.append(db, *claim(n, log="elsewhere.example/log"))
            if n == 11:  # a replay, which only the batch's end finds
                return await ledger.append(db, *replayed)
            return await ledger.append(db, *claim(n))

        return work

    fallbacks = group.fallbacks
    outcomes = await asyncio.gather(*(group.run(unit(n)) for n in range(20)), return_exceptions=True)
    assert group.fallbacks > fallbacks, "the batch was run again request by request"
    assert isinstance(outcomes[3], InvalidInput) and isinstance(outcomes[7], InvalidInput)
    assert isinstance(outcomes[11], Conflict) and outcomes[11].details.get("reason") == "replayed"
    saved = [o for o in outcomes if isinstance(o, Appended)]
    assert len(saved) == 17
    async with ledger._maker() as db:
        stored = set(await db.scalars(select(EvidencePending.claim_hash).where(EvidencePending.case_id == case["id"])))
        stored |= set(await db.scalars(select(LogEntry.claim_hash).where(LogEntry.case_id == case["id"])))
        units = [e.data["n"] for e in await db.scalars(select(CaseEvent).where(CaseEvent.kind == "test_unit"))]
    assert {a.claim_hash for a in saved} <= stored, "every record reported saved is saved"
    assert sorted(units) == sorted(n for n in range(20) if n not in (3, 7, 11)), "a refused request's change is not kept"
    assert sorted(a.record.seq for a in saved) == list(range(3, 20)), (
        "the chain has no gap (case_registered, the replayed one first)"
    )
    await verified_bundle(world, liu, case["id"], "refused")
