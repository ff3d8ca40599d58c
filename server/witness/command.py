"""``mediate witness``: the witness's loop over its logs, and its command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from server.evidence import note
from server.witness.rounds import Outcome, WitnessError, witness_once
from server.witness.state import StateError, WitnessState, exclusive

log = logging.getLogger("mediate.witness")


async def _round(session: aiohttp.ClientSession, base_urls: Sequence[str], state: WitnessState) -> list[Outcome | Exception]:
    results: list[Outcome | Exception] = []
    for url in base_urls:
        try:
            results.append(await witness_once(session, url, state))
        except WitnessError as exc:
            log.warning("%s: round failed, will retry: %s", url, exc)
            results.append(exc)
        except Exception as exc:
            log.exception("%s: round failed unexpectedly, will retry", url)
            results.append(exc)
    return results


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60, connect=15))


async def run_witness(base_urls: Sequence[str], state_path: str | os.PathLike[str], interval: float, stop: asyncio.Event) -> None:
    """Witness every log every ``interval`` seconds until ``stop`` is set."""
    with exclusive(state_path):
        state = WitnessState.open(state_path)
        log.info("witness %s following %s every %ss", state.vkey, ", ".join(base_urls), interval)
        async with _session() as session:
            while not stop.is_set():
                await _round(session, base_urls, state)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mediate witness",
        description="Cosign the evidence log's checkpoints after checking that it only grew (C2SP tlog-cosignature).",
    )
    p.add_argument("--state", required=True, help="state file: the witness key and what it has seen (created, mode 0600)")
    p.add_argument("--log", action="append", default=[], metavar="URL", help="platform URL (or its /log prefix); repeatable")
    p.add_argument(
        "--log-key",
        action="append",
        default=[],
        metavar="VKEY",
        help="pin a log's verifier key (as served at /log/key) instead of trusting it on first contact; repeatable",
    )
    p.add_argument("--name", help="key name for a new witness key (default <hostname>/witness); ignored once the key exists")
    p.add_argument("--interval", type=float, default=60.0, metavar="SECONDS", help="time between rounds (default 60)")
    p.add_argument("--once", action="store_true", help="do one round and exit (status 1 if a log was refused, 2 on errors)")
    p.add_argument("--print-key", action="store_true", help="print the witness's verifier key and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``mediate witness``: see ``parser()``."""
    args = parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with exclusive(args.state):
            state = WitnessState.open(args.state, args.name)
            for vkey in args.log_key:
                state.pin(vkey)
            if args.log_key:
                state.save()
        if args.print_key:
            print(state.vkey)
            return 0
        if state.created:
            print(f"New witness key; its state is in {Path(args.state).resolve()} (keep it safe and backed up).")
            print("Give the platform operator this key for MEDIATE_WITNESSES:")
            print(f"  {state.vkey}", flush=True)
        if not args.log:
            print("mediate witness: give at least one --log URL", file=sys.stderr)
            return 2
        if args.once:
            return asyncio.run(_once(args.log, args.state))
        asyncio.run(_forever(args.log, args.state, args.interval))
        return 0
    except (StateError, note.NoteError) as exc:
        print(f"mediate witness: {exc}", file=sys.stderr)
        return 2


async def _once(base_urls: Sequence[str], state_path: str) -> int:
    with exclusive(state_path):
        state = WitnessState.load(state_path)
        async with _session() as session:
            results = await _round(session, base_urls, state)
    for result in results:
        print(result if isinstance(result, Outcome) else f"error: {result}", flush=True)
    if any(isinstance(r, Outcome) and r.status == "refused" for r in results):
        return 1
    if any(isinstance(r, Exception) or (r.status == "cosigned" and not r.posted) for r in results):
        return 2
    return 0


async def _forever(base_urls: Sequence[str], state_path: str, interval: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await run_witness(base_urls, state_path, interval, stop)
