"""Fixtures: every database test runs on SQLite, and on PostgreSQL when CUNYI_TEST_DATABASE_URL is set.

Each engine gets a fresh database for the whole run (a temp SQLite file; a fresh PostgreSQL schema
dropped at the end), migrated by Alembic exactly as in production. Tests do not share rows: each
builds its own village through `world` (unique names, slugs and phones), so they never clean up
(the audit table refuses DELETE anyway).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine

PG_URL = os.environ.get("CUNYI_TEST_DATABASE_URL")
# The suite's process starts thousands of apps, none for the life of the process: none freezes what it
# built out of the garbage collector's reach (config.gc_freeze; test_gc_freeze turns it on).
os.environ["CUNYI_GC_FREEZE"] = "false"
ENGINES = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session", autouse=True)
def _features_connected() -> None:
    """The seam between features (services/flows.py), as the app factory and the CLI connect it."""
    from app.services import flows

    flows.register()


@dataclass
class DatabaseUnderTest:
    name: str  # "sqlite" or "postgresql"
    url: str
    settings: Settings
    engine: Engine


def make_settings(url: str, tmp: Path, **extra) -> Settings:
    return Settings(
        database_url=url,
        secret_key="test-secret-key-" + secrets.token_hex(8),
        upload_dir=tmp / "uploads",
        seal_key_file=tmp / "seal_key.pem",
        scheduler=False,
        verify_cache_seconds=0,  # tampering tests read the verdict right after editing rows; test_seals turns it on
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        **extra,
    )


def pg_schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def create_pg_schema(base: str, prefix: str = "cunyi_t") -> tuple[str, str]:
    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, pg_schema_url(base, schema)


def drop_pg_schema(base: str, schema: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def fresh_url(name: str, tmp: Path) -> tuple[str, str | None]:
    """A brand-new empty database of the given engine: (url, pg schema to drop or None)."""
    if name == "sqlite":
        return f"sqlite:///{tmp / 'cunyi.db'}", None
    assert PG_URL
    schema, url = create_pg_schema(PG_URL)
    return url, schema


@pytest.fixture(scope="session", params=ENGINES)
def database(request, tmp_path_factory) -> DatabaseUnderTest:
    from app.cli import upgrade_database

    tmp = tmp_path_factory.mktemp(f"db-{request.param}")
    url, schema = fresh_url(request.param, tmp)
    settings = make_settings(url, tmp)
    upgrade_database(settings)
    engine = make_engine(settings)
    yield DatabaseUnderTest(request.param, url, settings, engine)
    engine.dispose()
    if schema:
        drop_pg_schema(PG_URL, schema)


@pytest.fixture(scope="session")
def settings(database) -> Settings:
    return database.settings


@pytest.fixture(scope="session")
def app(database):
    from app.main import create_app

    application = create_app(database.settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    """A browser-like client with its own cookies and its own client address."""
    from tests.factories import unique_client

    with unique_client(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def db(database):
    with Session(database.engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def world(db, settings):
    from tests.factories import World

    return World(db, settings)


@pytest.fixture
def api(client):
    """The JSON API as one user or another (see tests.factories.Api)."""
    from tests.factories import Api

    return Api(client)


@pytest.fixture
def clock(api):
    """The one clock, moved by the test (`clock.travel(days=8)`); put back afterwards."""
    from app import clock as app_clock
    from tests.factories import Clock

    c = Clock(api)
    app_clock.set_source(c)
    yield c
    app_clock.set_source(None)


# the token in the page's <meta> (logged in) or in a form's hidden field (anonymous pages with a form)
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')


def page_csrf(client, path: str = "/login") -> str:
    """The CSRF token a page hands to its forms (anonymous or logged in)."""
    match = CSRF_RE.search(client.get(path).text)
    assert match, "page carries no csrf token"
    return match.group(1) or match.group(2)
