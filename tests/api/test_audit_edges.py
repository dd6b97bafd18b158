"""The audit record's edges, on both engines: the head row that vouches for the chain's tail.

`audit_head` is never deleted and its `seq` never goes back (database triggers), and verification
treats a chain whose head is missing, ahead of the chain or behind it as broken, naming why.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.domain.audit_chain import GENESIS
from app.services import audit

TABLES = ("audit_event", "audit_head")


def chain_of(world, db, events: int = 4):
    """A village whose chain has `events` events (the village's creation and its members)."""
    village = world.village()
    for i in range(events - 1):
        world.member(village, name=f"村民{i}", password=None)
    db.commit()
    assert audit.verify_chain(db, village.id).checked == events
    db.commit()  # end the read: TRUNCATE and the trigger changes below wait for every open transaction
    return village


def verify(database, village_id: int):
    with Session(database.engine) as s:
        return audit.verify_chain(s, village_id)


def head_row(database, village_id: int):
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT seq, hash FROM audit_head WHERE village_id = :v"),
                            {"v": village_id}).one_or_none()


@contextmanager
def guards_off(database):
    """What someone with the database's admin rights can do: lift the guards on the chain and its
    head, then put them back exactly as the migrations made them."""
    with database.engine.begin() as conn:
        if database.name == "postgresql":
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            yield conn
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        else:
            saved = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                      "AND tbl_name IN ('audit_event', 'audit_head')")).all()
            assert {"audit_head_no_delete", "audit_head_no_rewind"} <= {name for name, _ in saved}
            for name, _ in saved:
                conn.execute(text(f"DROP TRIGGER {name}"))
            yield conn
            for _, sql in saved:
                conn.execute(text(sql))
    with pytest.raises(DBAPIError), database.engine.begin() as conn:  # the guards are back
        conn.execute(text("DELETE FROM audit_head WHERE village_id = -1 OR 1 = 1"))


# --- the database guards the head ------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "DELETE FROM audit_head WHERE village_id = :v",
    "DELETE FROM audit_head",
    "UPDATE audit_head SET seq = seq - 1 WHERE village_id = :v",
    "UPDATE audit_head SET seq = 0, hash = :genesis WHERE village_id = :v",
    "UPDATE audit_head SET village_id = village_id + 1000000000 WHERE village_id = :v",
])
def test_the_database_refuses_to_delete_or_rewind_the_head(database, world, db, sql):
    village = chain_of(world, db)
    before = head_row(database, village.id)
    with pytest.raises(DBAPIError) as caught, database.engine.begin() as conn:
        conn.execute(text(sql), {"v": village.id, "genesis": GENESIS})
    assert "audit_head only moves forward" in str(caught.value)
    assert head_row(database, village.id) == before
    assert verify(database, village.id).ok


def test_the_database_refuses_to_truncate_the_head(database, world, db):
    if database.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite's DELETE without WHERE is refused above)")
    chain_of(world, db)
    with pytest.raises(DBAPIError) as caught, database.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_head"))
    assert "audit_head only moves forward" in str(caught.value)


def test_a_replacing_insert_does_not_reset_the_head(database, world, db):
    village = chain_of(world, db)
    before = head_row(database, village.id)
    statement = ("INSERT OR REPLACE INTO audit_head (village_id, seq, hash) VALUES (:v, 0, :g)"
                 if database.name == "sqlite" else
                 "INSERT INTO audit_head (village_id, seq, hash) VALUES (:v, 0, :g) "
                 "ON CONFLICT (village_id) DO UPDATE SET seq = 0, hash = :g")
    try:
        with database.engine.begin() as conn:
            conn.execute(text(statement), {"v": village.id, "g": GENESIS})
    except DBAPIError as exc:  # PostgreSQL: the update trigger refuses; SQLite: the insert is ignored
        assert "audit_head only moves forward" in str(exc)
    assert head_row(database, village.id) == before
    assert verify(database, village.id).ok


def test_the_head_still_moves_forward_as_events_are_written(database, world, db):
    village = chain_of(world, db)
    audit.record(db, village_id=village.id, actor_id=None, action="test.event", entity="test")
    db.commit()
    assert head_row(database, village.id)[0] == 5
    assert verify(database, village.id).ok


# --- verification treats a head that does not match as a broken record -----------------------------


def test_a_missing_head_row_is_broken(database, world, db):
    village = chain_of(world, db)
    with guards_off(database) as conn:
        conn.execute(text("DELETE FROM audit_head WHERE village_id = :v"), {"v": village.id})
    result = verify(database, village.id)
    assert result.ok is False and result.broken_seq == 5 and result.checked == 4
    assert "链头记录缺失" in result.reason


def test_the_last_event_and_the_head_deleted_together_are_caught(database, world, db, client):
    village = chain_of(world, db)
    with guards_off(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE village_id = :v AND seq = 4"), {"v": village.id})
        conn.execute(text("DELETE FROM audit_head WHERE village_id = :v"), {"v": village.id})
    body = client.get(f"/api/v1/villages/{village.id}/audit/verify").json()
    assert body["ok"] is False and body["broken_seq"] == 4 and "链头记录缺失" in body["reason"], body


def test_a_head_pointing_past_the_chain_is_broken(database, world, db):
    village = chain_of(world, db)
    with database.engine.begin() as conn:  # moving forward is allowed: only the chain can tell
        conn.execute(text("UPDATE audit_head SET seq = seq + 3 WHERE village_id = :v"), {"v": village.id})
    result = verify(database, village.id)
    assert result.ok is False and result.broken_seq == 5
    assert "链尾缺失" in result.reason and "第 7 条" in result.reason


def test_a_head_behind_the_chain_is_broken(database, world, db):
    village = chain_of(world, db)
    with guards_off(database) as conn:
        conn.execute(text("UPDATE audit_head SET seq = 2 WHERE village_id = :v"), {"v": village.id})
    result = verify(database, village.id)
    assert result.ok is False and result.broken_seq == 3 and "链头落后" in result.reason


def test_a_head_with_another_hash_is_broken(database, world, db):
    village = chain_of(world, db)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET hash = :h WHERE village_id = :v"), {"h": "f" * 64, "v": village.id})
    result = verify(database, village.id)
    assert result.ok is False and result.broken_seq == 4 and "哈希" in result.reason


def test_a_deleted_middle_event_with_the_head_fixed_is_broken(database, world, db):
    village = chain_of(world, db)
    with guards_off(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE village_id = :v AND seq = 2"), {"v": village.id})
        # the attacker makes the head agree with what is left: the same last event, one fewer in number
        conn.execute(text("UPDATE audit_head SET seq = 3 WHERE village_id = :v"), {"v": village.id})
    result = verify(database, village.id)
    assert result.ok is False and result.broken_seq == 2 and "序号不连续" in result.reason


def test_a_village_never_written_to_verifies_without_a_head(database):
    result = verify(database, 2_000_000_000)
    assert result.ok and result.checked == 0 and result.head_hash == GENESIS
