"""hardening: money in BIGINT, one published correction per notice, published notices frozen whole,
the audit head only moves forward

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:00:00.000000

- `proposal.budget_fen` and `per_capita_fen` become BIGINT (PostgreSQL's INTEGER stops at 2³¹ fen,
  about 21 million yuan). SQLite rebuilds the table (batch mode) with foreign keys off for the copy.
- A unique partial index on `notice.supersedes_id` where the notice is published or closed: a second
  published correction of one notice is refused by the database, whatever the races.
- Triggers: a published notice's state only moves on to closed; attachment rows of a published or
  closed notice are never added, changed or deleted; `audit_head` rows are never deleted and their
  `seq` never goes back.

Data-preserving: existing rows are copied as they are. Should an older database already hold two
published corrections of one notice (the race this index closes), the upgrade stops and names them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PUBLISHED_SQL = "state IN ('published', 'closed')"
NOTICE_STATE_MESSAGE = "published notices are immutable: their state only moves from published to closed"
ATTACHMENT_MESSAGE = "attachments of published notices are immutable"
HEAD_MESSAGE = "audit_head only moves forward"
MONEY = ("budget_fen", "per_capita_fen")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


# --- money -----------------------------------------------------------------------------------

def _money_type(new: sa.types.TypeEngine, old: sa.types.TypeEngine) -> None:
    if _postgresql():
        for column in MONEY:
            op.alter_column("proposal", column, type_=new, existing_type=old, existing_nullable=True)
        return
    # SQLite rebuilds the table: the copy drops the old `proposal`, which rows of other tables name,
    # so foreign keys are off for the rebuild (a per-connection PRAGMA, outside any transaction) and
    # checked afterwards.
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("proposal", schema=None, recreate="always") as batch_op:
            for column in MONEY:
                batch_op.alter_column(column, type_=new, existing_type=old, existing_nullable=True)
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken after rebuilding proposal: {broken[:5]}")
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


# --- one published correction per notice -------------------------------------------------------

def _refuse_forks() -> None:
    """Checked first, before anything changes (SQLite's rebuild commits on its own)."""
    forks = op.get_bind().execute(sa.text(
        f"SELECT supersedes_id FROM notice WHERE supersedes_id IS NOT NULL AND {PUBLISHED_SQL} "
        "GROUP BY supersedes_id HAVING COUNT(*) > 1")).scalars().all()
    if forks:
        raise RuntimeError(
            "这些公开已有不止一份已发布的更正，请先由村里决定以哪一份为准再升级数据库"
            f"（notice ids superseded more than once: {sorted(forks)}）")


def _one_published_correction() -> None:
    op.create_index("uq_notice_one_published_correction", "notice", ["supersedes_id"], unique=True,
                    sqlite_where=sa.text(PUBLISHED_SQL), postgresql_where=sa.text(PUBLISHED_SQL))


# --- triggers ------------------------------------------------------------------------------------

def _pg_function(name: str, body: str) -> None:
    op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\nEND $$;")


def _raise_pg(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';"


def _frozen_notice(owner: str) -> str:
    """SQL that is true when `owner` (OLD or NEW) is an attachment of a published or closed notice."""
    return (f"{owner}.owner_type = 'notice' AND EXISTS (SELECT 1 FROM notice "
            f"WHERE notice.id = {owner}.owner_id AND notice.{PUBLISHED_SQL})")


def _triggers_postgresql() -> None:
    _pg_function("notice_refuse_state_back", f"""
    IF OLD.state IN ('published', 'closed') AND NEW.state IS DISTINCT FROM OLD.state
       AND NOT (OLD.state = 'published' AND NEW.state = 'closed') THEN
        {_raise_pg(NOTICE_STATE_MESSAGE)}
    END IF;
    RETURN NEW;""")
    op.execute("CREATE TRIGGER notice_state_forward BEFORE UPDATE ON notice "
               "FOR EACH ROW EXECUTE FUNCTION notice_refuse_state_back()")

    # The notice row is locked (FOR SHARE) before its state is read: a publish in flight (which locks
    # the row before reading the files it hashes) waits for this change, or this change sees it.
    checks = {}
    for owner in ("OLD", "NEW"):
        checks[owner] = f"""
        IF {owner}.owner_type = 'notice' THEN
            PERFORM 1 FROM notice WHERE id = {owner}.owner_id FOR SHARE;
            IF {_frozen_notice(owner)} THEN {_raise_pg(ATTACHMENT_MESSAGE)} END IF;
        END IF;"""
    _pg_function("attachment_refuse_frozen", f"""
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {checks['OLD']}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN {checks['NEW']}
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;""")
    op.execute("CREATE TRIGGER attachment_frozen BEFORE INSERT OR UPDATE OR DELETE ON attachment "
               "FOR EACH ROW EXECUTE FUNCTION attachment_refuse_frozen()")

    _pg_function("audit_head_refuse", f"""
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN {_raise_pg(HEAD_MESSAGE)} END IF;
    IF NEW.village_id IS DISTINCT FROM OLD.village_id OR NEW.seq < OLD.seq THEN {_raise_pg(HEAD_MESSAGE)} END IF;
    RETURN NEW;""")
    op.execute("CREATE TRIGGER audit_head_no_change BEFORE UPDATE OR DELETE ON audit_head "
               "FOR EACH ROW EXECUTE FUNCTION audit_head_refuse()")
    op.execute("CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_refuse()")


def _trigger_sqlite(name: str, event: str, when: str, message: str) -> None:
    op.execute(f"CREATE TRIGGER {name} BEFORE {event} WHEN {when} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _triggers_sqlite() -> None:
    _trigger_sqlite("notice_state_forward", "UPDATE OF state ON notice",
                    "OLD.state IN ('published', 'closed') AND NEW.state IS NOT OLD.state "
                    "AND NOT (OLD.state = 'published' AND NEW.state = 'closed')", NOTICE_STATE_MESSAGE)
    _trigger_sqlite("attachment_frozen_insert", "INSERT ON attachment", _frozen_notice("NEW"), ATTACHMENT_MESSAGE)
    _trigger_sqlite("attachment_frozen_update", "UPDATE ON attachment",
                    f"({_frozen_notice('OLD')}) OR ({_frozen_notice('NEW')})", ATTACHMENT_MESSAGE)
    _trigger_sqlite("attachment_frozen_delete", "DELETE ON attachment", _frozen_notice("OLD"), ATTACHMENT_MESSAGE)
    _trigger_sqlite("audit_head_no_delete", "DELETE ON audit_head", "1", HEAD_MESSAGE)
    _trigger_sqlite("audit_head_no_rewind", "UPDATE ON audit_head",
                    "NEW.seq < OLD.seq OR NEW.village_id IS NOT OLD.village_id", HEAD_MESSAGE)
    # INSERT OR REPLACE would delete the head without firing the DELETE trigger (SQLite fires delete
    # triggers on REPLACE only with recursive_triggers on): a second head for a village is ignored, as
    # the audit service's `INSERT … ON CONFLICT DO NOTHING` expects anyway.
    op.execute("CREATE TRIGGER audit_head_one_per_village BEFORE INSERT ON audit_head "
               "WHEN EXISTS (SELECT 1 FROM audit_head WHERE village_id = NEW.village_id) "
               "BEGIN SELECT RAISE(IGNORE); END")


SQLITE_TRIGGERS = ("notice_state_forward", "attachment_frozen_insert", "attachment_frozen_update",
                   "attachment_frozen_delete", "audit_head_no_delete", "audit_head_no_rewind",
                   "audit_head_one_per_village")


def _drop_triggers() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_change ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS audit_head_refuse()")
        op.execute("DROP TRIGGER IF EXISTS attachment_frozen ON attachment")
        op.execute("DROP FUNCTION IF EXISTS attachment_refuse_frozen()")
        op.execute("DROP TRIGGER IF EXISTS notice_state_forward ON notice")
        op.execute("DROP FUNCTION IF EXISTS notice_refuse_state_back()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    _refuse_forks()
    _money_type(sa.BigInteger(), sa.Integer())
    _one_published_correction()
    if _postgresql():
        _triggers_postgresql()
    else:
        _triggers_sqlite()


def downgrade() -> None:
    _drop_triggers()
    op.drop_index("uq_notice_one_published_correction", table_name="notice",
                  sqlite_where=sa.text(PUBLISHED_SQL), postgresql_where=sa.text(PUBLISHED_SQL))
    _money_type(sa.Integer(), sa.BigInteger())
