"""Objections (质询) on the web: a villager questions a published notice during its window; the
people who publish its category answer, on the notice page or from the village's inbox. Never
public: the village's members, its township's monitors and admins see them.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from app.domain.calendar import format_local
from app.services import notice_views, objections, places
from app.services.access import Actor
from app.services.errors import ServiceError
from routers.deps import DbSession, PageActor, PageNo
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import refused
from routers.web.notices import load, notice_url, show, show_again

router = APIRouter()

PER_PAGE = 20


@router.post("/v/{slug}/notices/{nid}/objections")
def object_(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor,
            body: str = Form(default="", max_length=5000)):
    notice, village = load(db, actor, slug, nid)
    try:
        objection = objections.raise_objection(db, actor, notice.id, body)
    except ServiceError as exc:
        return refused(request, exc, back=notice_url(village, nid, "#objections"), reshow=lambda e=exc: show_again(
            request, db, actor, slug, nid, e, {"form": "objection", "body": body}))
    return redirect(request, notice_url(village, nid, f"#o{objection.id}"),
                    f"质询已提交，村委会应在 {format_local(objection.due_at, '%Y-%m-%d')} 前答复")


@router.post("/v/{slug}/objections/{oid}/reply")
def reply(slug: str, oid: int, request: Request, db: DbSession, actor: PageActor,
          body: str = Form(default="", max_length=6000), back: str = Form(default="notice", max_length=10)):
    village = places.get_village_by_slug(db, slug)
    nid = objections.notice_of(db, village, oid)
    values = {"form": "reply", "target": oid, "body": body}

    def reshow(exc: ServiceError) -> Response:
        if back == "inbox":
            return inbox_page(request, db, actor, village, open_only=True, page=1, error=exc.detail,
                              values=values, status=422)
        notice, home = load(db, actor, slug, nid)
        return show(request, notice_views.notice_view(db, actor, notice, home), error=exc.detail, values=values,
                    status=422)

    try:
        objections.reply(db, actor, oid, body)
    except ServiceError as exc:
        target = f"/v/{village.slug}/objections" if back == "inbox" else notice_url(village, nid, f"#o{oid}")
        return refused(request, exc, back=target, reshow=lambda e=exc: reshow(e))
    if back == "inbox":
        return redirect(request, f"/v/{village.slug}/objections", "答复已发出，质询人会收到消息")
    return redirect(request, notice_url(village, nid, f"#o{oid}"), "答复已发出，质询人会收到消息")


def inbox_page(request: Request, db: DbSession, actor: Actor, village, *, open_only: bool, page: int,
               error: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    view = objections.inbox_view(db, actor, village, open_only=open_only, page=page, per_page=PER_PAGE)
    return render(request, "notices/objections.html", {
        "village": village,
        "page": view.page,
        "open_only": open_only,
        "query": "" if open_only else "all=1&",
        "may_reply": view.may_reply,
        "error": error,
        "values": values or {},
    }, status_code=status)


@router.get("/v/{slug}/objections")
def objection_inbox(slug: str, request: Request, db: DbSession, actor: PageActor,
                    show_all: bool = Query(default=False, alias="all"), page: PageNo = 1):
    village = places.get_village_by_slug(db, slug)
    return inbox_page(request, db, actor, village, open_only=not show_all, page=page)
