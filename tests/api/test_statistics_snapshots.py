"""Signed monthly statistics snapshots (#23): taken at the month's end with the figures and the cases behind each
count (each with its last record's hash), once; corrected only by a new snapshot naming the old one; never changed
in the database; checked offline by ``mediate verify-stats``, which names a case whose bundle is missing or
altered, or whose records do not support its count; read only within one's own tree."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from server.domain import cases as cases_module
from server.domain.agreements import sealing
from server.domain.clocks import LEGAL_ZONE, local_day
from server.domain.principal import SYSTEM
from server.domain.statistics import audit
from server.domain.statistics.audit import verify_snapshot
from server.domain.statistics.facts import facts_of
from server.domain.statistics.figures import COUNTS
from server.domain.statistics.record_facts import AUDITED, facts_from_records
from server.domain.statistics.snapshots import Taken, stream_id
from server.evidence.records import Record, entry_hash
from server.models import Case, EvidenceChain, EvidencePending, LogEntry, Obligation, StatisticsSnapshot, utcnow
from tests.api.agreement_helpers import Mediation, bind_device_key, bind_passkey, mediation
from tests.api.helpers import open_case
from tests.api.test_extensions import agree, propose
from tests.api.test_performance import answer, sealed
from tests.api.test_statistics import known_cases
from tests.conftest import World


def next_month_start() -> datetime:
    """Half past midnight, Beijing, on the first of next month: the hourly loop's first round after the month ended."""
    first = (local_day(utcnow()).replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(first.year, first.month, 1, 0, 30, tzinfo=LEGAL_ZONE)


#: A moment past A's second term's last day (7 days on) and its first instalment's (30), before its second (60).
LATER = timedelta(days=45)


async def three_cases(world: World) -> tuple[Mediation, Mediation, str]:
    """This month at 朝阳: A settled (agreement sealed) and open, its first instalment performed; B ended without
    agreement; C still being mediated."""
    a = await mediation(world, "（2026）朝调字第21号", hour=12)
    zhang, _, _ = await sealed(world, a)
    first = (await a.respondent.call("GET", "/api/v1/party/obligations"))["owe"][0]
    await a.respondent.call("POST", f"/api/v1/party/obligations/{first['id']}/report", {}, expect=201)
    assert (await answer(world, zhang, first["id"], "confirm"))["status"] == "performed"
    b = await mediation(world, "（2026）朝调字第22号", hour=16)
    ended = {"outcome": "failed", "reason": "withdrawn", "party_id": b.party_id("applicant")}
    await a.liu.call("POST", f"/api/v1/cases/{b.case_id}/outcome", ended)
    c = await open_case(a.liu, "（2026）朝调字第23号")
    return a, b, c["id"]


async def month_end(world: World) -> Taken:
    taken = [t for t in await world.services.statistics_snapshots.take_due(next_month_start()) if t.written]
    [ours] = [t for t in taken if t.snapshot.organisation_id == world.org_a.id]
    return ours


async def body_of(world: World, row: StatisticsSnapshot) -> dict[str, Any]:
    async with world.services.links._maker() as db:
        data = (await world.services.ledger.bodies(db, row.stream))[row.claim_hash]["data"]
    assert isinstance(data, dict)
    return data


async def test_the_month_end_snapshot_has_the_figures_and_each_counted_case_with_its_last_record_once(world: World) -> None:
    a, b, c = await three_cases(world)
    taken = await month_end(world)
    row = taken.snapshot
    assert row.month == local_day(utcnow()).strftime("%Y-%m") and row.version == 1 and not row.interim
    assert row.counts["mediated"] == 3 and row.counts["successful"] == 1 and row.counts["failed"] == 1
    assert row.counts["pending"] == 1
    data = await body_of(world, row)
    assert sorted(data["counts"]["mediated"]) == sorted([a.case_id, b.case_id, c])
    assert data["counts"]["successful"] == [a.case_id] and data["counts"]["failed"] == [b.case_id]
    assert data["counts"]["pending"] == [c] and data["figures"]["success_rate"] == round(1 / 3, 4)
    async with world.services.links._maker() as db:
        chains = {r.case_id: r for r in await db.scalars(select(EvidenceChain))}
        # Signed by the platform into 朝阳's statistics stream of the evidence log.
        pending = await db.scalar(select(EvidencePending.entry).where(EvidencePending.claim_hash == row.claim_hash))
        logged = await db.scalar(select(LogEntry.entry).where(LogEntry.claim_hash == row.claim_hash))
    for case_id in (a.case_id, b.case_id, c):
        assert data["cases"][case_id]["last_record_hash"] == chains[case_id].last_entry_hash
        assert data["cases"][case_id]["seq"] == chains[case_id].last_seq
    record = Record.from_entry(pending or logged or b"")
    assert record.claim.type == "statistics_snapshot" and record.claim.case == stream_id(world.org_a.id)
    assert record.claim.public["counts"]["mediated"] == 3 and record.sigs[0]["alg"] == "ed25519"
    # The next hour's round finds it and writes nothing.
    again = await world.services.statistics_snapshots.take_due(next_month_start() + timedelta(hours=1))
    assert [t for t in again if t.snapshot.organisation_id == world.org_a.id] == []
    later = next_month_start() + timedelta(days=3)
    assert (await world.services.statistics_snapshots.take_snapshot(world.org_a.id, row.month, as_of=later)).written is False


async def test_a_correction_names_the_snapshot_it_corrects_and_the_database_refuses_changing_either(world: World) -> None:
    await three_cases(world)
    old = (await month_end(world)).snapshot
    snaps = world.services.statistics_snapshots
    with pytest.raises(Exception, match="say why"):
        await snaps.take_snapshot(world.org_a.id, old.month, corrects=old.id, reason=" ")
    new = (await snaps.take_snapshot(world.org_a.id, old.month, corrects=old.id, reason="补录一件漏登的纠纷")).snapshot
    assert new.version == 2 and new.supersedes_id == old.id and new.reason == "补录一件漏登的纠纷"
    data = await body_of(world, new)
    assert data["corrects"] == {"id": old.id, "claim_hash": old.claim_hash, "version": 1}
    listed = await world.services.statistics_snapshots.listing(SYSTEM, world.org_a.id)
    assert [(i["version"], i["supersedes"]) for i in listed] == [(1, None), (2, old.id)]
    for statement in (
        f"UPDATE statistics_snapshots SET counts = '{{}}' WHERE id = '{old.id}'",
        f"DELETE FROM statistics_snapshots WHERE id = '{old.id}'",
    ):
        with pytest.raises(DBAPIError, match=r"never changed|append-only|refused"):
            async with world.services.links._maker() as db, db.begin():
                await db.execute(text(statement))
    async with world.services.links._maker() as db:
        assert (await db.get(StatisticsSnapshot, old.id)) is not None


async def export(actor: Any, snapshot_id: str, expect: int = 200) -> bytes:
    response = await actor.request("POST", f"/api/v1/statistics/snapshots/{snapshot_id}/export")
    data = await response.read()
    assert response.status == expect, data[:200]
    return data  # type: ignore[no-any-return]


def rewrite(data: bytes, change: Any) -> bytes:
    """The export with its files passed through ``change(files)``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {i.filename: zf.read(i) for i in zf.infolist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


async def test_verify_stats_passes_an_honest_export_and_names_a_missing_altered_or_unsupported_case(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, c = await three_cases(world)
    row = (await month_end(world)).snapshot
    # A record after the snapshot (the export's own) does not matter: the snapshot pins each case's last record.
    data = await export(a.liu, row.id)
    honest = verify_snapshot(data, lang="en")
    assert honest.ok, [f.sentence("en") for f in honest.findings]
    assert any(f.code == "recomputed" and "Mediated successfully" in f.sentence("en") for f in honest.findings)
    # A is not closed, but its agreement_sealed record lists its instalments: what it binds 李四 to is checked too.
    sentences = [f.sentence("en") for f in honest.findings]
    assert "\u201cAgreements to perform\u201d: 1, each of its 1 cases checked against its signed records." in sentences
    assert not any(f.code == "partly_recomputed" for f in honest.findings), sentences
    # Past the mediation period is recomputed too: C is still within its thirty days.
    assert "\u201cPast the mediation period\u201d: 0, each of its 0 cases checked against its signed records." in sentences
    pinned = verify_snapshot(data, trusted_log_keys=[world.services.ledger.keyring.vkey()], lang="en")
    assert pinned.ok and any(f.code == "in_log" and "the trusted log key" in f.sentence("en") for f in pinned.findings)

    def elsewhere_in_the_log(files: dict[str, bytes]) -> None:
        document = json.loads(files["snapshot.json"])
        document["inclusion"]["index"] = document["inclusion"]["index"] - 1
        files["snapshot.json"] = json.dumps(document).encode()

    moved = verify_snapshot(rewrite(data, elsewhere_in_the_log), lang="en")
    assert [f.code for f in moved.findings if f.problem] == ["not_in_log"]

    def drop_b(files: dict[str, bytes]) -> None:
        del files[f"bundles/{b.case_id}.zip"]

    missing = verify_snapshot(rewrite(data, drop_b), lang="en")
    assert not missing.ok and missing.named_cases == {b.case_id}
    assert any("（2026）朝调字第22号" in f.sentence("en") and "missing" in f.sentence("en") for f in missing.findings)
    # The command exits non-zero and names the case, in Chinese by default.
    (tmp_path / "honest.zip").write_bytes(data)
    (tmp_path / "missing.zip").write_bytes(rewrite(data, drop_b))
    assert audit.main([str(tmp_path / "honest.zip")]) == 0 and "结论：核验通过。" in capsys.readouterr().out
    assert audit.main([str(tmp_path / "missing.zip")]) == 1
    assert "案件 （2026）朝调字第22号" in capsys.readouterr().out
    assert audit.main([str(tmp_path / "nothing.zip")]) == 2

    def unseal(bundle: dict[str, bytes]) -> None:
        """A's agreement_sealed record, made to say the agreement was only drafted."""
        [name] = [n for n, content in bundle.items() if n.startswith("records/") and b'"agreement_sealed"' in content]
        bundle[name] = bundle[name].replace(b'"agreement_sealed"', b'"agreement_version"')

    def alter_a(files: dict[str, bytes]) -> None:
        files[f"bundles/{a.case_id}.zip"] = rewrite(files[f"bundles/{a.case_id}.zip"], unseal)

    altered = verify_snapshot(rewrite(data, alter_a), lang="en")
    assert not altered.ok and altered.named_cases == {a.case_id}

    def c_counted_successful(files: dict[str, bytes]) -> None:
        document = json.loads(files["snapshot.json"])
        counts = document["body"]["data"]["counts"]
        counts["successful"].append(c)
        document["body"]["data"]["figures"]["successful"] = 2
        files["snapshot.json"] = json.dumps(document).encode()

    unsupported = verify_snapshot(rewrite(data, c_counted_successful), lang="en")
    codes = {f.code for f in unsupported.findings if f.problem}
    assert codes == {"body_mismatch", "records_disagree"} and unsupported.named_cases == {c}

    def wrong_count(files: dict[str, bytes]) -> None:
        document = json.loads(files["snapshot.json"])
        document["body"]["data"]["figures"]["failed"] = 5
        files["snapshot.json"] = json.dumps(document).encode()

    wrong = verify_snapshot(rewrite(data, wrong_count), lang="en")
    sentences = [f.sentence("en") for f in wrong.findings if f.problem]
    assert "\u201cEnded without agreement\u201d is 5, but the snapshot lists 1 cases for it." in sentences


async def test_the_records_and_the_database_count_every_audited_figure_alike(world: World) -> None:
    k = await known_cases(world)
    a, b, c = await three_cases(world)
    # E (at 海淀): still being mediated, its period extended by both parties 60 days past its thirty (deadline_extended).
    e = await mediation(world, "（2026）海调字第24号", mediator="zhao")
    zhang = await bind_device_key(world, e.applicant, e.party_id("applicant"))
    li = await bind_passkey(world, e.respondent, e.party_id("respondent"))
    await propose(e, days=60)
    await agree(world, zhang)
    await agree(world, li)
    await world.services.ledger.settle()
    workdays = world.services.statistics._workdays
    ledger = world.services.ledger
    decided_cases: dict[str, dict[str, int]] = {}
    # Today A's instalments are pending but the first, performed; 45 days on its second term's is overdue.
    for moment, at in (("now", utcnow()), ("later", utcnow() + LATER)):
        decided_cases[moment] = dict.fromkeys(AUDITED, 0)
        async with world.services.links._maker() as db:
            cases = list(await db.scalars(select(Case).order_by(Case.id)))
            from_rows = await facts_of(db, cases, at, world.services.statistics._workdays)
            for facts in from_rows:
                entries = await ledger.case_entries(db, facts.id)
                bodies = await ledger.bodies(db, facts.id)
                records = [Record.from_entry(e.entry) for e in entries]
                by_seq = {e.seq: bodies[e.claim_hash] for e in entries if e.claim_hash in bodies}
                read = facts_from_records(records, by_seq, as_of=at, workdays=workdays)
                # As if sealed before the record listed the instalments: the closing record decides 朝阳's first
                # case (closed, all performed); nothing decides A, still open.
                older = facts_from_records(records, {n: unlisted(b) for n, b in by_seq.items()}, as_of=at, workdays=workdays)
                performance = ("with_obligations", "performed", "overdue_performance", "resolved")
                if facts.id == a.case_id:
                    assert [AUDITED[name](older) for name in performance] == [None] * 4
                elif facts.id == k.a.case_id:
                    assert [AUDITED[name](older) for name in performance] == [True, True, False, True]
                for name, test in AUDITED.items():
                    decided = test(read)
                    # Every case here was sealed with its instalments in the record: nothing is left undecided.
                    assert decided is not None and COUNTS[name](facts) == decided, (moment, facts.case_number, name)
                    decided_cases[moment][name] += COUNTS[name](facts)
                # As if registered before the record gave the instant its period runs from: undecided while mediated.
                unstarted = facts_from_records(records, {n: unstarted_body(b) for n, b in by_seq.items()}, as_of=at, workdays=workdays)  # fmt: skip
                assert unstarted.overdue_mediation is (None if facts.status == "open" and not facts.closed_on else False)
                if facts.id == e.case_id:
                    assert read.extended_to is not None and read.overdue_mediation is False, moment
                assert read.led_by(facts.organisation_id, facts.organisation), facts.case_number
                assert sorted(read.ratings) == sorted(facts.ratings) and read.closed_on == facts.closed_on
                assert entry_hash(entries[-1].entry)
    assert {k.a.case_id, k.b.case_id, k.c, k.d, a.case_id, b.case_id, c, e.case_id} <= {f.id for f in from_rows}
    # 朝阳's first case, performed and closed, and A (open, one instalment performed of three) were settled.
    now, later = decided_cases["now"], decided_cases["later"]
    # Today none is past its thirty days; 45 days on, C, 朝阳's fourth and 海淀's referred case are, E (extended) not.
    assert (now["pending"], now["overdue_mediation"], later["overdue_mediation"]) == (4, 0, 3)
    assert (now["successful"], now["with_obligations"], now["performed"]) == (2, 2, 1)
    assert (now["overdue_performance"], now["resolved"]) == (0, 2)
    assert (later["performed"], later["overdue_performance"], later["resolved"]) == (1, 1, 1)


def unstarted_body(body: dict[str, Any]) -> dict[str, Any]:
    """A record's body without the instant the mediation period runs from (as a registration written before it did)."""
    data = body.get("data")
    return {**body, "data": {k: v for k, v in data.items() if k != "mediation_from"}} if isinstance(data, dict) else body


def unlisted(body: dict[str, Any]) -> dict[str, Any]:
    """A record's body without the instalments an agreement_sealed body lists (as one written before it did)."""
    data = body.get("data")
    return {**body, "data": {k: v for k, v in data.items() if k != "instalments"}} if isinstance(data, dict) else body


async def test_a_case_sealed_before_its_record_listed_instalments_is_left_undecided_and_verify_stats_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agreement sealed by an older server: its agreement_sealed body lists no instalments. A is open, so its
    records cannot say whether it performed; verify-stats passes the snapshot and says what it could not check."""
    monkeypatch.setattr(sealing, "instalments_of", lambda rows: None)
    a, _, _ = await three_cases(world)
    row = (await month_end(world)).snapshot
    report = verify_snapshot(await export(a.liu, row.id), lang="en")
    assert report.ok, [f.sentence("en") for f in report.findings if f.problem]
    sentences = {f.sentence("en"): f.code for f in report.findings}
    assert (
        "\u201cAgreements to perform\u201d: 1, 0 of its cases checked against their signed records; for 1 cases whose "
        "agreement_sealed record lists no instalments (sealed before it did) and that are not closed or have instalments "
        "outstanding, the records cannot say."
    ) in sentences
    for name in ("Performed in full", "Performance overdue", "Resolved"):
        assert [code for s, code in sentences.items() if s.startswith(f"\u201c{name}\u201d")] == ["partly_recomputed"], name


async def test_verify_stats_names_a_case_counted_performed_while_its_records_show_an_instalment_overdue(
    world: World,
) -> None:
    """The database is made to say A's every instalment performed, and the snapshot, signed as honestly as ever,
    counts it so; A's records show its first instalment performed, its second term's overdue: verify-stats names A."""
    a, _, _ = await three_cases(world)
    month = local_day(utcnow()).strftime("%Y-%m")
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Obligation).where(Obligation.case_id == a.case_id).values(status="performed"))
    snaps = world.services.statistics_snapshots
    row = (await snaps.take_snapshot(world.org_a.id, month, as_of=utcnow() + LATER)).snapshot
    assert row.counts["performed"] == 1 and row.counts["overdue_performance"] == 0 and row.counts["resolved"] == 1
    report = verify_snapshot(await export(a.liu, row.id), lang="en")
    problems = [f for f in report.findings if f.problem]
    assert {f.code for f in problems} == {"records_disagree"} and report.named_cases == {a.case_id}
    sentences = {f.sentence("en") for f in problems}
    assert (
        f"Case （2026）朝调字第21号 ({a.case_id}): the snapshot counts it in \u201cPerformed in full\u201d, but its signed records say it "
        "does not belong there."
    ) in sentences, sentences
    assert any("Performance overdue" in s and "does not count" in s for s in sentences), sentences


async def test_snapshots_are_read_by_their_committee_and_its_supervisors_and_by_nobody_in_another_tree(world: World) -> None:
    k = await known_cases(world)
    snaps = world.services.statistics_snapshots
    month = local_day(utcnow()).strftime("%Y-%m")
    ours = (await snaps.take_snapshot(world.org_a.id, month)).snapshot
    theirs = (await snaps.take_snapshot(world.org_b.id, month)).snapshot
    assert ours.interim  # the month has not ended: a look, not the month's snapshot
    own = await k.liu.call("GET", "/api/v1/statistics/snapshots")
    assert [i["id"] for i in own["items"]] == [ours.id] and own["items"][0]["organisation"]["name"] == "朝阳区人民调解委员会"
    await k.liu.call("GET", f"/api/v1/statistics/snapshots?organisation_id={world.org_b.id}", expect=403)
    await export(k.zhao, ours.id, expect=403)
    city = await k.city_supervisor.call("GET", f"/api/v1/statistics/snapshots?organisation_id={world.org_a.id}&subtree=false")
    assert [i["id"] for i in city["items"]] == [ours.id]
    audited = await export(k.city_supervisor, theirs.id)
    assert verify_snapshot(audited).ok
    # The referred case's bundle was exported for 孟督导员, and its export record says so.
    with zipfile.ZipFile(io.BytesIO(audited)) as outer, zipfile.ZipFile(io.BytesIO(outer.read(f"bundles/{k.c}.zip"))) as inner:
        last_body = max(n for n in inner.namelist() if n.startswith("bodies/"))
        assert json.loads(inner.read(last_body))["data"]["exported_by"].startswith("孟督导员（统计快照")
    await export(k.other_supervisor, ours.id, expect=403)
    await k.other_supervisor.call("GET", f"/api/v1/statistics/snapshots?organisation_id={world.org_a.id}", expect=403)


async def test_verify_stats_recomputes_the_mediation_clock_and_names_a_case_whose_extension_is_not_in_its_records(
    world: World,
) -> None:
    """45 days on, C is past its thirty days. The database is then made to say C's period was extended (no party
    agreed: no deadline_extended record), and the snapshot, signed as honestly as ever, does not count it overdue."""
    a, _, c = await three_cases(world)
    month = local_day(utcnow()).strftime("%Y-%m")
    snaps = world.services.statistics_snapshots
    row = (await snaps.take_snapshot(world.org_a.id, month, as_of=utcnow() + LATER)).snapshot
    assert row.counts["overdue_mediation"] == 1
    report = verify_snapshot(await export(a.liu, row.id), lang="en")
    assert report.ok, [f.sentence("en") for f in report.findings if f.problem]
    sentences = [f.sentence("en") for f in report.findings]
    assert "\u201cPast the mediation period\u201d: 1, each of its 1 cases checked against its signed records." in sentences
    async with world.services.links._maker() as db, db.begin():
        await db.execute(update(Case).where(Case.id == c).values(mediation_extended_to=local_day(utcnow()) + LATER * 2))
    row = (await snaps.take_snapshot(world.org_a.id, month, as_of=utcnow() + LATER, corrects=row.id, reason="重新统计")).snapshot
    assert row.counts["overdue_mediation"] == 0
    report = verify_snapshot(await export(a.liu, row.id), lang="en")
    assert {f.code for f in report.findings if f.problem} == {"records_disagree"} and report.named_cases == {c}
    assert any("Past the mediation period" in f.sentence("en") for f in report.findings if f.problem)


async def test_a_case_registered_before_its_record_gave_when_its_period_runs_from_is_left_undecided(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registration by an older server: its body gives no ``mediation_from``. C, still being mediated, cannot be
    decided past its period or not; A and B, concluded, can. verify-stats passes and says what it could not check."""
    monkeypatch.setattr(cases_module, "timestamp", lambda at: None)
    a, _, _ = await three_cases(world)
    row = (await month_end(world)).snapshot
    report = verify_snapshot(await export(a.liu, row.id), lang="en")
    assert report.ok, [f.sentence("en") for f in report.findings if f.problem]
    [found] = [f for f in report.findings if f.sentence("en").startswith("\u201cPast the mediation period\u201d")]
    assert found.code == "partly_recomputed_clock" and found.params["undecided"] == 1
    assert "registration record does not give the instant the mediation period runs from" in found.sentence("en")
    assert "未载明调解期限的起算时刻" in found.sentence("zh")
