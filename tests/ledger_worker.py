"""A separate process that appends records to a ledger, for the crash and multi-process tests.

python -m tests.ledger_worker DATA_DIR DATABASE_URL CASES RECORDS [--crash] [--sequence]
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from server import db
from server.composition import make_services
from server.settings import Settings


async def main(data_dir: str, url: str, cases: int, records: int, crash: bool, sequence: bool) -> None:
    settings = Settings(data_dir=Path(data_dir), database_url=url, public_url="http://mediate.test")
    engine = db.make_engine(url)
    services = make_services(settings, engine)
    ledger = services.ledger
    stop = asyncio.Event()
    runner = asyncio.create_task(ledger.run(stop)) if sequence else None

    async def one(case: int, n: int) -> None:
        async with ledger._maker() as session, session.begin():
            await ledger.append_platform(
                session,
                type="identity_checked",
                case=f"case-{case}",
                actor={"kind": "platform", "id": "platform"},
                data={"worker": os.getpid(), "n": n},
                public={"method": "test"},
            )

    await asyncio.gather(*(one(c, n) for n in range(records) for c in range(cases)))
    print("appended", flush=True)
    if crash:
        os.kill(os.getpid(), signal.SIGKILL)  # no settle, no clean shutdown
    stop.set()
    if runner is not None:
        await runner
    await engine.dispose()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], int(args[2]), int(args[3]), "--crash" in args, "--sequence" in args))
