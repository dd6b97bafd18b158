"""Notices of the three publications (三公开) and the objections (质询) raised against them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

PUBLISHED_SQL = "state IN ('published', 'closed')"


class Notice(SQLModel, table=True):
    """A notice. Once published its title, body and window never change, its state only moves on
    to closed, and its attachment rows stay as they are (database triggers refuse the rest); a
    correction is a new notice that `supersedes` the old one, and only one of them is ever published."""

    __table_args__ = (
        Index("ix_notice_village_category_state", "village_id", "category", "state", "published_at"),
        Index("ix_notice_village_state", "village_id", "state", "updated_at"),
        Index("ix_notice_proposal", "proposal_id"),
        # the board's archive, newest first: read in order from the index, stopping at the page
        Index("ix_notice_village_published", "village_id", "published_at"),
        # the board's current notices: the village's published ones, newest first, without a walk
        Index("ix_notice_village_state_published", "village_id", "state", "published_at"),
        # One published correction per notice, whatever the races: the database refuses a second.
        Index("uq_notice_one_published_correction", "supersedes_id", unique=True,
              sqlite_where=text(PUBLISHED_SQL), postgresql_where=text(PUBLISHED_SQL)),
    )
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    category: str = Field(max_length=10)  # party / village / finance
    kind: str = Field(default="general", max_length=20)  # general / resolution / implementation
    title: str = Field(max_length=120)
    body: str = Field(sa_column=Column(Text, nullable=False))
    days: int = 7
    state: str = Field(default="draft", max_length=12)  # draft / submitted / approved / published / closed
    author_id: int | None = Field(default=None, foreign_key="user.id")
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    proposal_stage: str | None = Field(default=None, max_length=30)
    vote_session_id: int | None = Field(default=None, foreign_key="vote_session.id")
    period: str | None = Field(default=None, max_length=7)  # accounting period "2026-10"
    supersedes_id: int | None = Field(default=None, foreign_key="notice.id", index=True)
    review_note: str | None = Field(default=None, max_length=500)
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = None
    published_by: int | None = Field(default=None, foreign_key="user.id")
    published_at: datetime | None = None
    window_from: datetime | None = None
    window_until: datetime | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Objection(SQLModel, table=True):
    """质询: a member's question on a notice during its window; the committee must reply by `due_at`."""

    __table_args__ = (Index("ix_objection_village_open", "village_id", "replied_at", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    notice_id: int = Field(foreign_key="notice.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    replied_by: int | None = Field(default=None, foreign_key="user.id")
    replied_at: datetime | None = None
