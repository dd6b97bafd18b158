"""Writes taken together (group commit), many rows in one statement, and the one-row reads of requests on
the event loop taken together (`read_soon`).

In a burst of small writes of one kind (secret ballots) each write pays for what every transaction pays
once: the writer lock (SQLite) or a row lock (the audit head on PostgreSQL), the commit and its fsync,
and each statement's trip out of Python and back. A `Batches` is one thread per database and kind that
writes whatever requests have queued since its last commit, in one transaction. A request waits on the
event loop, holding no thread and no connection, and is answered once the transaction that holds its
write has committed. Nothing waits for company: a lone write goes at once, as a batch of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, TextClause, bindparam, text
from sqlalchemy.engine import Dialect, Engine

from app.db import OneRow, first_of_each


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one statement: one step for SQLite, one round trip for
    PostgreSQL, where `executemany` would take one step per row, each giving up Python's lock."""
    columns = tuple(rows[0])
    conn.execute(_rows_statement(conn.dialect, table, columns, len(rows)),
                 {f"{column}_{i}": row[column] for i, row in enumerate(rows) for column in columns})


@lru_cache(maxsize=256)
def _rows_statement(dialect: Dialect, table: Table, columns: tuple[str, ...], n: int) -> TextClause:
    """The INSERT of n rows, written once for each table, columns and n as SQL text with the columns'
    types: for a many-row `insert().values(...)` SQLAlchemy works out a cache key on every use, which
    costs more than the insert itself."""
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(column) for column in columns)
    values = ", ".join("(" + ", ".join(f":{column}_{i}" for column in columns) + ")" for i in range(n))
    return text(f"INSERT INTO {quote.format_table(table)} ({names}) VALUES {values}").bindparams(
        *(bindparam(f"{column}_{i}", type_=table.c[column].type) for i in range(n) for column in columns))


MAX_BATCH = 64


class Batches:
    """The queue and the thread of one kind of work on one database (see `batches`)."""

    def __init__(self, engine: Engine, kind: str, work: Callable[[Engine, list], list]) -> None:
        self.kind = kind
        self._engine = weakref.ref(engine)  # the registry below must not keep a test's engine alive
        self._work = work  # (engine, items) -> one outcome per item: its answer, or an exception
        self._queue: deque = deque()
        self._guard = threading.Condition()
        self._running = False

    async def submit(self, item: Any) -> Any:
        """Queue `item`; its outcome once written (or raises the exception that is its outcome)."""
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()
        with self._guard:
            self._queue.append((item, loop, waiting))
            if self._running:
                self._guard.notify()
            else:
                self._running = True
                threading.Thread(target=self._run, name=f"cunyi-batches: {self.kind}", daemon=True).start()
        return await waiting

    def _run(self) -> None:
        taken: list = []
        try:
            while True:
                with self._guard:
                    if not self._queue:
                        self._guard.wait(timeout=IDLE_S)
                    if not self._queue:  # idle: the thread ends; the next submit starts another
                        self._running = False
                        return
                    taken = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                try:  # the engine is alive: the requests in `taken` hold it
                    outcomes = self._work(self._engine(), [item for item, _, _ in taken])
                except Exception as exc:  # the database failed them all: each request answers with the error
                    outcomes = [exc] * len(taken)
                _answer([(loop, waiting, outcome) for (_, loop, waiting), outcome in zip(taken, outcomes, strict=True)])
                taken = []
        except BaseException as exc:  # the thread itself is going down: no request is left waiting for it
            with self._guard:
                self._running = False
                left, self._queue = list(self._queue), deque()
            _answer([(loop, waiting, RuntimeError(f"写入线程停止：{exc!r}")) for _, loop, waiting in taken + left])
            raise


IDLE_S = 5.0


def _answer(answers: list[tuple[asyncio.AbstractEventLoop, asyncio.Future, Any]]) -> None:
    """Hand each request its outcome on its own event loop: one wake-up of a loop for all its requests
    in the batch, not one each (each wake-up is a write to the loop's socket and a turn of it; bench/cast.py,
    three pairs: 1.22–1.26 against 1.26–1.33 ms of CPU a ballot)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = {}
    for loop, waiting, outcome in answers:
        by_loop.setdefault(loop, []).append((waiting, outcome))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the requests' loop has closed: no one is waiting any more
            loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[asyncio.Future, Any]]) -> None:
    for waiting, outcome in settled:
        if waiting.done():  # the request went away (its client disconnected); its write stands
            continue
        if isinstance(outcome, BaseException):
            waiting.set_exception(outcome)
        else:
            waiting.set_result(outcome)


_batches: weakref.WeakKeyDictionary[Engine, dict[str, Batches]] = weakref.WeakKeyDictionary()
_batches_guard = threading.Lock()


def batches(engine: Engine, kind: str, work: Callable[[Engine, list], list]) -> Batches:
    """The batches of work of `kind` on the database behind `engine`, in this process: `work(engine,
    items)` does them together (a write in one transaction, or each alone when one of them cannot be
    written with the rest; reads in one round trip) and gives each its outcome."""
    with _batches_guard:
        kinds = _batches.setdefault(engine, {})
        if kind not in kinds:
            kinds[kind] = Batches(engine, kind, work)
        return kinds[kind]


# --- one-row reads, for requests on the event loop --------------------------------------------------

async def read_soon(engine: Engine, read: OneRow, params: dict[str, Any]) -> Any:
    """`read.first(engine, params)`, for a request on the event loop. On SQLite on the loop itself, where
    a read by an index is a function call of some microseconds. On PostgreSQL, where it is a round trip
    that must not hold up the loop, queued for the engine's reader thread, which sends every read queued
    since its last round trip in one pipeline on one connection (`db.first_of_each`) and wakes each
    waiting loop once: a read in the thread pool, a thread's wake-up and Python's lock won back for each,
    cost four times the read itself."""
    if engine.dialect.name == "sqlite":
        return read.first(engine, params)
    return await batches(engine, "one-row reads", first_of_each).submit((read, params))
