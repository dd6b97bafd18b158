"""One-row reads built once (`db.OneRow`): run on a pooled DBAPI connection, they give what SQLAlchemy
gives for the same statement, value for value; on PostgreSQL in autocommit, so the server keeps the
connection's prepared statements; the pooled connection goes back to the next user as it was, its writes
transactional, also after a read that failed. Reads taken together (`db.first_of_each`), as requests on
the event loop ask them (`batches.read_soon`): each gets its own row or its own error. And PostgreSQL's
pooled connections: pinged before use only when they have sat idle. And a request's session
(`db.close_session`): on PostgreSQL a transaction that only read ends with COMMIT, which keeps the
connection's prepared statements; whatever was written and not committed is rolled back as before."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, literal_column, select, text
from sqlalchemy.exc import DBAPIError

from app import db
from app.db import OneRow, close_session, make_engine, open_session
from app.services import auth, ballots
from tests.api.test_vote_races import open_vote
from tests.factories import PASSWORD


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
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


def probe(table: str) -> OneRow:
    """How many rows of the probe table are past `n`, and the largest."""
    return OneRow(select(literal_column("count(*)").label("past"), literal_column("max(n)").label("largest"))
                  .select_from(text(table)).where(text("n > :n").bindparams(bindparam("n"))))


# What the connection's session has prepared on a PostgreSQL server (its prepared statements, as one text).
PREPARED = OneRow(select(literal_column("string_agg(statement, ' ')").label("sql"))
                  .select_from(text("pg_prepared_statements")))


def test_the_app_s_reads_give_what_sqlalchemy_gives(world, db, database):
    """The caller's lookup and a ballot's checks: datetimes in UTC, JSON, booleans, dates, NULLs."""
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    sid = open_vote(db, village, committee)
    token = auth.login(db, database.settings, committee.phone, PASSWORD, kind="api").token
    cases = [(auth._CALLER, {"token_hash": auth.token_hash(token), "kind": "api"}),
             (ballots._FACTS, {"sid": sid, "voter": committee.id, "actor": committee.id})]
    for read, params in cases:
        with database.engine.connect() as conn:
            expected = conn.execute(read.stmt, params).first()
        got = read.first(database.engine, params)
        assert got is not None and tuple(got) == tuple(expected)
        assert [type(v) for v in got] == [type(v) for v in expected]
    facts = ballots._FACTS.first(database.engine, cases[1][1])
    assert facts.options == ["同意", "反对", "弃权"] and facts.secret is True and facts.elector is True
    assert facts.opens_at.tzinfo == UTC and isinstance(facts.closes_at, datetime)
    assert ballots._FACTS.first(database.engine, {**cases[1][1], "sid": sid + 1000}) is None


def test_a_read_on_a_connection_sees_that_transaction(small_engine):
    engine, table = small_engine
    with engine.connect() as conn:
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (5)"))
        assert tuple(probe(table).first(conn, {"n": 0})) == (1, 5)
        conn.rollback()
    assert tuple(probe(table).first(engine, {"n": 0})) == (0, None)


def test_a_write_after_a_read_on_the_same_connection_is_still_rolled_back(small_engine):
    engine, table = small_engine
    assert probe(table).first(engine, {"n": 0}).past == 0
    with engine.connect() as conn:
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (1)"))
        conn.rollback()
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def test_a_read_sees_what_was_committed_just_before(small_engine):
    engine, table = small_engine
    read = probe(table)
    for n in range(1, 4):
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {table} (n) VALUES (:n)"), {"n": n})
        assert read.first(engine, {"n": 0}).largest == n


def test_statement_counters_see_the_read(small_engine):
    engine, table = small_engine
    seen = []

    def count(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    probe(table).first(engine, {"n": 0})
    event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1 and table in seen[0]


def test_a_read_that_begins_with_with_reads_as_any_other(small_engine):
    engine, table = small_engine
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (3), (4)"))
    past = select(literal_column("n")).select_from(text(table)).where(text("n > :n").bindparams(
        bindparam("n"))).cte("past")
    read = OneRow(select(literal_column("count(*)").label("past")).select_from(past))
    assert read.first(engine, {"n": 3}).past == 1


def test_a_read_that_failed_leaves_its_connection_to_the_next_user_as_it_was(small_engine):
    engine, table = small_engine
    with pytest.raises(engine.dialect.loaded_dbapi.Error):
        probe(f"{table}_missing").first(engine, {"n": 0})
    with engine.connect() as conn:  # the same pooled connection: its writes are still transactional
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (1)"))
        conn.rollback()
    assert probe(table).first(engine, {"n": 0}).past == 0


def test_an_in_list_is_refused(small_engine):
    engine, table = small_engine
    read = OneRow(select(literal_column("n")).select_from(text(table)).where(text("n IN :ns").bindparams(
        bindparam("ns", expanding=True))))
    with pytest.raises(ValueError, match="IN"):
        read.first(engine, {"ns": [1, 2]})


def test_with_the_sql_log_on_the_read_is_logged(database, small_engine, caplog):
    _, table = small_engine
    engine = make_engine(database.settings.model_copy(update={"log_sql": True}))
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        assert probe(table).first(engine, {"n": 0}).past == 0
    engine.dispose()
    assert any(table in record.getMessage() for record in caplog.records)


def test_on_postgresql_a_repeated_read_is_prepared_on_the_server(database, small_engine):
    if database.name != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    engine, table = small_engine
    for _ in range(8):  # psycopg prepares a statement from its fifth run on a connection
        probe(table).first(engine, {"n": 0})
    assert table in PREPARED.first(engine, {}).sql


def test_on_postgresql_a_connection_dropped_during_a_read_is_replaced(database, small_engine):
    if database.name != "postgresql":
        pytest.skip("PostgreSQL's pooled connections")
    engine, table = small_engine
    pid = OneRow(select(literal_column("pg_backend_pid()").label("pid"))).first(engine, {}).pid
    with make_engine(database.settings).connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    with pytest.raises(engine.dialect.loaded_dbapi.OperationalError):
        probe(table).first(engine, {"n": 0})  # used a moment ago: not pinged, so this read meets the cut
    assert probe(table).first(engine, {"n": 0}).past == 0  # the next one gets a new connection



# --- reads taken together (`db.first_of_each`, `batches.read_soon`) -----------------------------------

def test_reads_taken_together_each_get_their_own_row(small_engine):
    engine, table = small_engine
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (1), (2), (3)"))
    reads = [(probe(table), {"n": n}) for n in (0, 2, 3)]
    got = db.first_of_each(engine, reads)
    assert [tuple(row) for row in got] == [(3, 3), (1, 3), (0, None)]
    assert got == [read.first(engine, params) for read, params in reads]


def test_a_failing_read_among_others_fails_alone_and_the_connection_stays_transactional(small_engine):
    engine, table = small_engine
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (7)"))
    got = db.first_of_each(engine, [(probe(table), {"n": 0}), (probe(f"{table}_missing"), {"n": 0}),
                                    (probe(table), {"n": 6})])
    assert tuple(got[0]) == (1, 7) and tuple(got[2]) == (1, 7)
    assert isinstance(got[1], engine.dialect.loaded_dbapi.Error)
    with engine.connect() as conn:  # the pool's one connection: not left in autocommit
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (8)"))
        conn.rollback()
    assert probe(table).first(engine, {"n": 0}).past == 1


def test_statement_counters_see_each_read_taken_together(small_engine):
    engine, table = small_engine
    seen = []
    event.listen(engine, "before_cursor_execute", lambda _c, _k, statement, *_r: seen.append(statement))
    db.first_of_each(engine, [(probe(table), {"n": n}) for n in range(3)])
    assert len(seen) == 3 and all(table in statement for statement in seen)


def test_reads_of_requests_on_the_event_loop_are_answered_each_with_its_own_row(small_engine, monkeypatch):
    import asyncio

    from app import batches as group

    engine, table = small_engine
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} (n) VALUES (1), (2), (3), (4)"))
    sizes = []
    real = group.first_of_each

    def counted(engine, reads):
        sizes.append(len(reads))
        return real(engine, reads)

    monkeypatch.setattr(group, "first_of_each", counted)

    async def requests():
        return await asyncio.gather(*(group.read_soon(engine, probe(table), {"n": n}) for n in range(5)))

    got = asyncio.run(requests())
    assert [row.past for row in got] == [4, 3, 2, 1, 0]
    if engine.dialect.name == "sqlite":
        assert sizes == []  # read on the loop itself
    else:
        assert sum(sizes) == 5 and len(sizes) < 5  # by the reader thread, several in one round trip


def test_on_postgresql_reads_taken_together_are_prepared_on_the_server(database, small_engine):
    if database.name != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    engine, table = small_engine
    for _ in range(3):  # psycopg prepares a statement from its fifth run on a connection
        db.first_of_each(engine, [(probe(table), {"n": 0}), (probe(table), {"n": 1})])
    assert table in PREPARED.first(engine, {}).sql


def test_the_caller_read_on_the_event_loop_is_the_caller(world, db, database):
    import asyncio

    village = world.village()
    person = world.member(village, name="王五")
    token = auth.login(db, database.settings, person.phone, PASSWORD, kind="api").token
    engine, settings = database.engine, database.settings
    soon = asyncio.run(auth.caller_soon(engine, settings, token, "api"))
    assert soon == auth.caller(engine, settings, token, "api") and soon.user.id == person.id
    assert asyncio.run(auth.caller_soon(engine, settings, token, "web")) is None  # another kind of session
    assert asyncio.run(auth.caller_soon(engine, settings, "x" * 201, "api")) is None

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
    assert table in PREPARED.first(engine, {}).sql


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
