"""Vote pages (民主决事): the committee's vote form, the vote page (status, turnout, then the result and
the public ballot box), opening and closing, and the printable result sheet. Casting is in
routers/web/ballots.py, proxies and the paper tally in routers/web/paper_tallies.py; the pages they
fail back to are here.

Post → redirect → flash. Bad input re-shows the form with the message and what was typed; a refusal
(wrong role, wrong moment) is a flash on the page the form came from.

Secrecy on the page. Before close nobody sees a count, only turnout. A ballot's receipt and the
choice just made are carried from the cast to the next page in a short-lived signed cookie scoped to
that vote's path and deleted as it is shown: the server keeps no (voter, receipt) pair, so the receipt
is shown once, and that confirmation is the only page that ever names the voter's choice. After close
the receipts and the choices are shown as separate lists, and the look-up answers inclusion only.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from app.domain import votes as V
from app.domain.bounds import id_or_none
from app.domain.calendar import format_local, from_local
from app.services import vote_views, votes
from app.services.access import Actor
from app.services.errors import Conflict, Invalid, ServiceError, invalid_fields
from app.services.vote_views import VoteFormPage, VotePage
from routers import cookies
from routers.deps import DbSession, PageActor, PageNo
from routers.templating import render
from routers.web.common import redirect
from routers.web.councils import context_of
from routers.web.forms import ERROR_PAGE, field_errors, refused

router = APIRouter()

RECEIPT_COOKIE = "cunyi_receipt"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def vote_url(slug: str, sid: int, anchor: str = "") -> str:
    return f"/v/{slug}/votes/{sid}" + (f"#{anchor}" if anchor else "")


def receipt_text(code: str | None) -> str:
    """Receipts are shown in two groups of five (ABCDE-FGHJK); the lookup accepts either form."""
    if not code:
        return ""
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


def to_input(value: datetime | None) -> str:
    return format_local(value, LOCAL_INPUT) if value else ""


def parse_local(text: str, field: str, label: str) -> datetime:
    """A datetime-local field, typed in Beijing time, as UTC."""
    try:
        return from_local(datetime.strptime(text.strip(), LOCAL_INPUT))
    except ValueError:
        raise Invalid(f"请填写{label}（年-月-日 时:分）", field=field) from None
    except OverflowError:  # 0001-01-01 00:00 in Beijing has no UTC time
        raise Invalid(f"{label}超出范围", field=field) from None


# --- the receipt, carried once from the cast to the page -------------------------------------

def set_receipt(request: Request, response: Response, slug: str, sid: int, receipt: str,
                principal: str | None, choice: str) -> None:
    value = cookies.encode(request, "receipt", {"s": sid, "r": receipt, "p": principal, "c": choice})
    response.set_cookie(RECEIPT_COOKIE, value, max_age=300, httponly=True, samesite="strict",
                        path=vote_url(slug, sid))


def read_receipt(request: Request, sid: int) -> dict | None:
    body = cookies.decode(request, "receipt", request.cookies.get(RECEIPT_COOKIE))
    if body is None:
        return None
    if body.get("s") != sid or not isinstance(body.get("r"), str):
        return None
    choice = body.get("c")
    return {"receipt": body["r"], "principal": body.get("p"), "choice": choice if isinstance(choice, str) else None}


# --- creating and editing a vote ----------------------------------------------------------------

def _vote_form(request: Request, page: VoteFormPage, values: dict, *, error: str | None = None,
               errors: dict | None = None, status: int = 200) -> Response:
    context = {**context_of(page), "values": values, "error": error, "errors": errors or {}}
    return render(request, "votes/form.html", context, status_code=status)


class VoteForm:
    def __init__(
        self,
        council_id: str = Form(default="", max_length=12),
        question: str = Form(default="", max_length=600),
        options: str = Form(default="", max_length=2000),
        ballot: str = Form(default="secret", max_length=10),
        allow_change: str = Form(default="", max_length=2),
        opens_at: str = Form(default="", max_length=20),
        closes_at: str = Form(default="", max_length=20),
        special_rule: str = Form(default="", max_length=30),
    ):
        self.values = {"council_id": council_id, "question": question, "options": options,
                       "secret": ballot != "roll_call", "allow_change": bool(allow_change),
                       "opens_at": opens_at.strip(), "closes_at": closes_at.strip(), "special_rule": special_rule}

    def parsed(self) -> dict:
        v = self.values
        errors: dict[str, str] = {}
        times = {}
        for name, label in (("opens_at", "开始时间"), ("closes_at", "结束时间")):
            try:
                times[name] = parse_local(v[name], name, label)
            except Invalid as exc:
                errors[name] = exc.detail
        if id_or_none(v["council_id"]) is None:
            errors["council_id"] = "请选择表决的议事机构"
        if errors:
            raise invalid_fields(errors)
        options = [line.strip() for line in v["options"].splitlines() if line.strip()]
        return {"council_id": int(v["council_id"]), "question": v["question"], "options": options or None,
                "secret": v["secret"], "allow_change": v["allow_change"] and not v["secret"],
                "opens_at": times["opens_at"], "closes_at": times["closes_at"],
                "special_rule": v["special_rule"] or None}


@router.get("/v/{slug}/proposals/{pid}/votes/new")
def vote_new(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    page = vote_views.new_vote_form(db, actor, slug, pid)
    opens, closes = page.window
    values = {"council_id": str(page.councils[0].council.id) if len(page.councils) == 1 else "",
              "question": f"是否同意《{page.proposal.title}》？", "options": "\n".join(V.APPROVE_OPTIONS),
              "secret": True, "allow_change": False, "opens_at": to_input(opens), "closes_at": to_input(closes),
              "special_rule": ""}
    return _vote_form(request, page, values)


@router.post("/v/{slug}/proposals/{pid}/votes/new")
def vote_create(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor,
                form: VoteForm = Depends()):
    proposal, village = vote_views.find_proposal(db, actor, slug, pid)
    try:
        vs = votes.create_session(db, actor, proposal.id, **form.parsed())
    except ServiceError as exc:
        if exc.status in ERROR_PAGE:
            raise
        # any refusal here (bad input, or the stage moved on) re-shows the form with its message
        db.rollback()
        page = vote_views.vote_form(db, actor, proposal, village)
        return _vote_form(request, page, form.values, error=exc.detail, errors=field_errors(exc), status=exc.status)
    return redirect(request, vote_url(slug, vs.id), "表决已创建。核对无误后，请点“开始表决”")


@router.get("/v/{slug}/votes/{sid}/edit")
def vote_edit_form(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor):
    try:
        page = vote_views.edit_vote_form(db, actor, slug, sid)
    except Conflict as exc:
        return redirect(request, vote_url(slug, sid), exc.detail, "error")
    vs = page.vs
    values = {"council_id": str(vs.council_id), "question": vs.question, "options": "\n".join(vs.options),
              "secret": vs.secret, "allow_change": vs.allow_change, "opens_at": to_input(vs.opens_at),
              "closes_at": to_input(vs.closes_at), "special_rule": vs.special_rule or ""}
    return _vote_form(request, page, values)


@router.post("/v/{slug}/votes/{sid}/edit")
def vote_edit(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor, form: VoteForm = Depends()):
    vs, _, _ = votes.find(db, actor, slug, sid)
    # the council, secrecy and special rule are fixed at creation; the form shows them read-only
    form.values.update(council_id=str(vs.council_id), secret=vs.secret, allow_change=vs.allow_change,
                       special_rule=vs.special_rule or "")
    try:
        data = form.parsed()
        votes.edit_session(db, actor, sid, question=data["question"], options=data["options"],
                           opens_at=data["opens_at"], closes_at=data["closes_at"])
    except ServiceError as exc:
        failure = exc
    else:
        return redirect(request, vote_url(slug, sid), "表决内容已修改")

    def reshow() -> Response:
        db.rollback()
        vs, proposal, village = votes.find(db, actor, slug, sid)
        page = vote_views.vote_form(db, actor, proposal, village, vs)
        return _vote_form(request, page, form.values, error=failure.detail, errors=field_errors(failure),
                          status=failure.status)

    return refused(request, failure, reshow=reshow, back=vote_url(slug, sid))


# --- the vote page ----------------------------------------------------------------------------

def show_vote(request: Request, view: VotePage, *, receipt: str | None = None, error: str | None = None,
              form: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    shown = read_receipt(request, view.vs.id)
    response = render(request, "votes/vote.html", {
        **context_of(view),
        "shown": shown,
        "receipt_text": receipt_text,
        "box_query": urlencode({"receipt": receipt}) + "&" if receipt else "",
        "error": error,
        "form": form,
        "values": values or {},
    }, status_code=status)
    if shown:
        response.delete_cookie(RECEIPT_COOKIE, path=vote_url(view.village.slug, view.vs.id))
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/v/{slug}/votes/{sid}")
def vote_page(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor,
              receipt: str | None = Query(default=None, max_length=30),
              page: PageNo = 1):
    view = vote_views.vote_page(db, actor, slug, sid, receipt=receipt, page=page)
    return show_vote(request, view, receipt=receipt)


def vote_refused(request: Request, db: DbSession, actor: Actor, slug: str, sid: int, exc: ServiceError, form: str,
                 values: dict, anchor: str, *, committee_form: bool = True) -> Response:
    """Bad input re-shows the vote page with the message by its form; a wrong moment is a flash. A
    committee form sent by someone else is an error page (403); a voter refused a ballot gets a flash."""
    db.rollback()

    def reshow() -> Response:
        view = vote_views.vote_page(db, actor, slug, sid)
        return show_vote(request, view, error=exc.detail, form=form, values=values, status=422)

    return refused(request, exc, reshow=reshow, back=vote_url(slug, sid, anchor),
                   error_page=ERROR_PAGE if committee_form else (401, 404))


@router.post("/v/{slug}/votes/{sid}/open")
def vote_open(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor):
    votes.find(db, actor, slug, sid)
    try:
        vs = votes.open_session(db, actor, sid)
    except ServiceError as exc:
        return vote_refused(request, db, actor, slug, sid, exc, "open", {}, "")
    return redirect(request, vote_url(slug, sid), f"表决已开始：名单 {vs.electorate_size} 人已确定，表决事项已锁定")


@router.post("/v/{slug}/votes/{sid}/close")
def vote_close(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor):
    votes.find(db, actor, slug, sid)
    try:
        vs = votes.close_session(db, actor, sid)
    except ServiceError as exc:
        return vote_refused(request, db, actor, slug, sid, exc, "close", {}, "")
    outcome = "通过" if vs.result and vs.result.get("passed") else "未通过"
    return redirect(request, vote_url(slug, sid, "result"), f"表决已结束，结果：{outcome}")


# --- the printable result sheet ---------------------------------------------------------------

@router.get("/v/{slug}/votes/{sid}/print")
def vote_print(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor):
    try:
        page = vote_views.print_page(db, actor, slug, sid)
    except Conflict as exc:
        return redirect(request, vote_url(slug, sid), exc.detail, "error")
    return render(request, "votes/print.html", context_of(page))
