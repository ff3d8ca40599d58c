"""The witness (server/witness/) against a real server, and POST /log/cosignature (server/http/witness_api.py)."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from server import witness
from server.app import create_app
from server.domain.ledger import Ledger
from server.evidence import merkle, note
from server.http import witness_api
from server.models import LogCosignature
from server.services import SERVICES
from server.settings import Settings
from server.witness import rounds

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Platform:
    app: web.Application
    server: Any
    ledger: Ledger
    url: str
    state: witness.WitnessState  # a witness the platform is configured to accept

    async def count_cosignatures(self) -> int:
        async with self.ledger._maker() as db:
            return int(await db.scalar(select(func.count()).select_from(LogCosignature)) or 0)

    async def append(self, n: int, tag: str = "") -> int:
        async with self.ledger._maker() as db, db.begin():
            for i in range(n):
                await self.ledger.append_platform(
                    db,
                    type="identity_checked",
                    case=f"c{i % 5}",
                    actor={"kind": "platform", "id": "p"},
                    data={"i": i, "tag": tag},
                )
        row = await self.ledger.settle()
        assert row is not None
        return row.size


def configure(app: web.Application, vkeys: list[str]) -> None:
    """Accept cosignatures from ``vkeys`` (also once create_app installs the route itself)."""
    if witness_api.WITNESSES in app:
        app[witness_api.WITNESSES] = witness_api.WitnessConfig(tuple(witness_api.parse_witness_keys(",".join(vkeys))), time.time)
    else:
        witness_api.install(app, vkeys)


async def start_platform(settings: Settings, aiohttp_server: Any, vkeys: list[str], state: witness.WitnessState) -> Platform:
    app = create_app(settings, migrate=False, run_background=False)
    configure(app, vkeys)
    server = await aiohttp_server(app)
    return Platform(app, server, app[SERVICES].ledger, str(server.make_url("")).rstrip("/"), state)


@pytest.fixture
async def platform(settings: Settings, aiohttp_server: Any, tmp_path: Path) -> Platform:
    state = witness.WitnessState.open(tmp_path / "witness" / "state.json", "court.example/witness")
    return await start_platform(settings, aiohttp_server, [state.vkey], state)


@pytest.fixture
async def session() -> AsyncIterator[tuple[aiohttp.ClientSession, list[str]]]:
    """A client session that records every URL it requests."""
    requested: list[str] = []

    async def on_start(_: Any, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
        requested.append(f"{params.method} {params.url.path}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as s:
        yield s, requested


async def get_checkpoint(p: Platform) -> str:
    async with aiohttp.ClientSession() as s, s.get(p.url + "/log/checkpoint") as r:
        assert r.status == 200
        return await r.text()


async def log_vkey(p: Platform) -> str:
    async with aiohttp.ClientSession() as s, s.get(p.url + "/log/key") as r:
        return (await r.text()).strip()


async def post(p: Platform, body: str | bytes, size: int | None) -> tuple[int, Any]:
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if size is not None:
        headers[witness_api.SIZE_HEADER] = str(size)
    async with aiohttp.ClientSession() as s, s.post(p.url + "/log/cosignature", data=body, headers=headers) as r:
        return r.status, await r.json()


def cosignature_line(body: str, signer: note.CosignatureSigner, timestamp: int) -> str:
    cosigned = note.cosign(body, signer, timestamp)
    return cosigned[cosigned.rindex("\n\n") + 2 :]


# -- the witness ------------------------------------------------------------------------------------


async def test_witness_cosigns_and_follows_the_log_through_its_tiles(
    platform: Platform, session: tuple[aiohttp.ClientSession, list[str]]
) -> None:
    s, requested = session
    state = platform.state
    assert await platform.append(300) == 300

    first = await witness.witness_once(s, platform.url, state, now=int(time.time()))
    assert first.status == "cosigned" and first.posted and first.size == 300 and first.old_size == 0, first
    # First contact: the key was pinned from /log/key and the root recomputed from the tiles.
    assert "GET /log/key" in requested and "GET /log/tile/1/000.p/1" in requested
    signed = await get_checkpoint(platform)
    assert first.line is not None and signed.endswith(first.line)
    timestamp = note.verify_cosignature(signed, note.CosignatureVerifier.from_vkey(state.vkey))
    assert abs(timestamp - time.time()) < 60
    body, _ = note.open_note(signed, [note.Verifier.from_vkey(await log_vkey(platform))])  # the log's own line still verifies
    assert note.Checkpoint.parse(body).size == 300
    origin = note.Checkpoint.parse(body).origin
    assert state.logs[origin].size == 300 and state.logs[origin].url == platform.url

    again = await witness.witness_once(s, platform.url, state)
    assert again.status == "unchanged" and await platform.count_cosignatures() == 1

    assert await platform.append(50, "more") == 350
    requested.clear()
    grown = await witness.witness_once(s, platform.url, state)
    assert grown.status == "cosigned" and grown.posted and (grown.old_size, grown.size) == (300, 350), grown
    # The consistency proof 300 -> 350 came from the tiles of size 350, fetched over HTTP.
    fetched = [r for r in requested if r.startswith("GET /log/tile/")]
    assert fetched and set(fetched) == {f"GET /log/{t}" for t in grown.tiles_fetched}
    assert "GET /log/tile/0/001.p/94" in fetched
    assert "GET /log/key" not in requested  # the pinned key is used from now on
    signed = await get_checkpoint(platform)
    assert note.Checkpoint.parse(note.parse_note(signed)[0]).size == 350
    note.verify_cosignature(signed, state.signer.verifier())
    assert await platform.count_cosignatures() == 2

    reloaded = witness.WitnessState.load(state.path)
    assert reloaded.logs[origin].size == 350
    assert reloaded.logs[origin].root == note.Checkpoint.parse(note.parse_note(signed)[0]).root_hash


async def test_a_lost_post_is_made_good_on_the_next_round(
    platform: Platform, session: tuple[aiohttp.ClientSession, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, _ = session
    await platform.append(3)

    async def lost(*args: Any) -> str:
        return "connection reset (simulated)"

    with monkeypatch.context() as patch:
        patch.setattr(rounds, "post_cosignature", lost)
        outcome = await witness.witness_once(s, platform.url, platform.state)
    assert outcome.status == "cosigned" and not outcome.posted and await platform.count_cosignatures() == 0
    retry = await witness.witness_once(s, platform.url, platform.state)
    assert retry.status == "cosigned" and retry.posted and await platform.count_cosignatures() == 1
    assert (await witness.witness_once(s, platform.url, platform.state)).status == "unchanged"


async def _pinned_state(p: Platform, path: Path) -> tuple[witness.WitnessState, witness.LogState]:
    state = witness.WitnessState.open(path)
    entry = state.pin(await log_vkey(p))
    return state, entry


async def test_a_forked_shrunk_or_inconsistent_log_is_refused_and_nothing_is_posted(
    platform: Platform, session: tuple[aiohttp.ClientSession, list[str]], tmp_path: Path
) -> None:
    s, requested = session
    size = await platform.append(20)
    signed = await get_checkpoint(platform)
    real = note.Checkpoint.parse(note.parse_note(signed)[0])

    # Fork: the witness saw another root for this very size.
    state, entry = await _pinned_state(platform, tmp_path / "fork.json")
    entry.size, entry.root = size, b"\x01" * 32
    state.save()
    outcome = await witness.witness_once(s, platform.url, state)
    assert outcome.status == "refused" and "fork" in (outcome.reason or ""), outcome
    kept = witness.WitnessState.load(state.path).logs[real.origin]
    assert kept.root == b"\x01" * 32, "a refusal never advances the witness"
    assert kept.alarms and kept.alarms[-1]["checkpoint"] == signed, "the log-signed checkpoint is kept as evidence"

    # Shrink: the witness saw a larger tree.
    state, entry = await _pinned_state(platform, tmp_path / "shrink.json")
    entry.size, entry.root = size + 5, real.root_hash
    outcome = await witness.witness_once(s, platform.url, state)
    assert outcome.status == "refused" and "shrank" in (outcome.reason or ""), outcome

    # An older tree that is not a prefix of this one: the proof from the tiles fails.
    state, entry = await _pinned_state(platform, tmp_path / "history.json")
    entry.size, entry.root = 10, b"\x02" * 32
    requested.clear()
    outcome = await witness.witness_once(s, platform.url, state)
    assert outcome.status == "refused" and "not consistent" in (outcome.reason or ""), outcome
    assert any(r.startswith("GET /log/tile/") for r in requested), "the refusal came from a proof computed from tiles"

    # A checkpoint not signed by the pinned log key.
    state = witness.WitnessState.open(tmp_path / "wrongkey.json")
    state.pin(note.Signer.generate(real.origin).verifier().vkey())
    outcome = await witness.witness_once(s, platform.url, state)
    assert outcome.status == "refused" and "signature" in (outcome.reason or ""), outcome

    assert await platform.count_cosignatures() == 0
    assert not any(r.startswith("POST ") for r in requested)
    assert await get_checkpoint(platform) == signed, "the checkpoint carries no cosignature"


# -- the platform's endpoint ---------------------------------------------------------------------------


async def test_the_platform_accepts_configured_witnesses_only(platform: Platform) -> None:
    size = await platform.append(4)
    signed = await get_checkpoint(platform)
    body = note.parse_note(signed)[0]
    now = int(time.time())
    ours = platform.state.signer

    stranger = note.CosignatureSigner.generate("stranger.example/witness")
    status, answer = await post(platform, cosignature_line(body, stranger, now), size)
    assert status == 403 and answer["error"]["code"] == "unknown_witness"

    assert (await post(platform, "hello\n", size))[0] == 400
    assert (await post(platform, b"\xff\xfe", size))[0] == 400
    assert (await post(platform, "", size))[0] == 400
    good = cosignature_line(body, ours, now)
    assert (await post(platform, good, None))[0] == 400
    assert (await post(platform, good, -1))[0] == 400
    assert (await post(platform, "text\n\n" + good, size))[0] == 400
    assert (await post(platform, good, size + 1000))[0] == 404

    raw = note.parse_note(body + "\n" + good)[1][0]
    tampered = note.Signature(raw.name, raw.key_id, raw.signature[:-1] + bytes([raw.signature[-1] ^ 1])).line()
    status, answer = await post(platform, tampered, size)
    assert status == 422 and answer["error"]["code"] == "bad_signature"
    other_size = note.Checkpoint(note.Checkpoint.parse(body).origin, size + 1, b"\x00" * 32).format()
    assert (await post(platform, cosignature_line(other_size, ours, now), size))[0] == 422
    status, answer = await post(platform, cosignature_line(body, ours, now + 3600), size)
    assert status == 422 and answer["error"]["code"] == "bad_timestamp"
    # A line from the log key itself (type 0x01) is no cosignature.
    assert (await post(platform, signed[signed.rindex("\n\n") + 2 :], size))[0] == 403
    assert await platform.count_cosignatures() == 0

    status, answer = await post(platform, cosignature_line(body, ours, now + 60), size)  # small clock skew is fine
    assert status == 200 and answer["cosignatures"] == [{"witness": f"{ours.name}+{ours.key_id:08x}", "stored": True}]
    status, answer = await post(platform, good, size)  # the same witness again: kept once
    assert status == 200 and answer["cosignatures"][0]["stored"] is False
    assert await platform.count_cosignatures() == 1
    note.verify_cosignature(await get_checkpoint(platform), ours.verifier())


async def test_several_witnesses_and_the_key_list(settings: Settings, aiohttp_server: Any, tmp_path: Path) -> None:
    a = note.CosignatureSigner.generate("a.example/w")
    b = note.CosignatureSigner.generate("b.example/w")
    keys = witness_api.parse_witness_keys(f" {a.verifier().vkey()},\n{b.verifier().vkey()} , {a.verifier().vkey()}")
    assert [k.name for k in keys] == ["a.example/w", "b.example/w"]
    assert witness_api.parse_witness_keys("") == []
    with pytest.raises(note.KeyFormatError):
        witness_api.parse_witness_keys("not-a-key")
    with pytest.raises(note.KeyFormatError):  # a log (type 0x01) key is not a witness key
        witness_api.parse_witness_keys(note.Signer.generate("log").verifier().vkey())

    state = witness.WitnessState.open(tmp_path / "w.json")
    p = await start_platform(settings, aiohttp_server, [a.verifier().vkey(), b.verifier().vkey()], state)
    size = await p.append(2)
    body = note.parse_note(await get_checkpoint(p))[0]
    now = int(time.time())
    status, answer = await post(p, cosignature_line(body, a, now) + cosignature_line(body, b, now), size)
    assert status == 200 and [c["stored"] for c in answer["cosignatures"]] == [True, True]
    signed = await get_checkpoint(p)
    assert note.verify_cosignature(signed, a.verifier()) == note.verify_cosignature(signed, b.verifier()) == now


# -- the state file and the command ----------------------------------------------------------------


def test_the_state_file_is_private_atomic_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "court" / "witness.json"
    state = witness.WitnessState.open(path, "court.example/witness")
    assert state.created and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert state.vkey.startswith("court.example/witness+")
    log = note.Signer.generate("mediate.test/log")
    state.pin(log.verifier().vkey())
    state.pin(log.verifier().vkey())  # the same key again is fine
    with pytest.raises(witness.StateError):
        state.pin(note.Signer.generate("mediate.test/log").verifier().vkey())
    state.save()
    assert sorted(os.listdir(path.parent)) == ["witness.json"], "no temporary files are left behind"

    again = witness.WitnessState.open(path, "another-name")
    assert not again.created and again.vkey == state.vkey and again.signer.skey() == state.signer.skey()
    assert again.logs["mediate.test/log"].vkey == log.verifier().vkey()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    with witness.exclusive(path), pytest.raises(witness.StateError):  # one witness per state file
        with witness.exclusive(path):
            pass
    path.write_text("{}")
    with pytest.raises(witness.StateError):
        witness.WitnessState.load(path)


def test_first_run_prints_the_key_and_where_the_state_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.json"
    rc = witness.main(["--state", str(path), "--name", "notary.example/w", "--log", "http://127.0.0.1:9", "--once"])
    out = capsys.readouterr().out
    vkey = witness.WitnessState.load(path).vkey
    assert rc == 2 and vkey in out and str(path.resolve()) in out and "MEDIATE_WITNESSES" in out
    assert witness.main(["--state", str(path), "--print-key"]) == 0
    assert capsys.readouterr().out == vkey + "\n"


async def test_the_command_witnesses_a_running_platform(settings: Settings, aiohttp_server: Any, tmp_path: Path) -> None:
    state_path = tmp_path / "w" / "state.json"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "server.witness", "--state", str(state_path), *args]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)

    printed = run("--print-key", "--name", "court.example/witness")
    assert printed.returncode == 0, printed.stderr
    vkey = printed.stdout.strip()
    p = await start_platform(settings, aiohttp_server, [vkey], witness.WitnessState.load(state_path))
    await p.append(7)
    log_key = await log_vkey(p)

    async def run_async(*args: str) -> SimpleNamespace:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.witness", "--state", str(state_path), *args,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        return SimpleNamespace(returncode=proc.returncode, stdout=out.decode(), stderr=err.decode())

    first = await run_async("--log", p.url + "/log/", "--log-key", log_key, "--once")
    assert first.returncode == 0 and "cosigned size 7" in first.stdout, (first.stdout, first.stderr)
    note.verify_cosignature(await get_checkpoint(p), note.CosignatureVerifier.from_vkey(vkey))
    second = await run_async("--log", p.url + "/log/", "--once")
    assert second.returncode == 0 and "unchanged at size 7" in second.stdout, (second.stdout, second.stderr)
    conflicting = await run_async(
        "--log", p.url, "--log-key", note.Signer.generate("mediate.test/log").verifier().vkey(), "--once"
    )
    assert conflicting.returncode == 2 and "pinned" in conflicting.stderr


async def test_run_witness_loops_until_stopped(platform: Platform) -> None:
    await platform.append(5)
    stop = asyncio.Event()
    task = asyncio.create_task(witness.run_witness([platform.url], platform.state.path, 0.05, stop))
    for _ in range(200):
        if await platform.count_cosignatures():
            break
        await asyncio.sleep(0.05)
    await platform.append(5, "later")
    for _ in range(200):
        if await platform.count_cosignatures() == 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert await platform.count_cosignatures() == 2
    assert witness.WitnessState.load(platform.state.path).logs["mediate.test/log"].size == 10


def test_merkle_tiles_for_a_consistency_proof_are_few() -> None:
    """The witness reads O(log n) tiles, not the log: a sanity bound on the plan it fetches."""
    nodes = {n for ids in merkle.consistency_plan(70_000, 1_000_000) for n in ids}
    assert len(witness.tiles_for_nodes(nodes, 1_000_000)) <= 8


async def test_a_partial_tile_the_log_no_longer_serves_is_read_from_the_full_tile(aiohttp_server: Any) -> None:
    tree = merkle.MemoryTree()
    tree.extend(b"entry %d" % i for i in range(300))

    async def full_tiles_only(request: web.Request) -> web.Response:
        address = merkle.TileAddress.parse("tile/" + request.match_info["path"])
        if address.is_partial:
            raise web.HTTPNotFound()
        try:
            return web.Response(body=tree.read_tile(address))
        except LookupError:
            raise web.HTTPNotFound() from None

    app = web.Application()
    app.router.add_get("/log/tile/{path:.+}", full_tiles_only)
    server = await aiohttp_server(app)
    prefix = str(server.make_url("/log"))
    async with aiohttp.ClientSession() as s:
        old_edge = merkle.TileAddress(0, 0, 200)
        assert await witness.fetch_tiles(s, prefix, {old_edge}) == {old_edge: tree.read_tile(old_edge)}
        with pytest.raises(witness.WitnessError, match="404"):  # the right edge has no full tile yet
            await witness.fetch_tiles(s, prefix, {merkle.TileAddress(0, 1, 44)})


async def test_an_export_waits_for_a_witness_and_the_bundle_carries_its_cosignature(
    settings: Settings, aiohttp_server: Any, tmp_path: Path
) -> None:
    from server.domain.principal import SYSTEM
    from server.evidence.verify import render, verify_bundle

    state_path = tmp_path / "witness" / "state.json"
    state = witness.WitnessState.open(state_path, "court.example/witness")
    vkey = state.vkey
    configured = settings.with_overrides(witnesses=(vkey,))
    app = create_app(configured, migrate=False, run_background=False)
    server = await aiohttp_server(app)
    services = app[SERVICES]
    org = await services.accounts.create_organisation(SYSTEM, "见证测试调解委员会", "committee")
    await services.accounts.create_user(
        SYSTEM, username="wit", display_name="吴调解员", password="Long-enough-9", role="mediator", organisation_id=org.id
    )
    login = await services.accounts.login("wit", "Long-enough-9", "test")
    mediator = (await services.accounts.resolve(login.token)).principal  # type: ignore[union-attr]
    case = await services.cases.open_case(
        mediator, case_number="W-1", dispute_type="contract", summary="借款", source="party_application"
    )
    stop = asyncio.Event()
    url = str(server.make_url("")).rstrip("/")
    runner = asyncio.create_task(witness.run_witness([url], state_path, 0.2, stop))
    try:
        exported = await services.evidence.export(mediator, case.case.id, witness_wait=15)
    finally:
        stop.set()
        await runner
    path = tmp_path / "bundle.zip"
    path.write_bytes(exported.data)
    report = verify_bundle(path, trusted_witness_keys=[vkey])
    assert report.ok, render(report, "en")
    assert "court.example/witness" in render(report, "en")
    # The case's chain now says which log state a witness vouched for; later bundles carry it.
    records = await services.evidence.records(mediator, case.case.id)
    witnessed = [r for r in records if r.type == "checkpoint_witnessed"]
    assert len(witnessed) == 1
    # Without waiting, the bundle has no cosignature and a trusted witness is missing from it.
    bare = tmp_path / "bare.zip"
    bare.write_bytes((await services.evidence.export(mediator, case.case.id)).data)
    assert not verify_bundle(bare, trusted_witness_keys=[vkey]).ok
    later = verify_bundle(bare)
    assert later.ok, render(later, "en")
    assert "checkpoint witnessed" in render(later, "en")  # the record, by its name
