"""Ballots: request and response shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.domain.votes import MAX_OPTIONS
from schemas.common import Id


class BallotIn(BaseModel):
    choice: int = Field(ge=0, le=MAX_OPTIONS - 1)  # the option's index (0 = the first)
    on_behalf_of: Id | None = None  # a voter whose written proxy the caller holds


class CastOut(BaseModel):
    receipt: str
    changed: bool


class MyBallotOut(BaseModel):
    voted: bool
    secret: bool
    choice: str | None  # roll-call only: a secret ballot's choice is never linked to its voter
    receipt: str | None  # roll-call only: a secret ballot's receipt is shown once, when cast
    cast_by_proxy: bool


class BoxEntryOut(BaseModel):
    receipt: str
    choice: str
    voter: str | None = None  # roll-call ballots, for the village's members


class ReceiptOut(BaseModel):
    receipt: str
    choice: str
