"""The township's cases (escalated objections) and confidential reports (举报) as the API shows them:
filled from `services.cases.CaseView` and `ReportView`."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from schemas.common import Text

if TYPE_CHECKING:
    from app.services.cases import CaseView, ReportView


class AnswerIn(BaseModel):
    answer: Text = Field(max_length=10_000, description="乡镇的答复，最多 5000 字")


class DirectIn(BaseModel):
    note: Text = Field(max_length=10_000, description="督办意见，最多 2000 字")
    due_date: date = Field(description="村委会答复的期限（北京时间，含当天），今天之后、60 天以内")


class ReportIn(BaseModel):
    body: Text = Field(max_length=10_000, description="反映的内容，最多 5000 字")


class ReplyIn(BaseModel):
    body: Text = Field(max_length=10_000, description="答复，最多 5000 字")


class CaseOut(BaseModel):
    id: int
    township_id: int
    village_id: int
    village_name: str
    objection_id: int
    notice_id: int
    notice_title: str
    objection_body: str
    objector_name: str
    objection_created_at: datetime
    objection_due_at: datetime
    village_reply: str | None  # the village's own reply, if it came (late)
    village_replied_at: datetime | None
    escalated_at: datetime
    state: str  # open / directed / answered
    state_name: str
    status: str  # what the objector and the village read: "已转乡镇处理" and where it stands
    answer: str | None
    answerer_name: str | None
    answered_at: datetime | None
    direction: str | None
    director_name: str | None
    directed_at: datetime | None
    directed_due_at: datetime | None
    overdue_direction: bool

    @classmethod
    def of(cls, view: CaseView) -> CaseOut:
        c, o = view.case, view.objection
        return cls(id=c.id, township_id=c.township_id, village_id=c.village_id, village_name=view.village_name,
                   objection_id=o.id, notice_id=o.notice_id, notice_title=view.notice_title, objection_body=o.body,
                   objector_name=view.author_name, objection_created_at=o.created_at, objection_due_at=o.due_at,
                   village_reply=o.reply, village_replied_at=o.replied_at, escalated_at=c.escalated_at,
                   state=c.state, state_name=view.state_name, status=f"{view.status.label}：{view.status.detail}",
                   answer=c.answer, answerer_name=view.answerer_name, answered_at=c.answered_at,
                   direction=c.direction, director_name=view.director_name, directed_at=c.directed_at,
                   directed_due_at=c.directed_due_at, overdue_direction=view.overdue_direction)


class ReplyOut(BaseModel):
    id: int
    author_id: int
    author_name: str
    body: str
    created_at: datetime


class ReportOut(BaseModel):
    id: int
    township_id: int
    village_id: int
    village_name: str
    author_id: int
    author_name: str
    body: str
    created_at: datetime
    state: str  # open / replied
    state_name: str
    replies: list[ReplyOut]

    @classmethod
    def of(cls, view: ReportView) -> ReportOut:
        r = view.report
        return cls(id=r.id, township_id=r.township_id, village_id=r.village_id, village_name=view.village_name,
                   author_id=r.author_id, author_name=view.author_name, body=r.body, created_at=r.created_at,
                   state=r.state, state_name=view.state_name,
                   replies=[ReplyOut(id=x.reply.id, author_id=x.reply.author_id, author_name=x.author_name,
                                     body=x.reply.body, created_at=x.reply.created_at) for x in view.replies])
