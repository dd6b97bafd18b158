"""Proxies and paper tallies: request and response shapes. All times are ISO 8601 in UTC."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.domain.votes import MAX_OPTIONS
from schemas.common import Count, Id, Text
from schemas.councils import PersonOut
from schemas.votes import CountOut


class ProxyIn(BaseModel):
    voter_id: Id
    proxy_id: Id
    attachment_id: Id | None = None  # the scanned written authorization


class ProxyOut(BaseModel):
    voter_id: int
    voter: str
    proxy_id: int
    proxy: str
    attachment_id: int | None


class PaperIn(BaseModel):
    present_user_ids: list[Id] = Field(max_length=100_000)  # the sign-in sheet
    counts: list[Count] = Field(max_length=MAX_OPTIONS)  # paper ballots per option
    invalid: Count = 0
    minutes: Text | None = Field(default=None, max_length=20_000)
    photo_id: Id | None = None


class PaperOut(BaseModel):
    present: list[PersonOut]
    counts: list[CountOut]
    invalid: int
    minutes: str | None
    photo_id: int | None
    recorded_by: int
    recorded_at: datetime
    confirmed_by: int | None
    confirmed_at: datetime | None
    confirmed: bool
