"""API shapes of meetings (会议) and requests to convene (提议召集)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.common import Id, Line, Text, Title
from schemas.votes import _utc


class MeetingIn(BaseModel):
    council_id: Id = Field(description="本村的议事机构")
    title: Title = Field(max_length=120, description="会议名称（最多 60 个字）")
    starts_at: datetime = Field(description="会议时间；不带时区按 UTC")
    place: Title = Field(max_length=120, description="地点")
    items: list[Line] = Field(default=[], max_length=60, description="议程（文字），每项最多 200 个字")
    proposal_ids: list[Id] = Field(default=[], max_length=60, description="列入议程的本村事项")

    @field_validator("starts_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return _utc(value)


class ItemIn(BaseModel):
    text: Line = Field(default="", max_length=400)
    proposal_id: Id | None = None


class AnnounceIn(BaseModel):
    short_notice: Text = Field(default="", max_length=1000,
                               description="临时通知的原因：村民会议不足十日通知时必填（2025年修正起可以临时通知）")


class ReasonIn(BaseModel):
    reason: Text = Field(default="", max_length=1000)


class CodeIn(BaseModel):
    code: Line = Field(max_length=40, description="会场上展示的 6 位签到码")


class PaperIn(BaseModel):
    user_ids: list[Id] = Field(max_length=100_000, description="在纸质签到表上签名的人")
    scan_id: Id | None = Field(default=None, description="签到表的扫描件（先作为会议附件上传）")


class MinutesIn(BaseModel):
    minutes: Text = Field(max_length=40_000, description="会议纪要")


class VoteLinkIn(BaseModel):
    vote_session_id: Id


class ItemOut(BaseModel):
    position: int
    proposal_id: int | None
    text: str = Field(description="文字议程；关联事项时为事项标题")


class AttendanceOut(BaseModel):
    user_id: int
    name: str
    how: str = Field(description="paper 纸质签到 / phone 手机签到 / observer 列席")
    at: datetime


class MeetingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    village_id: int
    council_id: int
    title: str
    starts_at: datetime
    place: str
    state: str = Field(description="draft 草稿 / announced 已通知 / held 已召开 / cancelled 已取消")
    short_notice: str | None
    notice_id: int | None = Field(description="公开栏上的会议通知")
    checkin_until: datetime | None
    minutes: str | None
    cancel_reason: str | None
    announced_at: datetime | None
    held_at: datetime | None
    created_at: datetime


class MeetingDetailOut(MeetingOut):
    council_name: str
    items: list[ItemOut]
    present: list[AttendanceOut]
    invited: list[int] = Field(description="列席的村务监督委员会成员")
    vote_session_ids: list[int]
    attachment_ids: list[int]
    notice_days: int = Field(description="法定提前通知天数（0：法律未规定）")
    citation: str | None


class CheckinOpenOut(BaseModel):
    code: str = Field(description="签到码：只在这里给出一次，请在会场展示")
    until: datetime


class PetitionIn(BaseModel):
    kind: Literal["assembly", "representatives"] = Field(description="assembly 村民会议 / representatives 村民代表会议")
    reason: Text = Field(max_length=1000, description="事由")


class ConveneIn(BaseModel):
    meeting_id: Id


class PetitionOut(BaseModel):
    id: int
    village_id: int
    kind: str
    reason: str
    state: str = Field(description="open 征集中 / convened 已召集 / closed 已关闭")
    signatures: int
    villagers: int
    villagers_needed: int
    representatives: int
    representatives_needed: int
    met: bool = Field(description="签名已达到法定人数：村委会应当召集")
    met_at: datetime | None
    citation: str | None
    meeting_id: int | None
    closed_reason: str | None
    signed: bool
