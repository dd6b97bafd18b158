"""Tokens, activation, logout, the current user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.services import auth
from app.services.access import require_login
from app.services.pagination import page_list
from routers.deps import Auth, DbSession, PageNo, PerPage, SettingsDep, client_ip
from routers.security import clear_session_cookie
from schemas.auth import (
    ActivateIn,
    MembershipOut,
    MeOut,
    MessageOut,
    PasswordChangeIn,
    SessionOut,
    TokenIn,
    TokenOut,
)
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["登录与账号"], responses=PROBLEMS)


@router.post("/auth/token", response_model=TokenOut)
def token(
    body: TokenIn,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
) -> TokenOut:
    """Log in with phone and password; the bearer token is for API clients."""
    opened = auth.login(db, settings, body.phone, body.password, ip=client_ip(request),
                        user_agent=request.headers.get("user-agent"), kind="api")
    return TokenOut(access_token=opened.token, expires_at=opened.row.expires_at)


@router.post("/auth/activate", response_model=MessageOut)
def activate(
    body: ActivateIn,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
) -> MessageOut:
    """Set the first password with the one-time code from the committee."""
    auth.activate(db, settings, body.phone, body.code, body.password, ip=client_ip(request))
    return MessageOut(detail="激活成功，请用手机号和新密码登录")


@router.post("/auth/logout", response_model=MessageOut)
def logout(
    request: Request,
    response: Response,
    ctx: Auth,
    db: DbSession,
) -> MessageOut:
    if ctx is not None:
        auth.logout(db, ctx.row, ip=client_ip(request))
        if ctx.via == "cookie":
            clear_session_cookie(response)
    return MessageOut(detail="已退出登录")


@router.get("/me", response_model=MeOut)
def me(ctx: Auth) -> MeOut:
    actor = require_login(ctx.actor if ctx else None)
    memberships = [MembershipOut(village_id=actor.village_id, roles=sorted(actor.roles))] if actor.village_id else []
    return MeOut(
        id=actor.id,
        name=actor.user.name,
        phone=actor.user.phone,
        is_admin=actor.is_admin,
        memberships=memberships,
        monitor_of=sorted(actor.monitor_of),
        csrf_token=ctx.row.csrf_token if ctx and ctx.via == "cookie" else None,
    )


@router.post("/me/password", response_model=TokenOut)
def change_password(
    body: PasswordChangeIn,
    request: Request,
    response: Response,
    ctx: Auth,
    db: DbSession,
    settings: SettingsDep,
) -> TokenOut:
    """Change the password. Every session of the account ends; a fresh token is returned."""
    actor = require_login(ctx.actor if ctx else None)
    assert ctx is not None
    opened = auth.change_password(db, settings, actor.user, body.current_password, body.new_password,
                                  ip=client_ip(request), user_agent=request.headers.get("user-agent"),
                                  kind="api" if ctx.via == "bearer" else "web")
    if ctx.via == "cookie":
        from routers.security import set_session_cookie

        set_session_cookie(request, response, opened.token)
    return TokenOut(access_token=opened.token, expires_at=opened.row.expires_at)


@router.get("/me/sessions", response_model=PageOut[SessionOut])
def my_sessions(ctx: Auth, db: DbSession, settings: SettingsDep, page: PageNo = 1, per_page: PerPage = 50):
    """Where the caller is logged in: live sessions, newest first (`current` marks this one)."""
    actor = require_login(ctx.actor if ctx else None)
    assert ctx is not None
    return page_out(SessionOut, page_list(auth.live_sessions(db, settings, actor.id, ctx.row.id), page, per_page))


@router.post("/me/sessions/end-others", response_model=MessageOut)
def end_other_sessions(request: Request, ctx: Auth, db: DbSession) -> MessageOut:
    """Sign out everywhere else; this session stays."""
    actor = require_login(ctx.actor if ctx else None)
    assert ctx is not None
    ended = auth.end_other_sessions(db, actor.id, ctx.row.id, ip=client_ip(request))
    return MessageOut(detail=f"已退出其他 {ended} 处登录")
