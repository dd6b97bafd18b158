from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.common import Id, Line, Title


class CountyIn(BaseModel):
    name: Title = Field(min_length=1, max_length=50)


class CountyOut(BaseModel):
    id: int
    name: str


class TownshipIn(BaseModel):
    name: Title = Field(min_length=1, max_length=50)
    county_id: Id


class TownshipOut(BaseModel):
    id: int
    name: str
    county_id: int
    county_name: str | None = None


class VillageIn(BaseModel):
    name: Title = Field(min_length=1, max_length=50)
    slug: Line = Field(min_length=2, max_length=40)
    township_id: Id


class VillageOut(BaseModel):
    id: int
    name: str
    slug: str
    township_id: int
    township_name: str | None = None


class VillageFactsOut(BaseModel):
    members: int
    adults: int
    households: int
    groups: int
    representatives: int


class VillageDetailOut(VillageOut):
    facts: VillageFactsOut
