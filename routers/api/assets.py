"""The village's contracts (发包、租赁) with their instalments, and its fixed assets (固定资产台账).

The accountant or the committee enters a contract (what is let, to whom, for how long, each
instalment's date and amount, the income account) once the books are open; once an instalment is
due they book it as a receivable (借 应收款 贷 the income account) and, when the money comes, as a
receipt (借 银行存款 贷 应收款): both vouchers post by themselves. The village's members and the
township's monitors read the contracts and the assets. Amounts are integer fen.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.clock import local_today
from app.services import assets, places
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.funds import (
    AssetIn,
    AssetOut,
    ContractIn,
    ContractOut,
    ContractSummary,
    DisposeIn,
    InstalmentOut,
    InstalmentPaymentIn,
)

router = APIRouter(tags=["账务"], responses=PROBLEMS)


def _contract(db: DbSession, actor: CurrentActor, contract_id: int) -> ContractOut:
    row, _ = assets.contract_view(db, actor, contract_id)
    return ContractOut.of_view(row, local_today())


# --- contracts ------------------------------------------------------------------------------------

@router.get("/villages/{vid}/contracts", response_model=PageOut[ContractSummary])
def list_contracts(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """The village's contracts, latest start first, each with what is paid, due and not paid, how many
    instalments are overdue and the next date: the village's members and the township's monitors."""
    village = places.get_village(db, vid)
    return page_out(ContractSummary, page_list(assets.contracts(db, actor, village), page, per_page),
                    ContractSummary.of)


@router.post("/villages/{vid}/contracts", response_model=ContractOut, status_code=201)
def create_contract(vid: int, body: ContractIn, db: DbSession, actor: CurrentActor):
    """A contract with its schedule (the accountant or the committee; the books must be open: 404
    otherwise). Checked whole: the kind, the dates, an income account at its last level, every
    instalment within the term and above zero (422, one message per field)."""
    village = places.get_village(db, vid)
    contract = assets.create_contract(db, actor, village, body.data())
    return _contract(db, actor, contract.id)


@router.get("/contracts/{contract_id}", response_model=ContractOut)
def get_contract(contract_id: int, db: DbSession, actor: CurrentActor):
    """A contract with its instalments: each one's date, amount, its receivable and payment vouchers,
    and whether it is overdue."""
    return _contract(db, actor, contract_id)


@router.post("/instalments/{instalment_id}/receivable", response_model=InstalmentOut)
def book_receivable(instalment_id: int, db: DbSession, actor: CurrentActor):
    """记应收: an instalment now due becomes a receivable, posted today (借 应收款 贷 the contract's income
    account). Not yet due, or booked already: 409."""
    return InstalmentOut.of(assets.book_receivable(db, actor, instalment_id), local_today())


@router.post("/instalments/{instalment_id}/payment", response_model=InstalmentOut)
def record_payment(instalment_id: int, body: InstalmentPaymentIn, db: DbSession, actor: CurrentActor):
    """记收款: the money of a receivable came into the bank (借 银行存款 贷 应收款), on `received_on`
    (today by default). No receivable yet, or paid already: 409."""
    return InstalmentOut.of(assets.record_payment(db, actor, instalment_id, body.received_on), local_today())


# --- fixed assets ---------------------------------------------------------------------------------

@router.get("/villages/{vid}/assets", response_model=PageOut[AssetOut])
def list_assets(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 50):
    """The fixed assets, those in use first, newest first: the village's members and the township's
    monitors."""
    village = places.get_village(db, vid)
    return page_out(AssetOut, page_list(assets.assets(db, actor, village), page, per_page))


@router.post("/villages/{vid}/assets", response_model=AssetOut, status_code=201)
def add_asset(vid: int, body: AssetIn, db: DbSession, actor: CurrentActor):
    """A fixed asset (the accountant or the committee): its name, value (fen, above zero) and the day
    it was acquired (not after today); where it is, its kind and the matter that built it if any."""
    village = places.get_village(db, vid)
    return AssetOut.model_validate(assets.add_asset(db, actor, village, body.data()))


@router.post("/assets/{asset_id}/dispose", response_model=AssetOut)
def dispose_asset(asset_id: int, body: DisposeIn, db: DbSession, actor: CurrentActor):
    """处置: the asset leaves the books' list of what is in use, with a note saying how (required).
    Disposed already: 409."""
    return AssetOut.model_validate(assets.dispose_asset(db, actor, asset_id, body.disposed_on, body.note))
