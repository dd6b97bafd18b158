"""API shapes of a village's own rules (村规民约、村民自治章程) and their versions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import Id, Text, Title


class RuleIn(BaseModel):
    kind: Literal["charter", "code"] = Field(description="charter：村民自治章程；code：村规民约")
    title: Title = Field(max_length=60, description="名称")
    body: Text = Field(max_length=50_000, description="条文")
    note: Text = Field(default="", max_length=500, description="说明（可不填）")


class VersionIn(BaseModel):
    body: Text = Field(max_length=50_000, description="这一版的条文")
    note: Text = Field(default="", max_length=500, description="修订说明（可不填）")


class AdoptIn(BaseModel):
    vote_session_id: Id = Field(description="通过这一版的村民会议表决（已结束、已通过）")


class NoteIn(BaseModel):
    note: Text = Field(default="", max_length=500, description="备案意见（可不填）")


class ReasonIn(BaseModel):
    reason: Text = Field(default="", max_length=500, description="责令改正的理由（必填，村里看得到）")


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int
    number: int
    state: str = Field(description="draft 草稿 / adopted 已通过待备案 / filed 已备案 / returned 乡镇责令改正")
    body: str
    note: str
    content_hash: str | None = Field(description="通过时条文的 SHA-256（名称、版本号、条文，换行连接）")
    vote_session_id: int | None
    adopted_at: datetime | None
    notice_id: int | None = Field(description="公开栏上的公布稿")
    returned_reason: str | None
    returned_at: datetime | None
    created_at: datetime


class RuleOut(BaseModel):
    id: int
    village_id: int
    kind: str
    kind_name: str
    title: str
    current: VersionOut | None = Field(description="现行版本（最近一次通过的）")
    draft: VersionOut | None = Field(default=None, description="修订草稿（只有村委会看得到）")


class RuleDetailOut(BaseModel):
    id: int
    village_id: int
    kind: str
    kind_name: str
    title: str
    citation: str
    versions: list[VersionOut] = Field(description="各版本，新的在前；草稿只有村委会看得到")
    filings: dict[int, str] = Field(description="版本编号 → 备案号")
