"""Assisted participation (代办) on the web: the committee's page of records made for villagers
without a phone — the ones waiting for a second member's confirmation first — with the forms to
record a paper co-signature (with the scan of the signed sheet), an objection or a comment the
villager dictated, and the buttons to confirm or send one back. Matters' and notices' pages link here
with the form filled (`?kind=…&target=…`)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.domain import assisted as A
from app.domain.bounds import id_or_none
from app.services import assisted, attachments
from app.services.errors import ServiceError
from routers.deps import DbSession, PageActor, PageNo, QueryId, SettingsDep
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()

RECORDED = "已录入。须由另一名村委会成员核对确认后才计入"


def _url(slug: str, anchor: str = "") -> str:
    return f"/v/{slug}/assisted{anchor}"


def _page(request: Request, db, actor, slug: str, *, state: str | None = None, page: int = 1,
          values: dict | None = None, exc: ServiceError | None = None, status: int = 200) -> Response:
    view = assisted.page_view(db, actor, slug, state=state, page=page)
    return render(request, "assisted/list.html", {
        "village": view.village, "view": view, "page": view.page, "kinds": A.KINDS, "states": A.STATES,
        "query": f"state={view.state or 'all'}&", "values": values or {},
        "error": exc.detail if exc is not None else None, "errors": field_errors(exc) if exc is not None else {},
    }, status_code=status)


@router.get("/v/{slug}/assisted")
def assisted_page(slug: str, request: Request, db: DbSession, actor: PageActor,
                  state: str | None = Query(default=None, max_length=12), page: PageNo = 1,
                  kind: str | None = Query(default=None, max_length=10), target: QueryId = None):
    """Waiting records by default (`state=confirmed|rejected|all` for the others); `kind` and
    `target` open the form to record and pick the matter or notice."""
    values = {"kind": kind, "target_id": str(target)} if kind in A.KINDS and target else {}
    return _page(request, db, actor, slug, state=state, page=page, values=values)


@router.post("/v/{slug}/assisted")
async def record(slug: str, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    village = await run_in_threadpool(assisted.village_for, db, actor, slug)
    values = {"kind": str(form.get("kind") or "")[:10], "user_id": str(form.get("user_id") or "")[:12],
              "target_id": str(form.get("target_id") or "")[:12], "body": str(form.get("body") or "")[:10_000]}
    file = form.get("scan")
    scan = None
    if isinstance(file, UploadFile) and file.filename:
        scan = (file.filename, await file.read(attachments.MAX_BYTES + 1))
    try:
        await run_in_threadpool(
            assisted.record, db, settings, actor, village, kind=values["kind"], user_id=id_or_none(values["user_id"]),
            target_id=id_or_none(values["target_id"]), body=values["body"], scan=scan)
    except ServiceError as exc:
        return await run_in_threadpool(lambda e=exc: refused(
            request, e, back=_url(slug, f"#record-{values['kind']}"),
            reshow=lambda: _page(request, db, actor, slug, values=values, exc=e, status=422)))
    return redirect(request, _url(slug), RECORDED)


@router.post("/v/{slug}/assisted/{act_id}/confirm")
def confirm(slug: str, act_id: int, request: Request, db: DbSession, actor: PageActor):
    village = assisted.village_for(db, actor, slug)
    try:
        act = assisted.confirm(db, actor, village, act_id)
    except ServiceError as exc:
        if exc.status in (401, 404):  # a record of another village does not exist: the error page
            raise
        # not this member's to confirm, no longer waiting, or no longer by the rules: said on the page
        return redirect(request, _url(slug, f"#a{act_id}"), exc.detail, "error")
    return redirect(request, _url(slug, "?state=confirmed"), f"已确认，{A.KINDS[act.kind]}已经计入")


@router.post("/v/{slug}/assisted/{act_id}/reject")
def reject(slug: str, act_id: int, request: Request, db: DbSession, actor: PageActor,
           reason: str = Form(default="", max_length=2000)):
    village = assisted.village_for(db, actor, slug)
    try:
        assisted.reject(db, actor, village, act_id, reason)
    except ServiceError as exc:
        return refused(request, exc, back=_url(slug, f"#a{act_id}"), reshow=lambda e=exc: _page(
            request, db, actor, slug, values={"form": "reject", "target": act_id, "reason": reason}, exc=e,
            status=422))
    return redirect(request, _url(slug, "?state=rejected"), "已退回，这条代录不会计入")
