"""People: users, village memberships with roles, township monitors."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50)
    phone: str = Field(max_length=11, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    birth_date: date | None = None
    gender: str | None = Field(default=None, max_length=1)  # "男" / "女"
    status: str = Field(default="pending", max_length=10)  # pending / active / disabled
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime | None = None
    large_type: bool = False  # pages in extra-large type for this person (大字)


class Membership(SQLModel, table=True):
    """A user's place in a village: household, group and roles. One village per user."""

    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="villager_group.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class MemberRole(SQLModel, table=True):
    """One role of one member; village_id is repeated so role counts are one indexed query."""

    __tablename__ = "member_role"
    __table_args__ = (Index("ix_member_role_village_role", "village_id", "role"),)
    membership_id: int = Field(foreign_key="membership.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(max_length=20, primary_key=True)
    village_id: int = Field(foreign_key="village.id")


class TownshipMonitor(SQLModel, table=True):
    """乡镇 staff who monitor the villages of a township."""

    __tablename__ = "township_monitor"
    __table_args__ = (UniqueConstraint("township_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="township.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
