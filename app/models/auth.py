"""Sessions, activation codes and the security log (login successes and failures)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class UserSession(SQLModel, table=True):
    """A login: browser cookie ('web') or API bearer token ('api'). Only the token's hash is kept."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(default="web", max_length=5)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=200)


class ActivationCode(SQLModel, table=True):
    __tablename__ = "activation_code"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="village.id", index=True)  # None: a monitor's code
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")


class SecurityEvent(SQLModel, table=True):
    """Login successes and failures, logouts, password changes. Throttling counts these rows."""

    __tablename__ = "security_event"
    __table_args__ = (
        Index("ix_security_event_phone_kind_at", "phone", "kind", "created_at"),
        Index("ix_security_event_ip_kind_at", "ip", "kind", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    phone: str | None = Field(default=None, max_length=20)
    ip: str | None = Field(default=None, max_length=45)
    created_at: datetime = Field(default_factory=utcnow)
    detail: str | None = Field(default=None, max_length=200)
