"""The administrator's set-up page: counties, townships, villages and township monitors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlmodel import Session

from app.config import Settings
from app.services import places
from app.services.access import Actor, require_admin
from app.services.errors import ServiceError
from routers.deps import get_db, get_settings_dep, page_actor
from routers.templating import render
from routers.web.common import redirect

router = APIRouter()


def _page(request: Request, db: Session, actor: Actor, error: str | None = None, status: int = 200, **values):
    townships = places.list_townships(db)
    monitors = places.monitors_by_township(db)
    return render(request, "admin/index.html", {
        "counties": places.list_counties(db),
        "townships": townships,
        "villages": places.list_villages(db),
        "monitors": monitors,
        "error": error,
        "values": values,
    }, status_code=status)


@router.get("/admin")
def admin_home(request: Request, db: Session = Depends(get_db), actor: Actor = Depends(page_actor)):
    require_admin(actor)
    return _page(request, db, actor)


def _run(request: Request, db: Session, actor: Actor, action, success: str, **values):
    require_admin(actor)
    try:
        action()
    except ServiceError as exc:
        return _page(request, db, actor, exc.detail, exc.status, **values)
    return redirect(request, "/admin", success)


@router.post("/admin/counties")
def add_county(request: Request, name: str = Form(default="", max_length=50), db: Session = Depends(get_db),
               actor: Actor = Depends(page_actor)):
    return _run(request, db, actor, lambda: places.create_county(db, actor, name), f"已登记县：{name}",
                county_name=name)


@router.post("/admin/townships")
def add_township(request: Request, name: str = Form(default="", max_length=50), county_id: int = Form(default=0),
                 db: Session = Depends(get_db), actor: Actor = Depends(page_actor)):
    return _run(request, db, actor, lambda: places.create_township(db, actor, name, county_id),
                f"已登记乡镇：{name}", township_name=name)


@router.post("/admin/villages")
def add_village(request: Request, name: str = Form(default="", max_length=50),
                slug: str = Form(default="", max_length=40), township_id: int = Form(default=0),
                db: Session = Depends(get_db), actor: Actor = Depends(page_actor)):
    return _run(request, db, actor, lambda: places.create_village(db, actor, name, slug, township_id),
                f"已登记村：{name}。下一步：在本村“添加村民”里登记村委会成员。", village_name=name, village_slug=slug)


@router.post("/admin/monitors")
def add_monitor(request: Request, township_id: int = Form(default=0), name: str = Form(default="", max_length=50),
                phone: str = Form(default="", max_length=20), db: Session = Depends(get_db),
                settings: Settings = Depends(get_settings_dep), actor: Actor = Depends(page_actor)):
    require_admin(actor)
    try:
        user, code, expires = places.add_monitor(db, settings, actor, township_id, name, phone)
    except ServiceError as exc:
        return _page(request, db, actor, exc.detail, exc.status, monitor_name=name, monitor_phone=phone)
    if code is None:
        return redirect(request, "/admin", f"{user.name} 已设为乡镇监督员")
    return render(request, "admin/code.html", {"user": user, "code": code, "expires_at": expires})
