"""The village's books: months (会计期间), their statements (科目余额表, 收支明细, 现金收付), closing a
month (结账, which drafts its 财务收支公开) and reopening one (反结账, a township monitor only).

A month in a path is written 2026-10; anything else names no month (404). The keepers, the supervisory
and party committees and the township's monitors see every month; everyone else, no login needed, the
months whose finance notice is published.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.services import periods, places
from app.services.errors import NotFound
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.books import PeriodOut, ReopenIn, StatementOut
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["账务"], responses=PROBLEMS)

EVERY_MONTH = 12 * 100  # the books' months all fit: 2000-01 to 2099-12


def _month(db: DbSession, actor: CurrentActor, village, period: str) -> PeriodOut:
    """One month as the list shows it."""
    row = next((r for r in periods.months(db, actor, village, limit=EVERY_MONTH) if r.period == period), None)
    if row is None:
        raise NotFound("找不到这个月份")
    return PeriodOut.of(row)


@router.get("/villages/{vid}/periods", response_model=PageOut[PeriodOut])
def list_periods(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 24):
    """The books' months, newest first (this month, or a later one with vouchers, back to the first):
    state, how many vouchers are posted and waiting, who closed it and when, its finance notice and the
    reason it was last reopened. The keepers, committees and monitors see all; everyone else only the
    published months."""
    village = places.get_village(db, vid)
    rows = periods.months(db, actor, village, limit=EVERY_MONTH)
    return page_out(PeriodOut, page_list(rows, page, per_page), PeriodOut.of)


@router.get("/villages/{vid}/periods/{period}/statement", response_model=StatementOut)
def statement(vid: int, period: str, db: DbSession, actor: CurrentActor, ytd: bool = False):
    """The month's 科目余额表 (every account: opening, debit, credit, closing, fen), its totals and
    whether they balance, the money in hand (opening + received − paid = closing) and its income and
    expense voucher by voucher; `ytd=true`: the balances from the year's first month (no cash line and
    no detail). Readable as the months are; otherwise 404."""
    village = places.get_village(db, vid)
    month = periods.parse(period)
    return StatementOut.of(periods.statement(db, actor, village, month, year_to_date=ytd), ytd)


@router.post("/villages/{vid}/periods/{period}/close", response_model=PeriodOut)
def close_period(vid: int, period: str, db: DbSession, actor: CurrentActor):
    """结账, by the accountant or the committee: once the month has ended, the month before is closed
    and every voucher dated in it is posted (409 otherwise). Its balances are recorded, nothing posts
    into it any more, and its 财务收支公开 is drafted (`notice_id`) to go through review and publication."""
    village = places.get_village(db, vid)
    month = periods.parse(period)
    periods.close(db, actor, village, month)
    return _month(db, actor, village, month)


@router.post("/villages/{vid}/periods/{period}/reopen", response_model=PeriodOut)
def reopen_period(vid: int, period: str, body: ReopenIn, db: DbSession, actor: CurrentActor):
    """反结账: only a monitor of the village's township, with a reason, and only the last closed month
    (409 otherwise). Closing it again drafts the finance notice again (a correction once published)."""
    village = places.get_village(db, vid)
    month = periods.parse(period)
    periods.reopen(db, actor, village, month, body.reason)
    return _month(db, actor, village, month)
