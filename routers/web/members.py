"""The committee's member pages: list, add, edit roles/household/group, new activation code."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request

from app.domain.people import parse_date, parse_gender
from app.domain.roles import VILLAGE_ROLES, VILLAGER
from app.services import members, places
from app.services.errors import Invalid, ServiceError
from routers.deps import DbSession, PageActor, PageNo, SettingsDep
from routers.templating import render
from routers.web.common import redirect

router = APIRouter()


@router.get("/v/{slug}/members")
def member_list(
    slug: str,
    request: Request,
    db: DbSession,
    actor: PageActor,
    q: str | None = Query(default=None, max_length=50),
    role: str | None = Query(default=None, max_length=20),
    page: PageNo = 1,
):
    village = places.get_village_by_slug(db, slug)
    result = members.list_members(db, actor, village, q=q, role=role or None, page=page, per_page=50)
    return render(request, "members/list.html", {
        "village": village,
        "page": result,
        "q": q or "",
        "role": role or "",
        "can_manage": members.may_manage(actor, village),
    })


def _member_form(request: Request, village, values: dict, error: str | None = None, status: int = 200):
    return render(request, "members/new.html", {"village": village, "values": values, "error": error,
                                                 "roles": VILLAGE_ROLES}, status_code=status)


@router.get("/v/{slug}/members/new")
def new_member_form(slug: str, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    members.require_manager(actor, village)
    return _member_form(request, village, {"roles": [VILLAGER]})


@router.post("/v/{slug}/members/new")
def add_member(
    slug: str,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: PageActor,
    name: str = Form(default="", max_length=50),
    phone: str = Form(default="", max_length=20),
    birth_date: str = Form(default="", max_length=20),
    gender: str = Form(default="", max_length=4),
    household: str = Form(default="", max_length=30),
    group: str = Form(default="", max_length=50),
    roles: list[str] = Form(default=[]),
):
    village = places.get_village_by_slug(db, slug)
    members.require_manager(actor, village)
    values = {"name": name.strip(), "phone": phone.strip(), "birth_date": birth_date.strip(), "gender": gender,
              "household": household.strip(), "group": group.strip(), "roles": roles}
    try:
        birth = parse_date(values["birth_date"]) if values["birth_date"] else None
        if values["birth_date"] and birth is None:
            raise Invalid("出生日期格式不对，例如 1980-05-01", field="birth_date")
        data = members.MemberIn(
            name=values["name"], phone=values["phone"], birth_date=birth, gender=parse_gender(gender),
            household=values["household"] or None, group=values["group"] or None, roles=roles or [VILLAGER],
        )
        result = members.add_member(db, settings, actor, village, data)
    except ServiceError as exc:
        return _member_form(request, village, values, exc.detail, exc.status)
    return render(request, "members/codes.html", {
        "village": village,
        "codes": [{"name": result.user.name, "phone": result.user.phone, "code": result.code,
                   "expires_at": result.code_expires_at}] if result.code else [],
        "message": " ".join([f"已添加 {result.user.name}", *result.warnings]),
    })


@router.get("/v/{slug}/members/{uid}")
def member_page(slug: str, uid: int, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    member = members.get_member(db, actor, village, uid)
    return render(request, "members/detail.html", {"village": village, "member": member,
                                                    "roles": VILLAGE_ROLES,
                                                    "can_manage": members.may_manage(actor, village),
                                                    "can_issue_code": members.may_issue_code(actor, village, member)})


@router.post("/v/{slug}/members/{uid}")
def member_update(
    slug: str,
    uid: int,
    request: Request,
    db: DbSession,
    actor: PageActor,
    household: str = Form(default="", max_length=30),
    group: str = Form(default="", max_length=50),
    roles: list[str] = Form(default=[]),
):
    village = places.get_village_by_slug(db, slug)
    try:
        view = members.update_member(db, actor, village, uid, roles=roles, household=household, group=group)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        member = members.get_member(db, actor, village, uid)
        return render(request, "members/detail.html", {"village": village, "member": member,
                                                        "roles": VILLAGE_ROLES, "can_manage": True,
                                                        "error": exc.detail}, status_code=exc.status)
    if view.warnings:  # saved, but the committee should know (a supervisor's overlap with the committee)
        return redirect(request, f"/v/{slug}/members/{uid}", "已保存。" + " ".join(view.warnings), "error")
    return redirect(request, f"/v/{slug}/members/{uid}", "已保存")


@router.post("/v/{slug}/members/{uid}/code")
def member_code(slug: str, uid: int, request: Request, db: DbSession,
                settings: SettingsDep, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    user, code, expires = members.reissue_code(db, settings, actor, village, uid)
    return render(request, "members/codes.html", {
        "village": village,
        "codes": [{"name": user.name, "phone": user.phone, "code": code, "expires_at": expires}],
        "message": f"已为 {user.name} 生成新的激活码，旧激活码作废",
    })
