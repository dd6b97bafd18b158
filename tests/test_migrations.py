"""Alembic owns the schema: a fresh database upgrades to head with no drift, and back down."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

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
