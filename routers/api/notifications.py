"""My messages (我的消息): read them, count the unread, mark them all read."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import notifications
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut
from schemas.notifications import MarkedReadOut, NotificationOut, UnreadOut

router = APIRouter(tags=["商议"], responses=PROBLEMS)


@router.get("/me/notifications", response_model=PageOut[NotificationOut])
def my_notifications(db: DbSession, actor: CurrentActor, page: PageNo = 1,
                     per_page: PerPage = 20):
    """My messages, newest first."""
    result = notifications.list_mine(db, actor, page, per_page)
    return PageOut[NotificationOut](items=[NotificationOut.model_validate(n) for n in result.items],
                                    total=result.total, page=result.page, per_page=result.per_page)


@router.get("/me/notifications/unread", response_model=UnreadOut)
def my_unread(db: DbSession, actor: CurrentActor):
    return UnreadOut(unread=notifications.unread_count(db, actor))


@router.post("/me/notifications/read", response_model=MarkedReadOut)
def mark_read(db: DbSession, actor: CurrentActor):
    """Mark all my messages read."""
    marked = notifications.mark_all_read(db, actor)
    return MarkedReadOut(marked=marked, unread=notifications.unread_count(db, actor))
