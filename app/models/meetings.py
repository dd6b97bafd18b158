"""Meetings as records (会议) of any council: the agenda, the notice on the board, who signed in (on
paper or by phone with the code shown at the meeting), the minutes (纪要) and the votes taken there;
and members' requests to convene (提议召集) a 村民会议 or 村民代表会议, with one signature per person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    title: str = Field(max_length=60)
    starts_at: datetime
    place: str = Field(max_length=60)
    state: str = Field(default="draft", max_length=10)  # draft / announced / held / cancelled
    short_notice: str | None = Field(default=None, max_length=500)  # 临时通知: the special circumstance
    notice_id: int | None = Field(default=None, foreign_key="notice.id")  # the announcement on the board
    checkin_hash: str | None = Field(default=None, max_length=64)  # SHA-256 of the code shown at the meeting
    checkin_until: datetime | None = None
    minutes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # 纪要
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    announced_by: int | None = Field(default=None, foreign_key="user.id")
    announced_at: datetime | None = None
    held_by: int | None = Field(default=None, foreign_key="user.id")  # who recorded the minutes
    held_at: datetime | None = None


class MeetingItem(SQLModel, table=True):
    """One line of the agenda: a matter of the village, or free text."""

    __tablename__ = "meeting_item"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    text: str = Field(default="", max_length=200)


class MeetingAttendance(SQLModel, table=True):
    """Who was there: signed on the paper sheet (paper), checked in with the code (phone), or a
    supervisor attending without a vote (observer, 列席). One row per person and meeting."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    how: str = Field(max_length=10)  # paper / phone / observer
    recorded_by: int = Field(foreign_key="user.id")  # the person themself for phone check-in
    at: datetime = Field(default_factory=utcnow)


class MeetingVote(SQLModel, table=True):
    """A vote taken at the meeting; a vote belongs to at most one meeting."""

    __tablename__ = "meeting_vote"
    __table_args__ = (UniqueConstraint("vote_session_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    vote_session_id: int = Field(foreign_key="vote_session.id")
    linked_by: int = Field(foreign_key="user.id")
    linked_at: datetime = Field(default_factory=utcnow)


class ConveneRequest(SQLModel, table=True):
    """Members ask the committee to convene a 村民会议 (assembly) or 村民代表会议 (representatives)."""

    __tablename__ = "convene_request"
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    kind: str = Field(max_length=20)  # assembly / representatives
    reason: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="open", max_length=10)  # open / convened / closed
    met_at: datetime | None = None  # when the signatures first reached the law's threshold
    citation: str | None = Field(default=None, max_length=200)  # the threshold's source on that day
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    closed_reason: str | None = Field(default=None, max_length=500)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class ConveneSignature(SQLModel, table=True):
    __tablename__ = "convene_signature"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="convene_request.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
