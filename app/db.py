"""Engine and session: SQLite pragmas, PostgreSQL pool, the request-scoped session."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Compiled, Connection, Engine, Row, make_url
from sqlalchemy.sql import Select
from sqlmodel import Session, create_engine

from app.config import Settings

T = TypeVar("T")

try:
    import fcntl
except ImportError:  # not POSIX: no serving lock
    fcntl = None


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    url = url or settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pool = {}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_pool_size}  # as below
        engine = create_engine(
            url,
            echo=settings.log_sql,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S, "factory": WriterConnection},
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        echo=settings.log_sql,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
    )
    event.listen(engine, "connect", _seen)
    event.listen(engine, "checkin", _seen)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    event.listen(engine, "before_cursor_execute", _note_statement)
    event.listen(engine, "commit", _transaction_ended)
    event.listen(engine, "rollback", _transaction_ended)
    return engine


# --- PostgreSQL: a pooled connection is pinged before use when it has been idle -----------------
#
# A connection the server has dropped (a restart, a network cut, an idle timeout) must not fail the
# request that takes it from the pool next. SQLAlchemy's pool_pre_ping pings at every checkout, a round
# trip each: under load two a ballot, for connections that were in use a moment before. So a connection
# is pinged only when it has sat in the pool for PING_AFTER_IDLE_S; if the ping fails the pool drops it
# and hands out another. A server that went away while a connection was busy fails that use as before,
# and SQLAlchemy then renews the whole pool.

PING_AFTER_IDLE_S = 1.0
_LAST_USED = "cunyi_last_used"


def _seen(_dbapi_conn, record) -> None:
    record.info[_LAST_USED] = time.monotonic()


def _ping_if_idle(dialect, dbapi_conn, record, _proxy) -> None:
    if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE_S:
        return
    try:
        dialect.do_ping(dbapi_conn)
    except Exception as e:  # the pool drops this connection and tries another
        raise exc.DisconnectionError("连接已断开") from e


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA temp_store=MEMORY")  # sorts and temporary tables (closing a vote) stay off the disk
    cur.close()
    if isinstance(dbapi_conn, WriterConnection):
        dbapi_conn.writer = writer_lock(sqlite_file_of(dbapi_conn))


# --- SQLite: one writer at a time, waiting in line rather than asleep ------------------------------
#
# SQLite lets one connection write at a time. Left to itself, a connection that finds the write lock
# taken sleeps in its busy handler (1, 2, 5, 10 … 100 ms) and tries again: under a burst of ballots most
# requests spend their time asleep while the lock is free. So the writers of this process queue on one
# lock per database file, taken just before a transaction's first write (where Python's sqlite3 opens the
# transaction) and handed to the next writer the moment it commits or rolls back; between processes
# (`cunyi serve --workers N`) an flock on `<database>-writer.lock` does the same. Reads never wait: in
# WAL mode they see the last commit. Durability is SQLite's own (synchronous=FULL): the lock only orders
# the writers. Were the lock ever held past the busy timeout, a writer stops waiting for it and leaves
# the decision to SQLite, as before.

BUSY_TIMEOUT_S = 30
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _opens_transaction(conn: sqlite3.Connection, sql: str) -> bool:
    """Whether sqlite3 is about to open a write transaction for this statement (it does so before an
    INSERT, UPDATE, DELETE or REPLACE outside a transaction, in its default transaction handling)."""
    return not conn.in_transaction and conn.isolation_level is not None and sql.lstrip()[:7].upper().startswith(_DML)


class WriterLock:
    """The writers of one database file: a lock for this process's threads, an flock between processes."""

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.Lock()
        self._path = path.with_name(path.name + "-writer.lock") if path is not None else None
        self._file = None
        self.holder: tuple[int, int] | None = None  # (id of the connection, thread) holding it

    def acquire(self, conn_id: int) -> bool:
        """Wait for the lock (False when this thread already writes through another connection, or
        when the wait passes the busy timeout: then SQLite's own locking decides)."""
        me = threading.get_ident()
        holder = self.holder
        if holder is not None and holder[1] == me:
            return False  # the same thread, another connection: waiting here would wait for itself
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        if not self._threads.acquire(timeout=BUSY_TIMEOUT_S):
            return False
        if not self._across_processes(deadline):
            self._threads.release()
            return False
        self.holder = (conn_id, me)
        return True

    def release(self) -> None:
        self.holder = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()

    def _across_processes(self, deadline: float) -> bool:
        if self._path is None or fcntl is None:
            return True
        if self._file is None:
            try:
                self._file = self._path.open("a")
            except OSError:
                self._path = None  # a read-only folder: this process's lock is all there is
                return True
        pause = 0.00005
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(pause)  # another process is writing: a short wait, well under SQLite's
                pause = min(pause * 2, 0.0005)


_writer_locks: dict[str, WriterLock] = {}
_writer_locks_guard = threading.Lock()


def writer_lock(path: Path | None) -> WriterLock | None:
    """The one lock of a database file in this process (None for an in-memory database)."""
    if path is None:
        return None
    key = str(path.resolve())
    with _writer_locks_guard:
        if key not in _writer_locks:
            _writer_locks[key] = WriterLock(Path(key))
        return _writer_locks[key]


def sqlite_file_of(conn: sqlite3.Connection) -> Path | None:
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


class WriterCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        conn = self.connection
        took = conn.writer is not None and _opens_transaction(conn, sql) and conn.take_writer()
        try:
            return super().execute(sql, parameters)
        finally:
            if took and not conn.in_transaction:
                conn.give_back_writer()  # the statement failed before opening the transaction, or autocommit

    def executemany(self, sql, seq_of_parameters, /):
        conn = self.connection
        took = conn.writer is not None and _opens_transaction(conn, sql) and conn.take_writer()
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            if took and not conn.in_transaction:
                conn.give_back_writer()


class WriterConnection(sqlite3.Connection):
    """A sqlite3 connection that queues on its database's WriterLock before writing (see above)."""

    writer: WriterLock | None = None
    _holds = False

    def cursor(self, factory=WriterCursor):
        return super().cursor(factory)

    def take_writer(self) -> bool:
        self._holds = self.writer.acquire(id(self))
        return self._holds

    def give_back_writer(self) -> None:
        if self._holds:
            self._holds = False
            self.writer.release()

    def _settled(self) -> None:
        """Hand the lock on once no transaction is open (a closed connection has none)."""
        try:
            open_ = self.in_transaction
        except sqlite3.ProgrammingError:
            open_ = False
        if not open_:
            self.give_back_writer()

    def commit(self):
        try:
            super().commit()
        finally:
            self._settled()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._settled()

    def close(self):
        try:
            super().close()
        finally:
            self.give_back_writer()

    def __del__(self):
        with contextlib.suppress(Exception):  # at interpreter exit the lock may be gone already
            self.give_back_writer()


async def short_read(engine: Engine, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`read(*args, **kwargs)`, a short read by an index, where it costs least: on the event loop on SQLite,
    where it is a function call of some microseconds (in WAL mode a read waits for no writer), cheaper than
    the hop to a thread and back; in the thread pool on PostgreSQL, where it is a round trip on the
    network that would hold up every other request meanwhile. Never for a write."""
    if engine.dialect.name == "sqlite":
        return read(*args, **kwargs)
    return await anyio.to_thread.run_sync(partial(read, *args, **kwargs))


# --- a read of one row, built once, on the DBAPI connection ----------------------------------------
#
# A request's caller and a ballot's checks are each one SELECT of one row by an index, run on a pooled
# connection of its own. Through SQLAlchemy's Connection (its transaction, cache lookup, execution
# context and Result) such a read cost 80-100 µs of CPU against 30-40 µs on the DBAPI connection, and
# under a load of ballots more than twice that: with both reads run as below, bench/cast.py went from
# 656-716 to about 900 ballots a second on one worker. So `OneRow` compiles its statement once per
# dialect and runs it on the pooled DBAPI connection, turning the values into Python ones with the
# column types' own result processors. On PostgreSQL the read runs in autocommit: no BEGIN and no
# ROLLBACK (psycopg's ROLLBACK would forget the connection's prepared statements, so the server would
# plan the read afresh every time). It reports its statement to the engine's `before_cursor_execute`
# listeners (the statement counts of the tests and benches) with no Connection, and with
# CUNYI_LOG_SQL it runs through a Connection, so that the log shows it.


@contextlib.contextmanager
def _read_connection(engine: Engine) -> Iterator[Any]:
    """A pooled DBAPI connection for reads: on PostgreSQL in autocommit while it is lent, and never given
    back to the pool in autocommit (if it cannot be set back, the pool drops it). A connection the server
    dropped meanwhile is renewed by the pool."""
    autocommit = engine.dialect.name == "postgresql"
    fairy = engine.raw_connection()
    dbapi_conn = fairy.dbapi_connection
    try:
        if autocommit:
            dbapi_conn.autocommit = True
        yield dbapi_conn
    finally:
        try:
            if autocommit and not dbapi_conn.closed:
                dbapi_conn.autocommit = False
        except Exception:  # noqa: BLE001 — its state is unknown: it must not serve a transaction
            fairy.invalidate()
        fairy.close()


class OneRow:
    """A SELECT of at most one row by an index, built once: `first(bind, params)` is its first row (a
    named tuple) or None. Not for a statement with expanding parameters (an IN list)."""

    def __init__(self, stmt: Select) -> None:
        self.stmt = stmt
        self._row = namedtuple("OneRowOf", [str(c.key) for c in stmt.selected_columns], rename=True)
        self._built: dict[str, _Built] = {}

    def first(self, bind: Engine | Connection, params: dict[str, Any]) -> Any:
        """The first row, read on a pooled DBAPI connection of its own; or on `bind` when it is a
        Connection (a transaction's own read), or through one when the engine logs its SQL."""
        if isinstance(bind, Connection):
            return self._named(bind.execute(self.stmt, params).first())
        if bind.echo:
            with bind.connect() as conn:
                return self._named(conn.execute(self.stmt, params).first())
        built, args = self._announced(bind, params)
        with _read_connection(bind) as dbapi_conn:
            cursor = dbapi_conn.cursor()
            cursor.execute(built.sql, args)
            return self._made(built, bind.dialect, cursor)

    def _announced(self, engine: Engine, params: dict[str, Any]) -> tuple[_Built, Any]:
        """The statement built for the engine's dialect and its DBAPI arguments, reported to the engine's
        `before_cursor_execute` listeners (with no Connection) as it is about to run."""
        built = self._built.get(engine.dialect.name) or self._build(engine.dialect)
        args = built.args(params)
        if engine.dispatch.before_cursor_execute:
            engine.dispatch.before_cursor_execute(None, None, built.sql, args, None, False)
        return built, args

    def _made(self, built: _Built, dialect, cursor) -> Any:
        """The executed cursor's first row, as this read gives it; closes the cursor."""
        row = cursor.fetchone()
        if built.processors is None:
            built.processors = built.result_processors(dialect, cursor.description)
        cursor.close()
        if row is None:
            return None
        return self._row(*(value if p is None else p(value) for p, value in zip(built.processors, row, strict=True)))

    def _named(self, row: Row | None) -> Any:
        return None if row is None else self._row(*row)

    def _build(self, dialect) -> _Built:
        compiled = self.stmt.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("OneRow 不支持展开的参数（IN 列表）")
        built = self._built[dialect.name] = _Built(compiled, [c.type for c in self.stmt.selected_columns])
        return built


class _Built:
    """A OneRow statement compiled for one dialect: its SQL, how its parameters are passed, and (after
    its first run, which tells the DBAPI's column types) its result processors."""

    def __init__(self, compiled: Compiled, types: list) -> None:
        dialect = compiled.dialect
        self.compiled, self.sql, self.types = compiled, compiled.string, types
        self.positions = compiled.positiontup  # None for a named paramstyle
        self.binds = {key: bind for key, param in compiled.binds.items()
                      if (bind := param.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        self.processors: list | None = None

    def args(self, params: dict[str, Any]) -> Any:
        values = self.compiled.construct_params(params)
        for key, process in self.binds.items():
            values[key] = process(values[key])
        return values if self.positions is None else [values[key] for key in self.positions]

    def result_processors(self, dialect, description) -> list:
        return [type_.dialect_impl(dialect).result_processor(dialect, column[1])
                for type_, column in zip(self.types, description, strict=True)]


def first_of_each(engine: Engine, reads: list[tuple[OneRow, dict[str, Any]]]) -> list[Any]:
    """Each read's `OneRow.first` (its row or None), or the exception it raised, all on one pooled
    connection. On PostgreSQL they go in one pipeline, in autocommit: one round trip for them all. When
    the pipeline fails (a statement failed, or the connection), each read is tried again alone, so each
    gets its own outcome."""
    if engine.echo or engine.dialect.name != "postgresql" or len(reads) == 1:  # a pipeline of one costs more
        return [_outcome(one.first, engine, params) for one, params in reads]
    runs = [(one, *one._announced(engine, params)) for one, params in reads]
    try:
        with _read_connection(engine) as dbapi_conn:
            with dbapi_conn.pipeline():
                cursors = [dbapi_conn.cursor() for _ in runs]
                for cursor, (_, built, args) in zip(cursors, runs, strict=True):
                    cursor.execute(built.sql, args)
            return [one._made(built, engine.dialect, cursor)
                    for cursor, (one, built, _) in zip(cursors, runs, strict=True)]
    except Exception:  # noqa: BLE001 — each read alone, for its own outcome
        return [_outcome(one.first, engine, params) for one, params in reads]


def _outcome(read: Callable[..., T], *args: Any) -> T | Exception:
    try:
        return read(*args)
    except Exception as exc:  # noqa: BLE001 — the outcome of this read, for the request that asked it
        return exc


def open_session(engine: Engine) -> Session:
    """A session as requests and jobs use it: services commit; objects stay readable after a commit."""
    return Session(engine, expire_on_commit=False)


# --- PostgreSQL: a transaction that only read ends with COMMIT ------------------------------------
#
# psycopg forgets a connection's prepared statements at every ROLLBACK, and a request's session ended
# with one when it closed: the server planned every page's reads afresh, every time (bench/http.py on
# PostgreSQL: the proposal list 65 requests a second, 200 with its statements kept). To the database a
# transaction that only read ends the same either way, so `close_session` commits it; any other is
# rolled back as before. A transaction counts as one that only read while every statement run in it
# began with SELECT (a WITH counts as a write: rolled back, to be safe).

_WROTE = "cunyi_wrote"


def _note_statement(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if conn is not None and statement.lstrip()[:6].upper() != "SELECT":  # None: a OneRow read, in autocommit
        conn.info[_WROTE] = True


def _transaction_ended(conn) -> None:
    conn.info.pop(_WROTE, None)


def close_session(session: Session) -> None:
    """Close a request's session: what it wrote and did not commit is rolled back; on PostgreSQL a
    transaction that only read is committed instead (see above)."""
    transaction = session.get_transaction()
    for conn in transaction.connections if transaction is not None else ():
        if conn.dialect.name != "postgresql" or conn.invalidated or conn.info.get(_WROTE):
            continue
        dbapi_conn = conn.connection.dbapi_connection
        if dbapi_conn.info.transaction_status.name == "INTRANS":  # idle in a transaction that has not failed
            dbapi_conn.commit()
    session.close()


# --- start-up check and the serving lock ---------------------------------------------------------

class DatabaseRefused(RuntimeError):
    """The server must not start on this database; the message (Chinese) says what to do."""


RESTORE_ADVICE = ("服务不会启动，以免把新数据写进损坏的数据库。请：1. 把数据库文件连同旁边的 -wal、-shm 文件"
                  "移到别处留存；2. 用 `cunyi restore 最近一次的备份文件` 恢复到空数据库；3. 再启动服务。"
                  "详见 README 的“备份与恢复”一节。")


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def integrity_problem(engine: Engine, *, full: bool = False) -> str | None:
    """None when the database looks sound, else what is wrong.

    SQLite: `PRAGMA quick_check` (or the slower `integrity_check` with full=True), which reads every
    page; PostgreSQL: only that a connection answers (the server checks its own pages).
    """
    from sqlalchemy import exc

    try:
        with engine.connect() as conn:
            if engine.dialect.name != "sqlite":
                conn.execute(text("SELECT 1")).scalar_one()
                return None
            rows = [r[0] for r in conn.execute(text("PRAGMA integrity_check" if full else "PRAGMA quick_check"))]
    except exc.DBAPIError as error:
        return str(getattr(error, "orig", error)) or type(error).__name__
    return None if rows == ["ok"] else "；".join(rows[:5])


def startup_check(engine: Engine) -> None:
    """Refuse to serve a database that fails the quick check (raises DatabaseRefused)."""
    problem = integrity_problem(engine)
    if problem:
        raise DatabaseRefused(f"数据库完整性检查未通过：{problem}。{RESTORE_ADVICE}")


def serve_lock_path(url: str) -> Path | None:
    """The lock file every serving process holds (shared) and `cunyi restore` takes (exclusive)."""
    db = sqlite_file(url)
    return db.with_name(db.name + ".lock") if db else None


def hold_serve_lock(url: str):
    """Take the serving lock (shared) for this process; returns the open file to close on shutdown.

    The kernel drops an flock when its process dies, kill -9 included, so a crash never leaves it
    behind. Raises DatabaseRefused while `cunyi restore` holds it.
    """
    path = serve_lock_path(url)
    if path is None or fcntl is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise DatabaseRefused("正在恢复数据库（cunyi restore），恢复完成后再启动服务。") from None
    return handle


def take_exclusive_lock(url: str):
    """The serving lock, exclusively, for `cunyi restore`: the open file, or None when a server (or
    another restore) holds it. Without a lock file to take (PostgreSQL), an open null file."""
    path = serve_lock_path(url)
    if path is None or fcntl is None:
        return open(os.devnull)  # noqa: SIM115 — closed by the caller
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle
