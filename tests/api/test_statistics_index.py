"""The index of the cases an organisation leads, in its statistics stream (#23): a ``case_indexed`` record when it
registers a case and when a lead referral moves a case to or from it, so that ``mediate verify-stats`` names a case
of the month that a snapshot leaves out altogether, and says where the index starts rather than pretend it is whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text

from server.domain import cases as cases_module
from server.domain import statistics_stream
from server.domain.clocks import local_day
from server.domain.statistics import facts as facts_module
from server.domain.statistics import snapshots
from server.domain.statistics.audit import verify_snapshot
from server.domain.statistics_stream import stream_id
from server.evidence.records import Record
from server.models import LogEntry, utcnow
from tests.api.helpers import open_case
from tests.api.test_referrals import refer
from tests.api.test_statistics_snapshots import export, month_end, rewrite, three_cases
from tests.conftest import World


def this_month() -> str:
    return local_day(utcnow()).strftime("%Y-%m")


def leaving_out(monkeypatch: pytest.MonkeyPatch, case_id: str) -> None:
    """A faulty taker: the snapshot reads every case of its cohort but ``case_id``, and signs what it read properly."""
    real = facts_module.facts_of

    async def without(db: Any, cases: Any, *args: Any, **kwargs: Any) -> Any:
        return await real(db, [c for c in cases if c.id != case_id], *args, **kwargs)

    monkeypatch.setattr(snapshots, "facts_of", without)


def index_finding(report: Any) -> Any:
    [found] = [f for f in report.findings if f.code.startswith("index_")]
    return found


async def stream_records(world: World, organisation_id: str) -> list[Record]:
    await world.services.ledger.settle()
    async with world.services.links._maker() as db:
        entries = await db.scalars(
            select(LogEntry.entry).where(LogEntry.case_id == stream_id(organisation_id)).order_by(LogEntry.seq)
        )
        return [Record.from_entry(e) for e in entries]


async def test_verify_stats_names_a_case_of_the_month_that_a_faulty_snapshot_leaves_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = await three_cases(world)
    # Each registration indexed the case in 朝阳's statistics stream, in its own transaction.
    indexed = [r for r in await stream_records(world, world.org_a.id) if r.claim.type == "case_indexed"]
    assert [(r.claim.public["indexed_case"], r.claim.public["reason"]) for r in indexed] == [
        (a.case_id, "registered"), (b.case_id, "registered"), (c, "registered"),
    ]  # fmt: skip
    honest = (await month_end(world)).snapshot
    report = verify_snapshot(await export(a.liu, honest.id), lang="en")
    assert report.ok, [f.sentence("en") for f in report.findings if f.problem]
    # The index began this month (with these cases): it says so rather than claim the month whole.
    found = index_finding(report)
    assert found.code == "index_partial" and found.params["indexed"] == 3 and found.params["before"] == 0
    assert "The case index starts at" in found.sentence("en") and "案件索引自" in found.sentence("zh")

    leaving_out(monkeypatch, c)
    faulty = (await world.services.statistics_snapshots.take_snapshot(world.org_a.id, honest.month, corrects=honest.id, reason="重新统计")).snapshot  # fmt: skip
    assert faulty.counts["mediated"] == 2
    data = await export(a.liu, faulty.id)
    report = verify_snapshot(data, lang="en")
    problems = [f for f in report.findings if f.problem]
    # Its signature, its cases and its counts hold; the index shows what it left out.
    assert [f.code for f in problems] == ["left_out"] and report.named_cases == {c}
    assert problems[0].sentence("en") == (
        f"Case （2026）朝调字第23号 ({c}): the organisation's case index says it was registered in the month and is led by "
        "the organisation (registered by it), but the snapshot leaves it out."
    )
    zh = verify_snapshot(data)
    assert f"案件 （2026）朝调字第23号（{c}）：本组织的案件索引表明它于本月登记" in next(
        f.sentence("zh") for f in zh.findings if f.problem
    )

    def drop_first_index_record(files: dict[str, bytes]) -> None:
        lines = files["stream.jsonl"].splitlines(keepends=True)
        files["stream.jsonl"] = b"".join(lines[1:])

    def drop_stream(files: dict[str, bytes]) -> None:
        del files["stream.jsonl"]

    # The stream's records cannot be thinned out: their chain must lead to the snapshot's record.
    thinned = verify_snapshot(rewrite(data, drop_first_index_record), lang="en")
    assert "stream_broken" in {f.code for f in thinned.findings if f.problem}
    missing = verify_snapshot(rewrite(data, drop_stream), lang="en")
    # Without it nothing shows the case left out, and verify-stats says it cannot check.
    assert [f.code for f in missing.findings if f.problem] == ["stream_missing"]

    def forge_reason(files: dict[str, bytes]) -> None:
        lines = files["stream.jsonl"].decode().splitlines()
        item = json.loads(lines[0])
        item["entry"] = item["entry"].replace('"registered"', '"referred_out"')
        files["stream.jsonl"] = ("\n".join([json.dumps(item), *lines[1:]]) + "\n").encode()

    forged = verify_snapshot(rewrite(data, forge_reason), lang="en")
    assert "stream_broken" in {f.code for f in forged.findings if f.problem}


async def test_a_referred_case_leaves_one_index_and_enters_the_other_and_each_snapshot_holds(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    case = await open_case(liu, "（2026）朝调字第31号")
    sent = await refer(liu, case["id"], world.org_b.id)
    await zhao.call("POST", f"/api/v1/referrals/{sent['id']}/accept", {"mediator_id": world.ids["zhao"]})
    ours = [r.claim.public for r in await stream_records(world, world.org_a.id) if r.claim.type == "case_indexed"]
    theirs = [r.claim.public for r in await stream_records(world, world.org_b.id) if r.claim.type == "case_indexed"]
    assert [(p["indexed_case"], p["reason"]) for p in ours] == [(case["id"], "registered"), (case["id"], "referred_out")]
    assert [(p["indexed_case"], p["reason"]) for p in theirs] == [(case["id"], "referred_in")]
    snaps = world.services.statistics_snapshots
    at_a = (await snaps.take_snapshot(world.org_a.id, this_month())).snapshot
    at_b = (await snaps.take_snapshot(world.org_b.id, this_month())).snapshot
    assert at_a.counts["mediated"] == 0 and at_b.counts["mediated"] == 1
    for actor, row, indexed in ((liu, at_a, 0), (zhao, at_b, 1)):
        report = verify_snapshot(await export(actor, row.id), lang="en")
        assert report.ok, [f.sentence("en") for f in report.findings if f.problem]
        assert index_finding(report).params["indexed"] == indexed
    leaving_out(monkeypatch, case["id"])
    faulty = (await snaps.take_snapshot(world.org_b.id, this_month(), corrects=at_b.id, reason="重新统计")).snapshot
    report = verify_snapshot(await export(zhao, faulty.id), lang="en")
    assert report.named_cases == {case["id"]}
    assert any("referred to it and accepted" in f.sentence("en") for f in report.findings if f.problem)


async def test_a_case_registered_before_the_index_began_is_said_so_and_one_unindexed_after_is_named(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    liu = await world.staff("liu")
    real = statistics_stream.index_registered

    async def not_indexed(*args: Any) -> None:
        return None

    monkeypatch.setattr(cases_module, "index_registered", not_indexed)  # as a server before the index registered it
    old = await open_case(liu, "（2026）朝调字第41号")
    monkeypatch.setattr(cases_module, "index_registered", real)
    new = await open_case(liu, "（2026）朝调字第42号")
    snaps = world.services.statistics_snapshots
    row = (await snaps.take_snapshot(world.org_a.id, this_month())).snapshot
    report = verify_snapshot(await export(liu, row.id), lang="en")
    assert report.ok, [f.sentence("en") for f in report.findings if f.problem]
    found = index_finding(report)
    assert (found.code, found.params["indexed"], found.params["before"]) == ("index_partial", 1, 1)
    assert "1 of the snapshot's cases were registered before it began" in found.sentence("en")
    # After the index began, a registration that did not index its case is named.
    monkeypatch.setattr(cases_module, "index_registered", not_indexed)
    late = await open_case(liu, "（2026）朝调字第43号")
    row = (await snaps.take_snapshot(world.org_a.id, this_month())).snapshot
    report = verify_snapshot(await export(liu, row.id), lang="en")
    assert report.named_cases == {late["id"]} and {old["id"], new["id"]}.isdisjoint(report.named_cases)
    assert [f.code for f in report.findings if f.problem] == ["not_indexed"]


async def test_a_snapshot_first_in_its_stream_says_it_has_no_index_to_check(world: World) -> None:
    """An organisation whose cases all came before the index: its stream begins with the snapshot."""
    a, _, _ = await three_cases(world)
    # 海淀 leads nothing: its snapshot is the first record of its stream, with no index before it.
    row = (await world.services.statistics_snapshots.take_snapshot(world.org_b.id, this_month())).snapshot
    assert row.seq == 1
    zhao = await world.staff("zhao")
    report = verify_snapshot(await export(zhao, row.id), lang="en")
    assert report.ok and index_finding(report).code == "index_none"
    assert "holds no case index before this snapshot" in index_finding(report).sentence("en")
    assert a.case_id not in report.named_cases


async def test_on_postgresql_a_snapshot_reads_in_one_repeatable_read_transaction_and_again_after_a_concurrent_case(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cohort, its figures and its hashes are of one instant; a case registered while the snapshot is read (its
    index record committed to the stream first) makes it read the month again, so that the index and it agree."""
    if world.services.ledger.dialect != "postgresql":
        pytest.skip("SQLite's one writer reads and writes a transaction serially already")
    liu = await world.staff("liu")
    await open_case(liu, "（2026）朝调字第51号")
    seen: list[str | None] = []
    real = snapshots.cohort

    async def watched(db: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(await db.scalar(text("SHOW transaction_isolation")))
        found = await real(db, *args, **kwargs)
        if len(seen) == 1:  # registered and committed while the first reading is under way
            await open_case(liu, "（2026）朝调字第52号")
        return found

    monkeypatch.setattr(snapshots, "cohort", watched)
    row = (await world.services.statistics_snapshots.take_snapshot(world.org_a.id, this_month())).snapshot
    assert seen == ["repeatable read", "repeatable read"] and row.counts["mediated"] == 2
    report = verify_snapshot(await export(liu, row.id), lang="en")
    assert report.ok and index_finding(report).params["indexed"] == 2, [f.sentence("en") for f in report.findings]
    # The connection goes back to the pool at the server's own level.
    async with world.services.links._maker() as db:
        assert await db.scalar(text("SHOW transaction_isolation")) == "read committed"
