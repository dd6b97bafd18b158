"""Messages to one person ("你的评论已被隐藏，理由…"): written by other use cases and by the fan-out
(services/fanout.py), read by their owner under 消息, and sent on by the channels the person chose.

`notify` and `notify_many` only add rows: they commit (or roll back) with the change they tell about.
With each message they put its deliveries in the outbox (`delivery`) for the channels its person has
turned on — SMS, e-mail, the daily digest — in the same transaction; the jobs send them later
(services/outbox.py), never the request. Marking messages read and choosing channels is personal
bookkeeping, not a village decision, so it writes no audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, func, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select
from sqlmodel import Session
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

from app.clock import utcnow
from app.config import Settings
from app.domain import delivery as D
from app.domain.people import mask_phone
from app.models import Delivery, Notification, NotificationSetting, User
from app.services.access import Actor, require_login
from app.services.errors import invalid_fields
from app.services.pagination import Page, paginate

TEXT_MAX = 500
LINK_MAX = 200


def _clean(text: str, link: str | None) -> tuple[str, str | None]:
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1] + "…"
    if link is not None and len(link) > LINK_MAX:
        link = None
    return text, link


def first_try(channel: str, now: datetime) -> datetime:
    """When a new delivery is first due: SMS outside the quiet hours, the digest at its daily hour,
    e-mail at once."""
    if channel == D.SMS:
        return D.sms_time(now)
    if channel == D.DIGEST:
        return D.next_digest_at(now)
    return now


def _wanted(setting: NotificationSetting | None) -> list[str]:
    """The outside channels a person's choices call for (e-mail and digest need an address)."""
    if setting is None:
        return []
    return [channel for channel, on in ((D.SMS, setting.sms), (D.EMAIL, setting.email), (D.DIGEST, setting.digest))
            if on and (channel == D.SMS or setting.email_address)]


def notify(session: Session, user_id: int, village_id: int | None, text: str, link: str | None = None
           ) -> Notification:
    """Add a message for `user_id`, and its deliveries for the channels they turned on, in the
    caller's transaction (no commit)."""
    text, link = _clean(text, link)
    now = utcnow()
    row = Notification(user_id=user_id, village_id=village_id, text=text, link=link, created_at=now)
    session.add(row)
    session.flush()
    for channel in _wanted(session.get(NotificationSetting, user_id)):
        session.add(Delivery(notification_id=row.id, user_id=user_id, channel=channel, state=D.PENDING,
                             attempts=0, next_attempt_at=first_try(channel, now), created_at=now))
    return row


def _insert(session: Session, model):
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def notify_many(session: Session, audience: Select | Iterable[int], village_id: int | None, text: str,
                link: str | None, event_key: str) -> int:
    """One message to many people about one event, in a constant number of statements however many
    they are: `audience` is a query of user ids (one column) or a short list of them. A person who
    already has a message with this `event_key` gets no second one, and no second delivery either
    (unique keys), so telling about an event twice tells nobody twice. Returns how many were added.
    No commit."""
    text, link = _clean(text, link)
    now = utcnow()
    if not isinstance(audience, Select):
        ids = sorted(set(audience))
        if not ids:
            return 0
        audience = select(User.id).where(User.id.in_(ids))
    people = audience.subquery()
    uid = people.c[0]
    rows = select(uid, literal(village_id, Integer()), literal(text, AutoString(500)), literal(link, AutoString(200)),
                  literal(now, UTCDateTime()), literal(event_key, AutoString(60))).where(uid.is_not(None))
    stmt = (_insert(session, Notification)
            .from_select(["user_id", "village_id", "text", "link", "created_at", "event_key"], rows.distinct())
            .on_conflict_do_nothing().execution_options(preserve_rowcount=True))
    added = session.execute(stmt).rowcount or 0
    _enqueue_for_event(session, event_key, now)
    return max(added, 0)


def _enqueue_for_event(session: Session, event_key: str, now: datetime) -> None:
    """The deliveries of an event's messages, per channel, for the people who turned the channel on."""
    for channel, column in ((D.SMS, NotificationSetting.sms), (D.EMAIL, NotificationSetting.email),
                            (D.DIGEST, NotificationSetting.digest)):
        rows = (select(Notification.id, Notification.user_id, literal(channel, AutoString(10)),
                       literal(D.PENDING, AutoString(10)), literal(0, Integer()),
                       literal(first_try(channel, now), UTCDateTime()),
                       literal(now, UTCDateTime()))
                .join(NotificationSetting, NotificationSetting.user_id == Notification.user_id)
                .where(Notification.event_key == event_key, column.is_(true()),
                       NotificationSetting.email_address.is_not(None) if channel != D.SMS else true()))
        session.execute(_insert(session, Delivery).from_select(
            ["notification_id", "user_id", "channel", "state", "attempts", "next_attempt_at", "created_at"], rows,
        ).on_conflict_do_nothing())


def already_told(session: Session, event_key: str) -> bool:
    return session.execute(select(Notification.id).where(Notification.event_key == event_key).limit(1)).first() \
        is not None


# --- reading and marking ------------------------------------------------------------------------------------


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


# --- the channels a person chooses ---------------------------------------------------------------------------


@dataclass
class Channels:
    """A person's choices and what the service offers (the settings page shows only what is offered)."""

    sms: bool
    email: bool
    digest: bool
    email_address: str
    sms_offered: bool
    email_offered: bool
    phone: str  # masked: 138****0007


def my_channels(session: Session, settings: Settings, actor: Actor | None) -> Channels:
    actor = require_login(actor)
    row = session.get(NotificationSetting, actor.id)
    return Channels(sms=bool(row and row.sms), email=bool(row and row.email), digest=bool(row and row.digest),
                    email_address=(row.email_address if row else None) or "", sms_offered=settings.sms_enabled,
                    email_offered=settings.email_enabled, phone=mask_phone(actor.user.phone))


OFF_REASON = "本人已关闭{}通知"


def set_channels(session: Session, settings: Settings, actor: Actor | None, *, sms: bool, email: bool,
                 digest: bool, email_address: str | None) -> Channels:
    """Turn channels on or off. A channel the service does not offer cannot be turned on; e-mail and the
    digest need a valid address. What waits in the outbox for a channel turned off is not sent."""
    actor = require_login(actor)
    address = (email_address or "").strip()
    errors: dict[str, str] = {}
    if sms and not settings.sms_enabled:
        errors["sms"] = "短信通知还没有开通"
    if (email or digest) and not settings.email_enabled:
        errors["email"] = "邮件通知还没有开通"
    if address or email or digest:
        problem = D.email_problem(address)
        if problem:
            errors["email_address"] = problem
    if errors:
        raise invalid_fields(errors)
    row = session.get(NotificationSetting, actor.id) or NotificationSetting(user_id=actor.id)
    row.sms, row.email, row.digest = sms, email, digest
    row.email_address = address or None
    row.updated_at = utcnow()
    session.add(row)
    off = [channel for channel, on in ((D.SMS, sms), (D.EMAIL, email), (D.DIGEST, digest)) if not on]
    for channel in off:
        session.execute(update(Delivery).where(
            Delivery.user_id == actor.id, Delivery.channel == channel, Delivery.state == D.PENDING,
        ).values(state=D.SKIPPED, next_attempt_at=None, last_error=OFF_REASON.format(D.CHANNELS[channel]))
            .execution_options(synchronize_session=False))
    session.commit()
    return my_channels(session, settings, actor)


def channel_on(setting: NotificationSetting | None, channel: str) -> bool:
    """Whether the person has this channel on right now (checked again when a delivery is sent)."""
    if setting is None:
        return False
    return {D.SMS: setting.sms, D.EMAIL: setting.email, D.DIGEST: setting.digest}.get(channel, False) is True

