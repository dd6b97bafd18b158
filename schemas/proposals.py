"""Proposals as the API shows them: validated from the service's views
(`services.proposal_views.ProposalRow` / `ProposalDetail` / `CosignView`), the ones the pages show."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.domain import procedures as P
from app.domain.proposals import BODY_MAX, CATEGORIES, EXEMPTIONS_MAX, TITLE_MAX
from app.services.proposal_views import CosignView, HistoryRow, ProposalRow
from schemas.common import Days, Fen, Line, Text, Title, one_of, out_model
from schemas.votes import VoteBriefOut


class ProposalIn(BaseModel):
    title: Title = Field(min_length=1, max_length=TITLE_MAX)
    body: Text = Field(min_length=1, max_length=BODY_MAX)
    category: Line = Field(max_length=20, **one_of(CATEGORIES, "类别"))
    procedure: Line = Field(default="yishiyiyi", max_length=20,
                            **one_of({k: p.name for k, p in P.PROCEDURES.items()}, "议事程序"))
    budget_fen: Fen | None = None
    per_capita_fen: Fen | None = None
    labour_days: Days | None = None
    exemptions: Text | None = Field(default=None, max_length=EXEMPTIONS_MAX)


ProposalSummary = out_model(ProposalRow, "ProposalSummary", exclude=("stage_entered_at",))


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: str
    name: str
    help: str
    current: bool
    done: bool


CosignOut = out_model(CosignView, "CosignOut")


TransitionOut = out_model(HistoryRow, "TransitionOut", exclude=("procedure",),
                          extra={"action_name": (str, Field())})


class ProposalOut(ProposalSummary):
    body: str
    body_html: str
    budget_fen: int | None
    per_capita_fen: int | None
    labour_days: int | None
    exemptions: str | None
    stage_entered_at: datetime | None
    submitted_at: datetime | None
    created_at: datetime
    stages: list[StageOut]
    cosign: CosignOut | None
    comments_open: bool
    actions: list[str]
    history: list[TransitionOut]
    votes: list[VoteBriefOut] = Field(default_factory=list,
                                      description="本事项的表决（详情见 GET /proposals/{pid}/votes）")


class TransitionIn(BaseModel):
    action: Line = Field(max_length=20, **one_of(P.ACTION_NAMES, "操作（事项的 actions 列出此刻可用的）"))
    note: Text | None = Field(default=None, max_length=1000)


class VillageSettingsIn(BaseModel):
    min_days: dict[Annotated[Line, Field(max_length=30)], Days] = Field(default_factory=dict, max_length=50)
    per_capita_cap_fen: Fen
    labour_days_cap: Days
    proxy_cap: int | None = Field(default=None, ge=1, le=10)
    objection_reply_days: int | None = Field(default=None, ge=1, le=60)


class VillageSettingsOut(VillageSettingsIn):
    fixed: list[str] = Field(default_factory=list)  # settings the township sets for its villages
