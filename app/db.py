"""Engine and session: SQLite pragmas, PostgreSQL pool, the request-scoped session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app.config import Settings

try:
    import fcntl
except ImportError:  # not POSIX: no serving lock
    fcntl = None


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    url = url or settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=settings.log_sql,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        echo=settings.log_sql,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
    )


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def session_scope(engine: Engine) -> Iterator[Session]:
    """One session per request. Services commit; this only closes."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


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
    from sqlalchemy import exc, text

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
