from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.services.members import MemberView
from schemas.common import out_model

MemberOut = out_model(MemberView, "MemberOut", exclude=("joined_at",), doc="A member of the village.")


class MemberIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(min_length=11, max_length=20)
    birth_date: date | None = None
    gender: str | None = Field(default=None, pattern="^(男|女)$")
    household: str | None = Field(default=None, max_length=30)
    group: str | None = Field(default=None, max_length=50)
    roles: list[str] = Field(default_factory=list)
    household_head: bool = False


class MemberPatch(BaseModel):
    roles: list[str] | None = None
    household: str | None = Field(default=None, max_length=30)
    group: str | None = Field(default=None, max_length=50)


class ActivationOut(BaseModel):
    user_id: int
    name: str
    phone: str
    code: str
    expires_at: datetime


class MemberCreatedOut(BaseModel):
    member: MemberOut
    activation: ActivationOut | None = None
