"""Councils: request and response shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.common import Id, Line


class CouncilIn(BaseModel):
    kind: Line = Field(max_length=20)
    name: Line | None = Field(default=None, max_length=50)  # blank-looking: refused by the service
    group_id: Id | None = None  # for a villager group meeting
    member_ids: list[Id] | None = Field(default=None, max_length=1000)  # for a custom body
    quorum: Line | None = Field(default=None, max_length=10, examples=["2/3"])  # custom bodies only
    quorum_inclusive: bool = True  # "以上" (≥); False: "超过/过半数" (>)
    passing: Line | None = Field(default=None, max_length=10, examples=["1/2"])
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
