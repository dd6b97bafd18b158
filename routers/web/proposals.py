"""Proposal pages: the list, new/edit forms, the proposal page (stage bar, co-signing, actions,
history, attachments, comments) and its forms, the committee's queue.

Post → redirect → flash on success. A refusal of an action (wrong role, wrong moment) comes back
as a flash on the proposal page; bad input re-shows the form with the message and what was typed.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.domain import procedures as P
from app.domain.money import parse_yuan, yuan
from app.domain.proposals import CATEGORIES, ProposalDraft
from app.services import attachments, funds, proposal_views, proposals, vote_views
from app.services.errors import Invalid, ServiceError
from routers.deps import DbSession, PageActor, PageNo, SettingsDep
from routers.templating import render
from routers.web.comment_thread import comment_thread
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()

DRAFT_SAVED = "草稿已保存，提交后其他村民才能看到"
# The service names money in fen; the form in yuan.
FIELD_OF = {"budget_fen": "budget", "per_capita_fen": "per_capita"}


def proposal_url(slug: str, pid: int, anchor: str = "") -> str:
    return f"/v/{slug}/proposals/{pid}" + (f"#{anchor}" if anchor else "")


# --- the list ---------------------------------------------------------------------------------

@router.get("/v/{slug}/proposals")
def proposal_list(
    slug: str,
    request: Request,
    db: DbSession,
    actor: PageActor,
    state: str | None = Query(default=None, max_length=30),
    category: str | None = Query(default=None, max_length=20),
    q: str | None = Query(default=None, max_length=50),
    mine: bool = False,
    page: PageNo = 1,
):
    view = proposal_views.list_page(db, actor, slug, state=state, category=category, q=q, mine=mine, page=page)
    filters = {"state": view.state or "", "category": view.category or "", "q": (q or "").strip()}
    if mine:
        filters["mine"] = "1"
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "proposals/list.html", {
        "village": view.village,
        "page": view.page,
        "filters": filters,
        "mine": mine,
        "query": query + "&" if query else "",
        "stage_groups": view.stage_groups,
        "categories": CATEGORIES,
        "can_propose": view.can_propose,
        "filtered": bool(query),
    })


# --- new and edit -----------------------------------------------------------------------------

def _form(request: Request, form: proposal_views.DraftForm, values: dict | None = None, *,
          error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    return render(request, "proposals/form.html", {
        "village": form.village,
        "proposal": form.proposal,
        "values": form.values if values is None else values,
        "error": error,
        "errors": errors or {},
        "categories": CATEGORIES,
        "procedures": form.procedures,
        "settings": form.settings,
        "yuan": yuan,
    }, status_code=status)


def _draft_from(values: dict) -> ProposalDraft:
    """The typed form as a draft; money in yuan becomes fen. Raises Invalid naming every bad field."""
    errors: dict[str, str] = {}
    money: dict[str, int | None] = {}
    for name in ("budget", "per_capita"):
        try:
            money[name] = parse_yuan(values[name])
        except ValueError:
            errors[name] = "金额格式不对"
            money[name] = None
    labour = values["labour_days"].strip()
    labour_days = None
    if labour:
        if labour.isdigit():
            labour_days = int(labour)
        else:
            errors["labour_days"] = "人均筹劳天数应为整数"
    if errors:
        raise Invalid("；".join(dict.fromkeys(errors.values())),
                      errors=[{"field": k, "message": v} for k, v in errors.items()])
    return ProposalDraft(title=values["title"], body=values["body"], category=values["category"],
                         procedure=values["procedure"], budget_fen=money["budget"],
                         per_capita_fen=money["per_capita"], labour_days=labour_days,
                         exemptions=values["exemptions"] or None)


class ProposalForm:
    def __init__(
        self,
        title: str = Form(default="", max_length=300),
        body: str = Form(default="", max_length=40_000),
        category: str = Form(default="", max_length=20),
        procedure: str = Form(default="yishiyiyi", max_length=20),
        budget: str = Form(default="", max_length=30),
        per_capita: str = Form(default="", max_length=30),
        labour_days: str = Form(default="", max_length=10),
        exemptions: str = Form(default="", max_length=2000),
    ):
        self.values = {"title": title, "body": body, "category": category, "procedure": procedure,
                       "budget": budget.strip(), "per_capita": per_capita.strip(), "labour_days": labour_days.strip(),
                       "exemptions": exemptions}


@router.get("/v/{slug}/proposals/new")
def new_form(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _form(request, proposal_views.new_draft_form(db, actor, slug))


@router.post("/v/{slug}/proposals/new")
def create(slug: str, request: Request, db: DbSession, actor: PageActor, form: ProposalForm = Depends()):
    blank = proposal_views.new_draft_form(db, actor, slug)
    try:
        proposal = proposals.create(db, actor, blank.village, _draft_from(form.values))
    except ServiceError as exc:
        if exc.status in (401, 404):
            raise
        return _form(request, blank, form.values, error=exc.detail, errors=field_errors(exc, FIELD_OF),
                     status=exc.status)
    return redirect(request, proposal_url(slug, proposal.id), DRAFT_SAVED)


@router.get("/v/{slug}/proposals/{pid}/edit")
def edit_form(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    return _form(request, proposal_views.edit_draft_form(db, actor, slug, pid))


@router.post("/v/{slug}/proposals/{pid}/edit")
def edit(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor, form: ProposalForm = Depends()):
    proposal, _ = proposals.get_in(db, actor, slug, pid)
    try:
        proposals.edit(db, actor, proposal.id, _draft_from(form.values))
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        again = proposal_views.edit_draft_form(db, actor, slug, pid, check=False)
        return _form(request, again, form.values, error=exc.detail, errors=field_errors(exc, FIELD_OF),
                     status=exc.status)
    return redirect(request, proposal_url(slug, pid), DRAFT_SAVED)


# --- the proposal page ------------------------------------------------------------------------

def show(request: Request, db: DbSession, actor: PageActor, proposal, village, *,
         error: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    """The proposal page (of a proposal from `proposals.get_in`); on a refused form, `error` and what
    was typed (`values`) are shown in place."""
    view = proposal_views.page(db, actor, proposal, village)
    return render(request, "proposals/detail.html", {
        "village": village,
        "proposal": proposal,
        "view": view,
        "thread": comment_thread(view.comments, village.slug),
        "yuan": yuan,
        "error": error,
        "values": values or {},
        "vote_panel": vote_views.panel_for_proposal(db, actor, proposal, village),
        # 一事一议 money and labour (筹资筹劳): the totals, for a matter with either in its plan
        "fund": funds.summary(db, actor, proposal.id) if proposal.procedure == funds.PROCEDURE else None,
        "fund_passed": funds.passed(proposal),
    }, status_code=status)


@router.get("/v/{slug}/proposals/{pid}")
def proposal_page(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    proposal, village = proposals.get_in(db, actor, slug, pid)
    return show(request, db, actor, proposal, village)


def refused_here(request: Request, db: DbSession, actor: PageActor, slug: str, pid: int, exc: ServiceError,
                 values: dict, anchor: str = "") -> Response:
    """A service said no: bad input re-shows the page with what was typed; a refusal (wrong role,
    wrong moment) is a flash on the proposal page."""
    if exc.status == 401:
        raise exc
    proposal, village = proposals.get_in(db, actor, slug, pid)  # 404 when out of scope, as for any lookup
    return refused(request, exc, back=proposal_url(slug, pid, anchor), error_page=(401,),
                   reshow=lambda: show(request, db, actor, proposal, village, error=exc.detail, values=values,
                                       status=422))


def _moved_message(proposal, action: str) -> str:
    name = P.state_name(proposal.procedure, proposal.state)
    if action == P.Action.SUBMIT:
        if proposal.state == "cosign":
            return f"已提交，现在是「{name}」：请村民联署"
        return f"已提交，现在是「{name}」"
    if action == P.Action.RETURN:
        return "已退回提议人修改"
    if action == P.Action.REJECT:
        return "已决定不予通过，理由已记录"
    if action == P.Action.WITHDRAW:
        return "事项已撤回"
    return f"已推进，现在是「{name}」"


@router.post("/v/{slug}/proposals/{pid}/transition")
def transition(
    slug: str,
    pid: int,
    request: Request,
    db: DbSession,
    actor: PageActor,
    action: str = Form(default="", max_length=20),
    note: str = Form(default="", max_length=5000),
):
    proposal, _ = proposals.get_in(db, actor, slug, pid)
    try:
        proposal = proposals.transition(db, actor, proposal.id, action, note)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc, {"form": "action", "action": action, "note": note},
                            "actions")
    return redirect(request, proposal_url(slug, pid), _moved_message(proposal, action))


@router.post("/v/{slug}/proposals/{pid}/delete")
def delete_draft(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    """删除草稿 (a draft never submitted, by its author)."""
    proposals.get_in(db, actor, slug, pid)
    try:
        village = proposals.delete_draft(db, actor, pid)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc, {"form": "action", "action": "withdraw"}, "actions")
    return redirect(request, f"/v/{village.slug}/proposals", "草稿已删除")


@router.post("/v/{slug}/proposals/{pid}/cosign")
def cosign(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    proposal, _ = proposals.get_in(db, actor, slug, pid)
    before = proposal.state
    try:
        proposal = proposals.cosign(db, actor, proposal.id)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc, {}, "cosign")
    if proposal.state != before:
        message = f"已联署。联署人数已够，事项进入「{P.state_name(proposal.procedure, proposal.state)}」"
    else:
        message = "已联署，谢谢你的支持"
    return redirect(request, proposal_url(slug, pid), message)


@router.post("/v/{slug}/proposals/{pid}/uncosign")
def uncosign(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    proposal, _ = proposals.get_in(db, actor, slug, pid)
    try:
        proposals.withdraw_cosign(db, actor, proposal.id)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc, {}, "cosign")
    return redirect(request, proposal_url(slug, pid), "已撤回联署")


@router.post("/v/{slug}/proposals/{pid}/attachments")
async def upload(slug: str, pid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    proposal, _ = await run_in_threadpool(proposals.get_in, db, actor, slug, pid)
    back = proposal_url(slug, pid, "attachments")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect(request, back, "请选择要上传的文件", "error")
    data = await file.read(attachments.MAX_BYTES + 1)
    try:
        added = await run_in_threadpool(attachments.add, db, settings, actor, "proposal", proposal.id, file.filename,
                                        data)
    except ServiceError as exc:
        if exc.status in (401, 404):
            raise
        return redirect(request, back, exc.detail, "error")
    return redirect(request, back, f"已上传附件：{added.filename}")


# --- the committee's queue --------------------------------------------------------------------

@router.get("/v/{slug}/queue")
def queue(slug: str, request: Request, db: DbSession, actor: PageActor, page: PageNo = 1):
    view = proposal_views.queue_page(db, actor, slug, page)
    return render(request, "proposals/queue.html", {
        "village": view.village, "page": view.page, "query": "", "reported": view.reported,
    })
