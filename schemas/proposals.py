from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.domain.proposals import BODY_MAX, EXEMPTIONS_MAX, TITLE_MAX


class ProposalIn(BaseModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    category: str = Field(max_length=20)
    procedure: str = Field(default="yishiyiyi", max_length=20)
    budget_fen: int | None = Field(default=None, ge=0)
    per_capita_fen: int | None = Field(default=None, ge=0)
    labour_days: int | None = Field(default=None, ge=0)
    exemptions: str | None = Field(default=None, max_length=EXEMPTIONS_MAX)


class ProposalSummary(BaseModel):
    id: int
    village_id: int
    title: str
    category: str
    category_name: str
    procedure: str
    procedure_name: str
    state: str
    state_name: str
    author_id: int
    author_name: str
    cosign_count: int
    comment_count: int
    updated_at: datetime


class StageOut(BaseModel):
    key: str
    kind: str
    name: str
    help: str
    current: bool
    done: bool


class CosignOut(BaseModel):
    villagers: int
    villagers_needed: int
    representatives: int
    representatives_needed: int
    met: bool
    cosigned_by_me: bool


class TransitionOut(BaseModel):
    action: str
    action_name: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_name: str | None
    note: str | None
    created_at: datetime


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


class TransitionIn(BaseModel):
    action: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=1000)


class VillageSettingsIn(BaseModel):
    min_days: dict[str, int] = Field(default_factory=dict)
    per_capita_cap_fen: int = Field(ge=0)
    labour_days_cap: int = Field(ge=0)
    proxy_cap: int | None = Field(default=None, ge=1, le=10)
    objection_reply_days: int | None = Field(default=None, ge=1, le=60)


class VillageSettingsOut(VillageSettingsIn):
    fixed: list[str] = Field(default_factory=list)  # settings the township sets for its villages
