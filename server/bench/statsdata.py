"""The database `mediate bench stats` measures: many cases over years, in a tree of organisations.

It is written with bulk inserts (SQLAlchemy Core executemany; PostgreSQL's COPY), not through the
domain's services, which would sign a record per step and take hours for 100,000 cases: only the
rows the ledger and the statistics read (server/domain/statistics/facts.py) are made, in the
proportions a county's committees report (most cases settled, most agreements paying money and
performed, a few going to a court for confirmation, a few people's deputies invited), with a fixed
seed so two runs measure the same data.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.domain.vocabulary import CASE_SOURCES, DISPUTE_TYPES
from server.models import (
    Agreement,
    Case,
    CaseMediator,
    ConfirmationApplication,
    Obligation,
    Organisation,
    Party,
    SatisfactionRating,
    User,
)

#: Rows per executemany (or COPY) call.
BATCH = 5000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力鹏飞宇浩然思远嘉怡欣怡子涵梓萱一诺"
#: Dispute types weighted as committees' reports have them: family and neighbours first.
TYPE_WEIGHTS = {"family": 20, "neighbours": 18, "homestead": 6, "damages": 8, "contract": 12, "wages": 8, "labour": 5}
DEPUTY_SHARE = 0.04


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id(rng: random.Random) -> str:
    """A random (version 4) id from the seeded generator: two runs make the same database, ids included."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Tree:
    """The organisations made: the top, its cities, counties and committees, and the court."""

    top: str
    cities: list[str] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)
    committees: list[str] = field(default_factory=list)
    #: committee id -> its county id
    county_of: dict[str, str] = field(default_factory=dict)
    court: str = ""
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class Generated:
    tree: Tree
    rows: dict[str, int]
    seconds: float
    #: The first and last registration days.
    first_day: date
    last_day: date


def shape(organisations: int) -> tuple[int, int, int]:
    """Cities, counties and committees for ``organisations`` in all (the top and one court besides):
    a county's centre over about two dozen villages' committees, and a city over a few counties."""
    cities = max(1, round(organisations / 70))
    counties = max(cities, round(organisations / 25))
    committees = max(counties, organisations - 2 - cities - counties)
    return cities, counties, committees


def make_tree(organisations: int, rng: random.Random) -> tuple[Tree, list[dict[str, Any]]]:
    cities, counties, committees = shape(organisations)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []

    def org(name: str, kind: str, parent: str | None) -> str:
        oid = _id(rng)
        rows.append({"id": oid, "name": name, "kind": kind, "timezone": "Asia/Shanghai", "created_at": now, "parent_id": parent})
        return oid

    tree = Tree(top=org("测试省司法厅", "bureau", None))
    tree.names[tree.top] = "测试省司法厅"
    for c in range(cities):
        tree.cities.append(org(f"第{c + 1}市司法局", "bureau", tree.top))
    for k in range(counties):
        name = f"第{k + 1}县人民调解中心"
        tree.counties.append(org(name, "centre", tree.cities[k % cities]))
        tree.names[tree.counties[-1]] = name
    for m in range(committees):
        county = tree.counties[m % counties]
        oid = org(f"第{m + 1}村人民调解委员会", "committee", county)
        tree.committees.append(oid)
        tree.county_of[oid] = county
    tree.court = org("测试市中级人民法院", "court", None)
    return tree, rows


async def _insert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert ``rows``: COPY on PostgreSQL (asyncpg), executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        columns = list(rows[0])
        for start in range(0, len(rows), BATCH * 4):
            records = [tuple(r[c] for c in columns) for r in rows[start : start + BATCH * 4]]
            await driver.copy_records_to_table(table.name, records=records, columns=columns)
        return
    for start in range(0, len(rows), BATCH):
        await conn.execute(insert(table), list(rows[start : start + BATCH]))


def _at(day: date, rng: random.Random) -> datetime:
    """A moment of ``day``'s office hours, Beijing time, in UTC."""
    return datetime.combine(day, clock(1 + rng.randrange(8), rng.randrange(60)), tzinfo=UTC)


async def generate(engine: AsyncEngine, cases: int, organisations: int, years: int, seed: int = 23) -> Generated:
    """Write the tree, its staff and ``cases`` cases registered over the last ``years`` years."""
    rng = random.Random(seed)
    started = time.perf_counter()
    tree, org_rows = make_tree(organisations, rng)
    now = datetime.now(UTC)
    last_day = now.date()
    first_day = last_day - timedelta(days=365 * years - 1)
    span = (last_day - first_day).days + 1
    users: list[dict[str, Any]] = []
    staff: dict[str, list[str]] = {}
    for committee in tree.committees:
        for _ in range(3):
            uid = _id(rng)
            users.append(
                {
                    "id": uid, "organisation_id": committee, "username": f"m{len(users)}", "display_name": _name(rng) + "调解员",
                    "role": "mediator", "password_hash": "!", "timezone": "Asia/Shanghai", "is_active": True,
                    "availability_timezone": "Asia/Shanghai", "created_at": now,
                }
            )  # fmt: skip
            staff.setdefault(committee, []).append(uid)
    types = list(DISPUTE_TYPES)
    weights = [TYPE_WEIGHTS.get(t, 2) for t in types]
    sources = list(CASE_SOURCES)
    source_weights = [60 if s == "party_application" else 30 if s == "own_initiative" else 5 for s in sources]
    out: dict[str, list[dict[str, Any]]] = {
        "cases": [], "parties": [], "case_mediators": [], "agreements": [], "obligations": [],
        "confirmation_applications": [], "satisfaction_ratings": [],
    }  # fmt: skip
    numbers: dict[str, int] = {}
    for n in range(cases):
        committee = rng.choice(tree.committees)
        registered = first_day + timedelta(days=rng.randrange(span))
        created = _at(registered, rng)
        age = (last_day - registered).days
        mediator = rng.choice(staff[committee])
        numbers[committee] = numbers.get(committee, 0) + 1
        case_id = _id(rng)
        # Older cases have ended: most settled, some failed; of the last month's, many are still open.
        roll = rng.random()
        status = "open" if (age < 30 and roll < 0.5) or roll < 0.02 else "failed" if roll < 0.14 else "settled"
        amount = rng.choice((None, None, rng.randrange(1, 500) * 100_00, rng.randrange(1, 20_000) * 100))
        ended_at = created + timedelta(days=min(age, rng.randrange(1, 40))) if status != "open" else None
        closed = ended_at is not None and age > 45 and rng.random() < 0.9
        case_closed_at = min(ended_at + timedelta(days=30), now) if closed and ended_at else None
        out["cases"].append(
            {
                "id": case_id, "organisation_id": committee, "case_number": f"（{registered.year}）调字第{numbers[committee]}号",
                "dispute_type": rng.choices(types, weights)[0], "summary": "纠纷", "amount_fen": amount, "status": status,
                "mediator_id": mediator, "created_by": mediator, "created_at": created, "source": rng.choices(sources, source_weights)[0],
                "registered_on": registered, "collective": False, "closed_at": ended_at,
                "outcome_reason": "refused" if status == "failed" else None,
                "case_closed_at": case_closed_at, "closing_reason": ("performed" if status == "settled" else "other") if closed else None,
            }
        )  # fmt: skip
        people: list[str] = []
        for role in ("applicant", "respondent") + (("respondent",) if rng.random() < 0.1 else ()):
            pid = _id(rng)
            people.append(pid)
            out["parties"].append(
                {"id": pid, "case_id": case_id, "role": role, "name": _name(rng), "phone": f"139{n:08d}",
                 "language": "zh", "created_at": created}
            )  # fmt: skip
        if rng.random() < DEPUTY_SHARE:
            out["parties"].append(
                {"id": _id(rng), "case_id": case_id, "role": "invited", "invited_as": "deputy", "name": _name(rng) + "代表",
                 "phone": f"137{n:08d}", "language": "zh", "occupation": "县人大代表",
                 "created_at": created + timedelta(days=rng.randrange(5))}
            )  # fmt: skip
        if rng.random() < 0.1 and len(staff[committee]) > 1:
            co = next(u for u in staff[committee] if u != mediator)
            out["case_mediators"].append(
                {"id": _id(rng), "case_id": case_id, "user_id": co, "role": "co", "assigned_at": created, "assigned_seq": 2}
            )
        if status == "failed" or (status == "open" and rng.random() > 0.3):
            continue
        agreement_id = _id(rng)
        sealed = status == "settled"
        sealed_at = (ended_at or created) if sealed else None
        out["agreements"].append(
            {"id": agreement_id, "case_id": case_id, "status": "effective" if sealed else "drafting",
             "latest_version": 1, "final_version": 1 if sealed else None, "sealed_at": sealed_at,
             "created_by": mediator, "created_at": created}
        )  # fmt: skip
        if not sealed or sealed_at is None:
            continue
        if rng.random() < 0.7:  # most agreements pay money, some in instalments
            instalments = rng.choice((1, 1, 1, 2, 3))
            for i in range(instalments):
                due = (sealed_at + timedelta(days=30 * (i + 1))).date()
                done = due < last_day and rng.random() < 0.93
                out["obligations"].append(
                    {"id": _id(rng), "case_id": case_id, "agreement_id": agreement_id, "version": 1, "term": 1,
                     "instalment": i + 1, "instalments": instalments, "debtor_party_id": people[1],
                     "creditor_party_id": people[0], "kind": "money", "what": "",
                     "amount_fen": rng.randrange(1, 300) * 100_00, "due_date": due, "wording": "支付款项",
                     "status": "performed" if done else "pending", "created_at": sealed_at}
                )  # fmt: skip
        if rng.random() < 0.08:
            out["confirmation_applications"].append(
                {"id": _id(rng), "case_id": case_id, "agreement_id": agreement_id, "court_id": tree.court,
                 "ground": "org_location", "status": rng.choice(("received", "accepted", "confirmed", "confirmed")),
                 "started_by": people[0], "created_at": sealed_at, "submitted_at": sealed_at}
            )  # fmt: skip
        if case_closed_at is not None and rng.random() < 0.5:
            for seq, pid in enumerate(people[:2]):
                out["satisfaction_ratings"].append(
                    {"id": _id(rng), "case_id": case_id, "party_id": pid, "mediator_id": mediator, "occasion": "closing",
                     "occasion_ref": case_id, "stars": rng.choices((5, 4, 3, 2, 1), (60, 25, 10, 3, 2))[0], "comment": "",
                     "rated_at": case_closed_at, "seq": 100 + seq}
                )  # fmt: skip
    tables: list[tuple[Table, list[dict[str, Any]]]] = [
        (Organisation.__table__, org_rows),  # type: ignore[list-item]
        (User.__table__, users),  # type: ignore[list-item]
        *((_table(name), rows) for name, rows in out.items()),
    ]
    async with engine.begin() as conn:
        for table, rows in tables:
            await _insert(conn, table, _complete(table, rows))
    async with engine.begin() as conn:  # the planner's statistics, as a database in use has them
        await conn.exec_driver_sql("ANALYZE")
    counts = {"organisations": len(org_rows), "users": len(users), **{name: len(rows) for name, rows in out.items()}}
    return Generated(tree, counts, time.perf_counter() - started, first_day, last_day)


def _table(name: str) -> Table:
    models: dict[str, Any] = {
        "cases": Case, "parties": Party, "case_mediators": CaseMediator, "agreements": Agreement, "obligations": Obligation,
        "confirmation_applications": ConfirmationApplication, "satisfaction_ratings": SatisfactionRating,
    }  # fmt: skip
    table: Table = models[name].__table__
    return table


def _complete(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with every column (None where not given): one statement per table, and COPY's column list."""
    if not rows:
        return rows
    given = set().union(*(r.keys() for r in rows))
    named = [c.name for c in table.columns if c.name in given]
    return [{c: r.get(c) for c in named} for r in rows]
