"""A separate process that takes court case numbers, for the several-processes test.

python -m tests.court_numbers_worker DATABASE_URL COURT_ID YEAR COUNT
"""

from __future__ import annotations

import asyncio
import sys

from server import db
from server.domain.court_numbers import next_sequence


async def main(url: str, court_id: str, year: int, count: int) -> None:
    engine = db.make_engine(url)
    maker = db.make_sessionmaker(engine)
    taken = []
    for _ in range(count):
        async with maker() as session, session.begin():
            taken.append(await next_sequence(session, court_id, year))
    await engine.dispose()
    print(" ".join(map(str, taken)), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], int(args[2]), int(args[3])))
