"""SQLite: a deleted draft's id is never given to another matter (AUTOINCREMENT on `proposal`)

Without it SQLite gives a new row the largest id in the table plus one, so deleting the newest draft
(删除草稿) handed its id to the next matter, and the record's events about that id (the draft's
creation and deletion) read as the new matter's, in its 一事一档 too. The table is rebuilt with
AUTOINCREMENT (batch mode, foreign keys off for the copy, as in 0006) and its counter starts past every
matter id the audit record names. PostgreSQL's sequences never hand an id out twice: unchanged.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 10:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the counter starts past the largest matter id any audit event names (a draft deleted before this)
SEED = ("INSERT INTO sqlite_sequence (name, seq) SELECT 'proposal', 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'proposal')",
        "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(CAST(entity_id AS INTEGER)) "
        "FROM audit_event WHERE entity = 'proposal'), 0)) WHERE name = 'proposal'")


def _rebuild(autoincrement: bool) -> None:
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("proposal", schema=None, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken after rebuilding proposal: {broken[:5]}")
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    _rebuild(autoincrement=True)
    for statement in SEED:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    _rebuild(autoincrement=False)
