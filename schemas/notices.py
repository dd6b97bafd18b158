"""Notices of the three publications (三公开), objections (质询) and the publication calendar, as the API
shows them.

Input models only cap the size of what is sent; the rules (title length, window days, period format)
are the service's, which answers with a Chinese message per field. The answers are filled from the
service's views (`services.notice_views.NoticeView`, `services.objections.ObjectionView`), the same ones
the pages show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from app.domain import notices as N
from app.domain import rulebook as R
from schemas.attachments import AttachmentOut
from schemas.common import Id, Line, Text, Title

if TYPE_CHECKING:
    from app.services.notice_views import NoticeView
    from app.services.objections import ObjectionView


def _days_help() -> str:
    """The days field's description, with the floor of the law's latest edition."""
    days, source = R.posting_floor(R.POSTED_CATEGORIES[0], date.max)
    since = (f"{source.valid_from:%Y-%m-%d} 起村务、财务公开至少公布 {days} 天（{source.cite}）；"
             if source and source.valid_from else "")
    return (f"公示天数（1–{N.MAX_DAYS}）。{since}不填则取当天该类别的默认天数"
            f"（{N.DEFAULT_DAYS} 天，村务、财务公开不少于法定天数）")


_TEXT_CAP = N.BODY_MAX + 1000  # the service refuses anything over BODY_MAX with its own message


class NoticeEdit(BaseModel):
    title: Title = Field(max_length=1000)
    body: Text = Field(max_length=_TEXT_CAP)
    days: int | None = Field(default=None, ge=1, le=N.MAX_DAYS, description=_days_help())


class NoticeIn(NoticeEdit):
    category: Line = Field(max_length=20, description="party 党务 / village 村务 / finance 财务")
    proposal_id: Id | None = None
    vote_session_id: Id | None = None
    period: Line | None = Field(default=None, max_length=20, description="会计期间，如 2026-10")


class CorrectionIn(BaseModel):
    title: Title = Field(max_length=1000)
    body: Text = Field(max_length=_TEXT_CAP)
    days: int | None = Field(default=None, ge=1, le=N.MAX_DAYS,
                             description="更正的公示天数；不填则与原公开相同（少于当天法定天数的，按法定天数）")


class ReviewIn(BaseModel):
    approve: bool
    note: Text | None = Field(default=None, max_length=2000, description="退回时必填")


class TextIn(BaseModel):
    body: Text = Field(max_length=10_000)


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

    @classmethod
    def of(cls, n: Any) -> NoticeSummary:
        """From a notice row (its names from the domain's tables)."""
        return cls(
            id=n.id, village_id=n.village_id, category=n.category, category_name=N.CATEGORIES[n.category],
            kind=n.kind, kind_name=N.KINDS.get(n.kind, n.kind), title=n.title, state=n.state,
            state_name=N.STATE_NAMES[n.state], days=n.days, window_from=n.window_from,
            window_until=n.window_until, published_at=n.published_at, content_hash=n.content_hash,
            supersedes_id=n.supersedes_id, updated_at=n.updated_at,
        )


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

    assisted: str | None = Field(default=None, description="委员会代录时：由某某代录、某某确认")

    @classmethod
    def of(cls, view: ObjectionView) -> ObjectionOut:
        o = view.objection
        return cls(id=o.id, notice_id=o.notice_id, notice_title=view.notice_title or None, author_id=o.author_id,
                   author_name=view.author_name, body=o.body, created_at=o.created_at, due_at=o.due_at,
                   reply=o.reply, replied_by=o.replied_by, replier_name=view.replier_name,
                   replied_at=o.replied_at, overdue=view.overdue, assisted=view.assisted)


class NoticeOut(NoticeSummary):
    body: str
    body_html: str
    author_id: int | None
    review_note: str | None
    reviewed_at: datetime | None
    reviewer: str | None = None  # the supervisory committee member who approved it
    closed_at: datetime | None
    created_at: datetime
    superseded_by: int | None
    versions: list[VersionOut]
    diff: list[DiffLineOut] | None  # against the version it supersedes; null for a first version
    attachments: list[AttachmentOut]
    links: LinksOut
    objections: list[ObjectionOut] | None  # village members, monitors and admins only; null otherwise

    @classmethod
    def of(cls, view: NoticeView, attachment: Callable[[Any], AttachmentOut]) -> NoticeOut:
        """From the notice's view; `attachment` shapes one of its files (with its download address)."""
        n = view.notice
        diff = view.diff
        return cls(
            **NoticeSummary.of(n).model_dump(), body=n.body, body_html=view.body_html, author_id=n.author_id,
            review_note=n.review_note, reviewed_at=n.reviewed_at, reviewer=view.reviewer, closed_at=n.closed_at,
            created_at=n.created_at,
            superseded_by=view.newer.id if view.newer else None,
            versions=[VersionOut(id=v.id, title=v.title, published_at=v.published_at, content_hash=v.content_hash)
                      for v in view.versions],
            diff=[DiffLineOut(kind=d.kind, text=d.text) for d in diff] if diff is not None else None,
            attachments=[attachment(a) for a in view.attachments],
            links=LinksOut(proposal_id=n.proposal_id, vote_session_id=n.vote_session_id, period=n.period),
            objections=[ObjectionOut.of(o) for o in view.objections] if view.objections is not None else None,
        )


class ComplianceOut(BaseModel):
    category: str
    name: str
    last_published: date | None
    limit_months: int
    overdue: bool
