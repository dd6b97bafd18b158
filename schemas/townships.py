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
    open_cases: int = 0  # escalated objections waiting on the township or on the directed village
    open_reports: int = 0  # its members' reports waiting for the township's reply
    stuck: int = 0  # matters in one stage longer than 60 days
    failed_quorum: int = 0  # votes of the last year that closed without their quorum
    failed_checks: int = 0  # matters whose decision file has a check not met
    failing: list[int] = []  # some of those matters' ids, latest first
    books_unclosed: int | None = None  # months ended and not closed (None: no books kept)
    last_seal: datetime | None = None
    chain_ok: bool | None = None  # the audit chain's last full check (None: not checked yet)
    rules_awaiting: int = 0  # adopted versions of its 村规民约 waiting for the township's filing
    unconvened: int = 0  # requests to convene met over 30 days ago and still not convened
    flags: int = 0  # how many of the above call for the township's attention
    late: bool = False


class MonthOut(BaseModel):
    month: str  # "2026-11", Beijing calendar
    published: dict[str, int]  # notices by category
    decided: int
    votes: int
    failed_quorum: int
    objections: int
    late_objections: int


class TownshipDashboardOut(BaseModel):
    township_id: int
    sort: str
    villages: list[VillageDashboardOut]
    trend: list[MonthOut]  # the last twelve months, oldest first

    @classmethod
    def of(cls, view: Dashboard) -> TownshipDashboardOut:
        return cls(township_id=view.township.id, sort=view.sort, villages=[
            VillageDashboardOut(
                village_id=row.village.id, name=row.village.name, slug=row.village.slug,
                calendar=[ComplianceOut.model_validate(c, from_attributes=True) for c in row.calendar],
                overdue=row.overdue, overdue_objections=row.overdue_objections, open_cases=row.open_cases,
                open_reports=row.open_reports, stuck=row.stuck, failed_quorum=row.failed_quorum,
                failed_checks=row.failed_checks, failing=[pid for pid, _ in row.failing],
                books_unclosed=row.books.unclosed if row.books is not None and row.books.kept else None,
                last_seal=row.last_seal, chain_ok=row.chain_ok, rules_awaiting=row.rules_awaiting,
                unconvened=row.unconvened,
                flags=row.flags, late=row.late)
            for row in view.villages
        ], trend=[MonthOut(month=m.first.strftime("%Y-%m"), published=m.published, decided=m.decided, votes=m.votes,
                           failed_quorum=m.failed_quorum, objections=m.objections, late_objections=m.late_objections)
                  for m in view.trend])


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
