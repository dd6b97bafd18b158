"""SQLite: a deleted draft's id, its files' ids and a deleted draft voucher's id are never given to
another row (AUTOINCREMENT on `proposal`, `attachment` and `voucher`)

Without it SQLite gives a new row the largest id in its table plus one, so deleting the newest draft
(删除草稿, 删除凭证) handed its ids to the next matter, file or voucher, and the record's events about
them (the draft's creation and deletion, "attachment.add" with the draft's file name, "voucher.delete")
read as the newcomer's, in a matter's 一事一档 too. Each table is rebuilt with AUTOINCREMENT (batch
mode, foreign keys off for the copy, as in 0006); its triggers (published notices' files, posted
vouchers and their receipts) go with the old table and are made again word for word; its counter
starts past every id the audit record names. PostgreSQL's sequences never hand an id out twice.

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

TABLES = ("proposal", "attachment", "voucher")


def _rebuild(table: str, autoincrement: bool) -> None:
    bind = op.get_bind()
    triggers = [sql for (sql,) in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", (table,))]
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
        # other tables' triggers name this one: the rename that ends the rebuild must not re-check them
        op.execute("PRAGMA legacy_alter_table=ON")
    try:
        with op.batch_alter_table(table, schema=None, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
        for sql in triggers:
            bind.exec_driver_sql(sql)
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken after rebuilding {table}: {broken[:5]}")
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA legacy_alter_table=OFF")
            op.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        _rebuild(table, autoincrement=True)
        # the counter starts past the largest id any audit event names (a draft deleted before this)
        op.execute(f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', 0 "
                   f"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')")
        op.execute(f"UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(CAST(entity_id AS INTEGER)) "
                   f"FROM audit_event WHERE entity = '{table}'), 0)) WHERE name = '{table}'")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        _rebuild(table, autoincrement=False)
