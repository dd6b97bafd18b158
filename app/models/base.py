"""Shared model helpers: naming convention; column defaults take the time from app.clock."""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import SQLModel

from app.clock import utcnow  # noqa: F401  (column defaults read the one clock)

# Names for constraints, so Alembic batch mode on SQLite can drop them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def only_on(dialect: str, index: Index) -> Index:
    """An index one engine has and the other has not: the DDL skips it elsewhere (`ddl_if`), and so
    does the comparison of models with the database (`info["only_on"]`, read by alembic/env.py)."""
    index.info["only_on"] = dialect
    return index.ddl_if(dialect=dialect)
