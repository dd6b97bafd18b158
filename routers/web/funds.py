"""The fund page of a 一事一议 matter (筹资筹劳): the totals; for the committee the button that turns the
plan into each household's obligation (落实到户) and the exemptions form; each household's figures for
the village's members and the township's monitors; the forms that record money received (by receipt,
posted to 一事一议资金 by itself) and labour given, for the accountant and the committee.

Post → redirect → flash on success; bad input re-shows the page with the message beside its field and
what was typed (422); the wrong moment is a flash; no right or out of scope is the error page
(routers/web/forms.py). Who may do what is the services' (services/funds.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.clock import local_today
from app.domain import books as B
from app.domain import funds as F
from app.domain.bounds import id_or_none, parse_int
from app.domain.money import yuan
from app.domain.roles import COMMITTEE
from app.services import books, funds, proposals
from app.services.access import Actor, require
from app.services.errors import Invalid, NotFound, ServiceError, invalid_fields
from routers.deps import DbSession, PageActor
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()

PEOPLE_MAX = 200  # a select of more people than this is no help on a phone: the form asks for the number


def fund_url(slug: str, pid: int, anchor: str = "") -> str:
    return f"/v/{slug}/proposals/{pid}/fund" + (f"#{anchor}" if anchor else "")


def day_of(text: str, field: str) -> date | None:
    """A typed date (2026-05-10), None when empty; Invalid naming `field` otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid("日期要写成 2026-05-10 这样", field=field) from None


def _people(db: DbSession, actor: Actor, village, pid: int) -> list[tuple[int, str]] | None:
    """The village's people as (id, "name（户号）") for a select, for the committee and the accountant, in
    a village small enough for a select; None otherwise (the form asks for the number)."""
    if not actor.has(village.id, COMMITTEE, *books.KEEPERS):
        return None
    rows = funds.people(db, actor, pid)
    if len(rows) > PEOPLE_MAX:
        return None
    return [(uid, f"{name}（{number}）" if number else name) for uid, name, number in rows]


def _page(request: Request, db: DbSession, actor: Actor, slug: str, pid: int, *, values: dict | None = None,
          error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    proposal, village = proposals.get_in(db, actor, slug, pid)
    summary = funds.summary(db, actor, proposal.id)
    if summary is None:
        raise NotFound("这个事项的方案没有筹资筹劳")
    keeper = actor.has(village.id, *books.KEEPERS)
    committee = actor.has(village.id, COMMITTEE)
    rows = funds.households(db, actor, proposal.id)
    return render(request, "funds/fund.html", {
        "village": village, "proposal": proposal, "s": summary, "rows": rows,
        "exemptions": funds.exemptions(db, actor, proposal.id),
        "passed": funds.passed(proposal), "keeper": keeper, "committee": committee,
        "ledger": books.ledger_of(db, village) if keeper else None,
        "people": _people(db, actor, village, proposal.id) if keeper else None,
        "reasons": F.REASONS, "receipt_max": F.RECEIPT_MAX, "note_max": F.NOTE_MAX,
        "today": local_today().isoformat(), "yuan": yuan,
        "values": values or {}, "error": error, "errors": errors or {},
    }, status_code=status)


@router.get("/v/{slug}/proposals/{pid}/fund")
def fund_page(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    return _page(request, db, actor, slug, pid)


def _submit(request: Request, db: DbSession, actor: Actor, slug: str, pid: int, form: str, values: dict,
            act: Callable[[object, object], object], message: Callable[[object], str] | str, *,
            person_field: str | None = None, rename: dict[str, str] | None = None) -> Response:
    """One form of the fund page: run `act(proposal, village)`, then back to the page with its message;
    refused: the error page (no right, out of scope), the page again with the message beside the field
    and what was typed (bad input — and a person or household not found, when typed), a flash (the
    wrong moment)."""
    proposal, village = proposals.get_in(db, actor, slug, pid)
    try:
        result = act(proposal, village)
    except ServiceError as exc:
        if exc.status == 404 and person_field:  # the number typed names nobody here: say so beside it
            exc = Invalid(exc.detail, field=person_field)

        def again(e: ServiceError = exc) -> Response:
            keyed = {f"{form}.{k}": m for k, m in field_errors(e, rename).items()}
            return _page(request, db, actor, slug, pid, values={"form": form, **values}, error=e.detail,
                         errors=keyed, status=e.status)
        return refused(request, exc, back=fund_url(slug, pid, form), reshow=again)
    return redirect(request, fund_url(slug, pid), message(result) if callable(message) else message)


@router.post("/v/{slug}/proposals/{pid}/fund/obligations")
def set_obligations(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    def act(proposal, _village):
        return funds.set_obligations(db, actor, proposal.id)

    def message(count) -> str:
        s = funds.summary(db, actor, pid)
        return f"已落实到户：{count} 户 {s.persons} 人，应筹资 {yuan(s.due)} 元，应投劳 {s.labour_due} 个工日"

    return _submit(request, db, actor, slug, pid, "obligations", {}, act, message)


@router.post("/v/{slug}/proposals/{pid}/fund/payments")
def record_payment(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor,
                   household_id: str = Form(default="", max_length=20), amount: str = Form(default="", max_length=30),
                   receipt_no: str = Form(default="", max_length=100),
                   received_on: str = Form(default="", max_length=20)):
    values = {"household_id": household_id.strip(), "amount": amount.strip(), "receipt_no": receipt_no,
              "received_on": received_on.strip()}

    def act(proposal, village):
        require(actor, village, *books.KEEPERS)  # who may, before what was typed
        errors: dict[str, str] = {}
        household = id_or_none(values["household_id"])
        if household is None:
            errors["household_id"] = "请选择缴款的户"
        fen = None
        try:
            fen = B.parse_amount(values["amount"])
            if fen is None:
                errors["amount"] = "请填写金额"
        except ValueError as exc:
            errors["amount"] = str(exc)
        if not receipt_no.strip():
            errors["receipt_no"] = "请填写收据号"
        try:
            day = day_of(values["received_on"], "received_on")
        except Invalid as exc:
            errors["received_on"] = exc.detail
        if errors:
            raise invalid_fields(errors)
        return funds.record_payment(db, actor, proposal.id, household, fen, receipt_no, day)

    return _submit(request, db, actor, slug, pid, "payment", values, act,
                   lambda p: f"已登记缴款 {yuan(p.amount)} 元（收据号 {p.receipt_no}），已自动记账",
                   person_field="household_id", rename={"date": "received_on"})


@router.post("/v/{slug}/proposals/{pid}/fund/labour")
def record_labour(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor,
                  user_id: str = Form(default="", max_length=20), days: str = Form(default="", max_length=10),
                  work_date: str = Form(default="", max_length=20)):
    values = {"user_id": user_id.strip(), "days": days.strip(), "work_date": work_date.strip()}

    def act(proposal, village):
        require(actor, village, *books.KEEPERS)
        errors: dict[str, str] = {}
        person = id_or_none(values["user_id"])
        if person is None:
            errors["user_id"] = "请选择投劳的人"
        count = parse_int(values["days"], 1, 30)
        if count is None:
            errors["days"] = "天数要写 1 到 30 的整数"
        try:
            day = day_of(values["work_date"], "work_date")
        except Invalid as exc:
            errors["work_date"] = exc.detail
        if errors:
            raise invalid_fields(errors)
        return funds.record_labour(db, actor, proposal.id, person, count, day)

    return _submit(request, db, actor, slug, pid, "labour", values, act,
                   lambda r: f"已登记投劳 {r.days} 个工日（{r.work_date.isoformat()}）", person_field="user_id")


@router.post("/v/{slug}/proposals/{pid}/fund/exemptions")
def add_exemption(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor,
                  user_id: str = Form(default="", max_length=20), reason: str = Form(default="", max_length=20),
                  note: str = Form(default="", max_length=1000)):
    values = {"user_id": user_id.strip(), "reason": reason.strip(), "note": note}

    def act(proposal, village):
        require(actor, village, COMMITTEE)
        person = id_or_none(values["user_id"])
        if person is None:
            problem = F.check_exemption(values["reason"], note)
            errors = {"user_id": "请选择减免的人"}
            if problem:
                errors["reason" if "原因" in problem else "note"] = problem
            raise invalid_fields(errors)
        return funds.exempt(db, actor, proposal.id, person, values["reason"], note)

    def message(row) -> str:
        counted = funds.summary(db, actor, pid).households
        return f"已减免（{F.REASONS.get(row.reason, '')}）" + (
            "，这一户的应缴已重新计算" if counted else "；落实到户时不算这个人")

    return _submit(request, db, actor, slug, pid, "exemption", values, act, message, person_field="user_id")
