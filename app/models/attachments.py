"""Attachments: files owned by a proposal, a notice or a vote, stored by their content hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Attachment(SQLModel, table=True):
    """A file on an owner (a proposal, a notice, a vote's papers; see services/flows.py for the owners).
    Stored once under the upload dir by its content hash."""

    # SQLite: a deleted draft's file never hands its id to another (migration 0022)
    __table_args__ = (Index("ix_attachment_owner", "owner_type", "owner_id"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    owner_type: str = Field(max_length=20)
    owner_id: int
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
