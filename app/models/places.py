"""Places: county → township → village → villager group (村民小组); households (户)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class County(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Township(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("county_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    name: str = Field(max_length=50)
    created_at: datetime = Field(default_factory=utcnow)
    # The province's rules as the township applies them (一事一议 caps, proxy cap); they override
    # the villages' own settings.
    settings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class Village(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("township_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="township.id", index=True)
    name: str = Field(max_length=50)
    slug: str = Field(max_length=40, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    # The committee's settings (procedure durations, caps); absent keys take the national defaults.
    settings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class VillagerGroup(SQLModel, table=True):
    """村民小组."""

    __tablename__ = "villager_group"
    __table_args__ = (UniqueConstraint("village_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    name: str = Field(max_length=50)


class Household(SQLModel, table=True):
    """户, identified in its village by its 户号; one member represents it."""

    __table_args__ = (UniqueConstraint("village_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    number: str = Field(max_length=30)
    group_id: int | None = Field(default=None, foreign_key="villager_group.id", index=True)
    representative_id: int | None = Field(default=None, foreign_key="user.id")
