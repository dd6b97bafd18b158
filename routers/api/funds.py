"""一事一议 money and labour (筹资筹劳) of a passed matter: the totals, each household's obligation,
exemptions, money received by receipt and labour given.

The committee turns the plan into each household's obligation once the matter has passed its vote
(落实到户, again after the roster changes) and approves exemptions; the accountant or the committee
records money (it posts 借 库存现金 贷 一事一议资金 by itself) and labour. The totals are for whoever may
see the matter; each household's figures and the exemptions for the village's members and the
township's monitors. Amounts are integer fen.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.services import funds
from app.services.errors import NotFound
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.funds import (
    ExemptionIn,
    ExemptionOut,
    FundSummaryOut,
    HouseholdOut,
    LabourIn,
    LabourOut,
    PaymentIn,
    PaymentOut,
)

router = APIRouter(tags=["账务"], responses=PROBLEMS)


def _summary(db: DbSession, actor: CurrentActor, pid: int):
    summary = funds.summary(db, actor, pid)
    if summary is None:
        raise NotFound("这个事项的方案没有筹资筹劳")
    return FundSummaryOut.model_validate(summary)


@router.get("/proposals/{pid}/fund", response_model=FundSummaryOut)
def fund_summary(pid: int, db: DbSession, actor: CurrentActor):
    """The matter's money and labour: what is due, received and outstanding, 一事一议资金's income,
    spending and balance, labour due and given. Whoever may see the matter (the village's members,
    the township's monitors); 404 for a matter with no money or labour in its plan."""
    return _summary(db, actor, pid)


@router.post("/proposals/{pid}/fund/obligations", response_model=FundSummaryOut)
def set_obligations(pid: int, db: DbSession, actor: CurrentActor):
    """落实到户: the committee writes each household's obligation from the roster and the exemptions
    (again after the roster changes). Before the vote has passed, with no money or labour in the
    plan, or over the township's caps: 409. Answers the totals."""
    funds.set_obligations(db, actor, pid)
    return _summary(db, actor, pid)


@router.get("/proposals/{pid}/fund/households", response_model=PageOut[HouseholdOut])
def list_households(pid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 200):
    """Each household's people counted, exempted, due, paid, outstanding and labour, by household
    number: the village's members and the township's monitors."""
    return page_out(HouseholdOut, page_list(funds.households(db, actor, pid), page, per_page))


@router.get("/proposals/{pid}/fund/exemptions", response_model=PageOut[ExemptionOut])
def list_exemptions(pid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 200):
    """Who is exempted, why and who approved it: the village's members and the township's monitors."""
    return page_out(ExemptionOut, page_list(funds.exemptions(db, actor, pid), page, per_page), ExemptionOut.of)


@router.post("/proposals/{pid}/fund/exemptions", response_model=ExemptionOut, status_code=201)
def add_exemption(pid: int, body: ExemptionIn, db: DbSession, actor: CurrentActor):
    """The committee excuses one person with a reason (a note is needed for "other"); the household's
    obligation is recounted. Not of the village: 404; exempted already: 409."""
    funds.exempt(db, actor, pid, body.user_id, body.reason.strip(), body.note)
    row = next(r for r in funds.exemptions(db, actor, pid) if r.user_id == body.user_id)
    return ExemptionOut.of(row)


@router.post("/proposals/{pid}/fund/payments", response_model=PaymentOut, status_code=201)
def record_payment(pid: int, body: PaymentIn, db: DbSession, actor: CurrentActor):
    """Money a household paid, by its receipt number (the accountant or the committee, once the books
    are open): the voucher 借 库存现金 贷 一事一议资金 is posted by itself (`voucher_id`). More than the
    household still owes: 422; a receipt number used before: 409; no obligation for the household: 404."""
    return PaymentOut.model_validate(funds.record_payment(db, actor, pid, body.household_id, body.amount,
                                                         body.receipt_no, body.received_on))


@router.post("/proposals/{pid}/fund/labour", response_model=LabourOut, status_code=201)
def record_labour(pid: int, body: LabourIn, db: DbSession, actor: CurrentActor):
    """Days of work one person gave the matter (the accountant or the committee), 1–30 at a time, on a
    day not after today. Before the vote has passed: 409."""
    return LabourOut.model_validate(funds.record_labour(db, actor, pid, body.user_id, body.days, body.work_date))
