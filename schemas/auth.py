from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.domain.people import PASSWORD_MAX
from app.services.auth import SessionView
from schemas.common import Line, out_model


class TokenIn(BaseModel):
    phone: Line = Field(min_length=1, max_length=20)
    password: Line = Field(min_length=1, max_length=PASSWORD_MAX)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105
    expires_at: datetime


class ActivateIn(BaseModel):
    phone: Line = Field(min_length=1, max_length=20)
    code: Line = Field(min_length=4, max_length=20)
    password: Line = Field(min_length=1, max_length=PASSWORD_MAX + 1)


class PasswordChangeIn(BaseModel):
    current_password: Line = Field(min_length=1, max_length=PASSWORD_MAX + 1)
    new_password: Line = Field(min_length=1, max_length=PASSWORD_MAX + 1)


class MessageOut(BaseModel):
    detail: str


class MembershipOut(BaseModel):
    village_id: int
    roles: list[str]


class MeOut(BaseModel):
    id: int
    name: str
    phone: str
    is_admin: bool
    memberships: list[MembershipOut]
    monitor_of: list[int]
    csrf_token: str | None = None


SessionOut = out_model(SessionView, "SessionOut")
