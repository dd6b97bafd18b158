"""Notifications: messages to one person, shown under 消息."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Notification(SQLModel, table=True):
    """A message to one person (e.g. "your comment was hidden, reason …")."""

    __table_args__ = (Index("ix_notification_user_created", "user_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    village_id: int | None = Field(default=None, foreign_key="village.id")
    text: str = Field(max_length=500)
    link: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
