"""The township's cases (乡镇督办) and confidential reports (举报).

A case is an objection unanswered past its deadline: what it is about (the objection, its notice,
its author, its deadline) is read from the objection itself; this table holds only the township's
handling. A report goes from a member straight to the township's monitors and is never shown to
the village's committee.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class TownshipCase(SQLModel, table=True):
    """An escalated objection and what the township did with it: open → answered, or open → directed
    (the village is told to answer by `directed_due_at`) → answered."""

    __tablename__ = "township_case"
    __table_args__ = (Index("ix_township_case_township_state", "township_id", "state", "escalated_at"),
                      Index("ix_township_case_village_state", "village_id", "state"))
    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="township.id")
    village_id: int = Field(foreign_key="village.id")
    objection_id: int = Field(foreign_key="objection.id", unique=True)
    escalated_at: datetime = Field(default_factory=utcnow)
    state: str = Field(default="open", max_length=12)  # open / directed / answered
    answered_by: int | None = Field(default=None, foreign_key="user.id")
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_at: datetime | None = None
    directed_by: int | None = Field(default=None, foreign_key="user.id")
    direction: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    directed_at: datetime | None = None
    directed_due_at: datetime | None = None  # the deadline the monitor gave the village


class Report(SQLModel, table=True):
    """举报: a member's concern sent straight to the township's monitors. Its author and body are
    for the author and the monitors only; its audit events go to the platform chain, with ids only."""

    __table_args__ = (Index("ix_report_township_state", "township_id", "state", "created_at"),
                      Index("ix_report_author", "author_id", "created_at"))
    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="township.id")
    village_id: int = Field(foreign_key="village.id")
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    state: str = Field(default="open", max_length=12)  # open / replied


class ReportReply(SQLModel, table=True):
    """A monitor's reply to a report, shown to its author."""

    __tablename__ = "report_reply"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    author_id: int = Field(foreign_key="user.id")  # the monitor
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Filing(SQLModel, table=True):
    """乡镇备案: the township's filing of a matter or of a version of a village's rules (村规民约,
    村民自治章程), with its number of the year in one series (石桥镇备〔2026〕3号). Exactly one of
    `proposal_id` and `rule_version_id` is set."""

    __table_args__ = (UniqueConstraint("township_id", "year", "serial"),)
    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="township.id")
    village_id: int = Field(foreign_key="village.id")
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", unique=True)
    rule_version_id: int | None = Field(default=None, foreign_key="village_rule_version.id", unique=True)
    year: int
    serial: int
    number: str = Field(max_length=60)
    note: str = Field(default="", max_length=500)
    filed_by: int = Field(foreign_key="user.id")
    filed_at: datetime = Field(default_factory=utcnow)
