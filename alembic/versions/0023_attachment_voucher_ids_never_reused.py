"""SQLite: a deleted file's or draft voucher's id is never given to another (AUTOINCREMENT on
`attachment` and `voucher`)

As for matters in 0022: a draft deleted with its files (删除草稿, 删除凭证) handed the newest ids back,
and the record's events about them ("attachment.add" with the draft's file name, "voucher.delete")
then read as the next file's or voucher's, in a matter's 一事一档 too. Both tables are rebuilt with
AUTOINCREMENT (foreign keys off for the copy); their triggers (frozen published notices' files, posted
vouchers and their receipts) go with the old table and are made again word for word; each counter
starts past every id the audit record names. PostgreSQL: unchanged.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("attachment", "voucher")


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
        op.execute(f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', 0 "
                   f"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')")
        op.execute(f"UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(CAST(entity_id AS INTEGER)) "
                   f"FROM audit_event WHERE entity = '{table}'), 0)) WHERE name = '{table}'")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        _rebuild(table, autoincrement=False)
