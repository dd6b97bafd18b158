"""The township's dashboard (乡镇监督) as the API shows it: filled from `services.townships.Dashboard`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from schemas.common import Days, Fen, Line, Title
from schemas.notices import ComplianceOut

if TYPE_CHECKING:
    from app.services.townships import Dashboard


class VillageDashboardOut(BaseModel):
    village_id: int
    name: str
    slug: str
    calendar: list[ComplianceOut]
    overdue: bool  # some category is behind its calendar
    overdue_objections: int  # unanswered past their deadline


class TownshipDashboardOut(BaseModel):
    township_id: int
    villages: list[VillageDashboardOut]

    @classmethod
    def of(cls, view: Dashboard) -> TownshipDashboardOut:
        return cls(township_id=view.township.id, villages=[
            VillageDashboardOut(village_id=row.village.id, name=row.village.name, slug=row.village.slug,
                                calendar=[ComplianceOut.model_validate(c, from_attributes=True) for c in row.calendar],
                                overdue=row.overdue, overdue_objections=row.overdue_objections)
            for row in view.villages
        ])


class MonitorIn(BaseModel):
    name: Title = Field(min_length=1, max_length=50)
    phone: Line = Field(min_length=11, max_length=20)


class MonitorOut(BaseModel):
    user_id: int
    name: str
    phone: str
    status: str
    code: str | None = None
    expires_at: datetime | None = None


class TownshipSettings(BaseModel):
    """The province's rules as the township sets them for its villages; null leaves it to each village."""

    per_capita_cap_fen: Fen | None = None
    labour_days_cap: Days | None = None
    proxy_cap: int | None = Field(default=None, ge=1, le=10)
