"""Councils, vote sessions, the frozen electorate, ballots, proxies and paper tallies.

Secret votes keep two tables that share no key: the register (who voted) and the ballot box
(choice and receipt under a random id, no time, no voter). Both are WITHOUT ROWID on SQLite so
not even the storage order links them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import only_on, utcnow


class Council(SQLModel, table=True):
    """A body that decides: its kind brings the law's default rule (rulebook.RULES)."""

    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    kind: str = Field(max_length=20)
    name: str = Field(max_length=50)
    group_id: int | None = Field(default=None, foreign_key="villager_group.id")  # for a group meeting
    # custom bodies: thresholds as fractions
    quorum_num: int | None = None
    quorum_den: int | None = None
    quorum_inclusive: bool = True
    pass_num: int | None = None
    pass_den: int | None = None
    pass_inclusive: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    archived_at: datetime | None = None


class CouncilMember(SQLModel, table=True):
    """Named members of a custom body (other kinds take their members from roles and ages)."""

    __tablename__ = "council_member"
    council_id: int = Field(foreign_key="council.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True)


class VoteSession(SQLModel, table=True):
    __tablename__ = "vote_session"
    __table_args__ = (Index("ix_vote_session_village_state", "village_id", "state"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    stage: str = Field(max_length=30)  # the proposal's vote stage this session decides
    council_id: int = Field(foreign_key="council.id")
    question: str = Field(max_length=500)
    options: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: bool = True
    allow_change: bool = False  # roll-call only: a ballot may be changed until close
    special_rule: str | None = Field(default=None, max_length=30)
    opens_at: datetime
    closes_at: datetime
    state: str = Field(default="draft", max_length=10)  # draft / open / closed
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    fingerprint: str | None = Field(default=None, max_length=64)
    electorate_size: int = 0
    households_total: int = 0
    result: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Elector(SQLModel, table=True):
    """The electorate frozen at opening: one row per eligible voter."""

    __table_args__ = {"sqlite_with_rowid": False}
    vote_session_id: int = Field(foreign_key="vote_session.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    household_id: int | None = None


class Ballot(SQLModel, table=True):
    """A roll-call ballot: the voter and the choice, in the open."""

    __table_args__ = (UniqueConstraint("vote_session_id", "voter_id"),)
    id: int | None = Field(default=None, primary_key=True)
    vote_session_id: int = Field(foreign_key="vote_session.id")
    voter_id: int = Field(foreign_key="user.id")
    cast_by: int = Field(foreign_key="user.id")  # the voter, or their proxy
    choice: int
    receipt: str = Field(max_length=16, unique=True)
    cast_at: datetime = Field(default_factory=utcnow)
    changed_at: datetime | None = None


class BallotRegister(SQLModel, table=True):
    """Secret vote: who has voted (and through whom). No choice, no time, no link to the box."""

    __tablename__ = "ballot_register"
    __table_args__ = {"sqlite_with_rowid": False}
    vote_session_id: int = Field(foreign_key="vote_session.id", primary_key=True)
    voter_id: int = Field(foreign_key="user.id", primary_key=True)
    cast_by: int = Field(foreign_key="user.id")


class BallotBox(SQLModel, table=True):
    """Secret vote: the choice and its receipt under a random id. No voter, no time."""

    __tablename__ = "ballot_box"
    # SQLite counts a vote's choices from the (session, choice) index alone. PostgreSQL keeps `choice` out
    # of every index and half of each page free, so the deal at close (ballots.deal_box) rewrites every
    # row on its own page without touching an index (a "HOT" update): a million rows in 2 s, not 16.
    __table_args__ = (only_on("sqlite", Index("ix_ballot_box_session_choice", "vote_session_id", "choice")),
                      only_on("postgresql", Index("ix_ballot_box_session", "vote_session_id")),
                      {"sqlite_with_rowid": False, "postgresql_with": {"fillfactor": 50}})
    id: str = Field(primary_key=True, max_length=32)
    vote_session_id: int = Field(foreign_key="vote_session.id")
    choice: int
    receipt: str = Field(max_length=16, unique=True)


class Proxy(SQLModel, table=True):
    """委托: a written authorization recorded by the committee for one vote."""

    __table_args__ = (UniqueConstraint("vote_session_id", "voter_id"),
                      Index("ix_proxy_session_proxy", "vote_session_id", "proxy_id"))
    id: int | None = Field(default=None, primary_key=True)
    vote_session_id: int = Field(foreign_key="vote_session.id")
    voter_id: int = Field(foreign_key="user.id")
    proxy_id: int = Field(foreign_key="user.id")
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id")
    recorded_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class PaperTally(SQLModel, table=True):
    """The in-person meeting: sign-in sheet and paper count, confirmed by a second committee member."""

    __tablename__ = "paper_tally"
    id: int | None = Field(default=None, primary_key=True)
    vote_session_id: int = Field(foreign_key="vote_session.id", unique=True)
    counts: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    invalid: int = 0
    minutes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    photo_id: int | None = Field(default=None, foreign_key="attachment.id")
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    confirmed_by: int | None = Field(default=None, foreign_key="user.id")
    confirmed_at: datetime | None = None


class PaperAttendance(SQLModel, table=True):
    __tablename__ = "paper_attendance"
    vote_session_id: int = Field(foreign_key="vote_session.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
