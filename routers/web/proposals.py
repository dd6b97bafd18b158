"""Proposal pages: the list, new/edit forms, the proposal page (stage bar, co-signing, actions,
history, attachments, comments), the committee's queue, the village settings, my messages and
attachment downloads.

Post → redirect → flash on success. A refusal of an action (wrong role, wrong moment) comes back
as a flash on the proposal page; bad input re-shows the form with the message and what was typed.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.config import Settings
from app.domain import procedures as P
from app.domain.markdown import render as render_markdown
from app.domain.money import parse_yuan, yuan
from app.domain.proposals import CATEGORIES, ProposalDraft
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, VILLAGER
from app.domain.village_settings import settable_stages
from app.models import Proposal, Village
from app.services import attachments, comments, notifications, places, proposals, village_settings
from app.services.access import Actor, require
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from routers.deps import get_db, get_settings_dep, page_actor
from routers.templating import render
from routers.web import votes as vote_pages
from routers.web.common import redirect

router = APIRouter()

DRAFT_SAVED = "草稿已保存，提交后其他村民才能看到"
NEEDS_REASON = {P.Action.RETURN.value, P.Action.REJECT.value}
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


# --- helpers ----------------------------------------------------------------------------------

def load(db: Session, actor: Actor | None, slug: str, pid: int) -> tuple[Proposal, Village]:
    """The proposal, through the service (scope and draft privacy checked), in this village only."""
    village = places.get_village_by_slug(db, slug)
    proposal, home = proposals.get(db, actor, pid)
    if home.id != village.id:
        raise NotFound("找不到这个事项")
    return proposal, village


def proposal_url(village: Village, pid: int, anchor: str = "") -> str:
    return f"/v/{village.slug}/proposals/{pid}" + (f"#{anchor}" if anchor else "")


def stage_filter_groups() -> list[dict]:
    """The stage filter: every state of every procedure once, listed under the first procedure that
    has it; a state another procedure shares names that procedure's stage too."""
    owners: dict[str, list[tuple[P.Procedure, P.Stage]]] = {}
    for proc in P.PROCEDURES.values():
        for stage in proc.stages:
            if stage.key != P.CLOSED:
                owners.setdefault(stage.key, []).append((proc, stage))
    groups = [{"label": "我的草稿", "options": [(P.DRAFT, "草稿（只有自己看得到）")]}]
    for proc in P.PROCEDURES.values():
        options = [
            (stage.key, stage.name + "".join(f"／{p.name}：{s.name}" for p, s in owners[stage.key][1:]))
            for stage in proc.stages if stage.key in owners and owners[stage.key][0][0] is proc
        ]
        if options:
            groups.append({"label": proc.name, "options": options})
    groups.append({"label": "结果", "options": [(P.CLOSED, "已办结"), (P.REJECTED, "不予通过"),
                                               (P.WITHDRAWN, "已撤回")]})
    return groups


def known_states() -> set[str]:
    return {key for group in stage_filter_groups() for key, _ in group["options"]}


def procedures_for(actor: Actor, village: Village, current: str | None = None) -> list[P.Procedure]:
    """The procedures this person may draft under (and the one a draft already has)."""
    return [proc for key, proc in P.PROCEDURES.items()
            if actor.has(village.id, *P.AUTHORS[key]) or key == current]


def state_label(procedure: str, state: str) -> str:
    """A state's Chinese name; a draft may have changed procedure, so its history can name the
    stages of another one."""
    for key in (procedure, *P.PROCEDURES):
        try:
            return P.state_name(key, state)
        except KeyError:
            continue
    return state


def stages_of(proposal: Proposal) -> list[dict]:
    proc = P.PROCEDURES[proposal.procedure]
    keys = [s.key for s in proc.stages]
    current = keys.index(proposal.state) if proposal.state in keys else -1
    return [{"key": s.key, "name": s.name, "help": s.help, "current": i == current,
             "done": current >= 0 and (i < current or (s.kind is P.Kind.CLOSED and i == current))}
            for i, s in enumerate(proc.stages)]


# --- the list ---------------------------------------------------------------------------------

@router.get("/v/{slug}/proposals")
def proposal_list(
    slug: str,
    request: Request,
    state: str | None = Query(default=None, max_length=30),
    category: str | None = Query(default=None, max_length=20),
    q: str | None = Query(default=None, max_length=50),
    mine: bool = False,
    page: int = Query(default=1, ge=1),
    db: Session = Depends(get_db),
    actor: Actor = Depends(page_actor),
):
    village = places.get_village_by_slug(db, slug)
    state = state if state in known_states() else None
    category = category if category in CATEGORIES else None
    result = proposals.list_proposals(db, actor, village, state=state, category=category, q=q, mine=mine,
                                      page=page, per_page=20)
    filters = {"state": state or "", "category": category or "", "q": (q or "").strip()}
    if mine:
        filters["mine"] = "1"
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "proposals/list.html", {
        "village": village,
        "page": result,
        "filters": filters,
        "mine": mine,
        "query": query + "&" if query else "",
        "stage_groups": stage_filter_groups(),
        "categories": CATEGORIES,
        "can_propose": actor.is_member(village.id) or actor.is_admin,
        "filtered": bool(query),
    })


# --- new and edit -----------------------------------------------------------------------------

FIELD_OF = {"budget_fen": "budget", "per_capita_fen": "per_capita"}


def _form(request: Request, db: Session, village: Village, actor: Actor, values: dict, *,
          proposal: Proposal | None = None, error: str | None = None, errors: dict | None = None,
          status: int = 200) -> Response:
    return render(request, "proposals/form.html", {
        "village": village,
        "proposal": proposal,
        "values": values,
        "error": error,
        "errors": errors or {},
        "categories": CATEGORIES,
        "procedures": procedures_for(actor, village, proposal.procedure if proposal else None),
        "settings": village_settings.settings_of(db, village),
        "yuan": yuan,
    }, status_code=status)


def _values_of(proposal: Proposal) -> dict:
    return {
        "title": proposal.title, "body": proposal.body, "category": proposal.category,
        "procedure": proposal.procedure, "budget": yuan(proposal.budget_fen).replace(",", ""),
        "per_capita": yuan(proposal.per_capita_fen).replace(",", ""),
        "labour_days": "" if proposal.labour_days is None else str(proposal.labour_days),
        "exemptions": proposal.exemptions or "",
    }


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


def _field_errors(exc: ServiceError) -> dict[str, str]:
    out = {FIELD_OF.get(e.get("field", ""), e.get("field", "")): e.get("message", "") for e in exc.errors}
    if exc.field:
        out.setdefault(FIELD_OF.get(exc.field, exc.field), exc.detail)
    return out


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
def new_form(slug: str, request: Request, db: Session = Depends(get_db),
             actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    actor = require(actor, village)
    return _form(request, db, village, actor, {"title": "", "body": "", "category": "", "procedure": "yishiyiyi",
                                            "budget": "", "per_capita": "", "labour_days": "", "exemptions": ""})


@router.post("/v/{slug}/proposals/new")
def create(slug: str, request: Request, form: ProposalForm = Depends(), db: Session = Depends(get_db),
           actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    actor = require(actor, village)
    try:
        proposal = proposals.create(db, actor, village, _draft_from(form.values))
    except ServiceError as exc:
        if exc.status in (401, 404):
            raise
        return _form(request, db, village, actor, form.values, error=exc.detail, errors=_field_errors(exc),
                     status=exc.status)
    return redirect(request, proposal_url(village, proposal.id), DRAFT_SAVED)


def _editable(proposal: Proposal, actor: Actor) -> None:
    if proposal.author_id != actor.id:
        raise Forbidden("只有提议人可以修改")
    if proposal.state != P.DRAFT:
        raise Conflict("事项已经提交，不能再修改；如需修改，请村委会退回")


@router.get("/v/{slug}/proposals/{pid}/edit")
def edit_form(slug: str, pid: int, request: Request, db: Session = Depends(get_db),
              actor: Actor = Depends(page_actor)):
    proposal, village = load(db, actor, slug, pid)
    _editable(proposal, actor)
    return _form(request, db, village, actor, _values_of(proposal), proposal=proposal)


@router.post("/v/{slug}/proposals/{pid}/edit")
def edit(slug: str, pid: int, request: Request, form: ProposalForm = Depends(), db: Session = Depends(get_db),
         actor: Actor = Depends(page_actor)):
    proposal, village = load(db, actor, slug, pid)
    try:
        proposals.edit(db, actor, proposal.id, _draft_from(form.values))
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        proposal, village = load(db, actor, slug, pid)
        return _form(request, db, village, actor, form.values, proposal=proposal, error=exc.detail,
                     errors=_field_errors(exc), status=exc.status)
    return redirect(request, proposal_url(village, pid), DRAFT_SAVED)


# --- the proposal page ------------------------------------------------------------------------

def _actions(actions: list[str]) -> list[dict]:
    out = []
    for key in actions:
        action = P.Action(key)
        label = P.ACTION_NAMES[action]
        if action is P.Action.ADVANCE:
            label = "推进到下一步"
        elif action is P.Action.WITHDRAW:
            label = "撤回这个事项"
        out.append({"key": key, "label": label, "needs_reason": key in NEEDS_REASON,
                    "confirm": action is P.Action.WITHDRAW})
    return out


def show(request: Request, db: Session, actor: Actor, proposal: Proposal, village: Village, *,
         error: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    """The proposal page; on a refused form, `error` and what was typed (`values`) are shown in place."""
    stage = proposals.stage_of(proposal)
    member = actor.is_member(village.id)
    open_ = proposals.comments_open(proposal)
    cosign = None
    if stage is not None and stage.kind is P.Kind.COSIGN:
        cosign = proposals.cosign_status(db, proposal, village)
    is_author = proposal.author_id == actor.id
    runners = (COMMITTEE, PARTY_COMMITTEE) if proposal.procedure == "sizheng" else (COMMITTEE,)
    return render(request, "proposals/detail.html", {
        "village": village,
        "proposal": proposal,
        "procedure": P.PROCEDURES[proposal.procedure],
        "stage": stage,
        "state_name": P.state_name(proposal.procedure, proposal.state),
        "stages": stages_of(proposal),
        "category_name": CATEGORIES.get(proposal.category, proposal.category),
        "author_name": proposals.author_name(db, proposal),
        "body_html": render_markdown(proposal.body),
        "yuan": yuan,
        "cosign": cosign,
        "cosigned": cosign is not None and proposals.has_cosigned(db, actor, proposal),
        "can_cosign": cosign is not None and member and VILLAGER in actor.roles,
        "is_author": is_author,
        "is_draft": proposal.state == P.DRAFT,
        "min_days": (village_settings.settings_of(db, village).stage_days(proposal.procedure, stage.key)
                     if stage is not None else 0),
        "actions": _actions(proposals.actions_for(db, actor, proposal, village)),
        "history": proposals.history(db, proposal),
        "state_label": state_label,
        "attachments": attachments.list_for(db, "proposal", proposal.id),
        "can_upload": actor.has(village.id, *runners) or (is_author and (proposal.state == P.DRAFT or open_)),
        "max_mb": attachments.MAX_BYTES // (1024 * 1024),
        "comments": comments.list_for(db, actor, proposal, village),
        "comments_open": open_,
        "can_comment": comments.may_comment(actor, village),
        "error": error,
        "values": values or {},
        "vote_panel": vote_pages.vote_panel(db, actor, proposal, village),
    }, status_code=status)


@router.get("/v/{slug}/proposals/{pid}")
def proposal_page(slug: str, pid: int, request: Request, db: Session = Depends(get_db),
                  actor: Actor = Depends(page_actor)):
    proposal, village = load(db, actor, slug, pid)
    return show(request, db, actor, proposal, village)


def refused(request: Request, db: Session, actor: Actor, slug: str, pid: int, exc: ServiceError,
            values: dict, anchor: str = "") -> Response:
    """A service said no: bad input re-shows the page with what was typed; a refusal (wrong role,
    wrong moment) is a flash on the proposal page."""
    if exc.status == 401:
        raise exc
    proposal, village = load(db, actor, slug, pid)  # 404 when out of scope, as for any lookup
    if exc.status == 422:
        return show(request, db, actor, proposal, village, error=exc.detail, values=values, status=422)
    return redirect(request, proposal_url(village, pid, anchor), exc.detail, "error")


def _moved_message(proposal: Proposal, action: str) -> str:
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
    action: str = Form(default="", max_length=20),
    note: str = Form(default="", max_length=5000),
    db: Session = Depends(get_db),
    actor: Actor = Depends(page_actor),
):
    proposal, village = load(db, actor, slug, pid)
    try:
        proposal = proposals.transition(db, actor, proposal.id, action, note)
    except ServiceError as exc:
        return refused(request, db, actor, slug, pid, exc, {"form": "action", "action": action, "note": note},
                       "actions")
    return redirect(request, proposal_url(village, pid), _moved_message(proposal, action))


@router.post("/v/{slug}/proposals/{pid}/cosign")
def cosign(slug: str, pid: int, request: Request, db: Session = Depends(get_db),
           actor: Actor = Depends(page_actor)):
    proposal, village = load(db, actor, slug, pid)
    before = proposal.state
    try:
        proposal = proposals.cosign(db, actor, proposal.id)
    except ServiceError as exc:
        return refused(request, db, actor, slug, pid, exc, {}, "cosign")
    if proposal.state != before:
        message = f"已联署。联署人数已够，事项进入「{P.state_name(proposal.procedure, proposal.state)}」"
    else:
        message = "已联署，谢谢你的支持"
    return redirect(request, proposal_url(village, pid), message)


@router.post("/v/{slug}/proposals/{pid}/uncosign")
def uncosign(slug: str, pid: int, request: Request, db: Session = Depends(get_db),
             actor: Actor = Depends(page_actor)):
    proposal, village = load(db, actor, slug, pid)
    try:
        proposals.withdraw_cosign(db, actor, proposal.id)
    except ServiceError as exc:
        return refused(request, db, actor, slug, pid, exc, {}, "cosign")
    return redirect(request, proposal_url(village, pid), "已撤回联署")


# --- attachments ------------------------------------------------------------------------------

@router.post("/v/{slug}/proposals/{pid}/attachments")
async def upload(slug: str, pid: int, request: Request, db: Session = Depends(get_db),
                 settings: Settings = Depends(get_settings_dep), actor: Actor = Depends(page_actor)):
    form = await request.form()
    proposal, village = await run_in_threadpool(load, db, actor, slug, pid)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect(request, proposal_url(village, pid, "attachments"), "请选择要上传的文件", "error")
    data = await file.read(attachments.MAX_BYTES + 1)
    try:
        added = await run_in_threadpool(attachments.add, db, settings, actor, "proposal", proposal.id, file.filename,
                                        data)
    except ServiceError as exc:
        if exc.status in (401, 404):
            raise
        return redirect(request, proposal_url(village, pid, "attachments"), exc.detail, "error")
    return redirect(request, proposal_url(village, pid, "attachments"), f"已上传附件：{added.filename}")


def content_disposition(filename: str, inline: bool = False) -> str:
    """Both forms: an ASCII fallback for old browsers, and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/v/{slug}/attachments/{aid}")
def download(slug: str, aid: int, request: Request, db: Session = Depends(get_db),
             settings: Settings = Depends(get_settings_dep), actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    attachment, path = attachments.get_for_download(db, settings, actor, aid)
    if attachment.village_id != village.id:
        raise NotFound("找不到这个附件")
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": content_disposition(attachment.filename, attachment.content_type in INLINE_TYPES),
        "Cache-Control": "private, no-store",
    })


# --- the committee's queue and the village settings -------------------------------------------

@router.get("/v/{slug}/queue")
def queue(slug: str, request: Request, page: int = Query(default=1, ge=1), db: Session = Depends(get_db),
          actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    result = proposals.queue(db, actor, village, page=page)
    reported = comments.reported(db, actor, village, 1, 50) if comments.may_hide(actor, village) else None
    return render(request, "proposals/queue.html", {
        "village": village, "page": result, "query": "", "reported": reported,
        "waiting_days": _waiting_days,
    })


def _waiting_days(proposal: Proposal) -> int:
    from app.clock import utcnow

    if proposal.stage_entered_at is None:
        return 0
    return max(0, (utcnow() - proposal.stage_entered_at).days)


def _settings_form(request: Request, db: Session, village: Village, values: dict, error: str | None = None,
                   errors: dict | None = None, status: int = 200) -> Response:
    return render(request, "proposals/settings.html", {
        "village": village, "stages": settable_stages(), "values": values, "error": error,
        "errors": errors or {}, "fixed": village_settings.settings_of(db, village).fixed,
    }, status_code=status)


@router.get("/v/{slug}/settings")
def settings_page(slug: str, request: Request, db: Session = Depends(get_db),
                  actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    require(actor, village, COMMITTEE)
    current = village_settings.settings_of(db, village)
    values = {f"days.{key}": str(current.stage_days(*key.split(".", 1))) for key, *_ in settable_stages()}
    values["per_capita_cap"] = yuan(current.per_capita_cap_fen).replace(",", "")
    values["labour_days_cap"] = str(current.labour_days_cap)
    values["proxy_cap"] = str(current.proxy_cap)
    values["objection_reply_days"] = str(current.objection_reply_days)
    return _settings_form(request, db, village, values)


@router.post("/v/{slug}/settings")
async def save_settings(slug: str, request: Request, db: Session = Depends(get_db),
                        actor: Actor = Depends(page_actor)):
    form = await request.form()
    village = await run_in_threadpool(places.get_village_by_slug, db, slug)
    require(actor, village, COMMITTEE)
    values = {f"days.{key}": str(form.get(f"days.{key}") or "").strip()[:10] for key, *_ in settable_stages()}
    values["per_capita_cap"] = str(form.get("per_capita_cap") or "").strip()[:30]
    values["labour_days_cap"] = str(form.get("labour_days_cap") or "").strip()[:10]
    values["proxy_cap"] = str(form.get("proxy_cap") or "").strip()[:10]
    values["objection_reply_days"] = str(form.get("objection_reply_days") or "").strip()[:10]
    try:
        try:
            cap = parse_yuan(values["per_capita_cap"])
        except ValueError:
            raise Invalid("金额格式不对", field="per_capita_cap") from None
        if cap is None:
            raise Invalid("请填写人均筹资上限", field="per_capita_cap")
        min_days = {key: values[f"days.{key}"] for key, *_ in settable_stages()}
        await run_in_threadpool(village_settings.update_settings, db, actor, village, min_days=min_days,
                                per_capita_cap_fen=cap, labour_days_cap=values["labour_days_cap"],
                                proxy_cap=values["proxy_cap"] or None,
                                objection_reply_days=values["objection_reply_days"] or None)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        errors = {_settings_field(e.get("field", "")): e.get("message", "") for e in exc.errors}
        if exc.field:
            errors.setdefault(exc.field, exc.detail)
        return _settings_form(request, db, village, values, exc.detail, errors, exc.status)
    return redirect(request, f"/v/{slug}/settings", "设置已保存")


def _settings_field(field: str) -> str:
    """The form field a settings error is about (the service names stages and fen)."""
    if field in {key for key, *_ in settable_stages()}:
        return f"days.{field}"
    return {"per_capita_cap_fen": "per_capita_cap"}.get(field, field)


# --- my messages ------------------------------------------------------------------------------

@router.get("/me/notifications")
def my_notifications(request: Request, page: int = Query(default=1, ge=1), db: Session = Depends(get_db),
                     actor: Actor = Depends(page_actor)):
    result = notifications.list_mine(db, actor, page, 30)
    unread = notifications.unread_count(db, actor)
    return render(request, "me/notifications.html", {"page": result, "query": "", "unread": unread})


@router.post("/me/notifications/read")
def read_notifications(request: Request, db: Session = Depends(get_db),
                       actor: Actor = Depends(page_actor)):
    notifications.mark_all_read(db, actor)
    return redirect(request, "/me/notifications", "已全部标为已读")

