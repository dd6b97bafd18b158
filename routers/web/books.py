"""Pages of the village's books (账务): the books' home (建账, what waits, the months), the chart with
its sub-accounts, the opening balances, and one month (本月资金, 收支明细, 科目余额表) with its close
(结账) and reopening (反结账), the year's 资产负债表 and 收益及收益分配表, each as a page, an A4 sheet
and an Excel workbook. Vouchers and their receipts: routers/web/vouchers.py.

Who reads what is the services' decision (services/books.py, periods.py): the book keepers,
committees and monitors read every month; other villagers and visitors the months whose finance
notice is published. Post → redirect → flash on success; bad input re-shows the page with what was
typed; a refusal at the wrong moment is a flash (routers/web/forms.py).
"""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.clock import local_today, utcnow
from app.domain import books as B
from app.domain import chart as C
from app.domain import notices as N
from app.domain.money import yuan
from app.domain.roles import COMMITTEE
from app.services import access, book_files, books, periods, places, vouchers
from app.services.access import Actor, require
from app.services.errors import Invalid, ServiceError, invalid_fields
from routers.deps import CurrentActor, DbSession, PageActor
from routers.templating import render
from routers.web.attachments import content_disposition
from routers.web.common import absolute, redirect
from routers.web.forms import field_errors, refused

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ----------------------------------------------------------------------------------

def books_url(slug: str, tail: str = "") -> str:
    return f"/v/{slug}/accounts" + tail


def month_url(slug: str, period: str, tail: str = "") -> str:
    return f"/v/{slug}/accounts/periods/{period}" + tail


def keeper(actor: Actor | None, village) -> bool:
    """The accountant and the committee keep the books (prepare, close, keep the chart)."""
    return actor is not None and actor.has(village.id, *books.KEEPERS)


def monitor(actor: Actor | None, village) -> bool:
    """The township's monitors (and admins) reopen a closed month."""
    return actor is not None and (actor.is_admin or actor.monitors(village))


def plain(fen: int) -> str:
    """Fen as yuan the way one types it back into a form: 150050 → "1500.50"."""
    return yuan(fen).replace(",", "")


# --- the books' home --------------------------------------------------------------------------

def _home(request: Request, db: DbSession, actor: Actor | None, village, values: dict | None = None, *,
          error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    ledger = books.ledger_of(db, village)
    reader = books.is_reader(actor, village)
    context = {
        "village": village, "ledger": ledger, "keeper": keeper(actor, village), "reader": reader,
        "insider": access.insider(actor, village), "error": error, "errors": errors or {},
        "values": values or {"chart": C.DEFAULT_CHART, "first_period": B.period_of(local_today())},
        "charts": [(c.key, c.title, c.citation) for c in C.CHARTS.values()],
        "period_states": B.PERIOD_STATES, "notice_states": N.STATE_NAMES,
    }
    if ledger is not None:
        context |= {"chart": books.chart_of(ledger), "first_label": B.period_label(ledger.first_period),
                    "months": periods.months(db, actor, village),
                    "waiting": vouchers.waiting(db, village.id) if reader else {}}
    return render(request, "books/home.html", context, status_code=status)


@router.get("/v/{slug}/accounts")
def home(slug: str, request: Request, db: DbSession, actor: CurrentActor):
    village = places.get_village_by_slug(db, slug)
    return _home(request, db, actor, village)


@router.post("/v/{slug}/accounts/open")
def open_books(slug: str, request: Request, db: DbSession, actor: PageActor,
               chart: str = Form(default="", max_length=10), first_period: str = Form(default="", max_length=20)):
    village = places.get_village_by_slug(db, slug)
    values = {"chart": chart.strip(), "first_period": first_period.strip()}
    try:
        ledger = books.open_ledger(db, actor, village, values["chart"] or None, values["first_period"] or None)
    except ServiceError as exc:
        return refused(request, exc, back=books_url(slug), reshow=lambda e=exc: _home(
            request, db, actor, places.get_village_by_slug(db, slug), values, error=e.detail, errors=field_errors(e),
            status=e.status))
    return redirect(request, books_url(slug, "/openings"),
                    f"已建账，从{B.period_label(ledger.first_period)}开始。有上期结转的余额，请在下面填写期初余额")


# --- the chart --------------------------------------------------------------------------------

def _chart(request: Request, db: DbSession, actor: Actor, village, *, values: dict | None = None,
           error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    require(actor, village, monitor=True)
    ledger = books.require_ledger(db, village)
    accounts = books.accounts(db, village)
    taken = {a.code for a in accounts}
    groups: dict[str, list[dict]] = {kind: [] for kind in C.KINDS}
    for a in accounts:
        depth = books.depth(a)
        groups.setdefault(a.kind, []).append({
            "account": a, "depth": depth,
            "suggest": C.next_sub_code(a.code, taken) if depth < C.MAX_DEPTH else None})
    is_keeper = keeper(actor, village)
    switchable = is_keeper and not books.has_posted(db, village.id) and not vouchers.waiting(db, village.id)
    return render(request, "books/chart.html", {
        "village": village, "ledger": ledger, "chart": books.chart_of(ledger),
        "groups": [(C.KINDS.get(kind, kind), rows) for kind, rows in groups.items() if rows],
        "sides": B.SIDES, "keeper": is_keeper, "committee": actor.has(village.id, COMMITTEE),
        "switchable": switchable, "charts": [(c.key, c.title) for c in C.CHARTS.values() if c.key != ledger.chart],
        "name_max": C.NAME_MAX, "values": values or {}, "error": error, "errors": errors or {},
    }, status_code=status)


@router.get("/v/{slug}/accounts/chart")
def chart_page(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _chart(request, db, actor, places.get_village_by_slug(db, slug))


def _chart_step(request: Request, db: DbSession, actor: Actor, slug: str, act, message: str, values: dict
                ) -> Response:
    """One form of the chart page: run the service call, then back to the chart with its message, or
    the chart again with the refusal beside the form (422), or a flash (409)."""
    village = places.get_village_by_slug(db, slug)
    try:
        act(village)
    except ServiceError as exc:
        return refused(request, exc, back=books_url(slug, "/chart"), reshow=lambda e=exc: _chart(
            request, db, actor, places.get_village_by_slug(db, slug), values=values, error=e.detail,
            errors=field_errors(e), status=e.status))
    return redirect(request, books_url(slug, "/chart"), message)


@router.post("/v/{slug}/accounts/chart")
def add_sub_account(slug: str, request: Request, db: DbSession, actor: PageActor,
                    parent: str = Form(default="", max_length=20), code: str = Form(default="", max_length=20),
                    name: str = Form(default="", max_length=200)):
    values = {"form": "add", "parent": parent.strip(), "code": code.strip(), "name": name}
    return _chart_step(request, db, actor, slug,
                       lambda village: books.add_sub_account(db, actor, village, parent, code, name),
                       f"已添加明细科目 {code.strip()} {name.strip()}", values)


@router.post("/v/{slug}/accounts/chart/switch")
def switch_chart(slug: str, request: Request, db: DbSession, actor: PageActor,
                 chart: str = Form(default="", max_length=10)):
    title = C.CHARTS[chart.strip()].title if chart.strip() in C.CHARTS else ""
    return _chart_step(request, db, actor, slug, lambda village: books.change_chart(db, actor, village, chart.strip()),
                       f"会计制度已改为：{title}", {"form": "switch", "chart": chart})


@router.post("/v/{slug}/accounts/receipts")
def receipts_public(slug: str, request: Request, db: DbSession, actor: PageActor,
                    public: str = Form(default="", max_length=2)):
    shown = public == "1"
    return _chart_step(request, db, actor, slug,
                       lambda village: books.set_receipts_public(db, actor, village, shown),
                       "原始凭证图片现在所有人都能看" if shown else "原始凭证图片现在只给本村村民看",
                       {"form": "receipts"})


@router.post("/v/{slug}/accounts/chart/{code}/rename")
def rename_sub_account(slug: str, code: str, request: Request, db: DbSession, actor: PageActor,
                       name: str = Form(default="", max_length=200)):
    values = {"form": "rename", "code": code, "name": name}
    return _chart_step(request, db, actor, slug,
                       lambda village: books.rename_sub_account(db, actor, village, code, name),
                       f"科目 {code} 已改名为 {name.strip()}", values)


# --- opening balances -------------------------------------------------------------------------

def _openings(request: Request, db: DbSession, actor: Actor, village, values: dict | None = None, *,
              error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    require(actor, village, *books.READERS, monitor=True)
    ledger = books.require_ledger(db, village)
    rows = books.opening_rows(db, village)
    if values is None:
        values = {}
        for account, opening in rows:
            as_debit = opening if account.side == B.DEBIT else -opening
            values[f"debit.{account.code}"] = plain(as_debit) if as_debit > 0 else ""
            values[f"credit.{account.code}"] = plain(-as_debit) if as_debit < 0 else ""
    totals = {"debit": 0, "credit": 0}
    for account, _ in rows:
        for column in totals:
            with suppress(ValueError):  # a typed mistake counts as nothing; its message is beside it
                totals[column] += B.parse_amount(values.get(f"{column}.{account.code}")) or 0
    return render(request, "books/openings.html", {
        "village": village, "ledger": ledger, "first_label": B.period_label(ledger.first_period),
        "rows": rows, "values": values, "totals": totals, "keeper": keeper(actor, village),
        "locked": books.has_posted(db, village.id), "error": error, "errors": errors or {}, "yuan": yuan,
    }, status_code=status)


@router.get("/v/{slug}/accounts/openings")
def openings_page(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _openings(request, db, actor, places.get_village_by_slug(db, slug))


@router.post("/v/{slug}/accounts/openings")
async def save_openings(slug: str, request: Request, db: DbSession, actor: PageActor):
    form = await request.form()
    return await run_in_threadpool(_save_openings, slug, request, db, actor, form)


def _save_openings(slug: str, request: Request, db: DbSession, actor: Actor, form) -> Response:
    village = places.get_village_by_slug(db, slug)
    require(actor, village, *books.KEEPERS)
    books.require_ledger(db, village)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    entered: list[books.OpeningIn] = []
    codes: dict[int, str] = {}  # the service numbers the rows it is given; the form names them by code
    for account, _ in books.opening_rows(db, village):
        amounts = {}
        for column in ("debit", "credit"):
            key = f"{column}.{account.code}"
            values[key] = str(form.get(key) or "").strip()[:30]
            try:
                amounts[column] = B.parse_amount(values[key]) or 0
            except ValueError as exc:
                errors[key] = f"{account.code} {account.name}：{exc}"
                amounts[column] = 0
        if amounts["debit"] or amounts["credit"]:
            entered.append(books.OpeningIn(account.code, amounts["debit"], amounts["credit"]))
            codes[len(entered)] = account.code
    try:
        if errors:
            raise invalid_fields(errors)
        count = books.set_openings(db, actor, village, entered)
    except ServiceError as exc:
        return refused(request, exc, back=books_url(slug, "/openings"), reshow=lambda e=exc: _openings(
            request, db, actor, places.get_village_by_slug(db, slug), values, error=e.detail,
            errors=_opening_errors(e, codes), status=e.status))
    return redirect(request, books_url(slug), f"期初余额已保存，{count} 个科目有余额")


@router.post("/v/{slug}/accounts/openings/file")
async def import_openings(slug: str, request: Request, db: DbSession, actor: PageActor):
    """期初余额 from an XLSX or CSV (科目编号, 期初借方, 期初贷方): all or nothing."""
    form = await request.form()
    upload = form.get("file")
    data = await upload.read(book_files.OPENING_MAX_BYTES + 1) if hasattr(upload, "read") else b""
    name = getattr(upload, "filename", "") or ""
    return await run_in_threadpool(_import_openings, slug, request, db, actor, name, data)


def _import_openings(slug: str, request: Request, db: DbSession, actor: Actor, name: str, data: bytes) -> Response:
    village = places.get_village_by_slug(db, slug)
    try:
        if not data:
            raise Invalid("请选择期初余额文件（XLSX 或 CSV）", field="file")
        count = book_files.import_openings(db, actor, village, name, data)
    except ServiceError as exc:
        return refused(request, exc, back=books_url(slug, "/openings"), reshow=lambda e=exc: _openings(
            request, db, actor, places.get_village_by_slug(db, slug), error=e.detail, status=e.status))
    return redirect(request, books_url(slug, "/openings"), f"已从文件导入期初余额，{count} 个科目有余额")


@router.get("/v/{slug}/accounts/openings.xlsx")
def openings_workbook(slug: str, db: DbSession, actor: PageActor):
    """The leaf accounts with their opening balances, to fill in and upload again."""
    village = places.get_village_by_slug(db, slug)
    return Response(book_files.opening_template(db, actor, village), media_type=XLSX, headers={
        "Content-Disposition": content_disposition(f"{village.name}期初余额.xlsx", False),
        "Cache-Control": "private, no-store"})


def _opening_errors(exc: ServiceError, codes: dict[int, str]) -> dict[str, str]:
    """The service's "rows.N.code" / "rows.N.amount" as the form's row of that account ("row.CODE")."""
    out: dict[str, str] = {}
    for key, message in field_errors(exc).items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit() and int(parts[1]) in codes:
            key = f"row.{codes[int(parts[1])]}"
        out[key] = f"{out[key]}；{message}" if key in out else message
    return out


# --- one month --------------------------------------------------------------------------------

def _month(request: Request, db: DbSession, actor: Actor | None, slug: str, period_text: str, *, ytd: bool = False,
           show_all: bool = False, error: str | None = None, values: dict | None = None, status: int = 200
           ) -> Response:
    village = places.get_village_by_slug(db, slug)
    period = periods.parse(period_text)
    s = periods.statement(db, actor, village, period, year_to_date=ytd)
    row = periods.row_of(db, village.id, period)
    rows = s.rows if access.insider(actor, village) else s.top_rows
    shown = rows if show_all else [r for r in rows if not r.quiet]
    this_month = B.period_of(local_today())
    return render(request, "books/month.html", {
        "village": village, "s": s, "period": period, "label": B.period_label(period), "ytd": ytd,
        "start_label": B.period_label(s.start),
        "show_all": show_all, "rows": shown, "hidden": len(rows) - len(shown),
        "state_name": B.PERIOD_STATES[B.CLOSED if s.closed else B.OPEN],
        "notice_id": row.notice_id if row else None, "reopen_reason": row.reopen_reason if row else None,
        "can_close": keeper(actor, village) and not s.closed and period < this_month,
        "can_reopen": monitor(actor, village) and s.closed,
        "reader": books.is_reader(actor, village),
        "previous": B.previous_period(period) if period > s.ledger.first_period else None,
        "next": B.next_period(period) if period < this_month else None,
        "year_label": f"{int(period[:4])}年", "error": error, "values": values or {}, "yuan": yuan,
    }, status_code=status)


@router.get("/v/{slug}/accounts/periods/{period}")
def month_page(slug: str, period: str, request: Request, db: DbSession, actor: CurrentActor,
               ytd: str = Query(default="", max_length=2),
               show_all: str = Query(default="", alias="all", max_length=2)):
    return _month(request, db, actor, slug, period, ytd=ytd == "1", show_all=show_all == "1")


@router.post("/v/{slug}/accounts/periods/{period}/close")
def close_month(slug: str, period: str, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    month = periods.parse(period)
    try:
        row = periods.close(db, actor, village, month)
    except ServiceError as exc:
        return refused(request, exc, back=month_url(slug, month), reshow=lambda e=exc: _month(
            request, db, actor, slug, month, error=e.detail, status=e.status))
    label = B.period_label(month)
    if row.notice_id:
        return redirect(request, f"/v/{slug}/notices/{row.notice_id}",
                        f"{label}已结账。本月财务收支公开已按账簿起草好，请检查后提交村务监督委员会审核")
    return redirect(request, month_url(slug, month), f"{label}已结账")


@router.post("/v/{slug}/accounts/periods/{period}/reopen")
def reopen_month(slug: str, period: str, request: Request, db: DbSession, actor: PageActor,
                 reason: str = Form(default="", max_length=1000)):
    village = places.get_village_by_slug(db, slug)
    month = periods.parse(period)
    try:
        periods.reopen(db, actor, village, month, reason)
    except ServiceError as exc:
        return refused(request, exc, back=month_url(slug, month), reshow=lambda e=exc: _month(
            request, db, actor, slug, month, error=e.detail, values={"reason": reason}, status=e.status))
    return redirect(request, month_url(slug, month),
                    f"{B.period_label(month)}已反结账，原因已记录。改好后由村里重新结账")


# --- statements: the year's, the A4 sheet, the workbook -------------------------------------------

@router.get("/v/{slug}/accounts/periods/{period}/annual")
def annual_page(slug: str, period: str, request: Request, db: DbSession, actor: CurrentActor):
    """资产负债表 and 收益及收益分配表 at the month's end (readers as the month page)."""
    village = places.get_village_by_slug(db, slug)
    month = periods.parse(period)
    a = periods.annual(db, actor, village, month)
    return render(request, "books/annual.html", {
        "village": village, "a": a, "period": month, "label": B.period_label(month),
        "start_label": B.period_label(a.start), "citation": books.chart_of(a.ledger).citation,
    })


@router.get("/v/{slug}/accounts/periods/{period}/print")
def print_month(slug: str, period: str, request: Request, db: DbSession, actor: CurrentActor,
                ytd: str = Query(default="", max_length=2), annual: str = Query(default="", max_length=2)):
    """The month's statements on one A4 sheet (with the year's with `annual=1`)."""
    village = places.get_village_by_slug(db, slug)
    month = periods.parse(period)
    s = periods.statement(db, actor, village, month, year_to_date=ytd == "1")
    return render(request, "books/print.html", {
        "village": village, "s": s, "rows": [r for r in (s.rows if access.insider(actor, village) else s.top_rows)
                                             if not r.quiet],
        "a": periods.annual(db, actor, village, month) if annual == "1" else None,
        "url": absolute(request, month_url(slug, month)), "printed_at": utcnow(),
    })


@router.get("/v/{slug}/accounts/periods/{period}/statements.xlsx")
def statements_xlsx(slug: str, period: str, db: DbSession, actor: CurrentActor):
    """科目余额表, 收支明细表, 资产负债表 and 收益及收益分配表 as one workbook, the same figures as the pages."""
    village = places.get_village_by_slug(db, slug)
    month = periods.parse(period)
    data = book_files.statement_xlsx(periods.statement(db, actor, village, month),
                                     periods.annual(db, actor, village, month))
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": content_disposition(f"{village.name}{B.period_label(month)}会计报表.xlsx", False),
        "Cache-Control": "private, no-store"})
