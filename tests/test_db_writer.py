"""SQLite writers wait in line (app/db.py): one lock per database file in a process, an flock between
processes, taken before a transaction's first write and handed on at commit or rollback. With SQLite's
own busy handler switched off, any two writers that met inside SQLite would fail at once with
"database is locked": these tests pass only because the writers never meet there."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.config import Settings
from app.db import make_engine, writer_lock
from tests.factories import run_async

ROOT = Path(__file__).resolve().parent.parent


def engine_without_busy_wait(path: Path):
    """An engine like the app's on `path`, whose connections give up at once on a locked database."""
    engine = make_engine(Settings(database_url=f"sqlite:///{path}", secret_key="x"))
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=0"))
    return engine


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "writers.db"
    engine = engine_without_busy_wait(path)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY, who TEXT)"))
    engine.dispose()
    return path


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM t")).scalar_one()


def test_threads_writing_at_once_all_land_without_sqlite_waiting(db_file):
    engine = engine_without_busy_wait(db_file)
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def writer(i: int) -> None:
        try:
            start.wait()
            for j in range(25):
                with engine.begin() as conn:  # read, then write, then commit: as a request does
                    conn.execute(text("SELECT count(*) FROM t")).scalar_one()
                    conn.execute(text("INSERT INTO t (who) VALUES (:w)"), {"w": f"{i}-{j}"})
                    conn.execute(text("UPDATE t SET who = who WHERE n = 1"))
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors[:3]
    assert count(engine) == 16 * 25
    engine.dispose()


def test_the_lock_is_handed_on_after_a_rollback_a_failed_write_and_a_commit(db_file):
    engine = engine_without_busy_wait(db_file)
    lock = writer_lock(db_file)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t (n, who) VALUES (1, 'a')"))
        assert lock.holder is not None  # taken at the transaction's first write
        conn.rollback()
        assert lock.holder is None
        conn.execute(text("INSERT INTO t (n, who) VALUES (1, 'a')"))
        conn.commit()
        assert lock.holder is None
        with pytest.raises(IntegrityError):
            conn.execute(text("INSERT INTO t (n, who) VALUES (1, 'b')"))
        conn.rollback()
        assert lock.holder is None
    # another thread writes at once: nothing was left holding the lock
    done = threading.Event()

    def other() -> None:
        with engine.begin() as c:
            c.execute(text("INSERT INTO t (who) VALUES ('c')"))
        done.set()

    threading.Thread(target=other).start()
    assert done.wait(timeout=5)
    assert count(engine) == 2
    engine.dispose()


def test_a_writer_waits_for_the_one_writing_and_then_writes(db_file):
    engine = engine_without_busy_wait(db_file)
    finished: list[float] = []
    with engine.connect() as holder:
        holder.execute(text("INSERT INTO t (who) VALUES ('first')"))
        started = time.monotonic()

        def second() -> None:
            with engine.begin() as c:
                c.execute(text("INSERT INTO t (who) VALUES ('second')"))
            finished.append(time.monotonic())

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert not finished  # still waiting in line, not failed
        holder.commit()
        thread.join(timeout=5)
    assert finished and finished[0] - started >= 0.3
    assert count(engine) == 2
    engine.dispose()


def test_one_thread_with_two_connections_is_refused_by_sqlite_not_left_waiting(db_file):
    engine = engine_without_busy_wait(db_file)
    with engine.connect() as first, engine.connect() as second:
        first.execute(text("INSERT INTO t (who) VALUES ('first')"))
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            second.execute(text("INSERT INTO t (who) VALUES ('second')"))
        assert time.monotonic() - started < 5
        second.rollback()
        first.commit()
    assert count(engine) == 1
    engine.dispose()


def test_two_processes_writing_at_once_all_land(db_file):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from sqlalchemy import event, text
        from app.config import Settings
        from app.db import make_engine
        engine = make_engine(Settings(database_url="sqlite:///{db_file}", secret_key="x"))
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=0"))
        for i in range(150):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t (who) VALUES (:w)"), {{"w": sys.argv[1]}})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, name], stderr=subprocess.PIPE, text=True)
             for name in ("a", "b", "c")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
    engine = engine_without_busy_wait(db_file)
    assert count(engine) == 450
    engine.dispose()


# --- writes taken together (app/batches.py) ------------------------------------------------------------

def test_batches_give_each_request_its_own_outcome_and_the_writer_thread_comes_back(db_file, monkeypatch):
    import asyncio

    from app import batches as group

    monkeypatch.setattr(group, "IDLE_S", 0.05)
    engine = make_engine(Settings(database_url=f"sqlite:///{db_file}", secret_key="x"))
    sizes: list[int] = []

    def write(engine, items):
        sizes.append(len(items))
        with engine.begin() as conn:
            for n in items:
                if n >= 0:
                    conn.execute(text("INSERT INTO t (n, who) VALUES (:n, 'batch')"), {"n": n})
        return [ValueError(f"不要 {n}") if n < 0 else n * 10 for n in items]

    async def burst(numbers):
        writer = group.batches(engine, "test", write)
        return await asyncio.gather(*(writer.submit(n) for n in numbers), return_exceptions=True)

    try:
        first = run_async(burst([1, 2, -3, 4]))
        time.sleep(0.3)  # idle past IDLE_S: the writer thread ends
        assert "cunyi-batches: test" not in {t.name for t in threading.enumerate()}
        second = run_async(burst([5]))
        with engine.connect() as conn:
            stored = sorted(conn.execute(text("SELECT n FROM t")).scalars())
    finally:
        engine.dispose()
    assert first[:2] == [10, 20] and first[3] == 40
    assert isinstance(first[2], ValueError) and str(first[2]) == "不要 -3"
    assert second == [50]
    assert stored == [1, 2, 4, 5]
    assert sum(sizes) == 5 and len(sizes) <= 3  # the first four were written together (or nearly)


def test_a_failing_batch_answers_every_request_in_it_with_the_error(db_file):
    import asyncio

    from app import batches as group

    engine = make_engine(Settings(database_url=f"sqlite:///{db_file}", secret_key="x"))

    def write(engine, items):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (n, who) VALUES (1, 'a'), (1, 'b')"))  # a duplicate key

    async def burst():
        writer = group.batches(engine, "failing", write)
        return await asyncio.gather(*(writer.submit(n) for n in range(3)), return_exceptions=True)

    try:
        answers = run_async(burst())
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    finally:
        engine.dispose()
    assert all(isinstance(a, IntegrityError) for a in answers)


def test_a_batch_wakes_each_waiting_event_loop_once_and_answers_requests_of_two_loops(db_file):
    import asyncio

    from app import batches as group

    engine = make_engine(Settings(database_url=f"sqlite:///{db_file}", secret_key="x"))
    start, wakeups, batches = threading.Barrier(2), [], []

    def write(engine, items):
        batches.append(list(items))
        time.sleep(0.05)  # long enough for both loops' requests to queue behind the first batch
        return [n * 10 for n in items]

    async def burst(numbers):
        loop = asyncio.get_running_loop()
        real = loop.call_soon_threadsafe

        def counted(*args, **kwargs):
            wakeups.append(loop)
            return real(*args, **kwargs)

        loop.call_soon_threadsafe = counted
        writer = group.batches(engine, "two loops", write)
        start.wait()
        return await asyncio.gather(*(writer.submit(n) for n in numbers))

    answers: dict[str, list] = {}

    def on_its_own_loop(name: str, numbers: list[int]) -> None:
        answers[name] = asyncio.run(burst(numbers))

    try:
        threads = [threading.Thread(target=on_its_own_loop, args=(name, numbers))
                   for name, numbers in (("a", [1, 2, 3, 4]), ("b", [5, 6, 7]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        engine.dispose()
    assert answers == {"a": [10, 20, 30, 40], "b": [50, 60, 70]}
    assert max(len(items) for items in batches) > 2  # requests were written together
    loops_per_batch = [len({n <= 4 for n in items}) for items in batches]  # 1-4 came from loop a, 5-7 from b
    assert len(wakeups) == sum(loops_per_batch)  # one wake-up per loop per batch, not one per request
