from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

# The service trims and checks the real limits (5,000 characters of text, 500 of a reason) with a
# Chinese message; these only bound what the server is asked to read.
BODY_LIMIT = 10_000
REASON_LIMIT = 1_000


class CommentIn(BaseModel):
    body: str = Field(max_length=BODY_LIMIT)
    parent_id: int | None = None


class CommentEditIn(BaseModel):
    body: str = Field(max_length=BODY_LIMIT)


class HideIn(BaseModel):
    reason: str = Field(default="", max_length=REASON_LIMIT)


class ReportIn(BaseModel):
    reason: str | None = Field(default=None, max_length=REASON_LIMIT)


class CommentOut(BaseModel):
    id: int
    proposal_id: int
    parent_id: int | None
    depth: int
    indent: int
    author_id: int
    author_name: str
    body: str | None = Field(description="null when the comment is hidden and the viewer may not see hidden text")
    body_html: str
    hidden: bool
    hidden_reason: str | None
    hidden_notice: str | None = Field(description="此评论已被村委会隐藏，理由：… (shown in the comment's place)")
    hidden_at: datetime | None
    created_at: datetime
    edited_at: datetime | None
    versions: int = Field(description="number of earlier versions")
    reports: int = Field(description="number of reports; 0 unless the viewer may hide comments")
    can_edit: bool
    can_hide: bool
    can_report: bool
    can_reply: bool


class CommentVersionOut(BaseModel):
    body: str
    written_at: datetime


class ReportedCommentOut(BaseModel):
    id: int
    proposal_id: int
    proposal_title: str
    author_id: int
    author_name: str
    body: str
    body_html: str
    created_at: datetime
    reports: int
    last_reported_at: datetime
    reasons: list[str]


class ReportedOut(BaseModel):
    reported: bool = True


class NotificationOut(BaseModel):
    id: int
    village_id: int | None
    text: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class UnreadOut(BaseModel):
    unread: int


class MarkedReadOut(BaseModel):
    marked: int
    unread: int
