"""Proposals (一事一议 and other matters), their history, co-signatures, comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Proposal(SQLModel, table=True):
    __table_args__ = (
        Index("ix_proposal_village_state", "village_id", "state", "updated_at"),
        Index("ix_proposal_village_category", "village_id", "category", "updated_at"),
        Index("ix_proposal_village_updated", "village_id", "updated_at"),
        # SQLite: a deleted draft's id is never handed out again (migration 0022)
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    author_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False))
    category: str = Field(max_length=20)
    procedure: str = Field(max_length=20)
    state: str = Field(default="draft", max_length=30)
    stage_entered_at: datetime | None = None
    submitted_at: datetime | None = None
    budget_fen: int | None = Field(default=None, sa_type=BigInteger)  # money: BIGINT (past 2³¹ fen)
    per_capita_fen: int | None = Field(default=None, sa_type=BigInteger)
    labour_days: int | None = None
    exemptions: str | None = Field(default=None, max_length=500)
    cosign_count: int = 0
    comment_count: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # the body as sanitised HTML, rendered at write time by the renderer of `body_html_version`
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    body_html_version: int | None = None
    # its decision file's compliance summary, kept by the `verdicts` job (domain/decision.py keys)
    verdict: str | None = Field(default=None, max_length=20)
    failed_checks: int = 0
    failed_labels: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # the checks not met
    verdict_at: datetime | None = None


class ProposalTransition(SQLModel, table=True):
    """One step of a proposal's history: who moved it, when, from where to where, and why."""

    __tablename__ = "proposal_transition"
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=20)
    from_state: str = Field(max_length=30)
    to_state: str = Field(max_length=30)
    note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class Cosignature(SQLModel, table=True):
    """联署: one per person per proposal (the unique constraint, not only code, enforces it)."""

    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    proposal_id: int = Field(foreign_key="proposal.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    as_representative: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Comment(SQLModel, table=True):
    __table_args__ = (Index("ix_comment_proposal_created", "proposal_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    proposal_id: int = Field(foreign_key="proposal.id")
    parent_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    depth: int = 0
    author_id: int = Field(foreign_key="user.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None
    hidden_at: datetime | None = None
    hidden_by: int | None = Field(default=None, foreign_key="user.id")
    hidden_reason: str | None = Field(default=None, max_length=500)
    report_count: int = 0
    # the body as sanitised HTML, rendered at write time by the renderer of `body_html_version`
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    body_html_version: int | None = None


class CommentVersion(SQLModel, table=True):
    """An earlier text of an edited comment; every version is kept."""

    __tablename__ = "comment_version"
    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    written_at: datetime


class CommentReport(SQLModel, table=True):
    __tablename__ = "comment_report"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    comment_id: int = Field(foreign_key="comment.id")
    reporter_id: int = Field(foreign_key="user.id")
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
