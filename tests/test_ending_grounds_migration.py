"""The ending-grounds migration (#21) on SQLite and PostgreSQL: a case that ended on an older reason is
moved onto the ground of 在线调解规则 art. 25 it is (server/domain/outcomes.py LEGACY); an open case
keeps none, and a referral gains room for the court's result report."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server import db
from server.domain.outcomes import GROUNDS, LEGACY
from tests.test_case_registration_migration import empty_database, insert, migrate

__all__ = ["empty_database"]  # the fixture, shared


def before_grounds(url: str) -> str:
    scripts = ScriptDirectory.from_config(db.alembic_config(url))
    [ours] = [rev for rev in scripts.walk_revisions() if rev.path.endswith("_ending_grounds.py")]
    assert isinstance(ours.down_revision, str)
    return ours.down_revision


def ended_cases(connection: Connection) -> None:
    insert(connection, "organisations", id="o-bj", name="朝阳区人民调解委员会", kind="committee", timezone="Asia/Shanghai")
    insert(connection, "users", id="u-1", username="liu", organisation_id="o-bj", role="mediator")
    for reason in [*LEGACY, None]:
        case_id = f"c-{reason or 'open'}"
        insert(
            connection, "cases", id=case_id, organisation_id="o-bj", case_number=case_id, dispute_type="wages",
            summary="s", status="failed" if reason else "open", mediator_id="u-1", created_by="u-1", outcome_reason=reason,
        )  # fmt: skip


def read(connection: Connection) -> tuple[dict[str, Any], set[str]]:
    reasons = {row[0]: row[1] for row in connection.execute(sa.text("SELECT id, outcome_reason FROM cases"))}
    columns = {c["name"] for c in sa.inspect(connection).get_columns("referrals")}
    return reasons, columns


def test_cases_ended_on_an_older_reason_are_moved_onto_its_ground(empty_database: str) -> None:
    migrate(empty_database, before_grounds(empty_database), ended_cases)
    reasons, columns = migrate(empty_database, "head", read)
    assert reasons == {f"c-{old}": new for old, new in LEGACY.items()} | {"c-open": None}
    assert set(reasons.values()) - {None} <= set(GROUNDS)
    assert {"report_pdf", "report_sha256", "report_by", "report_at"} <= columns
