"""Dispute types: the Ministry of Justice's people's-mediation categories, and the retired "loans"."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, select, update

from server.domain.vocabulary import DISPUTE_TYPES, RETIRED_DISPUTE_TYPES
from server.models import Case, CaseEvent
from tests.api.helpers import open_case
from tests.conftest import World

MIGRATION = Path(__file__).resolve().parents[2] / "server" / "migrations" / "versions" / "0016_dispute_categories.py"


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dispute_categories", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(step: Callable[[], None]) -> Callable[[Connection], None]:
    def on(connection: Connection) -> None:
        with Operations.context(MigrationContext.configure(connection)):
            step()

    return on


async def test_a_mediator_chooses_from_the_ministrys_sixteen_categories(world: World) -> None:
    liu = await world.staff("liu")
    meta = await liu.call("GET", "/api/v1/meta")
    assert meta["dispute_types"] == list(DISPUTE_TYPES) and len(DISPUTE_TYPES) == 16
    assert DISPUTE_TYPES[0] == "family" and DISPUTE_TYPES[-1] == "other"
    for n, kind in enumerate(("land_contracting", "homestead", "wages", "labour")):
        body = {
            "case_number": f"（2026）朝调字第{30 + n}号",
            "dispute_type": kind,
            "source": "party_application",
            "summary": "草场边界纠纷",
        }
        assert (await liu.call("POST", "/api/v1/cases", body, expect=201))["dispute_type"] == kind
    refused = await liu.call(
        "POST",
        "/api/v1/cases",
        {"case_number": "（2026）朝调字第40号", "dispute_type": "loans", "source": "party_application", "summary": "借款"},
        expect=422,
    )
    assert [e["field"] for e in refused["error"]["fields"]] == ["dispute_type"]


async def test_migration_0016_moves_loans_to_contract_and_leaves_the_history_as_it_was(world: World) -> None:
    liu = await world.staff("liu")
    old = await open_case(liu, "（2025）朝调字第9号")
    kept = await open_case(liu, "（2025）朝调字第10号")
    maker = world.services.links._maker
    async with maker() as db, db.begin():  # as a case opened before 0016 was stored
        await db.execute(update(Case).where(Case.id == old["id"]).values(dispute_type="loans"))
        event = await db.scalar(select(CaseEvent).where(CaseEvent.case_id == old["id"], CaseEvent.kind == "case_registered"))
        assert event is not None
        event.data = {**event.data, "dispute_type": "loans"}
    step = migration()
    async with maker() as db, db.begin():
        await (await db.connection()).run_sync(run(step.upgrade))
    async with maker() as db:
        assert await db.scalar(select(Case.dispute_type).where(Case.id == old["id"])) == RETIRED_DISPUTE_TYPES["loans"]
        assert await db.scalar(select(Case.dispute_type).where(Case.id == kept["id"])) == "wages"
    history = await liu.call("GET", f"/api/v1/cases/{old['id']}/history")
    assert next(e for e in history["items"] if e["kind"] == "case_registered")["data"]["dispute_type"] == "loans"
    # Downgrade: the old list has no "contract" (nor any new category): such cases become "other".
    async with maker() as db, db.begin():
        await (await db.connection()).run_sync(run(step.downgrade))
    async with maker() as db:
        assert await db.scalar(select(Case.dispute_type).where(Case.id == old["id"])) == "other"
        assert await db.scalar(select(Case.dispute_type).where(Case.id == kept["id"])) == "wages"
