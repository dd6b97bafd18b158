"""Councils and votes: request and response shapes. All times are ISO 8601 in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator

from app.domain.votes import MAX_OPTIONS, QUESTION_MAX


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC; any other zone is converted to UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- councils -------------------------------------------------------------------------------

class CouncilIn(BaseModel):
    kind: str = Field(max_length=20)
    name: str | None = Field(default=None, max_length=50)
    group_id: int | None = None  # for a villager group meeting
    member_ids: list[int] | None = Field(default=None, max_length=1000)  # for a custom body
    quorum: str | None = Field(default=None, max_length=10, examples=["2/3"])  # custom bodies only
    quorum_inclusive: bool = True  # "以上" (≥); False: "超过/过半数" (>)
    passing: str | None = Field(default=None, max_length=10, examples=["1/2"])
    passing_inclusive: bool = False


class CouncilOut(BaseModel):
    id: int
    village_id: int
    kind: str
    kind_name: str
    name: str
    group_id: int | None
    members: int  # eligible today
    quorum_rule: str
    passing_rule: str
    citation: str


class PersonOut(BaseModel):
    id: int
    name: str


class CouncilDetailOut(CouncilOut):
    member_list: list[PersonOut]


# --- vote sessions --------------------------------------------------------------------------

class VoteIn(BaseModel):
    council_id: int
    question: str = Field(max_length=QUESTION_MAX * 2)  # the service checks the length, in Chinese
    options: list[str] | None = Field(default=None, max_length=MAX_OPTIONS * 2)  # default 同意/反对/弃权
    secret: bool
    allow_change: bool = False  # roll-call only
    opens_at: datetime
    closes_at: datetime
    special_rule: str | None = Field(default=None, max_length=30)

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return _utc(value)


class VotePatch(BaseModel):
    question: str | None = Field(default=None, max_length=QUESTION_MAX * 2)
    options: list[str] | None = Field(default=None, max_length=MAX_OPTIONS * 2)
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


class MyBallotOut(BaseModel):
    voted: bool
    secret: bool
    choice: str | None  # roll-call only: a secret ballot's choice is never linked to its voter
    receipt: str | None  # roll-call only: a secret ballot's receipt is shown once, when cast
    cast_by_proxy: bool


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


# --- ballots, proxies, paper tallies --------------------------------------------------------

class BallotIn(BaseModel):
    choice: int  # the option's index (0 = the first)
    on_behalf_of: int | None = None  # a voter whose written proxy the caller holds


class CastOut(BaseModel):
    receipt: str
    changed: bool


class ProxyIn(BaseModel):
    voter_id: int
    proxy_id: int
    attachment_id: int | None = None  # the scanned written authorization


class ProxyOut(BaseModel):
    voter_id: int
    voter: str
    proxy_id: int
    proxy: str
    attachment_id: int | None


class PaperIn(BaseModel):
    present_user_ids: list[int] = Field(max_length=100_000)  # the sign-in sheet
    counts: list[int] = Field(max_length=MAX_OPTIONS)  # paper ballots per option
    invalid: int = Field(default=0, ge=0)
    minutes: str | None = Field(default=None, max_length=20_000)
    photo_id: int | None = None


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


class BoxEntryOut(BaseModel):
    receipt: str
    choice: str
    voter: str | None = None  # roll-call ballots, for the village's members


class ReceiptOut(BaseModel):
    receipt: str
    choice: str
