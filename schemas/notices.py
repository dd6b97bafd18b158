"""Notices of the three publications (三公开), objections (质询) and the publication calendar, as the API
shows them.

Input models only cap the size of what is sent; the rules (title length, window days, period format)
are the service's, which answers with a Chinese message per field.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.domain import notices as N
from schemas.attachments import AttachmentOut

_TEXT_CAP = N.BODY_MAX + 1000  # the service refuses anything over BODY_MAX with its own message


class NoticeEdit(BaseModel):
    title: str = Field(max_length=1000)
    body: str = Field(max_length=_TEXT_CAP)
    days: int = Field(default=N.DEFAULT_DAYS, description="公示天数（1–365）")


class NoticeIn(NoticeEdit):
    category: str = Field(max_length=20, description="party 党务 / village 村务 / finance 财务")
    proposal_id: int | None = None
    vote_session_id: int | None = None
    period: str | None = Field(default=None, max_length=20, description="会计期间，如 2026-10")


class CorrectionIn(BaseModel):
    title: str = Field(max_length=1000)
    body: str = Field(max_length=_TEXT_CAP)
    days: int | None = Field(default=None, description="更正的公示天数；不填则与原公开相同")


class ReviewIn(BaseModel):
    approve: bool
    note: str | None = Field(default=None, max_length=2000, description="退回时必填")


class TextIn(BaseModel):
    body: str = Field(max_length=10_000)


class NoticeSummary(BaseModel):
    id: int
    village_id: int
    category: str
    category_name: str
    kind: str
    kind_name: str
    title: str
    state: str
    state_name: str
    days: int
    window_from: datetime | None
    window_until: datetime | None
    published_at: datetime | None
    content_hash: str | None
    supersedes_id: int | None
    updated_at: datetime


class VersionOut(BaseModel):
    id: int
    title: str
    published_at: datetime | None
    content_hash: str | None


class DiffLineOut(BaseModel):
    kind: str  # same / added / removed
    text: str


class LinksOut(BaseModel):
    proposal_id: int | None
    vote_session_id: int | None
    period: str | None


class ObjectionOut(BaseModel):
    id: int
    notice_id: int
    notice_title: str | None = None
    author_id: int
    author_name: str | None
    body: str
    created_at: datetime
    due_at: datetime
    reply: str | None
    replied_by: int | None
    replier_name: str | None
    replied_at: datetime | None
    overdue: bool


class NoticeOut(NoticeSummary):
    body: str
    body_html: str
    author_id: int | None
    review_note: str | None
    reviewed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    superseded_by: int | None
    versions: list[VersionOut]
    diff: list[DiffLineOut] | None  # against the version it supersedes; null for a first version
    attachments: list[AttachmentOut]
    links: LinksOut
    objections: list[ObjectionOut] | None  # village members, monitors and admins only; null otherwise


class ComplianceOut(BaseModel):
    category: str
    name: str
    last_published: date | None
    limit_months: int
    overdue: bool


class VillageDashboardOut(BaseModel):
    village_id: int
    name: str
    slug: str
    calendar: list[ComplianceOut]
    overdue: bool  # some category is behind its calendar
    overdue_objections: int  # unanswered past their deadline


class TownshipDashboardOut(BaseModel):
    township_id: int
    villages: list[VillageDashboardOut]
