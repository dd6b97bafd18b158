"""Login, logout, activation with a code, and the account page (change password, large type)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request

from app.services import auth, home, places
from app.services.errors import ServiceError
from routers.deps import Auth, DbSession, SettingsDep, client_ip
from routers.security import clear_session_cookie, set_session_cookie
from routers.templating import render
from routers.web.common import login_redirect, redirect, safe_next

router = APIRouter()


@router.get("/login")
def login_form(request: Request, ctx: Auth, db: DbSession, next: str | None = None):
    if ctx is not None:
        target = safe_next(next)
        return redirect(request, home.landing(db, ctx.user) if target == "/" else target)
    return render(request, "auth/login.html", {"next": safe_next(next), "phone": ""})


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    phone: str = Form(default="", max_length=20),
    password: str = Form(default="", max_length=200),
    next: str = Form(default="/"),
):
    try:
        opened = auth.login(db, settings, phone, password, ip=client_ip(request),
                            user_agent=request.headers.get("user-agent"), kind="web")
    except ServiceError as exc:
        return render(request, "auth/login.html", {"next": safe_next(next), "phone": phone, "error": exc.detail},
                      status_code=exc.status)
    target = safe_next(next)
    if target == "/":
        target = home.landing(db, opened.user)  # 我的待办, or a monitor's township dashboard
    response = redirect(request, target, f"{opened.user.name}，欢迎回来")
    set_session_cookie(request, response, opened.token)
    return response


@router.post("/logout")
def logout(request: Request, ctx: Auth, db: DbSession):
    if ctx is not None:
        auth.logout(db, ctx.row, ip=client_ip(request))
    response = redirect(request, "/", "已退出登录")
    clear_session_cookie(response)
    return response


@router.get("/activate")
def activate_form(request: Request, phone: str = ""):
    return render(request, "auth/activate.html", {"phone": phone, "code": ""})


@router.post("/activate")
def activate(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    phone: str = Form(default="", max_length=20),
    code: str = Form(default="", max_length=20),
    password: str = Form(default="", max_length=200),
    password2: str = Form(default="", max_length=200),
):
    context = {"phone": phone, "code": code}
    if password != password2:
        return render(request, "auth/activate.html", {**context, "error": "两次输入的密码不一样"}, status_code=422)
    try:
        auth.activate(db, settings, phone, code, password, ip=client_ip(request))
    except ServiceError as exc:
        return render(request, "auth/activate.html", {**context, "error": exc.detail}, status_code=exc.status)
    return redirect(request, "/login", "激活成功，请用手机号和新密码登录")


def _account(request: Request, ctx, db, settings, error: str | None = None, status: int = 200):
    village = places.village_of_user(db, ctx.user.id)
    sessions = auth.live_sessions(db, settings, ctx.user.id, ctx.row.id)
    return render(request, "auth/account.html", {"village": village, "sessions": sessions, "error": error},
                  status_code=status)


@router.get("/account")
def account(request: Request, ctx: Auth, db: DbSession, settings: SettingsDep):
    if ctx is None:
        return login_redirect(request)
    return _account(request, ctx, db, settings)


@router.post("/account/sessions/end-others")
def end_other_sessions(request: Request, ctx: Auth, db: DbSession):
    if ctx is None:
        return login_redirect(request)
    ended = auth.end_other_sessions(db, ctx.user.id, ctx.row.id, ip=client_ip(request))
    return redirect(request, "/account", f"已退出其他 {ended} 处登录" if ended else "没有其他地方在登录")


@router.post("/account/password")
def change_password(
    request: Request,
    ctx: Auth,
    db: DbSession,
    settings: SettingsDep,
    current_password: str = Form(default="", max_length=200),
    new_password: str = Form(default="", max_length=200),
    new_password2: str = Form(default="", max_length=200),
):
    if ctx is None:
        return login_redirect(request)
    if new_password != new_password2:
        return _account(request, ctx, db, settings, "两次输入的新密码不一样", 422)
    try:
        opened = auth.change_password(db, settings, ctx.user, current_password, new_password,
                                      ip=client_ip(request), user_agent=request.headers.get("user-agent"))
    except ServiceError as exc:
        return _account(request, ctx, db, settings, exc.detail, exc.status)
    response = redirect(request, "/account", "密码已修改，其他设备上的登录已退出")
    set_session_cookie(request, response, opened.token)
    return response


@router.post("/account/large-type")
def large_type(request: Request, ctx: Auth, db: DbSession, large_type: str = Form(default="", max_length=10)):
    """大字显示 on or off for this person, on every page and every device they log in on."""
    if ctx is None:
        return login_redirect(request)
    try:
        on = auth.set_large_type(db, ctx.user, large_type)
    except ServiceError as exc:
        return redirect(request, "/account", exc.detail, "error")
    return redirect(request, "/account", "已打开大字显示" if on else "已关闭大字显示，恢复标准字号")
