"""Pages of the village's 三资: contracts (发包、租赁) — the list with what is paid, due and overdue,
the entry form (the schedule as rows of date and amount, "再加几行" without saving), a contract with
its instalments and the buttons 记应收 / 记收款 — and the fixed assets (固定资产台账) with their add and
dispose forms.

The village's members and the township's monitors read them; the accountant and the committee
(the book keepers) write. Post → redirect → flash on success; bad input re-shows the form with each
message beside its field and everything typed (422); the wrong moment is a flash; no right or out of
scope is the error page (routers/web/forms.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.clock import local_today
from app.domain import books as B
from app.domain import chart as C
from app.domain.bounds import id_or_none
from app.domain.money import yuan
from app.services import assets, books, places, proposal_views
from app.services.access import Actor, require
from app.services.errors import Invalid, NotFound, ServiceError, invalid_fields
from routers.deps import DbSession, PageActor
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()

ROWS = 4  # schedule rows on a new contract
MORE = 4  # rows "再加几行" adds
MAX_ROWS = 12  # rows the page offers


def contracts_url(slug: str, tail: str = "") -> str:
    return f"/v/{slug}/accounts/contracts{tail}"


def assets_url(slug: str, tail: str = "") -> str:
    return f"/v/{slug}/accounts/assets{tail}"


def keeper(actor: Actor, village) -> bool:
    return actor.has(village.id, *books.KEEPERS)


def plain(fen: int) -> str:
    """Fen as the yuan one types back: 150050 → "1500.50"."""
    return yuan(fen).replace(",", "")


def _day(text: str) -> date:
    """A typed date; ValueError (Chinese) when it is not one. Empty is the caller's business."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("日期要写成 2026-05-10 这样") from None


def _optional_day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return _day(text)
    except ValueError as exc:
        raise Invalid(str(exc), field=field) from None


# --- the contracts --------------------------------------------------------------------------------

@router.get("/v/{slug}/accounts/contracts")
def contract_list(slug: str, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    rows = assets.contracts(db, actor, village)
    is_keeper = keeper(actor, village)
    return render(request, "assets/contracts.html", {
        "village": village, "rows": rows, "kinds": assets.KINDS, "keeper": is_keeper,
        "ledger": books.ledger_of(db, village) if is_keeper else None, "yuan": yuan,
    })


def _income_options(db: DbSession, village) -> list[tuple[str, str]]:
    """The leaf income accounts as (code, "code full name"), e.g. ("501", "501 经营收入")."""
    accounts = books.accounts(db, village)
    by_id = {a.id: a for a in accounts}
    options = []
    for a in accounts:
        if not a.leaf or a.kind != C.PNL or a.side != B.CREDIT:
            continue
        parts, cur = [], a
        while cur is not None:
            parts.append(cur.name)
            cur = by_id.get(cur.parent_id) if cur.parent_id else None
        options.append((a.code, f"{a.code} {'—'.join(reversed(parts))}"))
    return options


@dataclass
class ContractForm:
    """The typed contract form: the fields, and the schedule as (date, amount) rows."""

    values: dict
    rows: list[tuple[str, str]]
    more: bool

    @classmethod
    def of(cls, form: FormData) -> ContractForm:
        def text(name: str, limit: int = 200) -> str:
            value = form.get(name)
            return value.strip()[:limit] if isinstance(value, str) else ""
        values = {name: text(name) for name in ("kind", "subject", "counterparty", "start_date", "end_date",
                                                "income_code", "proposal_id")}
        values["note"] = text("note", 1000)
        dues = [v.strip()[:20] if isinstance(v, str) else "" for v in form.getlist("due_date")]
        amounts = [v.strip()[:30] if isinstance(v, str) else "" for v in form.getlist("amount")]
        count = min(max(len(dues), len(amounts)), MAX_ROWS + 1)
        rows = [(dues[i] if i < len(dues) else "", amounts[i] if i < len(amounts) else "") for i in range(count)]
        return cls(values, rows, bool(form.get("more")))

    def filled(self) -> list[tuple[str, str]]:
        return [r for r in self.rows if r[0] or r[1]]

    def shown(self, extra: int = 0) -> list[tuple[str, str]]:
        """The rows again, the filled ones first (so "第 2 期" is the second row on the screen), then the
        empty ones: as many as were sent (at least ROWS), `extra` more, at most MAX_ROWS."""
        filled = self.filled()
        wanted = min(max(len(self.rows), ROWS) + extra, max(MAX_ROWS, len(filled)))
        return (filled + [("", "")] * wanted)[:max(wanted, len(filled))]

    def checked(self) -> assets.ContractIn:
        """The contract as the service takes it; raises Invalid naming every bad field at once."""
        v = self.values
        errors: dict[str, str] = {}
        days: dict[str, date | None] = {}
        for name in ("start_date", "end_date"):
            days[name] = None
            if v[name]:
                try:
                    days[name] = _day(v[name])
                except ValueError as exc:
                    errors[name] = str(exc)
        schedule: list[tuple[date, int]] = []
        rows = self.filled()
        if len(rows) > MAX_ROWS:
            errors["schedule"] = f"这里最多填 {MAX_ROWS} 期"
        for n, (due, amount) in enumerate(rows[:MAX_ROWS], start=1):
            try:
                if not due or not amount:
                    raise ValueError("日期和金额都要填")
                day = _day(due)
                fen = B.parse_amount(amount)
                schedule.append((day, fen or 0))
            except ValueError as exc:
                errors[f"schedule.{n}"] = f"第 {n} 期：{exc}"
        proposal_id = None
        if v["proposal_id"]:
            proposal_id = id_or_none(v["proposal_id"])
            if proposal_id is None:
                errors["proposal_id"] = "请从列表中选择事项"
        if errors:
            raise invalid_fields(errors)
        return assets.ContractIn(v["kind"], v["subject"], v["counterparty"], days["start_date"], days["end_date"],
                                 v["income_code"], schedule, proposal_id, None, v["note"])


def _entry(db: DbSession, actor: Actor, village) -> tuple[list[tuple[str, str]], list]:
    """The book keepers only (403), in a village whose books are open (404): the income accounts and
    the village's matters."""
    actor = require(actor, village, *books.KEEPERS)
    books.require_ledger(db, village)
    return _income_options(db, village), proposal_views.list_proposals(db, actor, village, per_page=100).items


def _contract_form(request: Request, db: DbSession, actor: Actor, village, values: dict, rows: list, *,
                   error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    incomes, matters = _entry(db, actor, village)
    return render(request, "assets/contract_form.html", {
        "village": village, "values": values, "rows": rows, "more_allowed": len(rows) < MAX_ROWS,
        "max_rows": MAX_ROWS, "kinds": assets.KINDS, "incomes": incomes, "proposals": matters,
        "text_max": assets.TEXT_MAX, "error": error, "errors": errors or {},
    }, status_code=status)


@router.get("/v/{slug}/accounts/contracts/new")
def new_contract(slug: str, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    values = {"kind": "contract", "subject": "", "counterparty": "", "start_date": "", "end_date": "",
              "income_code": "501", "proposal_id": "", "note": ""}
    return _contract_form(request, db, actor, village, values, [("", "")] * ROWS)


@router.post("/v/{slug}/accounts/contracts/new")
async def create_contract(slug: str, request: Request, db: DbSession, actor: PageActor):
    raw = await request.form()
    return await run_in_threadpool(_create_contract, request, db, actor, slug, ContractForm.of(raw))


def _create_contract(request: Request, db: DbSession, actor: Actor, slug: str, form: ContractForm) -> Response:
    village = places.get_village_by_slug(db, slug)
    _entry(db, actor, village)  # who may, before what was typed
    if form.more:  # 再加几行: the same form with more rows; nothing is saved
        return _contract_form(request, db, actor, village, form.values, form.shown(MORE))
    try:
        contract = assets.create_contract(db, actor, village, form.checked())
    except ServiceError as exc:
        return refused(request, exc, back=contracts_url(slug), reshow=lambda e=exc: _contract_form(
            request, db, actor, village, form.values, form.shown(), error=e.detail, errors=field_errors(e),
            status=e.status))
    return redirect(request, contracts_url(slug, f"/{contract.id}"),
                    f"合同已登记：{contract.subject}，共 {yuan(contract.total)} 元。到期后在这里记应收、记收款")


def _load(db: DbSession, actor: Actor, slug: str, cid: int):
    """The contract through the service (members and monitors), only under its own village."""
    village = places.get_village_by_slug(db, slug)
    contract, home = assets.get_contract(db, actor, cid)
    if home.id != village.id:
        raise NotFound("找不到这份合同")
    return contract, village


def _contract_page(request: Request, db: DbSession, actor: Actor, slug: str, cid: int, *, error: str | None = None,
                   values: dict | None = None, status: int = 200) -> Response:
    contract, village = _load(db, actor, slug, cid)
    today = local_today()
    row, _ = assets.contract_view(db, actor, contract.id)
    income = books.leaf_codes(db, village.id)[0].get(contract.income_code)
    return render(request, "assets/contract.html", {
        "village": village, "contract": contract, "kind_name": assets.KINDS.get(contract.kind, contract.kind),
        "instalments": row.instalments, "today": today, "keeper": keeper(actor, village),
        "income_name": income.name if income else "",
        "reader": books.is_reader(actor, village),
        "paid": row.paid,
        "yuan": yuan, "error": error, "values": values or {},
    }, status_code=status)


@router.get("/v/{slug}/accounts/contracts/{cid}")
def contract_page(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor):
    return _contract_page(request, db, actor, slug, cid)


def _instalment_step(request: Request, db: DbSession, actor: Actor, slug: str, cid: int, iid: int,
                     act: Callable[[], object], message: str, values: dict) -> Response:
    contract, village = _load(db, actor, slug, cid)
    if iid not in {i.id for i in assets.instalments(db, contract)}:
        raise NotFound("找不到这一期")
    try:
        act()
    except ServiceError as exc:
        return refused(request, exc, back=contracts_url(slug, f"/{cid}#i{iid}"), reshow=lambda e=exc: _contract_page(
            request, db, actor, slug, cid, error=e.detail, values={**values, "target": iid}, status=e.status))
    return redirect(request, contracts_url(slug, f"/{cid}"), message)


@router.post("/v/{slug}/accounts/contracts/{cid}/instalments/{iid}/receivable")
def book_receivable(slug: str, cid: int, iid: int, request: Request, db: DbSession, actor: PageActor):
    return _instalment_step(request, db, actor, slug, cid, iid, lambda: assets.book_receivable(db, actor, iid),
                            "已记应收，凭证已自动记账（借 应收款，贷 收入）", {"form": "receivable"})


@router.post("/v/{slug}/accounts/contracts/{cid}/instalments/{iid}/payment")
def record_payment(slug: str, cid: int, iid: int, request: Request, db: DbSession, actor: PageActor,
                   received_on: str = Form(default="", max_length=20)):
    def act():
        village = places.get_village_by_slug(db, slug)
        require(actor, village, *books.KEEPERS)  # who may, before what was typed
        return assets.record_payment(db, actor, iid, _optional_day(received_on, "date"))

    return _instalment_step(request, db, actor, slug, cid, iid, act,
                            "已记收款，凭证已自动记账（借 银行存款，贷 应收款）",
                            {"form": "payment", "received_on": received_on.strip()})


# --- the fixed assets -----------------------------------------------------------------------------

ASSET_FIELDS = ("name", "value", "acquired_on", "location", "category", "proposal_id", "note")


def _asset_page(request: Request, db: DbSession, actor: Actor, village, *, values: dict | None = None,
                error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    rows = assets.assets(db, actor, village)
    is_keeper = keeper(actor, village)
    return render(request, "assets/assets.html", {
        "village": village, "rows": rows, "keeper": is_keeper,
        "in_use": sum(a.value for a in rows if a.disposed_on is None),
        "proposals": proposal_views.list_proposals(db, actor, village, per_page=100).items if is_keeper else [],
        "text_max": assets.TEXT_MAX, "today": local_today().isoformat(), "yuan": yuan,
        "values": values or {"form": "add", **dict.fromkeys(ASSET_FIELDS, "")},
        "error": error, "errors": errors or {},
    }, status_code=status)


@router.get("/v/{slug}/accounts/assets")
def asset_list(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _asset_page(request, db, actor, places.get_village_by_slug(db, slug))


def _asset_step(request: Request, db: DbSession, actor: Actor, slug: str, values: dict, act: Callable[[object], object],
                message: Callable[[object], str], back: str) -> Response:
    village = places.get_village_by_slug(db, slug)
    try:
        result = act(village)
    except ServiceError as exc:
        return refused(request, exc, back=back, reshow=lambda e=exc: _asset_page(
            request, db, actor, places.get_village_by_slug(db, slug), values=values, error=e.detail,
            errors=field_errors(e) if values["form"] == "add" else {}, status=e.status))
    return redirect(request, assets_url(slug), message(result))


@router.post("/v/{slug}/accounts/assets")
def add_asset(slug: str, request: Request, db: DbSession, actor: PageActor,
              name: str = Form(default="", max_length=200), value: str = Form(default="", max_length=30),
              acquired_on: str = Form(default="", max_length=20), location: str = Form(default="", max_length=200),
              category: str = Form(default="", max_length=100), proposal_id: str = Form(default="", max_length=20),
              note: str = Form(default="", max_length=1000)):
    values = {"form": "add", "name": name, "value": value.strip(), "acquired_on": acquired_on.strip(),
              "location": location, "category": category, "proposal_id": proposal_id.strip(), "note": note}

    def act(village):
        require(actor, village, *books.KEEPERS)  # who may, before what was typed
        errors: dict[str, str] = {}
        fen = 0
        try:
            fen = B.parse_amount(values["value"]) or 0
        except ValueError as exc:
            errors["value"] = str(exc)
        day = None
        if values["acquired_on"]:
            try:
                day = _day(values["acquired_on"])
            except ValueError as exc:
                errors["acquired_on"] = str(exc)
        matter = None
        if values["proposal_id"]:
            matter = id_or_none(values["proposal_id"])
            if matter is None:
                errors["proposal_id"] = "请从列表中选择事项"
        if errors:
            raise invalid_fields(errors)
        return assets.add_asset(db, actor, village, assets.AssetIn(name, fen, day, location, category, matter, note))

    return _asset_step(request, db, actor, slug, values, act,
                       lambda a: f"已登记固定资产：{a.name}，原值 {yuan(a.value)} 元", assets_url(slug))


@router.post("/v/{slug}/accounts/assets/{aid}/dispose")
def dispose_asset(slug: str, aid: int, request: Request, db: DbSession, actor: PageActor,
                  disposed_on: str = Form(default="", max_length=20), note: str = Form(default="", max_length=1000)):
    values = {"form": "dispose", "target": aid, "disposed_on": disposed_on.strip(), "note": note}

    def act(village):
        require(actor, village, *books.KEEPERS)
        if aid not in {a.id for a in assets.assets(db, actor, village)}:
            raise NotFound("找不到这项资产")
        return assets.dispose_asset(db, actor, aid, _optional_day(disposed_on, "disposed_on"), note)

    return _asset_step(request, db, actor, slug, values, act, lambda a: f"已处置：{a.name}（{a.note}）",
                       assets_url(slug, f"#a{aid}"))
