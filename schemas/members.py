from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.services.members import MemberView
from schemas.common import Line, Title, out_model

MemberOut = out_model(MemberView, "MemberOut", exclude=("joined_at",), doc="A member of the village.")


class MemberIn(BaseModel):
    name: Title = Field(min_length=1, max_length=50)
    phone: Line = Field(min_length=11, max_length=20)
    birth_date: date | None = Field(default=None, description="1900-01-01 至今天")
    gender: str | None = Field(default=None, pattern="^(男|女)$")
    household: Line | None = Field(default=None, max_length=30)
    group: Line | None = Field(default=None, max_length=50)
    roles: list[Annotated[Line, Field(max_length=30)]] = Field(default_factory=list, max_length=20)
    household_head: bool = False


class MemberPatch(BaseModel):
    roles: list[Annotated[Line, Field(max_length=30)]] | None = Field(default=None, max_length=20)
    household: Line | None = Field(default=None, max_length=30)
    group: Line | None = Field(default=None, max_length=50)


class ActivationOut(BaseModel):
    user_id: int
    name: str
    phone: str
    code: str
    expires_at: datetime


class MemberCreatedOut(BaseModel):
    member: MemberOut
    activation: ActivationOut | None = None
