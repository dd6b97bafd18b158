"""My messages (我的消息): the list, and marking them all read."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.services import notifications
from routers.deps import DbSession, PageActor, PageNo
from routers.templating import render
from routers.web.common import redirect

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
