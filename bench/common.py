"""What the page benchmarks share: a temp database migrated to head, and a timed table of requests."""

from __future__ import annotations

import argparse
import atexit
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bare import cpu_seconds
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from app.cli import upgrade_database
from app.config import Settings


def bench_settings(args: argparse.Namespace) -> Settings:
    """Settings for a temp SQLite file, or a fresh schema of the PostgreSQL `--url`, migrated to head, with
    cheap password hashing. The file or the schema is removed when the bench exits, so a bench never
    writes into the database it was pointed at and runs again on it."""
    tmp = Path(tempfile.mkdtemp())
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    url = f"sqlite:///{tmp / 'bench.db'}"
    if args.url:
        schema, url = pg_schema(args.url)
        atexit.register(drop_pg_schema, args.url, schema)
    settings = Settings(database_url=url, secret_key="bench", upload_dir=tmp / "uploads",
                        argon2_time_cost=1, argon2_memory_kib=1024, scheduler=False)
    upgrade_database(settings)
    return settings


def timed_fill(settings: Settings, what: str, fill: Callable[[], None]) -> None:
    """Run the bench's fill, print how long it took, then (PostgreSQL) gather the planner's statistics."""
    started = time.perf_counter()
    fill()
    print(f"{settings.database_url.split(':')[0]}: 填入{what}用时 {time.perf_counter() - started:.1f} s")
    engine = create_engine(settings.database_url)
    analyze(engine)
    engine.dispose()


def run_cases(app, client, cases: list[tuple[str, str, dict]], rounds: int) -> None:
    """GET each case `rounds` times; print the median and worst time, the SQL statements and the bytes
    of the page. Timed uncompressed (the page's own cost, comparable across versions); one more request
    as a browser asks (gzip) gives the bytes sent on the line."""
    statements: list[int] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    print(f"{'请求':<26}{'中位数 ms':>10}{'最慢 ms':>10}{'SQL 条数':>10}{'字节':>10}{'gzip 字节':>10}")
    for label, url, headers in cases:
        times, size = [], 0
        for _ in range(rounds):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url, headers={"Accept-Encoding": "identity", **headers})
            times.append((time.perf_counter() - started) * 1000)
            size = len(response.content)
            if response.status_code != 200:
                print(f"{label}: {response.status_code}")
                break
        count = len(statements)
        sent = client.get(url, headers={"Accept-Encoding": "gzip", **headers}).num_bytes_downloaded
        print(f"{label:<26}{statistics.median(times):>10.1f}{max(times):>10.1f}{count:>10}{size:>10}{sent:>10}")


def pg_schema(base: str) -> tuple[str, str]:
    """A fresh PostgreSQL schema and a URL whose connections use it (as tests/conftest.py does)."""
    schema = f"cunyi_bench_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def drop_pg_schema(base: str, schema: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def bench_village(s, settings: Settings, password: str):
    """An admin and the benches' 基准县 › 基准镇 › 基准村 (slug "bench"), made through the services:
    (the admin as an Actor, the township, the village)."""
    from app.models import User
    from app.services import auth, places
    from app.services.access import Actor

    admin = User(name="管理员", phone="19900000000", is_admin=True, status="active",
                 password_hash=auth.hash_password(settings, password))
    s.add(admin)
    s.commit()
    actor = Actor(user=admin)
    county = places.create_county(s, actor, "基准县")
    township = places.create_township(s, actor, "基准镇", county.id)
    return actor, township, places.create_village(s, actor, "基准村", "bench", township.id)


def page_login(client, phone: str, password: str) -> None:
    """Log a TestClient in through the login form (its CSRF token read from the form)."""
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"phone": phone, "password": password, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, "login failed"


# The served app's PostgreSQL connections carry this name, so its backends' CPU time can be read.
SERVED_APP_NAME = "cunyi-bench-app"


def named(url: str) -> str:
    """A PostgreSQL URL whose connections carry SERVED_APP_NAME."""
    return make_url(url).update_query_dict({"application_name": SERVED_APP_NAME}).render_as_string(hide_password=False)


def backends_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the app (when PostgreSQL runs on this machine;
    a backend of a connection closed meanwhile takes its time along)."""
    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                            {"name": SERVED_APP_NAME}).scalars().all()
    return {pid: cpu_seconds(pid) for pid in pids}


def backends_cpu_since(engine: Engine, before: dict[int, float]) -> float:
    """CPU seconds the app's backends used since `before` (`backends_cpu`)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in backends_cpu(engine).items())


def analyze(engine: Engine, tables: str = "") -> None:
    """PostgreSQL: gather the planner's statistics after a bulk fill, as autovacuum would within a minute or
    so (a run measured before that would time plans made for empty tables). Nothing on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"ANALYZE {tables}"))


def server_env(url: str, tmp: Path) -> dict[str, str]:
    """The environment of a served app: this database, keys and uploads in tmp, cheap password hashes, no
    in-process scheduler (as with cron's `cunyi jobs run-due`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUNYI_")}
    env.update({
        "CUNYI_DATABASE_URL": url,
        "CUNYI_SECRET_KEY": "bench-" + secrets.token_hex(16),
        "CUNYI_SECRET_KEY_FILE": str(tmp / "secret_key"),
        "CUNYI_SEAL_KEY_FILE": str(tmp / "seal_key.pem"),
        "CUNYI_UPLOAD_DIR": str(tmp / "uploads"),
        "CUNYI_ARGON2_TIME_COST": "1",
        "CUNYI_ARGON2_MEMORY_KIB": "1024",
        "CUNYI_SCHEDULER": "false",
        "PYTHONUNBUFFERED": "1",
    })
    return env


@contextmanager
def served_database(url: str | None, prefix: str) -> Iterator[tuple[Path, dict[str, str], Settings, object]]:
    """A fresh database for a served app — a temp SQLite file, or a new schema of the PostgreSQL `url` —
    migrated to head: yields (its temp dir, the server's environment, Settings, an engine), and drops
    it all afterwards."""
    from app.db import make_engine

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    schema = engine = None
    try:
        if url:
            schema, db_url = pg_schema(url)
            env = server_env(named(db_url), tmp)
        else:
            db_url = f"sqlite:///{tmp / 'bench.db'}"
            env = server_env(db_url, tmp)
        settings = Settings(database_url=db_url, secret_key=env["CUNYI_SECRET_KEY"], upload_dir=tmp / "uploads",
                            argon2_time_cost=1, argon2_memory_kib=1024, scheduler=False)
        upgrade_database(settings)
        engine = make_engine(settings)
        yield tmp, env, settings, engine
    finally:
        if engine is not None:
            engine.dispose()
        if schema:
            drop_pg_schema(url, schema)
        shutil.rmtree(tmp, ignore_errors=True)
