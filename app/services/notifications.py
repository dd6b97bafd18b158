"""Messages to one person ("你的评论已被隐藏，理由…"): written by other use cases, read by their owner.

`notify` only adds the row: it commits (or rolls back) with the change it tells about. Marking
messages read is personal bookkeeping, not a village decision, so it writes no audit event.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.clock import utcnow
from app.models import Notification
from app.services.access import Actor, require_login
from app.services.pagination import Page, paginate

TEXT_MAX = 500
LINK_MAX = 200


def notify(session: Session, user_id: int, village_id: int | None, text: str, link: str | None = None
           ) -> Notification:
    """Add a message for `user_id` in the caller's transaction (no commit)."""
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1] + "…"
    if link is not None and len(link) > LINK_MAX:
        link = None
    row = Notification(user_id=user_id, village_id=village_id, text=text, link=link, created_at=utcnow())
    session.add(row)
    return row


def list_mine(session: Session, actor: Actor | None, page: int = 1, per_page: int = 20) -> Page[Notification]:
    """The actor's messages, newest first (two queries: the count and the page)."""
    actor = require_login(actor)
    stmt = (
        select(Notification)
        .where(Notification.user_id == actor.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(session, stmt, page, per_page)


def unread_count(session: Session, actor: Actor | None) -> int:
    actor = require_login(actor)
    return session.execute(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    ).scalar_one()


def mark_all_read(session: Session, actor: Actor | None) -> int:
    """Mark every unread message of the actor read; returns how many were unread."""
    actor = require_login(actor)
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0
