"""Shared model helpers: naming convention, UTC clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import SQLModel

# Names for constraints, so Alembic batch mode on SQLite can drop them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC 'now'. SQLModel's UTCDateTime columns store UTC and give back aware UTC
    datetimes on both engines, so comparisons never mix naive and aware values."""
    return datetime.now(UTC)
