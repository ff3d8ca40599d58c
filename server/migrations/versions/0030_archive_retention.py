"""archiving a closed case (归档) and destroying its file after the organisation's retention (issue #22)

A closed case is archived by its mediator (``case_archived``) and is read-only from then on; the
organisation's rule says how many years its file is kept (``organisations.case_file_retention_years``,
0 for good, 永久). ``cases`` gains when and by whom it was archived, its record, the years that
applied and the last day they run to, and when its file was destroyed (``case_file_destroyed``).

``case_documents`` stays append-only (0008) with one exception the database checks itself: at the
end of the retention a document's bytes may be emptied once, with ``destroyed_at`` and the record's
``destroyed_seq`` set and every other column as it was. Deleting a row is still refused.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
#: The columns a destruction leaves as they were (every one but ``data`` and the two it sets).
KEPT_COLUMNS = (
    "id", "case_id", "kind", "name", "content_type", "sha256", "size", "uploaded_by_kind", "uploaded_by_id",
    "uploaded_by_name", "seq", "created_at",
)  # fmt: skip
SQLITE_MESSAGE = "mediate: signed and filed documents are never changed"


def _unchanged(same: str, json_cast: str = "") -> str:
    """Every kept column as it was, NULLs equal (``same``: PostgreSQL's IS NOT DISTINCT FROM, SQLite's IS)."""
    kept = [f"NEW.{c} {same} OLD.{c}" for c in KEPT_COLUMNS]
    kept.append(f"NEW.visible_to{json_cast} {same} OLD.visible_to{json_cast}")
    return " AND ".join(kept)


def _destroying() -> str:
    """A destruction, and nothing else: a document not destroyed before, its bytes emptied, the record named."""
    return "OLD.destroyed_at IS NULL AND NEW.destroyed_at IS NOT NULL AND NEW.destroyed_seq IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("case_file_retention_years", sa.Integer(), nullable=False, server_default="30"))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("archived_at", WHEN, nullable=True))
        batch.add_column(sa.Column("archived_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("archived_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retention_years", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retained_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("case_file_destroyed_at", WHEN, nullable=True))
        batch.add_column(sa.Column("case_file_destroyed_seq", sa.Integer(), nullable=True))
    dialect = op.get_bind().dialect.name
    # SQLite adds a nullable column in place (ALTER TABLE ... ADD COLUMN), leaving 0008's triggers be.
    op.add_column("case_documents", sa.Column("destroyed_at", WHEN, nullable=True))
    op.add_column("case_documents", sa.Column("destroyed_seq", sa.Integer(), nullable=True))
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_documents_append_only ON case_documents")
        op.execute(
            "CREATE TRIGGER case_documents_append_only BEFORE DELETE OR TRUNCATE ON case_documents "
            "FOR EACH STATEMENT EXECUTE FUNCTION mediate_refuse_change()"
        )
        op.execute(
            f"""
            CREATE FUNCTION mediate_destroy_document_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {_destroying()} AND octet_length(NEW.data) = 0 AND {_unchanged("IS NOT DISTINCT FROM", "::text")} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'mediate: % on % is refused: a filed document is only ever destroyed after its retention',
                    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER case_documents_destroy_only BEFORE UPDATE ON case_documents "
            "FOR EACH ROW EXECUTE FUNCTION mediate_destroy_document_only()"
        )
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS case_documents_no_update")
        op.execute(
            f"CREATE TRIGGER case_documents_no_update BEFORE UPDATE ON case_documents "
            f"WHEN NOT ({_destroying()} AND length(NEW.data) = 0 AND {_unchanged('IS')}) "
            f"BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_documents_destroy_only ON case_documents")
        op.execute("DROP FUNCTION IF EXISTS mediate_destroy_document_only()")
        op.execute("DROP TRIGGER IF EXISTS case_documents_append_only ON case_documents")
        op.execute(
            "CREATE TRIGGER case_documents_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON case_documents "
            "FOR EACH STATEMENT EXECUTE FUNCTION mediate_refuse_change()"
        )
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS case_documents_no_update")
        op.execute(
            f"CREATE TRIGGER case_documents_no_update BEFORE UPDATE ON case_documents "
            f"BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END"
        )
    # In place (SQLite 3.35+ drops a column itself): a batch would copy ``cases``, which the documents'
    # foreign keys forbid dropping while they point at it.
    op.drop_column("case_documents", "destroyed_seq")
    op.drop_column("case_documents", "destroyed_at")
    for column in ("case_file_destroyed_seq", "case_file_destroyed_at", "retained_until", "retention_years",
                   "archived_seq", "archived_by", "archived_at"):  # fmt: skip
        op.drop_column("cases", column)
    op.drop_column("organisations", "case_file_retention_years")
