"""Notifications: messages to one person, shown under 消息; the channels each person chose, the outbox
of deliveries by SMS and e-mail, and where the fan-out has read each audit chain up to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Notification(SQLModel, table=True):
    """A message to one person (e.g. "your comment was hidden, reason …").

    `event_key` names what it tells about when it comes from the fan-out ("notice.publish:12:340",
    "vote.closing:77"): one message per person and event, however often the job runs."""

    __table_args__ = (Index("ix_notification_user_created", "user_id", "created_at"),
                      UniqueConstraint("event_key", "user_id"))
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    village_id: int | None = Field(default=None, foreign_key="village.id")
    text: str = Field(max_length=500)
    link: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    event_key: str | None = Field(default=None, max_length=60)


class NotificationSetting(SQLModel, table=True):
    """The channels a person turned on besides the in-app messages. No row: all off."""

    __tablename__ = "notification_setting"
    user_id: int = Field(foreign_key="user.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    sms: bool = False  # to the account's phone
    email: bool = False
    digest: bool = False  # one e-mail a day with what did not reach them otherwise
    email_address: str | None = Field(default=None, max_length=254)
    updated_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """One message on its way out by one channel (the outbox). Written with its message, in the same
    transaction; sent later by the `deliver` and `digest` jobs, never by a request. The address is read
    at send time; only its masked form is kept here, for the admin's list."""

    __table_args__ = (UniqueConstraint("notification_id", "channel"),
                      Index("ix_delivery_state_due", "state", "next_attempt_at"),
                      Index("ix_delivery_channel_state", "channel", "state"),
                      Index("ix_delivery_user_channel_state", "user_id", "channel", "state"))
    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id")
    user_id: int = Field(foreign_key="user.id")
    channel: str = Field(max_length=10)  # sms / email / digest
    state: str = Field(default="pending", max_length=10)  # pending / sent / failed / skipped
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=300)
    destination: str | None = Field(default=None, max_length=80)  # masked: 138****0007, z***@example.com
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class FanoutCursor(SQLModel, table=True):
    """How far the fan-out has read one audit chain (its last sequence number read)."""

    __tablename__ = "fanout_cursor"
    chain: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
