"""The administrator's set-up page: counties, townships, villages and township monitors; the outbox of
messages by SMS and e-mail (发送记录)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request

from app.domain import delivery as D
from app.domain.bounds import MAX_ID
from app.services import outbox, places, townships
from app.services.access import Actor
from app.services.errors import ServiceError
from routers.deps import DbSession, PageActor, PageNo, SettingsDep
from routers.templating import render
from routers.web.common import redirect

router = APIRouter()


def _page(request: Request, db: DbSession, actor: Actor, error: str | None = None, status: int = 200, **values):
    overview = places.admin_overview(db, actor)
    townships = overview.townships
    monitors = overview.monitors
    return render(request, "admin/index.html", {
        "counties": overview.counties,
        "townships": townships,
        "villages": overview.villages,
        "monitors": monitors,
        "error": error,
        "values": values,
    }, status_code=status)


@router.get("/admin")
def admin_home(request: Request, db: DbSession, actor: PageActor):
    return _page(request, db, actor)


def _run(request: Request, db: DbSession, actor: Actor, action, success: str, **values):
    try:
        action()
    except ServiceError as exc:
        return _page(request, db, actor, exc.detail, exc.status, **values)
    return redirect(request, "/admin", success)


@router.post("/admin/counties")
def add_county(
    request: Request,
    db: DbSession,
    actor: PageActor,
    name: str = Form(default="", max_length=50),
):
    return _run(request, db, actor, lambda: places.create_county(db, actor, name), f"已登记县：{name}",
                county_name=name)


@router.post("/admin/townships")
def add_township(
    request: Request,
    db: DbSession,
    actor: PageActor,
    name: str = Form(default="", max_length=50),
    county_id: int = Form(default=0, ge=0, le=MAX_ID),
):
    return _run(request, db, actor, lambda: places.create_township(db, actor, name, county_id),
                f"已登记乡镇：{name}", township_name=name)


@router.post("/admin/villages")
def add_village(
    request: Request,
    db: DbSession,
    actor: PageActor,
    name: str = Form(default="", max_length=50),
    slug: str = Form(default="", max_length=40),
    township_id: int = Form(default=0, ge=0, le=MAX_ID),
):
    return _run(request, db, actor, lambda: places.create_village(db, actor, name, slug, township_id),
                f"已登记村：{name}。下一步：在本村“添加村民”里登记村委会成员。", village_name=name, village_slug=slug)


@router.post("/admin/monitors")
def add_monitor(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: PageActor,
    township_id: int = Form(default=0, ge=0, le=MAX_ID),
    name: str = Form(default="", max_length=50),
    phone: str = Form(default="", max_length=20),
):
    try:
        user, code, expires = townships.add_monitor(db, settings, actor, township_id, name, phone)
    except ServiceError as exc:
        return _page(request, db, actor, exc.detail, exc.status, monitor_name=name, monitor_phone=phone)
    if code is None:
        return redirect(request, "/admin", f"{user.name} 已设为乡镇监督员")
    return render(request, "admin/code.html", {"user": user, "code": code, "expires_at": expires})


@router.get("/admin/deliveries")
def deliveries(request: Request, db: DbSession, actor: PageActor, page: PageNo = 1,
               state: str = Query(default="", max_length=10), channel: str = Query(default="", max_length=10)):
    """Deliveries by SMS and e-mail, newest first, with the errors of failed tries (addresses masked)."""
    state = state if state in D.STATES else ""
    channel = channel if channel in D.CHANNELS else ""
    result = outbox.deliveries(db, actor, state=state or None, channel=channel or None, page=page)
    query = urlencode({k: v for k, v in (("state", state), ("channel", channel)) if v})
    return render(request, "admin/deliveries.html", {
        "page": result, "counts": outbox.counts(db, actor), "states": D.STATES, "channels": D.CHANNELS,
        "state": state, "channel": channel, "query": query + "&" if query else ""})
