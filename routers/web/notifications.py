"""My messages (我的消息): the list, marking them all read, and how they reach me (通知设置)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request

from app.services import notifications
from app.services.errors import ServiceError
from routers.deps import DbSession, PageActor, PageNo, SettingsDep
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()


@router.get("/me/notifications")
def my_notifications(request: Request, db: DbSession, actor: PageActor, page: PageNo = 1):
    result = notifications.list_mine(db, actor, page, 30)
    unread = notifications.unread_count(db, actor)
    return render(request, "notifications/list.html", {"page": result, "query": "", "unread": unread})


@router.post("/me/notifications/read")
def read_notifications(request: Request, db: DbSession, actor: PageActor):
    notifications.mark_all_read(db, actor)
    return redirect(request, "/me/notifications", "已全部标为已读")


def _settings_page(request: Request, channels: notifications.Channels, status: int = 200, *,
                   errors: dict[str, str] | None = None, error: str | None = None):
    return render(request, "notifications/settings.html",
                  {"channels": channels, "errors": errors or {}, "error": error}, status_code=status)


@router.get("/me/notifications/settings")
def channel_settings(request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    return _settings_page(request, notifications.my_channels(db, settings, actor))


@router.post("/me/notifications/settings")
def save_channel_settings(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: PageActor,
    sms: str = Form(default="", max_length=10),
    email: str = Form(default="", max_length=10),
    digest: str = Form(default="", max_length=10),
    email_address: str = Form(default="", max_length=300),
):
    on = {"sms": sms == "1", "email": email == "1", "digest": digest == "1"}
    try:
        notifications.set_channels(db, settings, actor, email_address=email_address, **on)
    except ServiceError as exc:
        current = notifications.my_channels(db, settings, actor)
        typed = notifications.Channels(**{**current.__dict__, **on, "email_address": email_address})
        errors = field_errors(exc)
        return refused(request, exc, back="/me/notifications/settings",
                       reshow=lambda e=exc: _settings_page(request, typed, e.status, errors=errors,
                                                           error=e.detail))
    return redirect(request, "/me/notifications/settings", "通知设置已保存")
