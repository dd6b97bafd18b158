"""The village's vouchers (记账凭证) on the web: the list, the entry form (new and edit, quick on a
phone, with a receipt photo), the voucher as a paper 记账凭证 shows it, and its steps: 审核, 退回,
记账, 红字冲销, 删除, adding a receipt.

Post → redirect → flash on success; bad input re-shows the form (or the voucher page) with each
message beside its field and everything typed (422); the wrong moment is a flash on the voucher page;
no right or out of scope is the error page (routers/web/forms.py). What a viewer may do is
`vouchers.capabilities` (`view.caps`). The books' home, chart and months are routers/web/books.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.clock import local_today
from app.domain import books as B
from app.domain.bounds import id_or_none
from app.domain.money import yuan
from app.services import assets, attachments, books, periods, places, proposal_views, vouchers
from app.services.access import Actor, require
from app.services.errors import Invalid, NotFound, ServiceError, invalid_fields
from routers.deps import CurrentActor, DbSession, PageActor, PageNo, SettingsDep
from routers.templating import render
from routers.web.attachments import INLINE_TYPES, content_disposition
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()

ROWS = 4  # lines on a new voucher
MORE = 2  # lines "再加一行" adds
RECEIPT_ACCEPT = "image/*,application/pdf"


def list_url(village, query: str = "") -> str:
    return f"/v/{village.slug}/accounts/vouchers" + (f"?{query}" if query else "")


def voucher_url(village, vid: int, tail: str = "") -> str:
    return f"/v/{village.slug}/accounts/vouchers/{vid}{tail}"


def load(db: DbSession, actor: Actor | None, slug: str, vid: int):
    """The voucher's view through the service (who may see it), and only under its own village."""
    village = places.get_village_by_slug(db, slug)
    view, home = vouchers.view(db, actor, vid)
    if home.id != village.id:
        raise NotFound("找不到这张凭证")
    return view, village


def fen_text(fen: int) -> str:
    """Fen as the yuan a person would type back: 150000 → "1500.00", 0 → ""."""
    return yuan(fen).replace(",", "") if fen else ""


# --- the list -------------------------------------------------------------------------------------

@router.get("/v/{slug}/accounts/vouchers")
def voucher_list(slug: str, request: Request, db: DbSession, actor: CurrentActor,
                 period: str | None = Query(default=None, max_length=20),
                 state: str | None = Query(default=None, max_length=20), page: PageNo = 1):
    village = places.get_village_by_slug(db, slug)
    chosen = B.parse_period(period)  # an unknown month or state shows everything rather than an error
    state = state if state in B.VOUCHER_STATES else None
    rows = vouchers.list_vouchers(db, actor, village, period=chosen, state=state, page=page)
    reader = books.is_reader(actor, village)
    filters = {"period": chosen or "", "state": state or ""}
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "vouchers/list.html", {
        "village": village,
        "page": rows,
        "filters": filters,
        "query": query + "&" if query else "",
        "filtered": bool(query),
        "months": periods.months(db, actor, village),
        "reader": reader,
        "waiting": vouchers.waiting(db, village.id) if reader else {},
        "can_enter": actor is not None and actor.has(village.id, *books.KEEPERS),
        "states": B.VOUCHER_STATES,
        "state_url": lambda s: list_url(village, urlencode({k: v for k, v in
                                                            {"period": chosen or "", "state": s}.items() if v})),
        "yuan": yuan,
        "period_label": B.period_label,
    })


# --- the entry form -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One line of the form as typed."""

    account: str = ""
    debit: str = ""
    credit: str = ""
    summary: str = ""

    @property
    def blank(self) -> bool:
        """Skipped by vouchers.parse_lines: no account and no amount."""
        return not self.account.strip() and not self.debit.strip() and not self.credit.strip()


@dataclass
class Entry:
    """What the form offers: the leaf accounts as (code, full name), the village's matters."""

    options: list[tuple[str, str]]
    known: set[str]
    by_name: dict[str, str]  # a leaf's full or short name → its code, when unambiguous
    proposals: list
    contracts: list  # the village's contracts (发包、租赁), newest first


def _entry(db: DbSession, actor: Actor | None, village) -> Entry:
    """The book keepers only (403), in a village whose books are open (404)."""
    actor = require(actor, village, *books.KEEPERS)
    books.require_ledger(db, village)
    accounts = books.accounts(db, village)
    by_id = {a.id: a for a in accounts}
    options: list[tuple[str, str]] = []
    names: dict[str, set[str]] = {}
    for a in accounts:
        if not a.leaf:
            continue
        parts, cur = [], a
        while cur is not None:
            parts.append(cur.name)
            cur = by_id.get(cur.parent_id) if cur.parent_id else None
        full = "—".join(reversed(parts))
        options.append((a.code, full))
        for name in {full, a.name}:
            names.setdefault(name, set()).add(a.code)
    by_name = {name: next(iter(codes)) for name, codes in names.items() if len(codes) == 1}
    matters = proposal_views.list_proposals(db, actor, village, per_page=100).items
    contracts = [row.contract for row in assets.contracts(db, actor, village)]
    return Entry(options, {a.code for a in accounts}, by_name, matters, contracts)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


class VoucherForm:
    """The typed form (a multipart body: the lines are repeated fields, one of each per row)."""

    def __init__(self, form: FormData):
        self.values = {"date": _text(form.get("date")), "summary": _text(form.get("summary")),
                       "proposal_id": _text(form.get("proposal_id")), "contract_id": _text(form.get("contract_id"))}
        cols = [form.getlist(name) for name in ("account", "debit", "credit", "line_summary")]
        count = min(max(len(c) for c in cols), B.MAX_LINES + 1)
        self.rows = [Row(*(_text(c[i]) if i < len(c) else "" for c in cols)) for i in range(count)]
        self.more = bool(form.get("more"))

    def shown(self, extra: int = 0) -> list[Row]:
        """The rows to show again: the lines first, in the order the service numbers them (so "第 2 行"
        is the second row on the screen), then the empty ones; `extra` more, up to the limit."""
        rows = [r for r in self.rows if not r.blank] + [r for r in self.rows if r.blank]
        wanted = min(max(len(rows), ROWS) + extra, max(B.MAX_LINES, len(rows)))
        return rows + [Row()] * (wanted - len(rows))

    def _lines(self, entry: Entry) -> tuple[list[B.Line], dict[str, str]]:
        def account(text: str) -> str:
            text = " ".join(text.split())  # an IME's full-width space separates the code too
            if not text or text.split(" ")[0] in entry.known or text not in entry.by_name:
                return text
            return entry.by_name[text]  # a name typed without its code
        return vouchers.parse_lines([(account(r.account), r.debit, r.credit, r.summary)
                                     for r in self.shown() if not r.blank])

    def totals(self, entry: Entry) -> tuple[int, int]:
        return B.totals(self._lines(entry)[0])

    def checked(self, entry: Entry, extra: dict[str, str]) -> vouchers.VoucherIn:
        """The voucher as the service takes it; raises Invalid naming every bad field at once."""
        v = self.values
        errors: dict[str, str] = {}
        day = None
        if v["date"]:
            try:
                day = date.fromisoformat(v["date"])
            except ValueError:
                errors["date"] = "日期要写成 2026-03-05 这样"
        proposal_id = None
        if v["proposal_id"]:
            proposal_id = id_or_none(v["proposal_id"])
            if proposal_id is None:
                errors["proposal_id"] = "请从列表中选择事项"
        contract_id = None
        if v["contract_id"]:
            contract_id = id_or_none(v["contract_id"])
            if contract_id is None:
                errors["contract_id"] = "请从列表中选择合同"
        lines, amount_errors = self._lines(entry)
        errors.update(amount_errors)
        errors.update(extra)
        if errors:
            leaves = {code for code, _ in entry.options}
            problems = B.check_voucher(day, v["summary"], lines, leaves, entry.known)
            raise invalid_fields({**{p.field: p.message for p in problems}, **errors})
        return vouchers.VoucherIn(day, v["summary"], lines, proposal_id, contract_id)


def _form(request: Request, village, entry: Entry, values: dict, rows: list[Row], *, view=None,
          totals: tuple[int, int] | None = None, lost_file: bool = False, error: str | None = None,
          errors: dict | None = None, status: int = 200) -> Response:
    ids = {str(p.id) for p in entry.proposals}
    return render(request, "vouchers/form.html", {
        "village": village,
        "view": view,
        "values": values,
        "rows": rows,
        "more_allowed": len(rows) < B.MAX_LINES,
        "max_lines": B.MAX_LINES,
        "options": entry.options,
        "proposals": entry.proposals,
        "contracts": entry.contracts,
        "other_proposal": values.get("proposal_id") if values.get("proposal_id") not in ids else "",
        "totals": totals,
        "lost_file": lost_file,
        "accept": RECEIPT_ACCEPT,
        "max_mb": attachments.MAX_BYTES // (1024 * 1024),
        "today": local_today().isoformat(),
        "summary_max": B.SUMMARY_MAX,
        "yuan": yuan,
        "error": error,
        "errors": errors or {},
    }, status_code=status)


async def _file(form: FormData, name: str) -> tuple[str, bytes] | None:
    file = form.get(name)
    if not isinstance(file, UploadFile) or not file.filename:
        return None
    return file.filename, await file.read(attachments.MAX_BYTES + 1)


def _file_problem(upload: tuple[str, bytes] | None) -> dict[str, str]:
    """A receipt that would be refused, found before the voucher is saved (the form keeps everything)."""
    if upload is None:
        return {}
    data = upload[1]
    if not data:
        return {"receipt": "选的文件是空的，请重新选择"}
    if len(data) > attachments.MAX_BYTES:
        return {"receipt": attachments.too_large_message()}
    try:
        attachments.sniff(data)
    except attachments.Refused as exc:
        return {"receipt": f"{exc}（原始凭证请拍照或用 PDF）"}
    return {}


@router.get("/v/{slug}/accounts/vouchers/new")
def new_form(slug: str, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    entry = _entry(db, actor, village)
    values = {"date": local_today().isoformat(), "summary": "", "proposal_id": "", "contract_id": ""}
    return _form(request, village, entry, values, [Row()] * ROWS)


@router.post("/v/{slug}/accounts/vouchers/new")
async def create(slug: str, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    raw = await request.form()
    upload = await _file(raw, "receipt")
    return await run_in_threadpool(_save, request, db, settings, actor, slug, None, VoucherForm(raw), upload)


def _not_editable(voucher) -> str:
    """Why a book keeper may not change this voucher (the service says the same when asked)."""
    if voucher.state == B.POSTED:
        return "已记账的凭证不能修改；如有错误请做红字冲销凭证"
    return "红字冲销凭证照原凭证生成，不能修改；不要了可以删除"


@router.get("/v/{slug}/accounts/vouchers/{vid}/edit")
def edit_form(slug: str, vid: int, request: Request, db: DbSession, actor: PageActor):
    view, village = load(db, actor, slug, vid)
    entry = _entry(db, actor, village)
    voucher = view.voucher
    if not view.caps["edit"]:
        return redirect(request, voucher_url(village, vid), _not_editable(voucher), "error")
    values = {"date": voucher.voucher_date.isoformat(), "summary": voucher.summary,
              "proposal_id": str(voucher.proposal_id or ""), "contract_id": str(voucher.contract_id or "")}
    rows = [Row(f"{ln.code} {ln.account}", fen_text(ln.debit), fen_text(ln.credit), ln.summary) for ln in view.lines]
    return _form(request, village, entry, values, rows + [Row()] * max(ROWS - len(rows), 0), view=view)


@router.post("/v/{slug}/accounts/vouchers/{vid}/edit")
async def edit(slug: str, vid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    raw = await request.form()
    upload = await _file(raw, "receipt")
    return await run_in_threadpool(_save, request, db, settings, actor, slug, vid, VoucherForm(raw), upload)


def _save(request: Request, db: DbSession, settings, actor: Actor, slug: str, vid: int | None, form: VoucherForm,
          upload: tuple[str, bytes] | None) -> Response:
    """Create (vid None) or change a voucher from the typed form, then attach the receipt."""
    view = None
    if vid is None:
        village = places.get_village_by_slug(db, slug)
    else:
        view, village = load(db, actor, slug, vid)
    entry = _entry(db, actor, village)
    was_reviewed = view is not None and view.voucher.state == B.REVIEWED  # (the same row the service changes)

    def again(*, extra: int = 0, exc: ServiceError | None = None) -> Response:
        return _form(request, village, entry, form.values, form.shown(extra), view=view, totals=form.totals(entry),
                     lost_file=upload is not None, error=exc.detail if exc else None,
                     errors=field_errors(exc) if exc else None, status=exc.status if exc else 200)

    if view is not None and not view.caps["edit"]:  # the wrong moment comes before what was typed
        return redirect(request, voucher_url(village, vid), _not_editable(view.voucher), "error")
    if form.more:  # 再加一行: the same form with two more rows; nothing is saved
        return again(extra=MORE)
    try:
        data = form.checked(entry, _file_problem(upload))
        if vid is None:
            voucher = vouchers.create(db, actor, village, data)
        else:
            voucher = vouchers.update_draft(db, actor, vid, data)
    except ServiceError as exc:
        back = voucher_url(village, vid) if vid else list_url(village)
        return refused(request, exc, back=back, reshow=lambda e=exc: again(exc=e))
    url = voucher_url(village, voucher.id)
    if vid is None:
        message = "凭证已保存，请另一位村委会成员审核"
    else:
        message = "凭证已修改" + ("，要重新审核" if was_reviewed else "")
    if upload is not None:
        try:
            added = attachments.add(db, settings, actor, "voucher", voucher.id, upload[0], upload[1])
        except ServiceError as exc:
            return redirect(request, url, f"{message}；但原始凭证没有上传：{exc.detail}", "error")
        message += f"；已附原始凭证：{added.filename}"
    return redirect(request, url, message)


# --- the voucher ----------------------------------------------------------------------------------

def show(request: Request, actor: Actor | None, view, village, *, error: str | None = None, values: dict | None = None,
         status: int = 200) -> Response:
    """The voucher page; a refused form shows `error` and what was typed (`values`) beside it."""
    voucher = view.voucher
    return render(request, "vouchers/detail.html", {
        "village": village,
        "view": view,
        "voucher": voucher,
        "caps": view.caps,
        "any_caps": any(view.caps.values()),
        # the names of who prepared, reviewed and posted: for the village's people and its overseers
        "insider": actor is not None and (actor.is_admin or actor.is_member(village.id) or actor.monitors(village)),
        "state_name": B.VOUCHER_STATES.get(voucher.state, voucher.state),
        "totals": (sum(ln.debit for ln in view.lines), sum(ln.credit for ln in view.lines)),
        "period_label": B.period_label,
        "yuan": yuan,
        "accept": RECEIPT_ACCEPT,
        "max_mb": attachments.MAX_BYTES // (1024 * 1024),
        "today": local_today().isoformat(),
        "error": error,
        "values": values or {},
    }, status_code=status)


@router.get("/v/{slug}/accounts/vouchers/{vid}")
def voucher_page(slug: str, vid: int, request: Request, db: DbSession, actor: CurrentActor):
    view, village = load(db, actor, slug, vid)
    return show(request, actor, view, village)


def _step(request: Request, db: DbSession, actor: Actor, slug: str, vid: int,
          act: Callable[[object], object], message: Callable[[object], str] | str, values: dict,
          to: Callable[[object, object], str] | None = None) -> Response:
    """One button on a voucher: run the service step, then to the voucher (or `to`) with its message,
    or the refusal: a flash (wrong moment), the page again with the message (bad input), the error page."""
    _, village = load(db, actor, slug, vid)
    try:
        result = act(village)
    except ServiceError as exc:
        def again(e: ServiceError = exc) -> Response:
            view, home = load(db, actor, slug, vid)  # afresh: the failed call may have rolled back
            return show(request, actor, view, home, error=e.detail, values={**values, "errors": field_errors(e)},
                        status=e.status)
        return refused(request, exc, back=voucher_url(village, vid, "#actions"), reshow=again)
    url = to(village, result) if to else voucher_url(village, vid)
    return redirect(request, url, message(result) if callable(message) else message)


@router.post("/v/{slug}/accounts/vouchers/{vid}/review")
def review(slug: str, vid: int, request: Request, db: DbSession, actor: PageActor):
    return _step(request, db, actor, slug, vid, lambda _: vouchers.review(db, actor, vid),
                 "已审核，村委会可以记账了", {"form": "review"})


@router.post("/v/{slug}/accounts/vouchers/{vid}/return")
def return_voucher(slug: str, vid: int, request: Request, db: DbSession, actor: PageActor,
                   note: str = Form(default="", max_length=2000)):
    return _step(request, db, actor, slug, vid, lambda _: vouchers.return_voucher(db, actor, vid, note),
                 "已退回制单人修改，退回意见已通知制单人", {"form": "return", "note": note})


@router.post("/v/{slug}/accounts/vouchers/{vid}/post")
def post(slug: str, vid: int, request: Request, db: DbSession, actor: PageActor):
    return _step(request, db, actor, slug, vid, lambda _: vouchers.post(db, actor, vid),
                 lambda v: f"已记账：{B.period_label(v.period)}{B.voucher_label(v.number)}", {"form": "post"})


@router.post("/v/{slug}/accounts/vouchers/{vid}/reverse")
def reverse(slug: str, vid: int, request: Request, db: DbSession, actor: PageActor,
            day: str = Form(default="", alias="date", max_length=20)):
    values = {"form": "reverse", "date": day.strip()}

    def act(village):
        require(actor, village, *books.KEEPERS)  # who may, before what was typed
        when = None
        if day.strip():
            try:
                when = date.fromisoformat(day.strip())
            except ValueError:
                raise Invalid("日期要写成 2026-03-05 这样", field="date") from None
        return vouchers.reverse(db, actor, vid, when)

    return _step(request, db, actor, slug, vid, act, "已生成红字冲销凭证（草稿），审核、记账后生效", values,
                 to=lambda village, red: voucher_url(village, red.id))


@router.post("/v/{slug}/accounts/vouchers/{vid}/delete")
def delete(slug: str, vid: int, request: Request, db: DbSession, actor: PageActor,
           confirm: str = Form(default="", max_length=10)):
    def act(village):
        require(actor, village, *books.KEEPERS)
        if confirm != "yes":
            raise Invalid("请先勾选“确定删除”，再点删除", field="confirm")
        return vouchers.delete_draft(db, actor, vid)

    return _step(request, db, actor, slug, vid, act, "凭证已删除", {"form": "delete"},
                 to=lambda village, _: list_url(village))


@router.post("/v/{slug}/accounts/vouchers/{vid}/receipts")
async def add_receipt(slug: str, vid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    raw = await request.form()
    view, village = await run_in_threadpool(load, db, actor, slug, vid)
    back = voucher_url(village, vid, "#receipts")
    upload = await _file(raw, "receipt")
    if upload is None:
        return redirect(request, back, "请选择原始凭证的照片或 PDF", "error")
    try:
        added = await run_in_threadpool(attachments.add, db, settings, actor, "voucher", view.voucher.id, *upload)
    except ServiceError as exc:  # a bad file is a flash on the voucher, like the wrong moment
        return refused(request, exc, back=back, reshow=lambda e=exc: redirect(request, back, e.detail, "error"))
    return redirect(request, back, f"已上传原始凭证：{added.filename}")



@router.get("/v/{slug}/accounts/vouchers/{vid}/receipts/{aid}")
def receipt(slug: str, vid: int, aid: int, db: DbSession, settings: SettingsDep, actor: CurrentActor):
    """A receipt image or PDF: the village's members, and everyone where the village made receipts
    public (a login page is never the answer: who may not see it gets 404)."""
    attachment, path = vouchers.receipt_file(db, settings, actor, slug, vid, aid)
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": content_disposition(attachment.filename, attachment.content_type in INLINE_TYPES),
        "Cache-Control": "private, no-store",
    })
