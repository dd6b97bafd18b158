"""The village's books (村级账务): opening them on a chart (建账), the chart of accounts with the
village's sub-accounts (明细科目), and the opening balances (期初余额). Vouchers: routers/api/vouchers.py;
months and statements: routers/api/periods.py.

The accountant (报账员) and the committee keep the books. Which chart a village keeps, and the chart
itself, are public; the opening balances only for those who read the whole books (the keepers, the
supervisory and party committees, the township's monitors). Amounts are integer fen.
"""

from __future__ import annotations

from fastapi import APIRouter, File, Response, UploadFile

from app.services import book_files, books, places
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.books import AccountEdit, AccountIn, AccountOut, LedgerEdit, LedgerIn, LedgerOut, OpeningsIn, OpeningsOut
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["账务"], responses=PROBLEMS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the ledger -----------------------------------------------------------------------------------

@router.get("/villages/{vid}/ledger", response_model=LedgerOut)
def get_ledger(vid: int, db: DbSession):
    """Which chart (会计制度) the village keeps its books on, from which month, and whether its receipt
    images are public. Public, no login; 404 while the village has not opened its books."""
    village = places.get_village(db, vid)
    return LedgerOut.of(books.require_ledger(db, village))


@router.post("/villages/{vid}/ledger", response_model=LedgerOut, status_code=201)
def open_ledger(vid: int, body: LedgerIn, db: DbSession, actor: CurrentActor):
    """建账: the accountant or the committee opens the books on a chart (2023 by default) from a month
    (this month by default, never a later one); the chart's accounts are copied in. Opened already: 409."""
    village = places.get_village(db, vid)
    return LedgerOut.of(books.open_ledger(db, actor, village, body.chart, body.first_period))


@router.patch("/villages/{vid}/ledger", response_model=LedgerOut)
def edit_ledger(vid: int, body: LedgerEdit, db: DbSession, actor: CurrentActor):
    """Change the chart (the accountant or the committee, only while there is no voucher: 409 after) and
    whether receipt images are public (the committee). Each is applied in turn, the chart first."""
    village = places.get_village(db, vid)
    if body.chart is not None:
        books.change_chart(db, actor, village, body.chart)
    if body.receipts_public is not None:
        books.set_receipts_public(db, actor, village, body.receipts_public)
    return LedgerOut.of(books.require_ledger(db, village))


@router.put("/villages/{vid}/ledger/openings", response_model=OpeningsOut)
def set_openings(vid: int, body: OpeningsIn, db: DbSession, actor: CurrentActor):
    """期初余额 by account code, in debit and credit columns (fen), as a 科目余额表 gives them: the
    accountant or the committee, until the first voucher is posted (409 after). Refused (422) unless
    debits equal credits and every code is a leaf account named once; accounts not named start at zero.
    Answers how many accounts have a balance."""
    village = places.get_village(db, vid)
    rows = [books.OpeningIn(row.code.strip(), row.debit, row.credit) for row in body.rows]
    return OpeningsOut(count=books.set_openings(db, actor, village, rows))


@router.post("/villages/{vid}/ledger/openings/file", response_model=OpeningsOut)
def import_openings(vid: int, db: DbSession, actor: CurrentActor,
                    file: UploadFile = File(..., description="期初余额文件（XLSX 或 CSV）")):
    """期初余额 from the XLSX or CSV another system or the township exported (a 科目余额表 with columns
    科目编号, 期初借方, 期初贷方, amounts in yuan; a header within its first ten rows; other columns and
    rows without a code are skipped). All or nothing, under the same rules as the PUT."""
    village = places.get_village(db, vid)
    data = file.file.read(book_files.OPENING_MAX_BYTES + 1)
    return OpeningsOut(count=book_files.import_openings(db, actor, village, file.filename or "", data))


@router.get("/villages/{vid}/ledger/openings.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "期初余额表（XLSX）"}})
def openings_workbook(vid: int, db: DbSession, actor: CurrentActor):
    """The leaf accounts with their opening balances as an XLSX, to fill in and upload again (readers
    of the whole books)."""
    village = places.get_village(db, vid)
    return Response(book_files.opening_template(db, actor, village), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="openings.xlsx"',
                             "Cache-Control": "private, no-store"})


# --- the chart of accounts ------------------------------------------------------------------------

def _account_out(actor: CurrentActor, village, account) -> AccountOut:
    return AccountOut.of(account, books.depth(account), books.is_reader(actor, village))


@router.get("/villages/{vid}/accounts", response_model=PageOut[AccountOut])
def list_accounts(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 200):
    """The village's chart in code order, each sub-account under its account. Public, no login, but
    sub-accounts (which may name a person) only for the village's members and its monitors; the
    opening balances only for the keepers, the supervisory and party committees and the township's
    monitors (null for everyone else)."""
    village = places.get_village(db, vid)
    books.require_ledger(db, village)
    reader = books.is_reader(actor, village)
    return page_out(AccountOut, page_list(books.chart_for(db, actor, village), page, per_page),
                    lambda a: AccountOut.of(a, books.depth(a), reader))


@router.post("/villages/{vid}/accounts", response_model=AccountOut, status_code=201)
def add_sub_account(vid: int, body: AccountIn, db: DbSession, actor: CurrentActor):
    """A 明细科目 under an account (two more digits, at most three levels), by the accountant or the
    committee. An account that already has voucher lines or an opening balance takes none (409)."""
    village = places.get_village(db, vid)
    account = books.add_sub_account(db, actor, village, body.parent, body.code, body.name)
    return _account_out(actor, village, account)


@router.patch("/villages/{vid}/accounts/{code}", response_model=AccountOut)
def rename_sub_account(vid: int, code: str, body: AccountEdit, db: DbSession, actor: CurrentActor):
    """Correct a sub-account's name (the accountant or the committee); a statutory account keeps its
    name (409)."""
    village = places.get_village(db, vid)
    account = books.rename_sub_account(db, actor, village, code, body.name)
    return _account_out(actor, village, account)
