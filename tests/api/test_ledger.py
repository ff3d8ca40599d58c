"""The evidence ledger: signed records, per-case chains, the RFC 6962 log and its tiles."""

from __future__ import annotations

import asyncio
import itertools
import os
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from server.errors import Conflict, InvalidInput
from server.evidence import merkle, note
from server.evidence.records import Claim, DeviceKey, KeyInfo, Record, body_hash, entry_hash, make_body
from server.models import EvidenceBody, EvidencePending, LogEntry
from tests.api.helpers import open_case
from tests.conftest import World

REPO_ROOT = Path(__file__).resolve().parents[2]


async def read_log(world: World, size: int | None = None) -> tuple[note.Checkpoint, list[bytes]]:
    """Follow the log over HTTP as any C2SP tlog-tiles client would."""
    client = (await world.actor()).client
    vkey = (await (await client.get("/log/key")).text()).strip()
    signed = await (await client.get("/log/checkpoint")).text()
    body, _ = note.open_note(signed, [note.Verifier.from_vkey(vkey)])
    checkpoint = note.Checkpoint.parse(body)
    entries: list[bytes] = []
    for tile in merkle.tiles_for_size(checkpoint.size):
        if tile.level != 0:
            continue
        response = await client.get("/log/" + tile.entries_path())
        assert response.status == 200, tile.entries_path()
        data = await response.read()
        while data:
            (length,) = struct.unpack(">H", data[:2])
            entries.append(data[2 : 2 + length])
            data = data[2 + length :]
    return checkpoint, entries


async def test_opening_a_case_writes_a_signed_record_to_the_log_without_personal_data(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu, "（2026）朝调字第7号", parties=0)
    await world.services.ledger.settle()
    checkpoint, entries = await read_log(world)
    assert checkpoint.origin == "mediate.test/log" and checkpoint.size == len(entries) >= 1
    # The case's registration, and its organisation's statistics stream indexing it (#23).
    records = [Record.from_entry(entry) for entry in entries]
    [record] = [r for r in records if r.claim.case == case["id"]]
    assert record.claim.type == "case_registered" and record.seq == 1
    [indexed] = [r for r in records if r.claim.type == "case_indexed"]
    assert indexed.claim.public["indexed_case"] == case["id"] and indexed.claim.public["reason"] == "registered"
    for secret in ("朝调字第7号", "刘调解员", "拖欠工资"):
        assert all(secret.encode() not in entry for entry in entries), "names and numbers stay out of the log"
    keys = (await (await (await world.actor()).client.get("/.well-known/mediate-keys.json")).json())["keys"]
    platform = KeyInfo.from_json(next(k for k in keys if k["purpose"] == "platform"))
    from server.evidence.signatures import verify_signature

    verify_signature(record.sigs[0], platform, record.claim.statement)
    async with world.services.links._maker() as db:
        body = (await db.scalars(select(EvidenceBody).where(EvidenceBody.case_id == case["id"]))).one().body
    assert body_hash(body) == record.claim.body_hash and body["data"]["case_number"] == "（2026）朝调字第7号"
    index = records.index(record)
    proof = await world.services.ledger.inclusion_proof(index, checkpoint.size)
    merkle.verify_inclusion(merkle.leaf_hash(entries[index]), index, checkpoint.size, proof, checkpoint.root_hash)


async def test_a_tiles_client_can_rebuild_the_tree_and_check_the_checkpoint(world: World) -> None:
    ledger = world.services.ledger
    for batch in range(3):
        async with ledger._maker() as db, db.begin():
            for i in range(110):
                await ledger.append_platform(
                    db,
                    type="identity_checked",
                    case=f"c{i % 7}",
                    actor={"kind": "platform", "id": "p"},
                    data={"i": i, "b": batch},
                )
        await ledger.settle()
    checkpoint, entries = await read_log(world)
    assert checkpoint.size == 330
    assert merkle.root_from_leaves([merkle.leaf_hash(e) for e in entries]) == checkpoint.root_hash
    client = (await world.actor()).client
    tiles = {}
    for tile in merkle.tiles_for_size(checkpoint.size):
        response = await client.get("/log/" + tile.path())
        assert response.status == 200
        assert ("immutable" in response.headers["Cache-Control"]) == (not tile.is_partial)
        tiles[tile.path()] = await response.read()
    reader = merkle.TileNodeReader(lambda t: tiles[t.path()], checkpoint.size)
    assert merkle.root_at(checkpoint.size, reader) == checkpoint.root_hash
    for bad in ("tile/0/999", "tile/0/x1/000", "tile/entries/001", "tile/9/000.p/0", "nonsense"):
        assert (await client.get("/log/" + bad)).status == 404, bad


async def test_concurrent_appends_keep_every_case_chain_whole(world: World) -> None:
    ledger = world.services.ledger
    stop = asyncio.Event()
    sequencer = asyncio.create_task(ledger.run(stop))

    async def append(case: int, n: int) -> None:
        async with ledger._maker() as db, db.begin():
            await ledger.append_platform(
                db, type="identity_checked", case=f"case-{case}", actor={"kind": "platform", "id": "p"}, data={"n": n}
            )

    await asyncio.gather(*(append(c, n) for n in range(15) for c in range(12)))
    stop.set()
    await sequencer
    await ledger.settle()
    checkpoint, entries = await read_log(world)
    assert checkpoint.size == 180
    chains: dict[str, list[Record]] = defaultdict(list)
    for entry in entries:
        record = Record.from_entry(entry)
        chains[record.claim.case].append(record)
    for case, records in chains.items():
        records.sort(key=lambda r: r.seq)
        assert [r.seq for r in records] == list(range(1, 16)), case
        for before, after in itertools.pairwise(records):
            assert after.prev == entry_hash(before.entry)


async def test_the_log_tables_refuse_updates_and_deletes(world: World) -> None:
    ledger = world.services.ledger
    async with ledger._maker() as db, db.begin():
        await ledger.append_platform(db, type="identity_checked", case="c", actor={"kind": "platform", "id": "p"}, data={})
    await ledger.settle()
    for statement in (
        "UPDATE log_entries SET type = 'forged'",
        "DELETE FROM log_entries",
        "DELETE FROM log_nodes",
        "UPDATE log_checkpoints SET note = ''",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with ledger._maker() as db, db.begin():
                await db.execute(text(statement))
    async with ledger._maker() as db:
        assert await db.scalar(select(func.count()).select_from(LogEntry)) == 1


async def test_replays_foreign_claims_and_bad_signatures_are_refused_and_write_nothing(world: World) -> None:
    ledger = world.services.ledger
    platform = ledger.keyring.signer("platform")
    body = make_body({"who": "张三"})

    def claim(**kw: object) -> Claim:
        values: dict[str, object] = {
            "log": ledger.origin,
            "type": "identity_checked",
            "case": "case-x",
            "actor": {"kind": "platform", "id": "p"},
            "body_hash": body_hash(body),
        }
        values.update(kw)
        return Claim(**values)  # type: ignore[arg-type]

    good = claim()
    async with ledger._maker() as db, db.begin():
        await ledger.append(db, good, [platform.sign(good.statement)], body)
    party = DeviceKey.generate({"kind": "party", "id": "party-a", "role": "applicant"})
    other_log = claim(log="elsewhere.example/log")
    forged = claim()
    bad_sig = platform.sign(forged.statement)
    bad_sig["sig"] = bad_sig["sig"][:-4] + ("AAA=" if not bad_sig["sig"].endswith("AAA=") else "BBB=")
    by_party = claim(actor={"kind": "party", "id": "party-a"})
    attempts = [
        (good, [platform.sign(good.statement)], Conflict, "replay"),
        (other_log, [platform.sign(other_log.statement)], InvalidInput, "another log"),
        (forged, [bad_sig], InvalidInput, "signature"),
        (by_party, [party.sign(by_party.statement)], InvalidInput, "unknown signing key"),
        (claim(), [], InvalidInput, "at least one"),
    ]
    for c, sigs, error, words in attempts:
        with pytest.raises(error, match=words):
            async with ledger._maker() as db, db.begin():
                await ledger.append(db, c, sigs, body)
    with pytest.raises(InvalidInput, match="body"):
        async with ledger._maker() as db, db.begin():
            fresh = claim()
            await ledger.append(db, fresh, [platform.sign(fresh.statement)], make_body({"who": "李四"}))
    async with ledger._maker() as db:
        assert await db.scalar(select(func.count()).select_from(EvidencePending)) == 1


async def test_a_bound_key_signs_only_for_its_holder(world: World) -> None:
    ledger = world.services.ledger
    platform = ledger.keyring.signer("platform")
    key = DeviceKey.generate({"kind": "party", "id": "party-a", "role": "applicant"})
    body = make_body({"phone": "13800000001", "method": "sms_otp"})
    binding = Claim(
        ledger.origin,
        "key_bound",
        "case-k",
        {"kind": "party", "id": "party-a", "role": "applicant"},
        body_hash(body),
        {"key": key.info.to_json(), "method": "sms_otp"},
    )
    with pytest.raises(InvalidInput, match="new key and the platform"):
        async with ledger._maker() as db, db.begin():
            await ledger.append(db, binding, [key.sign(binding.statement)], body, new_key=key.info)
    async with ledger._maker() as db, db.begin():
        await ledger.append(db, binding, [key.sign(binding.statement), platform.sign(binding.statement)], body, new_key=key.info)
    mine = Claim(ledger.origin, "identity_checked", "case-k", {"kind": "party", "id": "party-a"}, body_hash(body))
    async with ledger._maker() as db, db.begin():
        await ledger.append(db, mine, [key.sign(mine.statement)], body)
    theirs = Claim(ledger.origin, "identity_checked", "case-k", {"kind": "party", "id": "party-b"}, body_hash(body))
    with pytest.raises(InvalidInput, match="someone else"):
        async with ledger._maker() as db, db.begin():
            await ledger.append(db, theirs, [key.sign(theirs.statement)], body)
    other_case = Claim(ledger.origin, "identity_checked", "case-other", {"kind": "party", "id": "party-a"}, body_hash(body))
    with pytest.raises(InvalidInput, match="unknown signing key"):
        async with ledger._maker() as db, db.begin():
            await ledger.append(db, other_case, [key.sign(other_case.statement)], body)


def run_worker(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    settings = world.services.settings
    return subprocess.run(  # noqa: PLW1510 - the caller reads the return code
        [sys.executable, "-m", "tests.ledger_worker", str(settings.data_dir), settings.resolved_database_url, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")},
    )


async def test_a_crash_between_accepting_and_checkpointing_loses_nothing(world: World) -> None:
    """A worker accepts records and is SIGKILLed before any sequencing; a restart sequences them."""
    await world.services.ledger.settle()
    done = run_worker(world, "3", "4", "--crash")
    assert done.returncode == -9 and "appended" in done.stdout, done.stderr
    async with world.services.ledger._maker() as db:
        assert await db.scalar(select(func.count()).select_from(EvidencePending)) == 12
    await world.services.ledger.settle()
    checkpoint, entries = await read_log(world)
    assert checkpoint.size == 12
    assert merkle.root_from_leaves([merkle.leaf_hash(e) for e in entries]) == checkpoint.root_hash
    # The chains go on where the crashed process left them.
    async with world.services.ledger._maker() as db, db.begin():
        appended = await world.services.ledger.append_platform(
            db, type="identity_checked", case="case-0", actor={"kind": "platform", "id": "p"}, data={}
        )
    assert appended.record.seq == 5


@pytest.mark.skipif(not os.environ.get("MEDIATE_TEST_DATABASE_URL"), reason="needs PostgreSQL (MEDIATE_TEST_DATABASE_URL)")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_append_to_one_postgresql_log(world: World) -> None:
    root = REPO_ROOT
    workers = [
        subprocess.Popen(  # noqa: ASYNC220 - the workers must be separate processes
            [
                sys.executable,
                "-m",
                "tests.ledger_worker",
                str(world.services.settings.data_dir),
                world.services.settings.resolved_database_url,
                "6",
                "25",
                "--sequence",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    await world.services.ledger.settle()
    checkpoint, entries = await read_log(world)
    assert checkpoint.size == 2 * 6 * 25
    assert merkle.root_from_leaves([merkle.leaf_hash(e) for e in entries]) == checkpoint.root_hash
    seqs: dict[str, list[int]] = defaultdict(list)
    for entry in entries:
        record = Record.from_entry(entry)
        seqs[record.claim.case].append(record.seq)
    assert all(sorted(s) == list(range(1, 51)) for s in seqs.values())
