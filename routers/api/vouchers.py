"""The village's books: vouchers (记账凭证) from draft to posted, and their reversal (红字冲销).

The accountant or the committee drafts; a committee member other than the preparer reviews (审核);
the committee posts (记账), which numbers the voucher within its month. A posted voucher never changes
(409; the database refuses it too): a mistake is undone by a reversing voucher that cites it.
Amounts are integer fen; a voucher is checked whole and refused whole (422, one message per field).

Receipts (原始凭证) are the voucher's attachments: `POST /vouchers/{voucher_id}/attachments` while it is
not posted, through the attachments API. Who sees a voucher: the keepers, the supervisory and party
committees and the township's monitors always; everyone else a posted voucher once its month's
finance notice is published; anyone else it does not exist (404).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.services import places, vouchers
from routers.api.attachments import attachment_out
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.books import ReturnIn, ReverseIn, VoucherIn, VoucherOut, VoucherSummary
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["账务"], responses=PROBLEMS)


def _voucher(db: DbSession, actor: CurrentActor, voucher_id: int) -> VoucherOut:
    """The voucher as its page shows it (services/vouchers.view), with what this caller may do."""
    view, _ = vouchers.view(db, actor, voucher_id)
    return VoucherOut.of(view, attachment_out)


@router.post("/villages/{vid}/vouchers", response_model=VoucherOut, status_code=201)
def create_voucher(vid: int, body: VoucherIn, db: DbSession, actor: CurrentActor):
    """A draft voucher, by the accountant or the committee: a date from the books' first month to
    today in a month not closed, a summary, and 2–30 lines each on one leaf account with a debit or a
    credit (fen), debits equal to credits. Any problem: 422, nothing written."""
    village = places.get_village(db, vid)
    voucher = vouchers.create(db, actor, village, body.data())
    return _voucher(db, actor, voucher.id)


@router.get("/villages/{vid}/vouchers", response_model=PageOut[VoucherSummary])
def list_vouchers(
    vid: int,
    db: DbSession,
    actor: CurrentActor,
    period: str | None = Query(default=None, pattern=r"^\d{4}-\d{2}$", description="月份，如 2026-10"),
    state: str | None = Query(default=None, max_length=20, description="draft / reviewed / posted"),
    page: PageNo = 1,
    per_page: PerPage = 20,
):
    """Vouchers, newest month first, drafts before numbered ones. The keepers, the supervisory and
    party committees and the township's monitors see every one; everyone else (no login needed) the
    posted vouchers of months whose finance notice is published."""
    village = places.get_village(db, vid)
    result = vouchers.list_vouchers(db, actor, village, period=period, state=state, page=page, per_page=per_page)
    return page_out(VoucherSummary, result, lambda row: VoucherSummary.of(row.voucher, row.receipts))


@router.get("/vouchers/{voucher_id}", response_model=VoucherOut)
def get_voucher(voucher_id: int, db: DbSession, actor: CurrentActor):
    """A voucher with its lines, who prepared, reviewed and posted it, its reversal, its receipts (the
    village's members and monitors, or everyone if the village made them public; null otherwise) and
    what the caller may do with it. Visible as the list says; otherwise 404."""
    return _voucher(db, actor, voucher_id)


@router.put("/vouchers/{voucher_id}", response_model=VoucherOut)
def update_voucher(voucher_id: int, body: VoucherIn, db: DbSession, actor: CurrentActor):
    """Rewrite a voucher not yet posted (the accountant or the committee), checked as when created; a
    reviewed one goes back to waiting for review. Posted: 409 (reverse it instead); a reversing voucher
    is not edited (409: delete it)."""
    vouchers.update_draft(db, actor, voucher_id, body.data())
    return _voucher(db, actor, voucher_id)


@router.delete("/vouchers/{voucher_id}", status_code=204)
def delete_voucher(voucher_id: int, db: DbSession, actor: CurrentActor):
    """Throw away a voucher never posted, with its receipts (the accountant or the committee). Posted: 409."""
    vouchers.delete_draft(db, actor, voucher_id)
    return Response(status_code=204)


@router.post("/vouchers/{voucher_id}/review", response_model=VoucherOut)
def review_voucher(voucher_id: int, db: DbSession, actor: CurrentActor):
    """审核: a committee member other than the one who prepared it (409 for the preparer, and for a
    voucher not waiting for review)."""
    vouchers.review(db, actor, voucher_id)
    return _voucher(db, actor, voucher_id)


@router.post("/vouchers/{voucher_id}/return", response_model=VoucherOut)
def return_voucher(voucher_id: int, body: ReturnIn, db: DbSession, actor: CurrentActor):
    """退回: a committee member sends a voucher not yet posted back to its preparer, with a note
    (required); the preparer is notified."""
    vouchers.return_voucher(db, actor, voucher_id, body.note)
    return _voucher(db, actor, voucher_id)


@router.post("/vouchers/{voucher_id}/post", response_model=VoucherOut)
def post_voucher(voucher_id: int, db: DbSession, actor: CurrentActor):
    """记账: the committee posts a reviewed voucher; it takes the next number of its month (记字第 N 号).
    Not reviewed, already posted, or its month closed: 409."""
    vouchers.post(db, actor, voucher_id)
    return _voucher(db, actor, voucher_id)


@router.post("/vouchers/{voucher_id}/reverse", response_model=VoucherOut, status_code=201)
def reverse_voucher(voucher_id: int, body: ReverseIn, db: DbSession, actor: CurrentActor):
    """红字冲销: the accountant or the committee drafts a voucher that undoes a posted one line for line
    and cites it, dated `date` (today by default) in a month not closed. Answers the new draft, which
    goes through review and posting like any other. Not posted, a reversal itself, or reversed already: 409."""
    red = vouchers.reverse(db, actor, voucher_id, body.date)
    return _voucher(db, actor, red.id)
