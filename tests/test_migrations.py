"""Alembic owns the schema: a fresh database upgrades to head with no drift, and back down."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from app.cli import alembic_config
from app.db import make_engine
from tests.conftest import ENGINES, PG_URL, drop_pg_schema, fresh_url, make_settings


@pytest.mark.parametrize("engine_name", ENGINES)
def test_upgrade_check_downgrade(engine_name, tmp_path):
    url, schema = fresh_url(engine_name, tmp_path)
    try:
        settings = make_settings(url, tmp_path)
        cfg = alembic_config(settings)
        command.upgrade(cfg, "head")
        command.check(cfg)  # raises when models and migrations disagree
        engine = make_engine(settings)
        tables = set(inspect(engine).get_table_names())
        assert {"user", "village", "membership", "audit_event", "user_session"} <= tables
        engine.dispose()
        command.downgrade(cfg, "base")
        engine = make_engine(settings)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        command.upgrade(cfg, "head")
    finally:
        if schema:
            drop_pg_schema(PG_URL, schema)


# --- 0006: money in BIGINT, one published correction, frozen records: data kept ---------------------


def _at_0005(engine_name, tmp_path):
    url, schema = fresh_url(engine_name, tmp_path)
    settings = make_settings(url, tmp_path)
    cfg = alembic_config(settings)
    command.upgrade(cfg, "0005")
    return settings, cfg, schema


@contextmanager
def _as_if_current(engine):
    """Let today's models write rows into a database at an older revision: the columns later
    migrations add to its tables are there (nullable) while the block runs, and gone again after it,
    so the migrations under test meet the old schema."""
    import app.models  # noqa: F401  (every table in the metadata)

    found = inspect(engine)
    tables = set(found.get_table_names())
    later = [(table.name, column) for table in SQLModel.metadata.sorted_tables if table.name in tables
             for column in table.columns if column.name not in {c["name"] for c in found.get_columns(table.name)}]
    with engine.begin() as conn:
        for table, column in later:
            conn.execute(text(f'ALTER TABLE "{table}" ADD COLUMN "{column.name}" '
                              f"{column.type.compile(engine.dialect)}"))
    yield
    with engine.begin() as conn:
        for table, column in later:
            conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{column.name}"'))


def _published(db, village_id: int, title: str, supersedes: int | None = None) -> int:
    from app.domain import notices as N
    from app.models import Notice, utcnow

    when = utcnow()
    notice = Notice(village_id=village_id, category="village", title=title, body="内容", state="published",
                    supersedes_id=supersedes, kind="correction" if supersedes else "general", published_at=when,
                    window_from=when, window_until=when, content_hash=N.content_hash(title, "内容", []),
                    created_at=when, updated_at=when)
    db.add(notice)
    db.commit()
    return notice.id


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_hardening_migration_keeps_every_row(engine_name, tmp_path, monkeypatch):
    from sqlalchemy import func, select, text
    from sqlmodel import Session

    from app.domain.proposals import ProposalDraft
    from app.models import Cosignature, Proposal, ProposalTransition
    from app.services import audit, proposals
    from app.services.access import load_actor
    from tests.factories import World

    settings, cfg, schema = _at_0005(engine_name, tmp_path)
    # The services as they were at 0005: personal fields in the event itself (audit_private comes in 0009).
    original = audit.record
    monkeypatch.setattr(audit, "record", lambda session, *, private=None, data=None, **kw: original(
        session, data={**(data or {}), **(private or {})}, **kw))
    engine = make_engine(settings)
    try:
        with _as_if_current(engine), Session(engine, expire_on_commit=False) as db:
            world = World(db, settings)
            village = world.village()
            author = load_actor(db, world.member(village, "committee", name="主任"))
            draft = ProposalDraft(title="修建村道", body="方案", category="facilities", procedure="yishiyiyi",
                                  budget_fen=2_000_000_000, per_capita_fen=1_234)
            pid = proposals.create(db, author, village, draft).id
            proposals.transition(db, author, pid, "submit")
            old = _published(db, village.id, "原公开")
            _published(db, village.id, "更正", supersedes=old)
            rows_before = {t.__name__: db.execute(select(func.count()).select_from(t)).scalar_one()
                           for t in (Proposal, Cosignature, ProposalTransition)}
        engine.dispose()

        command.upgrade(cfg, "head")
        command.check(cfg)

        engine = make_engine(settings)
        with Session(engine, expire_on_commit=False) as db:
            proposal = db.get(Proposal, pid)
            assert (proposal.title, proposal.budget_fen, proposal.per_capita_fen) == ("修建村道", 2_000_000_000, 1_234)
            assert {t.__name__: db.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (Proposal, Cosignature, ProposalTransition)} == rows_before
            if engine_name == "sqlite":
                assert db.execute(text("PRAGMA foreign_key_check")).all() == []
                assert db.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            # money past 2³¹ fen now fits on both engines
            proposal.budget_fen = 3_000_000_000_000
            db.commit()
            db.expire_all()
            assert db.get(Proposal, pid).budget_fen == 3_000_000_000_000
            # the index holds for the notices already there
            with pytest.raises(IntegrityError):
                _published(db, village.id, "第二份更正", supersedes=old)
            db.rollback()
            assert audit.verify_chain(db, village.id).ok
            db.execute(text("UPDATE proposal SET budget_fen = 1 WHERE id = :p"), {"p": pid})  # fits INTEGER again
            db.commit()
        engine.dispose()
        command.downgrade(cfg, "0005")
        command.upgrade(cfg, "head")
    finally:
        if schema:
            drop_pg_schema(PG_URL, schema)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_hardening_migration_stops_on_a_forked_record(engine_name, tmp_path):
    from sqlmodel import Session

    from tests.factories import World

    settings, cfg, schema = _at_0005(engine_name, tmp_path)
    engine = make_engine(settings)
    try:
        with _as_if_current(engine), Session(engine, expire_on_commit=False) as db:
            village = World(db, settings).village()
            old = _published(db, village.id, "原公开")
            forks = [_published(db, village.id, f"更正{i}", supersedes=old) for i in range(2)]
        with pytest.raises(RuntimeError, match=f"superseded more than once: \\[{old}\\]"):
            command.upgrade(cfg, "head")
        assert forks
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == "0005"
            columns = {c["name"]: c["type"] for c in inspect(conn).get_columns("proposal")}
            assert columns["budget_fen"].__class__.__name__ == "INTEGER"  # nothing was changed
        engine.dispose()
    finally:
        if schema:
            drop_pg_schema(PG_URL, schema)


# --- 0021: the ballot box indexed for its engine ------------------------------------------------------

@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_ballot_box_is_indexed_for_its_engine(engine_name, tmp_path):
    """PostgreSQL keeps `choice` out of every index and half of each page free (the deal at close then
    rewrites rows in place); SQLite keeps the (session, choice) index its tally reads. Down and up again."""
    url, schema = fresh_url(engine_name, tmp_path)
    try:
        settings = make_settings(url, tmp_path)
        cfg = alembic_config(settings)
        command.upgrade(cfg, "head")
        engine = make_engine(settings)

        def shape():
            indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("ballot_box")
                       if i["name"].startswith("ix_")}
            if engine_name != "postgresql":
                return indexes, None
            with engine.connect() as conn:
                options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'ballot_box' "
                                            "AND relnamespace = current_schema()::regnamespace")).scalar_one()
            return indexes, options

        if engine_name == "postgresql":
            assert shape() == ({"ix_ballot_box_session": ["vote_session_id"]}, ["fillfactor=50"])
            command.downgrade(cfg, "0020")
            assert shape() == ({"ix_ballot_box_session_choice": ["vote_session_id", "choice"]}, None)
        else:
            assert shape()[0] == {"ix_ballot_box_session_choice": ["vote_session_id", "choice"]}
            command.downgrade(cfg, "0020")
            assert shape()[0] == {"ix_ballot_box_session_choice": ["vote_session_id", "choice"]}
        command.upgrade(cfg, "head")
        command.check(cfg)
        engine.dispose()
    finally:
        if schema:
            drop_pg_schema(PG_URL, schema)


# --- 0022: a deleted draft's ids are never handed out again (SQLite) ---------------------------

@pytest.mark.parametrize("table", ["proposal", "attachment", "voucher"])
def test_sqlite_ids_start_past_every_id_the_record_names(tmp_path, table):
    """A draft deleted before the upgrade left only its audit events: the table's counter starts past
    them; its triggers are there again after the rebuild, and down and up again keeps the counter."""
    import sqlite3

    url, _ = fresh_url("sqlite", tmp_path)
    cfg = alembic_config(make_settings(url, tmp_path))
    command.upgrade(cfg, "0021")
    path = str(tmp_path / "cunyi.db")

    def shape() -> tuple[str, list, list]:
        with sqlite3.connect(path) as raw:
            sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
            counted = raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchall()
            counter = (raw.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchall()
                       if counted else [])
            triggers = raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                                   "ORDER BY name", (table,)).fetchall()
        return sql, counter, triggers

    triggers = shape()[2]
    with sqlite3.connect(path) as raw:  # an older database's events about rows 40 and 41 (gone since)
        for seq, key in ((1, "40"), (2, "41")):
            raw.execute("INSERT INTO audit_event (village_id, seq, action, entity, entity_id, payload, prev_hash, "
                        "hash, created_at) VALUES (1, ?, 'x.delete', ?, ?, x'7b7d', '', '', '2026-01-01 00:00:00')",
                        (seq, table, key))
    command.upgrade(cfg, "head")
    sql, counter, after = shape()
    assert "AUTOINCREMENT" in sql and counter == [(41,)] and after == triggers
    command.check(cfg)
    command.downgrade(cfg, "0021")
    assert "AUTOINCREMENT" not in shape()[0] and shape()[2] == triggers
    command.upgrade(cfg, "head")
    assert shape()[1] == [(41,)]
