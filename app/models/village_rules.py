"""A village's own rules (村规民约, 村民自治章程): each rule and its versions. A version is drafted by
the committee, adopted by a passing vote of the villagers' assembly (村民会议), published on the board
and filed with the township (备案: the `filing` table). Once adopted, a version's text, number and
adopting vote never change: the database refuses it (migration 0016)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class VillageRule(SQLModel, table=True):
    __tablename__ = "village_rule"
    __table_args__ = (UniqueConstraint("village_id", "title"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    kind: str = Field(max_length=10)  # charter (村民自治章程) / code (村规民约)
    title: str = Field(max_length=60)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class VillageRuleVersion(SQLModel, table=True):
    __tablename__ = "village_rule_version"
    __table_args__ = (UniqueConstraint("rule_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    rule_id: int = Field(foreign_key="village_rule.id", index=True)
    number: int  # 第 N 版
    body: str = Field(sa_column=Column(Text, nullable=False))
    note: str = Field(default="", max_length=500)  # what this version changes (修订说明)
    state: str = Field(default="draft", max_length=10)  # draft / adopted / filed / returned
    content_hash: str | None = Field(default=None, max_length=64)  # SHA-256 of the adopted text
    vote_session_id: int | None = Field(default=None, foreign_key="vote_session.id")  # the adopting vote
    adopted_at: datetime | None = None  # when that vote closed
    notice_id: int | None = Field(default=None, foreign_key="notice.id")  # its publication on the board
    returned_reason: str | None = Field(default=None, max_length=500)  # the township's order to correct
    returned_by: int | None = Field(default=None, foreign_key="user.id")
    returned_at: datetime | None = None
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
