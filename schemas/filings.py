"""API shapes of the township's queue and its filings (乡镇审核备案)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import Text


class FilingIn(BaseModel):
    note: Text = Field(default="", max_length=500, description="审核意见（可不填）")


class ReturnIn(BaseModel):
    reason: Text = Field(default="", max_length=500, description="退回的理由（必填，村里看得到）")


class FilingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    township_id: int
    village_id: int
    proposal_id: int | None = Field(description="备案的事项（备案村规民约时为空）")
    rule_version_id: int | None = Field(default=None, description="备案的村规民约版本（备案事项时为空）")
    number: str = Field(description="备案号，如 石桥镇备〔2026〕3号（事项和村规民约共用一个编号序列）")
    note: str
    filed_by: int
    filed_at: datetime


class QueueRowOut(BaseModel):
    proposal_id: int
    title: str
    village_id: int
    village_name: str
    stage: str
    entered_at: datetime
    due_at: datetime
    overdue: bool
    summary: str = Field(description="一事一档的合规结论：合规 / 不合规 / 未完成")
    failed: list[str] = Field(description="不符合的检查项")

    @classmethod
    def of(cls, row) -> QueueRowOut:
        return cls(proposal_id=row.proposal.id, title=row.proposal.title, village_id=row.village.id,
                   village_name=row.village.name, stage=row.proposal.state, entered_at=row.entered_at,
                   due_at=row.due_at, overdue=row.overdue, summary=row.summary, failed=row.failed)


class ReturnedOut(BaseModel):
    proposal_id: int
    state: str = Field(description="退回后事项所在的阶段（商议）")
