"""What the page benchmarks share: a temp database migrated to head, and a timed table of requests."""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app.cli import upgrade_database
from app.config import Settings


def bench_settings(args: argparse.Namespace) -> Settings:
    """Settings for a temp SQLite file, or `--url`, migrated to head, with cheap password hashing."""
    tmp = Path(tempfile.mkdtemp())
    url = args.url or f"sqlite:///{tmp / 'bench.db'}"
    settings = Settings(database_url=url, secret_key="bench", upload_dir=tmp / "uploads",
                        argon2_time_cost=1, argon2_memory_kib=1024, scheduler=False)
    upgrade_database(settings)
    return settings


def timed_fill(settings: Settings, what: str, fill: Callable[[], None]) -> None:
    started = time.perf_counter()
    fill()
    print(f"{settings.database_url.split(':')[0]}: 填入{what}用时 {time.perf_counter() - started:.1f} s")


def run_cases(app, client, cases: list[tuple[str, str, dict]], rounds: int) -> None:
    """GET each case `rounds` times; print the median and worst time, the SQL statements and bytes."""
    statements: list[int] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    print(f"{'请求':<26}{'中位数 ms':>10}{'最慢 ms':>10}{'SQL 条数':>10}{'字节':>10}")
    for label, url, headers in cases:
        times, size = [], 0
        for _ in range(rounds):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            size = len(response.content)
            if response.status_code != 200:
                print(f"{label}: {response.status_code}")
                break
        print(f"{label:<26}{statistics.median(times):>10.1f}{max(times):>10.1f}{len(statements):>10}{size:>10}")


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
