"""One-statement reads on a connection of their own (`db.reader`): on PostgreSQL in autocommit, so the
server keeps the connection's prepared statements and no transaction is begun and rolled back around
the read; and the pooled connection goes back to the next user as it was, its writes transactional.
And PostgreSQL's pooled connections: pinged before use only when they have sat idle. And a request's
session (`db.close_session`): on PostgreSQL a transaction that only read ends with COMMIT, which keeps
the connection's prepared statements; whatever was written and not committed is rolled back as before."""

from __future__ import annotations

import secrets
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import db
from app.db import close_session, make_engine, open_session, reader


@pytest.fixture
def small_engine(database):
    """The app's engine on the database under test with a pool of one, so every use takes the same
    connection, and a table of its own."""
    engine = make_engine(database.settings.model_copy(update={"db_pool_size": 1}))
    table = f"reader_probe_{secrets.token_hex(3)}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (n INTEGER PRIMARY KEY)"))
    yield engine, table
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {table}"))
    engine.dispose()


def test_a_write_after_a_read_on_the_same_connection_is_still_rolled_back(small_engine):
    engine, table = small_engine
    with reader(engine).connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    with engine.connect() as conn:
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (1)"))
        conn.rollback()
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def test_a_read_sees_what_was_committed_just_before(small_engine):
    engine, table = small_engine
    for n in range(1, 4):
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {table} (n) VALUES (:n)"), {"n": n})
        with reader(engine).connect() as conn:
            assert conn.execute(text(f"SELECT max(n) FROM {table}")).scalar_one() == n


def test_on_postgresql_a_repeated_read_is_prepared_on_the_server(database, small_engine):
    if database.name != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    engine, table = small_engine
    for _ in range(8):  # psycopg prepares a statement from its fifth run on a connection
        with reader(engine).connect() as conn:
            conn.execute(text(f"SELECT count(*) FROM {table} WHERE n > :n"), {"n": 0}).scalar_one()
    with reader(engine).connect() as conn:
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any(table in statement for statement in prepared)


def test_on_sqlite_the_reader_is_the_engine_itself(database):
    if database.name != "sqlite":
        pytest.skip("SQLite")
    assert reader(database.engine) is database.engine


# --- PostgreSQL: a pooled connection is pinged before use only after sitting idle -------------------

@pytest.fixture
def pg_engine(database):
    if database.name != "postgresql":
        pytest.skip("PostgreSQL's pooled connections")
    engine = make_engine(database.settings.model_copy(update={"db_pool_size": 1}))
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(pg_engine, database, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.05)
    pid = backend_pid(pg_engine)
    with make_engine(database.settings).connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    time.sleep(0.1)
    assert backend_pid(pg_engine) != pid  # answered, on a new connection


def test_a_connection_back_from_use_a_moment_ago_is_not_pinged(pg_engine, monkeypatch):
    pings = []
    real = pg_engine.dialect.do_ping
    monkeypatch.setattr(pg_engine.dialect, "do_ping", lambda conn: pings.append(1) or real(conn))
    for _ in range(5):
        backend_pid(pg_engine)
    assert pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    backend_pid(pg_engine)
    assert pings == [1]


# --- a request's session: a transaction that only read is committed on PostgreSQL, any other rolled back ----

def test_a_session_that_only_read_keeps_its_prepared_statements(database, small_engine):
    if database.name != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    engine, table = small_engine
    for _ in range(8):
        session = open_session(engine)
        session.execute(text(f"SELECT count(*) FROM {table} WHERE n > :n"), {"n": 0}).scalar_one()
        close_session(session)
    with reader(engine).connect() as conn:
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any(table in statement for statement in prepared)


@pytest.mark.parametrize("writes", [
    ["INSERT INTO {t} (n) VALUES (7)"],
    ["SELECT count(*) FROM {t}", "INSERT INTO {t} (n) VALUES (7)", "SELECT count(*) FROM {t}"],
    ["WITH x AS (SELECT 7 AS n) INSERT INTO {t} (n) SELECT n FROM x"],
])
def test_what_a_session_wrote_and_did_not_commit_is_rolled_back(database, small_engine, writes):
    if database.name == "sqlite" and writes[0].startswith("WITH"):
        pytest.skip("Python's sqlite3 begins no transaction before a WITH (the app writes none on SQLite)")
    engine, table = small_engine
    for _ in range(2):  # and again on the same pooled connection
        session = open_session(engine)
        for statement in writes:
            session.execute(text(statement.format(t=table)))
        close_session(session)
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def test_a_session_that_read_after_its_commit_keeps_what_it_committed(small_engine):
    engine, table = small_engine
    session = open_session(engine)
    session.execute(text(f"INSERT INTO {table} (n) VALUES (1)"))
    session.commit()
    session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    session.execute(text(f"INSERT INTO {table} (n) VALUES (2)"))
    close_session(session)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT n FROM {table}")).scalars().all() == [1]


def test_a_session_whose_statement_failed_closes_and_its_connection_serves_the_next(small_engine):
    engine, table = small_engine
    session = open_session(engine)
    session.execute(text(f"SELECT count(*) FROM {table}"))
    with pytest.raises(DBAPIError):
        session.execute(text(f"SELECT no_such_column FROM {table}"))
    close_session(session)
    session = open_session(engine)
    assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    close_session(session)


def test_a_session_that_never_read_closes_without_a_connection(small_engine):
    engine, _ = small_engine
    session = open_session(engine)
    close_session(session)
    assert engine.pool.checkedout() == 0
