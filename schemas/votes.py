"""Vote sessions: request and response shapes. All times are ISO 8601 in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from app.domain.votes import MAX_OPTIONS, OPTION_MAX, QUESTION_MAX
from app.services.vote_views import VoteBrief
from schemas.ballots import MyBallotOut
from schemas.common import Id, Line, Prose, out_model

Option = Annotated[Line, Field(max_length=OPTION_MAX * 2)]


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC; any other zone is converted to UTC."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+08:00 has no UTC time
        raise PydanticCustomError("cunyi_reason", "超出范围") from None


class VoteIn(BaseModel):
    council_id: Id
    question: Prose = Field(max_length=QUESTION_MAX * 2)  # the service checks the length, in Chinese
    options: list[Option] | None = Field(default=None, max_length=MAX_OPTIONS * 2)  # default 同意/反对/弃权
    secret: bool
    allow_change: bool = False  # roll-call only
    opens_at: datetime
    closes_at: datetime
    special_rule: Line | None = Field(default=None, max_length=30)

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return _utc(value)


class VotePatch(BaseModel):
    question: Prose | None = Field(default=None, max_length=QUESTION_MAX * 2)
    options: list[Option] | None = Field(default=None, max_length=MAX_OPTIONS * 2)
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class CouncilBrief(BaseModel):
    id: int
    kind: str
    kind_name: str
    name: str


class QuorumOut(BaseModel):
    required: int
    present: int
    met: bool
    rule: str
    households_required: int | None = None
    households_present: int | None = None


class CountOut(BaseModel):
    option: str
    count: int


class ResultOut(BaseModel):
    quorum: QuorumOut
    counts: list[CountOut]
    invalid: int
    electorate: int
    households: int | None = None
    winner: str | None
    yes: int
    yes_needed: int
    passed: bool
    rule: str
    citation: str
    summary: str
    duplicates: list[str] | None  # signed in and voted online, counted once; null for the public


class VoteOut(BaseModel):
    id: int
    village_id: int
    proposal_id: int
    stage: str
    council: CouncilBrief
    question: str
    options: list[str]
    secret: bool
    allow_change: bool
    special_rule: str | None
    opens_at: datetime
    closes_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    state: str  # draft / open / closed
    fingerprint: str | None
    electorate_size: int
    quorum_rule: str
    passing_rule: str
    citation: str
    turnout: int  # ballots cast online so far: the only figure shown before close
    result: ResultOut | None  # only once closed
    my_ballot: MyBallotOut | None  # for a logged-in member of the village


VoteBriefOut = out_model(VoteBrief, "VoteBriefOut")
